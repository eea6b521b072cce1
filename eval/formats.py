"""The same documents as text, HTML, Markdown, DOCX and PDF: does the answer survive the format?

    python -m eval.formats [--split dev] [--llm none] [--out DIR]

Staff will add HTML pages, Word files and PDFs, while every eval set here is plain text. This writes
fresh-dev's documents of one half (``--split``: dev by default, the half that may be tuned on)
as HTML pages (a navigation bar, one ``<p>`` per line, a page footer, the first line cut to 80
characters as ``<title>``), as HTML pages whose furniture is marked by nothing but ``<div>``s and
links (``html-div``: a site header with a menu and a search box, breadcrumbs, a side panel of
related links, a footer of links; as many older ministry sites are built), as an older site's
pages (``html-br``: the text one table cell, its paragraphs parted by ``<br><br>`` only), as
Markdown (``md``:
those pages as an HTML-to-Markdown converter saves them, the furniture as lines and lists of
``[label](/link)``), as DOCX files (one
paragraph per line) and as PDF files (the page printed by headless Chromium on A5 in 12 pt, so that
the longer ones run over two pages, with a running header and "Page N of M" footer; needs
Debian's chromium, as the browser tests do; ``pdf-indent``: the same set as a word processor sets an
official text, paragraphs justified, with no space between them and the first line indented; ``pdf-writer``: the
DOCX files exported to PDF by LibreOffice Writer, headless, as a word processor writes a PDF: its own
fonts and text operators, and the gap it sets between Asian and Latin text; needs Debian's
libreoffice-writer-nogui, which ``make browser`` installs beside chromium; ``pdf-scan``: the ``pdf``
files as a scanner gives them back, each page an image at 300 dpi in grey and no text, which the
reader reads by OCR: needs Tesseract, which ``make ocr`` installs; ``pdf-scan-rough``: as an office
scanner at its document default gives them back, 200 dpi, each page laid up to 1.5 degrees askew,
on grey paper with noise, in JPEG of quality 60; ``pdf-scan-layer``: the ``pdf-scan`` files as a
scanner's "searchable PDF", Tesseract's words laid over each page as invisible text), beside the other half's
files and the seed documents as they are, rewrites that half's questions to name the new files,
and runs each through ``rag eval``. One table, a row per format: what reading the format costs,
in answers and in paragraphs read as written (``paragraphs_as_written``).
The files, and each format's run as ``rag eval --json`` writes it (``<format>/run.json``), go under
``--out`` (by default the eval cache, ``<data_dir>/eval/formats``), never into
the repository; ``../shared`` is read in place.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import io
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from eval.evalset import load_eval_set
from eval.fit_evidence import SEEDS, SHARED
from eval.runner import eval_settings, merged_corpus, run_eval, write_json
from eval.splits import select

FRESH = SHARED / "fresh-dev"
FORMATS = ("txt", "html", "html-div", "html-br", "md", "docx", "pdf", "pdf-indent", "pdf-writer", "pdf-scan",
           "pdf-scan-rough", "pdf-scan-layer")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"


@dataclass(frozen=True)
class HtmlPage:
    """A page template (``{title}``, ``{body}``) and how the text's lines are set in its body."""

    template: str
    line: str = "<p>{}</p>"  # one line of the text, escaped
    separator: str = "\n"


_PAGE = HtmlPage('<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>'
         '<nav><a href="/">Home</a> | <a href="/press">Press releases</a> | <a href="/contact">Contact</a></nav>'
         '<main>{body}</main><footer>Copyright Ministry of Foreign Affairs. All rights reserved.</footer></body></html>')
_DIV_PAGE = HtmlPage(
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>'
    '<div id="header"><div class="logo"><a href="/">Ministry of Foreign Affairs</a></div>'
    '<ul class="menu"><li><a href="/press">Press releases</a></li><li><a href="/policy">Foreign policy</a></li>'
    '<li><a href="/regions">Countries and regions</a></li><li><a href="/travel">Travel and residence</a></li></ul>'
    '<form action="/search"><input type="text" name="q"><button>Search</button></form></div>'
    '<div class="breadcrumbs"><a href="/">Top page</a> &gt; <a href="/regions">Countries and regions</a> &gt; '
    '<a href="/press">Press releases</a></div>'
    '<div id="contents"><div class="main">{body}</div>'
    '<div class="side"><div class="side-title">Related links</div><ul><li><a href="/a">Press conferences</a></li>'
    '<li><a href="/b">Visits of heads of state</a></li><li><a href="/c">Treaties and agreements</a></li></ul></div></div>'
    '<div class="pagetop"><a href="#top">Back to the top of this page</a></div>'
    '<div id="footer"><ul><li><a href="/sitemap">Site map</a></li><li><a href="/about">About this site</a></li>'
    '<li><a href="/privacy">Privacy policy</a></li></ul><p>Copyright Ministry of Foreign Affairs. All rights reserved.</p>'
    '</div></body></html>')


# an older site's page: laid out in a table, the text one cell whose paragraphs only <br><br> part
_BR_PAGE = HtmlPage(
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><title>{title}</title></head>'
    '<body><table width="760" border="0"><tr><td><a href="/">Top page</a> &gt; <a href="/press">Press releases</a>'
    '</td></tr><tr><td>{body}</td></tr><tr><td align="right"><a href="#top">Back to the top</a></td></tr></table>'
    '<hr><p>Copyright Ministry of Foreign Affairs</p></body></html>', line="{}", separator="<br><br>\n")


# the html-div page as an HTML-to-Markdown converter writes it (a web page saved as Markdown)
_MARKDOWN_PAGE = (
    "[Ministry of Foreign Affairs](/)\n\n"
    "* [Press releases](/press)\n* [Foreign policy](/policy)\n* [Countries and regions](/regions)\n"
    "* [Travel and residence](/travel)\n\n"
    "[Top page](/) > [Countries and regions](/regions) > [Press releases](/press)\n\n"
    "{body}\n\n"
    "Related links\n\n* [Press conferences](/a)\n* [Visits of heads of state](/b)\n* [Treaties and agreements](/c)\n\n"
    "[Back to the top of this page](#top)\n\n"
    "* [Site map](/sitemap)\n* [About this site](/about)\n* [Privacy policy](/privacy)\n\n"
    "Copyright Ministry of Foreign Affairs. All rights reserved.\n")


def as_markdown(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return _MARKDOWN_PAGE.format(body="\n\n".join(lines))


def as_html(text: str, page: HtmlPage = _PAGE, title_chars: int | None = 80) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    body = page.separator.join(page.line.format(html.escape(line)) for line in lines)
    return page.template.format(title=html.escape(lines[0][:title_chars]), body=body)


def write_docx(text: str, path: Path) -> None:
    import docx

    document = docx.Document()
    for line in text.splitlines():
        if line.strip():
            document.add_paragraph(line.strip())
    document.save(path)


def write_writer_pdfs(texts: dict[Path, str], folder: Path) -> None:
    """Each text written as DOCX (``write_docx``) and exported by LibreOffice Writer to a PDF of
    the same name in ``folder`` (headless, with a profile of its own, so a running LibreOffice is
    left alone)."""
    with tempfile.TemporaryDirectory() as tmp:
        docs = [Path(tmp) / f"{path.stem}.docx" for path in texts]
        for doc, text in zip(docs, texts.values()):
            write_docx(text, doc)
        subprocess.run([SOFFICE, f"-env:UserInstallation={Path(tmp, 'profile').as_uri()}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(folder), *map(str, docs)],
                       check=True, capture_output=True, timeout=600)


@dataclass(frozen=True)
class Scanner:
    """How a scanner gives pages back: at what resolution, how skewed (each page turned by up to
    ``skew`` degrees, at least a third of it, its sign and size from a hash of the file's name and the
    page's number), on what paper (grey level), with how much noise (Gaussian, in grey levels), in
    what JPEG quality."""

    dpi: int = 300
    skew: float = 0.0
    paper: int = 255
    noise: float = 0.0
    quality: int = 75


CLEAN_SCANNER = Scanner()  # a clean scan: 300 dpi, upright, white, no noise
# an office scanner at its document default: 200 dpi, a page laid a little askew, paper not white
ROUGH_SCANNER = Scanner(dpi=200, skew=1.5, paper=235, noise=6.0, quality=60)


def scan_of(pdf: bytes, rotate: int = 0, scanner: Scanner = CLEAN_SCANNER, name: str = "") -> bytes:
    """``pdf``'s pages as ``scanner`` gives them back: images in grey, turned ``rotate`` degrees
    anticlockwise, no text (``name`` seeds the skew and noise)."""
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image

    document = pdfium.PdfDocument(pdf)
    images = []
    for number, page in enumerate(document):
        image = page.render(scale=scanner.dpi / 72, grayscale=True).to_pil()
        seed = int.from_bytes(hashlib.sha256(f"{name}:{number}".encode()).digest()[:8], "big")
        rng = np.random.default_rng(seed)
        if scanner.skew:
            angle = rng.uniform(scanner.skew / 3, scanner.skew) * rng.choice([-1, 1])
            image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
        if scanner.paper < 255 or scanner.noise:
            grey = np.asarray(image, dtype=np.float32) * (scanner.paper / 255)
            grey += rng.normal(0, scanner.noise, grey.shape) if scanner.noise else 0
            image = Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8))
        images.append(image.rotate(rotate, expand=True, fillcolor=scanner.paper) if rotate else image)
    document.close()
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=scanner.dpi,
                   quality=scanner.quality)
    return out.getvalue()


def with_text_layer(scan: bytes) -> bytes:
    """A scan as a scanner's "searchable PDF" gives it back: each page's image with the words
    Tesseract read on it laid over it as invisible text (Tesseract's own PDF output, the layer
    ocrmypdf writes too), each page read with the pack of its script as the reader's OCR
    chooses it (``index.ocr.upright``)."""
    import pypdfium2 as pdfium
    import pytesseract
    from pypdf import PdfReader, PdfWriter

    from index.ocr import check_languages, upright

    packs = check_languages("jpn+rus+eng")
    writer = PdfWriter()
    document = pdfium.PdfDocument(scan)
    for page in document:
        image, chosen = upright(page.render(scale=CLEAN_SCANNER.dpi / 72, grayscale=True).to_pil(), packs)
        layered = pytesseract.image_to_pdf_or_hocr(image, lang="+".join(chosen), extension="pdf",
                                                   config=f"--dpi {CLEAN_SCANNER.dpi}")
        for layered_page in PdfReader(io.BytesIO(layered)).pages:
            writer.add_page(layered_page)
    document.close()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def as_scans(paths: list[Path], scanner: Scanner = CLEAN_SCANNER, layer: bool = False) -> None:
    """Each PDF replaced by its scan (``scan_of``), with ``layer`` its text layer over it
    (``with_text_layer``)."""
    for path in paths:
        scan = scan_of(path.read_bytes(), scanner=scanner, name=path.name)
        path.write_bytes(with_text_layer(scan) if layer else scan)


_PDF_STYLE = ('<style>body { font-size: 12pt; font-family: "Noto Sans CJK JP", "Noto Sans", sans-serif }'
              ' nav, footer { display: none }</style>')
# as a word processor sets an official text: no space between paragraphs, the first line indented, justified
_PDF_INDENT_STYLE = '<style>p { margin: 0; text-indent: 2em; text-align: justify }</style>'

_PDF_HEADER = '<div style="font-size: 8px; width: 100%; text-align: center">Ministry of Foreign Affairs - Press release</div>'
_PDF_FOOTER = ('<div style="font-size: 8px; width: 100%; text-align: center">Page <span class="pageNumber"></span> '
               'of <span class="totalPages"></span></div>')


def write_pdfs(texts: dict[Path, str], indented: bool = False) -> None:
    """Each text printed to its path as a PDF by headless Chromium (one ``<p>`` per line; with
    ``indented``, paragraphs set without space between them, the first line indented)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            for path, text in texts.items():
                # Chromium makes <title> the PDF's /Title: the whole first line, as a writer's would be
                style = _PDF_STYLE + (_PDF_INDENT_STYLE if indented else "")
                page.set_content(as_html(text, title_chars=None).replace("<head>", "<head>" + style, 1))
                page.pdf(path=str(path), format="A5", display_header_footer=True, header_template=_PDF_HEADER,
                         footer_template=_PDF_FOOTER, margin={"top": "18mm", "bottom": "18mm", "left": "14mm",
                                                              "right": "14mm"})
        finally:
            browser.close()


def build(fmt: str, split: str, out: Path) -> tuple[Path, Path]:
    """The corpus folder and eval set of one format: ``split``'s evidence documents written as
    ``fmt``, every other fresh-dev document as it is; the set holds ``split``'s questions."""
    items = select(load_eval_set(FRESH / "eval.jsonl"), split)
    ids = {i.id for i in items}
    converted = {ev.doc for i in items for ev in i.evidence} if fmt != "txt" else set()
    corpus = out / fmt / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True)
    renamed: dict[str, str] = {}
    pdfs: dict[Path, str] = {}
    for src in sorted((FRESH / "corpus").iterdir()):
        if src.name not in converted:
            shutil.copyfile(src, corpus / src.name)
            continue
        renamed[src.name] = f"{src.stem}.{fmt.split('-')[0]}"
        text = src.read_text(encoding="utf-8")
        if fmt.startswith("html"):
            page = as_html(text, {"html-div": _DIV_PAGE, "html-br": _BR_PAGE}.get(fmt, _PAGE))
            (corpus / renamed[src.name]).write_text(page, encoding="utf-8")
        elif fmt == "md":
            (corpus / renamed[src.name]).write_text(as_markdown(text), encoding="utf-8")
        elif fmt.startswith("pdf"):
            pdfs[corpus / renamed[src.name]] = text  # printed below, all at once
        else:
            write_docx(text, corpus / renamed[src.name])
    if pdfs and fmt == "pdf-writer":
        write_writer_pdfs(pdfs, corpus)
    elif pdfs:
        write_pdfs(pdfs, indented=fmt == "pdf-indent")
        if fmt.startswith("pdf-scan"):
            as_scans(list(pdfs), ROUGH_SCANNER if fmt == "pdf-scan-rough" else CLEAN_SCANNER, layer=fmt == "pdf-scan-layer")
    set_path = out / fmt / "eval.jsonl"
    with set_path.open("w", encoding="utf-8") as fh:
        for line in (FRESH / "eval.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip() and (row := json.loads(line))["id"] in ids:
                row["evidence"] = [{**ev, "doc": renamed.get(ev["doc"], ev["doc"])} for ev in row["evidence"]]
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return corpus, set_path


def paragraphs_as_written(corpus: Path, out: Path) -> tuple[int, int]:
    """How many of the converted documents' paragraphs the reader gets exactly, of how many: a
    converted file's paragraphs against those of its text as the plain HTML page (one ``<p>`` per
    line, written under ``out``), whitespace aside. How the format is read, with no model run."""
    from index.paragraphs import split_paragraphs
    from index.readers import read_document

    reference = out / "reference"
    shutil.rmtree(reference, ignore_errors=True)
    reference.mkdir(parents=True)
    found = total = 0
    for path in sorted(corpus.iterdir()):
        src = FRESH / "corpus" / path.name
        if src.exists() and src.read_bytes() == path.read_bytes():  # a copy, not converted
            continue
        src = next((FRESH / "corpus").glob(f"{path.stem}.*"))
        page = reference / f"{path.stem}.html"
        page.write_text(as_html(src.read_text(encoding="utf-8")), encoding="utf-8")
        written, read = ({" ".join(p.text.split()) for p in split_paragraphs(read_document(f, f.parent))}
                         for f in (page, path))
        found, total = found + len(written & read), total + len(written)
    return found, total


def main(argv: list[str] | None = None) -> int:
    from rag.offline import set_offline_env
    from rag.service import RagService
    from rag.settings import Settings

    set_offline_env()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=("dev", "heldout", "all"))
    parser.add_argument("--llm", default="none")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--formats", default=",".join(FORMATS), help=f"comma-separated, of {', '.join(FORMATS)}")
    args = parser.parse_args(argv)
    base = Settings()
    out = args.out or base.data_dir / "eval" / "formats"
    keys = ("answer_accuracy", "citation_precision", "abstention", "wrong_abstention")
    print(f"fresh-dev, {args.split} questions ({'TUNED ON' if args.split != 'heldout' else 'held out'}), "
          f"llm={args.llm}\n\n| format | " + " | ".join(keys) + " | paragraphs as written |\n|---|"
          + "---|" * (len(keys) + 1))
    for fmt in args.formats.split(","):
        corpus, set_path = build(fmt, args.split, out)
        settings = eval_settings(base, merged_corpus(base, [SEEDS, corpus]), args.llm)
        # the set holds one half already: its questions are all asked, as they are
        run = run_eval(RagService, settings, set_path, llm=args.llm, progress=False)
        write_json(run, out / fmt / "run.json")  # every answer, to compare runs question by question
        overall = run["answers"]["overall"]
        found, total = paragraphs_as_written(corpus, out / fmt)
        print(f"| {fmt} | " + " | ".join(f"{overall[k]['value']:.3f} ({overall[k]['num']:g}/{overall[k]['den']})"
                                         for k in keys) + f" | {f'{found}/{total}' if total else '–'} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
