"""Reading corpus files into Documents: decode bytes, extract text, parse header metadata.

Plain text keeps its decoded text (newlines normalised to ``\\n``) as ``Document.text``, so
offsets point into the file as a reader sees it. Markdown (rendered by markdown-it-py), HTML,
DOCX (converted to HTML by mammoth) and PDF are converted to plain text with paragraphs
separated by blank lines, list items marked ("• ", "3. ") and headings marked the Markdown way
(``## Heading``), so that one paragraph splitter serves every format; their offsets point into
that extracted text.

Metadata comes from what a format gives: the 『世界と日本』 database header (``[文書名]``,
``[年月日]``, … ``[全文]``), YAML front matter, a leading ``date YYYY-MM-DD`` token, a trailing
``///publisher, date`` source line, a title line or ``# `` heading, HTML ``<title>``/``<meta>``,
DOCX core properties, PDF ``/Title``; a title line the text itself shows wins over an HTML
``<title>`` or a DOCX's stored one. A document without a title gets its first sentence. An
HTML page's navigation, side panels and page footer are not read: those its tags or roles say
(``<nav>``, ``<aside>``, ``role="navigation"``…), those trafilatura's boilerplate rules find by
their class and id names (footers, breadcrumbs, sidebars, share and comment widgets), and blocks
that are lists of links (menus, "related links"); nor are a PDF's running header and footer
(lines at the top or bottom of half its pages or more) and page numbers. A PDF's visual lines
are joined into its paragraphs (one across a page break), and the radicals, compatibility
ideographs and ligatures a font's character map gives are folded to the characters they stand
for. Text the file holds and no reader of it sees (an HTML element hidden by its attribute or
style, Word's hidden text, a PDF's text no viewer paints) is not read (``index.hidden_text``,
``index.pdf_paint``).
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import io
import math
import re
import statistics
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path

from index.dates import is_dateline, parse_date, parse_month
from index.document import Document, as_read, doc_id_for
from index.hidden_text import docx_without_hidden_text, html_hidden
from index.language import detect_language
from index.ocr import OcrUnavailable, Word, read_images, read_pages, scans_under_text, text_layer_words
from index.paragraphs import ends_sentence, lines_are_paragraphs
from index.pdf_paint import Unpainted, without_unpainted_text
from index.sentence_split import split_sentences
from rag.settings import Settings

_IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})  # scanned pages, read by OCR
SUPPORTED_EXTENSIONS = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}) | _IMAGE_EXTENSIONS


def _setting(name: str):
    return Settings.model_fields[name].default


@dataclass(frozen=True)
class Limits:
    """What one file may cost before it is refused, and how a scanned page is read: the
    ``Settings`` fields of the same names (which say what each is), whose defaults are these."""

    max_file_mb: float = _setting("max_file_mb")
    max_unpacked_mb: float = _setting("max_unpacked_mb")
    max_parse_s: float = _setting("max_parse_s")
    max_parse_mb: float = _setting("max_parse_mb")
    ocr_languages: str = _setting("ocr_languages")
    max_ocr_pages: int = _setting("max_ocr_pages")

    @classmethod
    def of(cls, settings: Settings) -> "Limits":
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


TITLE_MAX_CHARS = 90
_TITLE_LINE_MAX_CHARS = 120
_HEADER_MAX_LINES = 40


class ReaderError(Exception):
    """A file that cannot be turned into a Document; the message names the file and the reason."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"cannot read {path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass
class _Layout:
    """Where the body of a text lies and the metadata found around it."""

    body_start: int
    body_end: int
    meta: dict[str, str] = field(default_factory=dict)


def unsupported_type(suffix: str) -> str:
    """Why a file of this type is not read."""
    return f"unsupported file type {suffix or '(none)'!r}; supported: {', '.join(sorted(SUPPORTED_EXTENSIONS))}"


def read_document(path: Path, corpus_root: Path, limits: Limits = Limits(), doc_id: str | None = None) -> Document:
    """Read one corpus file, under ``doc_id`` (default: its path without suffix, ``doc_id_for``);
    raise ReaderError when it is unsupported, empty, undecodable, corrupt or larger than
    ``limits`` allow."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise ReaderError(path, unsupported_type(suffix))
    try:
        size = path.stat().st_size
        if size > limits.max_file_mb * 2**20:
            raise ReaderError(path, f"{size / 2**20:.1f} MB, larger than the {limits.max_file_mb:g} MB a file may be "
                                    f"(setting max_file_mb)")
        data = path.read_bytes()
    except OSError as exc:
        raise ReaderError(path, f"the file cannot be opened ({exc.strerror or exc})") from exc
    if not data.strip():
        raise ReaderError(path, "empty file")

    if suffix in (".html", ".htm"):
        text, format_meta = _html_text(data, path)
    elif suffix == ".docx":
        _check_unpacked_size(data, path, limits)
        text, format_meta = _docx_text(data, path)
    elif suffix == ".pdf":
        text, format_meta = _pdf_text(data, path, limits)
    elif suffix in (".md", ".markdown"):
        text, format_meta = _markdown_text(data, path)
    elif suffix in _IMAGE_EXTENSIONS:
        text, format_meta = _image_text(data, path, limits), {}
    else:
        text, format_meta = _decode(data, path), {}
    if not text.strip():
        raise ReaderError(path, "no text in the file")

    # a DOCX paragraph is a line of plain text, so is Markdown's without a "#"; HTML's title line
    # is the page's own <title>
    layout = _layout(text, plain_title=suffix in {".txt", ".md", ".markdown", ".pdf", ".docx"} | _IMAGE_EXTENSIONS,
                     known_title=format_meta.get("title", ""))
    if suffix in (".html", ".htm", ".docx") and layout.meta.get("title"):
        format_meta.pop("title", None)  # the text's own title (its <h1>, Title style, the line <title> holds) wins:
        # <title> carries the site's name or is cut short, a DOCX's stored title is often its template's
    hidden = format_meta.pop("hidden", 0)
    meta = layout.meta | {k: v for k, v in format_meta.items() if v}
    body = text[layout.body_start:layout.body_end]
    if not meta.get("title"):
        meta["title"] = first_sentence(body) or path.stem
    meta["lang"] = detect_language(body)
    path_id, doc = doc_id_for(path, corpus_root)
    return Document(doc_id=doc_id or path_id, doc=doc, text=text, body_start=layout.body_start,
                    body_end=layout.body_end, sha256=hashlib.sha256(data).hexdigest(), hidden=hidden, **meta)


# --- decoding ---------------------------------------------------------------------------------

def _decode(data: bytes, path: Path, declared: str | None = None) -> str:
    """UTF-8 (with or without BOM), then a declared encoding, then charset-normalizer's best guess."""
    from charset_normalizer import from_bytes

    data = data.removeprefix(codecs.BOM_UTF8)
    for encoding in filter(None, ("utf-8", declared)):
        try:
            text = data.decode(encoding)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    else:
        best = from_bytes(data).best()
        if best is None:
            raise ReaderError(path, "undecodable bytes: not UTF-8 and no other text encoding fits")
        text = str(best)
    if _looks_binary(text):
        raise ReaderError(path, "binary content, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    return "\x00" in text or controls > len(text) // 100


# --- layout of a text: header, title, body, trailing source line ------------------------------

_DB_FIELDS = {"文書名": "title", "場所": "place", "年月日": "date", "出典": "source", "備考": "note"}
_DB_BODY = "全文"
_DB_LINE = re.compile(r"^\[(\w+)\][ \t\u3000]*(.*?)[ \t\u3000]*$", re.MULTILINE)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_LINE = re.compile(r"^(\w+)[ \t]*:[ \t]*(.*?)[ \t]*$", re.MULTILINE)
_DATE_TOKEN = re.compile(r"\s*date\s*[:：]?\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2})\b[ \t]*", re.IGNORECASE)
_SOURCE_LINE = re.compile(r"///[ \t]*([^,\n]+?)[ \t]*(?:,[ \t]*([^\n]*?))?\s*\Z")
_BLANK_LINE_THEN_TEXT = re.compile(r"[ \t\u3000]*\n\s*\S")
_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def _layout(text: str, plain_title: bool, known_title: str = "") -> _Layout:
    """Body span and metadata of a text; ``plain_title``: a short first line may be the title;
    ``known_title``: the title the format gives (HTML ``<title>``), which a first line may repeat."""
    layout = _Layout(0, len(text))
    for parse in (_database_header, _front_matter):
        found = parse(text)
        if found:
            layout = found
            break
    date = _DATE_TOKEN.match(text, layout.body_start)
    if date and (iso := parse_date(date.group(1))):
        layout.meta.setdefault("date", iso)
        layout.body_start = date.end()
    elif "title" not in layout.meta:
        _take_date_line(text, layout)
        _take_title_line(text, layout, plain_title, known_title)
        if "title" in layout.meta:
            _take_date_line(text, layout)  # a press release's dateline under its title
    source = _SOURCE_LINE.search(text, layout.body_start)
    if source:
        layout.meta.setdefault("source", source.group(1))
        if iso := parse_date(source.group(2) or ""):
            layout.meta.setdefault("date", iso)
        layout.body_end = source.start()
    if "title" not in layout.meta:
        if heading := _first_h1(text, layout.body_start, layout.body_end):  # a "# " heading further on
            layout.meta["title"] = heading
    if "date" not in layout.meta and (iso := parse_date(layout.meta.get("title", ""))):
        layout.meta["date"] = iso  # nothing else dates it: a title that ends "…, Moscow, 14 January 2019"
    return layout


def _database_header(text: str) -> _Layout | None:
    """The 『世界と日本』 header: a preamble, ``[key] value`` lines, the body after ``[全文]``."""
    meta: dict[str, str] = {}
    fields = 0
    body_start = 0
    for match in _DB_LINE.finditer(text, 0, _nth_line_end(text, _HEADER_MAX_LINES)):
        key, value = match.group(1), match.group(2)
        if key == _DB_BODY:
            return _Layout(match.start(2), len(text), meta)
        if key in _DB_FIELDS:
            fields += 1
            body_start = match.end()
            name = _DB_FIELDS[key]
            value = (parse_date(value) or parse_month(value)) if name == "date" else value
            if value:
                meta[name] = value
    return _Layout(body_start, len(text), meta) if fields >= 2 else None


def _front_matter(text: str) -> _Layout | None:
    """Markdown/YAML front matter between ``---`` lines: title, date, place, source, note."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return None
    meta: dict[str, str] = {}
    for line in _FRONT_MATTER_LINE.finditer(match.group(1)):
        key, value = line.group(1).lower(), line.group(2).strip("\"'")
        if key in ("title", "place", "source", "note") and value:
            meta[key] = value
        elif key == "date" and (iso := parse_date(value) or parse_month(value)):
            meta["date"] = iso
    return _Layout(match.end(), len(text), meta)


def _take_date_line(text: str, layout: _Layout) -> None:
    """A first line that is a dateline ("May 27, 2024", "平成27年11月2日", "Москва, 14 марта 2024
    года": ``is_dateline``) or a month ("平成13年5月", "May 2001", ``parse_month``) dates the
    document. (It stays its title line too:
    taking the next short line instead gave section headings such as "1. 訪問の概要" as titles,
    measured in the README.) So does such a line right under the title, which stays in the body:
    the line is read, never taken out of the text."""
    line = unicodedata.normalize("NFKC", _first_line(text, layout.body_start)[0])
    if iso := (parse_date(line) if is_dateline(line) else "") or parse_month(line):
        layout.meta.setdefault("date", iso)


def _take_title_line(text: str, layout: _Layout, plain_title: bool, known_title: str = "") -> None:
    """A first ``# `` heading, or a first heading of a lower level in a text without a ``# `` one,
    or (``plain_title``) a short first line followed by a blank line
    or by lines that are each a paragraph (a text saved with a line per paragraph:
    ``lines_are_paragraphs``), or a first line that the format's own title holds ("Meeting"
    under <title>Meeting | Ministry</title>), is the title."""
    line, line_end = _first_line(text, layout.body_start)
    if line_end < 0:
        return
    heading = _MD_HEADING.fullmatch(line)
    if heading and len(heading.group(1)) == 1:
        layout.meta["title"] = heading.group(2)
    elif (plain_title and line and len(line) <= _TITLE_LINE_MAX_CHARS and line[-1] not in "。．.,、:;："
          and (_BLANK_LINE_THEN_TEXT.match(text, line_end + 1)
               or lines_are_paragraphs([ln.strip() for ln in _first_block(text[layout.body_start:]).split("\n")]))):
        layout.meta["title"] = heading.group(2) if heading else line  # a DOCX's Heading 1 is "## …": no marker
    elif heading and not _first_h1(text, 0, len(text)):  # a page titled by its <h2> (no <h1>, or its <h1> the site's furniture)
        layout.meta["title"] = heading.group(2)
    elif _KNOWN_TITLE_MIN_CHARS <= len(line) <= _TITLE_LINE_MAX_CHARS and as_read(line).casefold() in as_read(known_title).casefold():
        layout.meta["title"] = line
    else:
        return
    layout.body_start = line_end + 1


_KNOWN_TITLE_MIN_CHARS = 8  # shorter first lines ("News") say too little to be a page's title


def _first_line(text: str, start: int) -> tuple[str, int]:
    """The first non-blank line from ``start`` (stripped) and where it ends (-1: at the end of the text)."""
    begin = len(text) - len(text[start:].lstrip())
    line_end = text.find("\n", begin)
    return text[begin:line_end if line_end >= 0 else len(text)].strip(), line_end


def _first_block(text: str) -> str:
    """The first run of non-blank lines of ``text``, stripped."""
    return re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0]


def _first_h1(text: str, start: int, end: int) -> str:
    """The text of the first ``# `` heading in ``text[start:end]``, or ""."""
    return next((m.group(2) for m in _MD_HEADING.finditer(text, start, end) if len(m.group(1)) == 1), "")


def _nth_line_end(text: str, n: int) -> int:
    end = -1
    for _ in range(n):
        end = text.find("\n", end + 1)
        if end < 0:
            return len(text)
    return end


def first_sentence(body: str, max_chars: int = TITLE_MAX_CHARS) -> str:
    """The first sentence of a text (as the project's sentence splitter finds it: "1. Opening
    remarks" and "H.E. Mr. …" are not cut at their periods), clipped at a word boundary with an
    ellipsis: a derived title."""
    flat = re.sub(r"^#+\s+", "", " ".join(_first_block(body).split()))
    sentence = next(iter(split_sentences(flat)), flat)
    if len(sentence) <= max_chars:
        return sentence
    clipped = sentence[:max_chars]
    space = clipped.rfind(" ")
    if space > max_chars // 2:
        clipped = clipped[:space]
    return clipped.rstrip(" ,;:、，") + "…"


# --- HTML -----------------------------------------------------------------------------------

# form controls, not forms: an ASP.NET page holds its whole body in one <form>
_HTML_DROP = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe", "object",
                        "button", "select", "textarea"})
# page furniture, not the document: navigation, side panels, and a footer of the page (one inside
# an <article> or <main> is the text's own: a source line, a date)
_HTML_FURNITURE = frozenset({"nav", "aside"})
_HTML_FURNITURE_ROLES = frozenset({"navigation", "search", "complementary", "contentinfo"})
_HTML_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "caption", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "header", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
})
_HTML_DATE_META = ("article:published_time", "date", "dc.date", "dc.date.issued", "datepublished")
_HTML_SOURCE_META = ("og:site_name", "dc.publisher", "publisher")


def _html_text(data: bytes, path: Path) -> tuple[str, dict[str, str]]:
    """Block elements become blank-line separated paragraphs, h1–h6 ``#`` headings; scripts dropped."""
    from bs4 import BeautifulSoup
    from bs4.dammit import EncodingDetector

    declared = EncodingDetector.find_declared_encoding(data, is_html=True)
    markup = _decode(data, path, declared)
    soup = BeautifulSoup(markup, "html.parser")
    meta = {
        "title": " ".join(soup.title.get_text().split()) if soup.title else "",
        "date": parse_date(_html_meta(soup, _HTML_DATE_META)),
        "source": _html_meta(soup, _HTML_SOURCE_META),
    }
    page = _without_marked_furniture(markup, soup) or soup
    blocks: list[str] = []
    _html_blocks(page.body or page, blocks, [])
    return "\n\n".join(blocks), meta


# quotes, lists or emphasis nested this deep are no document's: such a file is kept as plain text
_MARKDOWN_MAX_NESTING = 100


def _markdown_text(data: bytes, path: Path) -> tuple[str, dict[str, str]]:
    """Markdown rendered by markdown-it-py (CommonMark with tables; a line break stays a line, as the
    author wrote it) and read as HTML: link targets, emphasis marks, list markers and code fences
    are not text, and a line or list of links (a saved web page's menu, breadcrumbs, footer) is
    furniture as in a page. Front matter stays at the top for ``_layout`` to parse."""
    from bs4 import BeautifulSoup
    from markdown_it import MarkdownIt

    text = _decode(data, path)
    front = _FRONT_MATTER.match(text)
    head, markdown = (text[:front.end()], text[front.end():]) if front else ("", text)
    parser = MarkdownIt("commonmark", {"breaks": True, "maxNesting": _MARKDOWN_MAX_NESTING}).enable("table")
    blocks: list[str] = []
    try:
        tokens = parser.parse(markdown)
        if any(token.level >= _MARKDOWN_MAX_NESTING - 1 for token in tokens):
            return text, {}  # markdown-it drops what lies deeper than it goes
        _html_blocks(BeautifulSoup(parser.renderer.render(tokens, parser.options, {}), "html.parser"), blocks, [])
    except RecursionError:  # emphasis marks nested thousands deep
        return text, {}
    return head + "\n\n".join(blocks), {}


def _without_marked_furniture(markup: str, soup):
    """The page less the elements trafilatura's boilerplate rules mark by class and id names
    (``OVERALL_DISCARD_XPATH``: footers, breadcrumbs, sidebars, share and comment widgets…), as
    trafilatura prunes them (nothing when that would leave less than a seventh of the text);
    None when the rules mark nothing, or when lxml, which they run on, does not read the whole
    page: it stops at 255 levels of nesting, and a page must never lose text silently."""
    import lxml.html
    from bs4 import BeautifulSoup
    from trafilatura.htmlprocessing import prune_unwanted_nodes
    from trafilatura.utils import load_html
    from trafilatura.xpaths import OVERALL_DISCARD_XPATH

    tree = load_html(markup)
    if tree is None or _text_size(tree.text_content()) < _text_size(soup.get_text()):
        return None
    marked = False
    for expression in OVERALL_DISCARD_XPATH:  # a dateline ("2 October 2024, 14:00, Ashgabat") is the
        for element in expression(tree):  # text's own, even where its class calls it the page's metadata
            line = " ".join(element.text_content().split())
            if len(line) <= _META_DATE_MAX_CHARS and parse_date(line):
                element.attrib.clear()  # what the rules matched it by
            else:
                marked = True
    if not marked:  # nothing to prune: the page as html.parser read it, not parsed a second time
        return None
    tree = prune_unwanted_nodes(tree, OVERALL_DISCARD_XPATH, with_backup=True)
    return BeautifulSoup(lxml.html.tostring(tree, encoding="unicode"), "html.parser")


_META_DATE_MAX_CHARS = 100  # an element of the page's metadata that is a line holding a date


def _text_size(text: str) -> int:
    return len("".join(text.split()))


def _html_meta(soup, names: tuple[str, ...]) -> str:
    for tag in soup.find_all("meta"):
        name = (tag.get("property") or tag.get("name") or tag.get("itemprop") or "").lower()
        if name in names and tag.get("content"):
            return str(tag["content"]).strip()
    return ""


def _html_blocks(node, blocks: list[str], pending: list[str], preformatted: bool = False,
                 furniture: bool = True) -> None:
    """Walk the tree in reading order, closing a block at every block-level element boundary;
    within ``<pre>`` the text's own line breaks are kept (an archive's plain text put on a page).
    With ``furniture``, a page's navigation, side panels, footer and blocks of links are left out."""
    from bs4.element import NavigableString, PreformattedString, Tag

    number = _list_start(node) if node.name == "ol" else None
    for child in node.children:
        if isinstance(child, Tag):
            if child.name in _HTML_DROP or html_hidden(child) or (furniture and _is_furniture(child)):
                continue
            if child.name == "br":
                pending.append("\n")
            elif child.name == "tr" and (row := _table_row(child)) is not None:
                _flush_html_block(blocks, pending, "")
                if row:
                    blocks.append(row)
            elif child.name in _HTML_BLOCKS:
                _flush_html_block(blocks, pending, "")
                if child.name == "li":  # the marker a reader sees: an item is not read as the previous one's tail
                    pending.append(_ListMarker("• " if number is None else f"{number}. "))
                    number = None if number is None else number + 1
                _html_blocks(child, blocks, pending, preformatted or child.name == "pre", furniture)
                level = int(child.name[1]) if re.fullmatch(r"h[1-6]", child.name) else 0
                _flush_html_block(blocks, pending, "#" * level)
                if child.name == "li":
                    pending.clear()  # an empty item's marker is no later text's
            else:
                _html_blocks(child, blocks, pending, preformatted, furniture)
        elif isinstance(child, NavigableString) and not isinstance(child, PreformattedString):
            text = str(child).replace("\r\n", "\n").replace("\r", "\n") if preformatted else str(child)
            pending.append(re.sub(r"[^\S\n]" if preformatted else r"\s", " ", text))


def _is_furniture(tag) -> bool:
    """Navigation, a side panel, a search box, the page's own footer, or a block of links."""
    role = str(tag.get("role") or "").strip().lower()
    if tag.name in _HTML_FURNITURE or role in _HTML_FURNITURE_ROLES:
        return True
    if tag.find_parent(["article", "main"]) is not None:  # the text's own: a source line, its list of links
        return False
    if tag.name == "footer":
        return True
    return tag.name in _HTML_BLOCKS and not re.fullmatch(r"h[1-6]", tag.name) and _is_links(tag)


# a block at least this much of whose text is in links is a menu, breadcrumbs, a list of related
# pages or "back to the top", not the document's text (link density, as boilerplate removers use it)
_LINK_TEXT_SHARE = 0.8


def _is_links(tag) -> bool:
    links = tag.find_all("a")
    if not links:
        return False
    text = _text_size(tag.get_text())
    return text > 0 and sum(_text_size(a.get_text()) for a in links) >= _LINK_TEXT_SHARE * text


def _table_row(tr) -> str | None:
    """A data row as one line, its cells joined by " | "; None for a layout table's row, whose
    cells hold several paragraphs, line breaks, lists or tables of their own."""
    cells = tr.find_all(["td", "th"], recursive=False)
    if any(len(cell.find_all(_HTML_BLOCKS - {"td", "th", "tr"}, limit=2)) > 1 or cell.find(["br", "table", "ul", "ol"])
           for cell in cells):  # (a converter puts each cell's text in one <p>)
        return None
    return " | ".join(text for cell in cells if (text := " ".join(cell.get_text().split())))


class _ListMarker(str):
    """A list item's bullet or number, waiting for the item's text (which may be in a ``<p>``)."""


def _list_start(node) -> int:
    start = str(node.get("start") or "1").strip()
    return int(start) if start.isdigit() else 1


def _flush_html_block(blocks: list[str], pending: list[str], heading_marks: str) -> None:
    if all(isinstance(piece, _ListMarker) or not piece.strip() for piece in pending):
        pending[:] = [piece for piece in pending if isinstance(piece, _ListMarker)][-1:]  # kept for the item's text
        return
    text = "".join(pending)
    pending.clear()
    # a blank line (<br><br>: an older page's only paragraph break) parts paragraphs, as in a text file
    for part in [text] if heading_marks else _BLANK_LINE.split(text):
        lines = [line for line in (" ".join(line.split()) for line in part.split("\n")) if line]
        if lines:
            blocks.append(f"{heading_marks} {' '.join(lines)}" if heading_marks else "\n".join(lines))


_BLANK_LINE = re.compile(r"\n[ ]*\n")


# --- DOCX -----------------------------------------------------------------------------------

def _check_unpacked_size(data: bytes, path: Path, limits: Limits) -> None:
    """Refuse a package whose members would decompress to more than the limit (a zip bomb)
    from its directory alone, before anything is decompressed; zipfile stops reading a member
    at the size the directory declares, so the check holds for a lying archive too."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            unpacked = sum(member.file_size for member in package.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReaderError(path, f"corrupt or unreadable DOCX ({type(exc).__name__}: {exc})") from exc
    if unpacked > limits.max_unpacked_mb * 2**20:
        raise ReaderError(path, f"unpacks to {unpacked / 2**20:.0f} MB, more than the {limits.max_unpacked_mb:g} MB "
                                f"allowed (setting max_unpacked_mb)")


def _docx_text(data: bytes, path: Path) -> tuple[str, dict[str, str]]:
    """The document as mammoth converts it to HTML (tracked insertions in, deletions out, content
    controls, Word's lists with their numbers, tables, footnotes; hidden text left out:
    ``index.hidden_text``), read as an HTML page is but with no furniture (a paragraph of links
    is the text's own); the Title style and Heading N become ``#`` and N+1 ``#``. The core
    properties give the stored title."""
    import docx
    import mammoth
    from bs4 import BeautifulSoup

    try:
        title = docx.Document(io.BytesIO(data)).core_properties.title or ""
        shown, hidden = docx_without_hidden_text(data)
        html = mammoth.convert_to_html(io.BytesIO(shown), style_map=_DOCX_STYLE_MAP, include_embedded_style_map=False,
                                       external_file_access=False,
                                       convert_image=mammoth.images.img_element(lambda image: {})).value
    except Exception as exc:  # python-docx and mammoth raise many kinds of errors on damaged packages
        raise ReaderError(path, f"corrupt or unreadable DOCX ({type(exc).__name__}: {exc})") from exc
    soup = BeautifulSoup(html, "html.parser")
    for back_link in soup.select('a[href^="#footnote-ref-"], a[href^="#endnote-ref-"]'):
        back_link.decompose()  # the "↑" after a footnote, back to where it is referred to
    blocks: list[str] = []
    _html_blocks(soup, blocks, [], furniture=False)
    return "\n\n".join(blocks), {"title": title.strip(), "hidden": hidden}


_DOCX_STYLE_MAP = "\n".join(["p[style-name='Title'] => h1:fresh"] + [
    f"p[style-name='Heading {n}'] => h{min(n + 1, 6)}:fresh" for n in range(1, 10)])


# --- PDF ------------------------------------------------------------------------------------

_PDF_SHORT_LINE = 0.75  # a line narrower than this share of the text's widest line ends a block
_FILE_NAME = re.compile(r"\.(docx?|odt|rtf|pdf|txt|pptx?|xlsx?)$", re.IGNORECASE)  # not a real title


def _pdf_text(data: bytes, path: Path, limits: Limits) -> tuple[str, dict[str, str]]:
    """The pages' text as paragraphs (``_pdf_paragraphs``) and the PDF's /Title; a page without
    text (a scan) is read by OCR (``index.ocr``), a scan's OCR layer as the words OCR read."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReaderError(path, "encrypted PDF")
        unpainted = [_without_unpainted_text(page) for page in reader.pages]
        placed = [_placed_lines(page) for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or ""
    except ReaderError:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        raise ReaderError(path, f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from exc
    scanned, layered = _scanned_pages(data, placed, [found is None or found.scan for found in unpainted])
    if layered:  # a scan whose words OCR already read: they stand where the scan shows them
        read = _recognised_pages(path, "its scanned pages' text layer is unreadable",
                                 lambda: text_layer_words(data, layered).values())
        for i, lines in zip(layered, read):
            placed[i] = lines
    if scanned and limits.ocr_languages:
        if len(scanned) > limits.max_ocr_pages:
            raise ReaderError(path, f"{len(scanned)} scanned pages to read by OCR, more than the "
                                    f"{limits.max_ocr_pages} a file may have (setting max_ocr_pages)")
        read = _recognised_pages(path, "OCR of its scanned pages failed",
                                 lambda: read_pages(data, scanned, limits.ocr_languages).values())
        for i, lines in zip(scanned, read):
            placed[i] = lines
    blocks = _pdf_paragraphs(*_pdf_page_lines(placed))
    if not blocks:
        raise ReaderError(path, "the PDF has no extractable text" + ("" if limits.ocr_languages else
                                                                      " (scanned pages need OCR: setting ocr_languages)"))
    title = str(title).strip()  # a file's name is no title ("report.docx" as Word writes it, a scan's "scan_0001")
    hidden = sum(found.pieces for i, found in enumerate(unpainted)  # a layer is the page's reading
                 if found is not None and i not in scanned and i not in layered)
    return "\n\n".join(blocks), {"title": "" if _FILE_NAME.search(title) or title == path.stem else title,
                                  "hidden": hidden}


def _without_unpainted_text(page) -> Unpainted | None:
    """Take the text no viewer paints out of the page (``index.pdf_paint``); None, and the page
    as pypdf reads it, where its content cannot be followed (pypdf's extraction then meets the
    same damage, or none)."""
    try:
        return without_unpainted_text(page)
    except Exception:  # noqa: BLE001 — a damaged content stream, an operand of the wrong type
        return None


def _image_text(data: bytes, path: Path, limits: Limits) -> str:
    """An image file's pages (a scan: PNG, JPEG, a TIFF of many pages) read by OCR as a scanned
    PDF's pages are, and parted into paragraphs by the same layout rules."""
    if not limits.ocr_languages:
        raise ReaderError(path, "an image is read by OCR, and no Tesseract packs are set (setting ocr_languages)")
    pages = _recognised_pages(path, "unreadable image",
                              lambda: read_images(data, limits.ocr_languages, limits.max_ocr_pages))
    blocks = _pdf_paragraphs(*_pdf_page_lines(pages))
    if not blocks:
        raise ReaderError(path, "no text found in the image")
    return "\n\n".join(blocks)


def _recognised_pages(path: Path, failed: str, read: Callable[[], Iterable[list[list[Word]]]]) -> list[list[_PlacedLine]]:
    """The pages OCR reads (``read``, ``index.ocr``) as placed lines, their sizes steadied
    together; a missing Tesseract, or ``failed`` and the error, as the file's ReaderError."""
    try:
        placed = [[_recognised_line(words) for words in lines] for lines in read()]
    except OcrUnavailable as exc:
        raise ReaderError(path, f"it needs OCR, which cannot run: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 — PDFium, Pillow or Tesseract failing on this file
        raise ReaderError(path, f"{failed} ({type(exc).__name__}: {exc})") from exc
    _steady_sizes([line for lines in placed for line in lines])
    return placed


# a page whose text holds fewer characters than this over an image covering most of the page is a
# scan with a stamp of text on it (a file or page number, "Scanned with …"): it is read by OCR
_STAMP_CHARS = 100


def _scanned_pages(data: bytes, placed: list[list[_PlacedLine]], imaged: list[bool]) -> tuple[list[int], list[int]]:
    """The pages to read by OCR: those without text, and those whose text is a stamp over a scan
    (``_STAMP_CHARS``); and the pages whose text is a scan's OCR layer, to read as OCR's words
    (``index.ocr.scans_under_text``, asked of the ``imaged`` pages only: those an image covers
    ``index.ocr.SCAN_SHARE`` of, as their content says). A PDF that PDFium cannot open is read as
    pypdf reads it."""
    bare = {i for i, lines in enumerate(placed) if all(line.y is None for line in lines)}
    try:  # (a layer's page is bare here: its invisible text is not painted, index.pdf_paint)
        covered, layered = scans_under_text(data, [i for i, image in enumerate(imaged) if image])
    except Exception:  # noqa: BLE001 — PDFium refusing a file pypdf reads: its text as pypdf gives it
        return sorted(bare), []
    stamped = {i for i in covered
               if i not in layered and sum(len(line.text.strip()) for line in placed[i]) < _STAMP_CHARS}
    return sorted((bare - set(layered)) | stamped), layered


# a line set lower under the one above than this many times the text's usual line pitch starts a
# new paragraph (a paragraph's spacing); so does a line in another font size (by more than the
# ratio), and one indented from the text's left edge by at least this many ems
_PDF_GAP = 1.3
_PDF_SIZE_CHANGE = 1.2
_PDF_INDENT = 0.5
_PDF_SMALL = 0.8  # a page's header or footer is set in a font smaller than this share of the body's


@dataclass
class _PlacedLine:
    """A line of a page as pypdf extracts it, with where it stands: the height of its baseline
    on the page, where it starts and its font size (of the most of its characters), all None
    for a blank line; ``indent`` is how far it starts right of the text's left edge, in columns
    (``_columns``: half an em). ``last`` is where its last piece of text starts and that piece,
    ``advances`` how wide its other pieces are set (points a column per point of font size: the
    next piece's start less the piece's), and ``width`` how far the line reaches from its start,
    in points (``_measured_widths``)."""

    text: str
    y: float | None = None
    x: float | None = None
    size: float | None = None
    indent: int = 0
    last: tuple[float, str] = (0.0, "")
    advances: list[float] = field(default_factory=list)
    width: float = 0.0


_Piece = tuple[str, float, float, float]  # text, x, y, font size
_OrderedPiece = tuple[_Piece, int, int | None]  # the piece, its place in the content, that of the text written before it


def _placed_lines(page) -> list[_PlacedLine]:
    """The page's text as pypdf extracts it (``extract_text``, a line per printed line), each line
    placed by the text pieces pypdf's visitor is shown (their text and current transformation
    matrices multiplied: where the piece starts, and the font size as set on the page)."""
    lines: list[_PlacedLine] = []
    pieces: list[_Piece] = []

    def close_line() -> None:
        lines.append(_placed_line(pieces))
        pieces.clear()

    def visit(text: str, cm: list[float], tm: list[float], font: object, font_size: float) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        height = math.hypot(tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3])
        for i, part in enumerate(re.split("\r|\n", text)):
            if i:
                close_line()
            pieces.append((part, x, y, abs(font_size) * height))

    page.extract_text(visitor_text=visit)
    close_line()
    return lines


def _placed_line(pieces: list[_Piece]) -> _PlacedLine:
    """A line of text from its pieces, read in the order they stand on it."""
    in_order = _in_line_order(pieces)
    text = "".join(in_order[k][0][0] for k in range(len(in_order)) if not _made_space(in_order, k))
    pieces = [piece for piece, *_ in in_order]
    shown = [piece for piece in pieces if piece[0].strip()]
    if not shown:
        return _PlacedLine(text)
    size = max(shown, key=lambda piece: len(piece[0].strip()))[3]
    advances = [(after[1] - piece[1]) / (_columns(piece[0]) * piece[3])
                for piece, after in zip(pieces, pieces[1:])
                if piece[0].strip() and piece[3] and after[1] > piece[1]]
    return _PlacedLine(text, y=shown[0][2], x=shown[0][1], size=size,
                       last=(shown[-1][1], shown[-1][0].rstrip()), advances=advances)


def _recognised_line(words: list[Word]) -> _PlacedLine:
    """A line that OCR read (``index.ocr``): its words, a space after each but beside a wide (CJK)
    character, as ``_joined_lines`` joins lines, placed where its first word stands. Its reach is
    where its last word's ink ends (``last`` is that place and no piece, so ``_measured_widths``
    adds nothing; no advances, which only a printed line's pieces tell)."""
    text = "".join(word + (" " if after and not (_wide(word[-1]) or _wide(after[0][0])) else "")
                   for (word, *_), after in zip(words, [*words[1:], None]))
    _, x, y, size, _ = words[0]
    return _PlacedLine(text, y=y, x=x, size=size, last=(words[-1][4], ""))


# Tesseract's estimate of a line's font size strays this far from the truth (lines of a 12 pt text
# read as 11.4 to 16.7 pt: parentheses and capitals stretch a line's ink)
_OCR_SIZE_SPREAD = 1.4


def _steady_sizes(lines: list[_PlacedLine]) -> None:
    """Lines read by OCR whose size is within ``_OCR_SIZE_SPREAD`` of their text's median size
    (by characters) are set in that size: the layout's rules then see a heading, header or footer
    in another size, not the estimate's noise."""
    shown = [line for line in lines if line.size and line.text]
    if not shown:
        return
    body = statistics.median_low([line.size for line in shown for _ in line.text])
    for line in shown:
        if body / _OCR_SIZE_SPREAD <= line.size <= body * _OCR_SIZE_SPREAD:
            line.size = body


def _in_line_order(pieces: list[_Piece]) -> list[_OrderedPiece]:
    """A line's pieces in the order they stand on it, left to right (a word processor writes a
    line's runs font by font: "1", "–", "か月" for 1か月–), each with its place in the content and
    that of the piece of text written before it (None for the first); a line holding
    right-to-left letters stays in pypdf's order."""
    written_after: list[int | None] = []
    last = None
    for i, piece in enumerate(pieces):
        written_after.append(last)
        last = i if piece[0] else last
    order = list(range(len(pieces)))
    if not any(unicodedata.bidirectional(c) in ("R", "AL") for piece in pieces for c in piece[0]):
        order.sort(key=lambda i: pieces[i][1])
    return [(pieces[i], i, written_after[i]) for i in order]


def _made_space(line: list[_OrderedPiece], k: int) -> bool:
    """Whether the ``k``-th piece of a line in its order (``_in_line_order``), a piece of white space
    only, is to be left out: a space that stands inside a run of CJK characters written as one
    piece (its place among them cannot be told: "国 際" for 国際), or a space pypdf made where the
    next piece starts (a space of the text is shown, and has a width) that stands for a jump in
    the content's order (the piece of text written before it is not the one before it on the
    line), or for the typographic gap a word processor sets between Asian and Latin text ("5 月14
    日" for 5月14日, which no date or number parse reads: between a wide character and a narrow
    letter or digit)."""
    (text, x, *_), _, written_after = line[k]
    if text.strip() or not text:
        return False
    shown = next((piece for piece, *_ in reversed(line[:k]) if piece[0].strip()), None)
    if shown and all(_wide(c) for c in shown[0].strip()) and x < shown[1] + (_columns(shown[0].strip()) / 2 - 0.5) * shown[3]:
        return True  # a CJK character is an em wide
    previous = next((ordered for ordered in reversed(line[:k]) if ordered[0][0]), None)
    if previous is None:
        return False
    after = next((piece for piece, *_ in line[k + 1:] if piece[0]), None)
    if after is None or abs(after[1] - x) > 0.01:
        return False
    if previous[1] != written_after:
        return True
    pair = (previous[0][0][-1], after[0][0])
    return any(_wide(a) and b.isalnum() and not _wide(b) for a, b in (pair, pair[::-1]))


def _line_pitch(pages: list[list[_PlacedLine]]) -> float | None:
    """The text's usual line pitch as a share of the font size: the most common drop from one line
    to the next of the same size (rounded to a tenth; drops below 0.8 of the size are not lines)."""
    counts: Counter[float] = Counter()
    for lines in pages:
        placed = [line for line in lines if line.y is not None]
        for upper, lower in zip(placed, placed[1:]):
            if upper.size and max(upper.size, lower.size) <= 1.05 * min(upper.size, lower.size):
                ratio = round((upper.y - lower.y) / upper.size, 1)
                if ratio >= 0.8:
                    counts[ratio] += 1
    return max(counts, key=lambda ratio: (counts[ratio], -ratio)) if counts else None


def _layout_break(upper: _PlacedLine, lower: _PlacedLine, pitch: float | None) -> str | None:
    """Why the page's layout ends a paragraph between two lines where the text does not say so,
    or None: the lower line is in another font "size" (a heading, a page header or footer), or
    stands further below the upper than the text's line pitch allows (a paragraph's spacing,
    after a title or heading too: "gap"; a superscript's taller line drops 1.1–1.15 pitches, a
    paragraph's spacing 1.67 in a browser's print), or the upper line ends a sentence and the
    lower stands "above" it (a header printed last, the next column) or is indented from the
    text's left edge (a paragraph's first line: "indent")."""
    if upper.y is None or lower.y is None or not upper.size or not lower.size:
        return None
    if max(upper.size, lower.size) > _PDF_SIZE_CHANGE * min(upper.size, lower.size):
        return "size"
    drop = (upper.y - lower.y) / upper.size
    if pitch is not None and drop > _PDF_GAP * pitch:
        return "gap"
    if not ends_sentence(upper.text.strip()):
        return None
    if drop < -0.5:
        return "above"
    return "indent" if lower.indent >= 2 * _PDF_INDENT else None


def _without_layout_furniture(lines: list[_PlacedLine], body_size: float) -> list[_PlacedLine]:
    """The page's lines less its header and footer by where they stand: from the page's top and
    bottom edge inwards, while the lines stand above or below all of the page's lines in the body's
    size and are in a smaller font (under ``_PDF_SMALL`` of it), ending no sentence and holding no
    date (a page number, "Ministry of Foreign Affairs - Press release"; a note at the foot ends a
    sentence, and so keeps its lines above it, and a small date line over the title dates the text)."""
    body = [line.y for line in lines if line.y is not None and line.size >= _PDF_SMALL * body_size]
    if not body:
        return lines
    dropped: set[int] = set()
    for edge in (sorted((line for line in lines if line.y is not None and line.y < min(body)), key=lambda line: line.y),
                 sorted((line for line in lines if line.y is not None and line.y > max(body)), key=lambda line: -line.y)):
        for line in edge:
            if line.size >= _PDF_SMALL * body_size or ends_sentence(line.text.strip()) or parse_date(line.text):
                break
            dropped.add(id(line))
    return [line for line in lines if id(line) not in dropped]


def _measured_widths(pages: list[list[_PlacedLine]]) -> None:
    """Set each line's ``width``: from its start to where its last piece starts, plus that piece's
    width as the document's pieces are set (the median advance a column, half an em without any);
    a justified line with a few long words reaches as far as a line of many short ones."""
    advances = [advance for lines in pages for line in lines for advance in line.advances]
    per_column = statistics.median_high(advances) if advances else 0.5
    for line in (line for lines in pages for line in lines if line.x is not None):
        start, piece = line.last
        line.width = start - line.x + _columns(piece) * per_column * line.size


def _pdf_page_lines(placed: list[list[_PlacedLine]]) -> tuple[list[list[_PlacedLine]], bool]:
    """Each page's placed lines (``_placed_lines``, or ``_recognised_line`` for a scan), the
    characters folded (``_pdf_characters``), the page's header and footer by layout left out
    (``_without_layout_furniture``), each line's
    indent measured from the text's left edge (the leftmost place two lines start at), and a blank
    line where the page's layout parts paragraphs (``_layout_break``): PDF text has no blank
    lines, and a paragraph whose last line ran to the measure was otherwise run on into the next.
    And whether the text starts its paragraphs by a first-line indent rather than by spacing (more
    of them start so), which tells a page break inside a paragraph from one between two."""
    sizes: Counter[float] = Counter()
    for line in (line for lines in placed for line in lines if line.size):
        sizes[round(line.size, 1)] += len(line.text.strip())
    if sizes:  # the body's size: the one most of the text is set in
        body_size = max(sizes, key=sizes.__getitem__)
        placed = [_without_layout_furniture(lines, body_size) for lines in placed]
    pitch = _line_pitch(placed)
    _measured_widths(placed)
    starts = Counter(round(line.x) for lines in placed for line in lines if line.x is not None)
    edge = min((x for x, n in starts.items() if n > 1), default=min(starts, default=0))  # the leftmost shared start
    out: list[list[_PlacedLine]] = []
    indented = spaced = 0  # paragraphs started by a first-line indent, by a gap
    for lines in placed:
        page: list[_PlacedLine] = []
        shown = None  # the last line with text
        for line in lines:
            line.text = " ".join(_pdf_characters(line.text).split())
            if line.text:
                line.indent = max(0, round(2 * (line.x - edge) / line.size)) if line.size else 0
                if shown is not None and (why := _layout_break(shown, line, pitch)):
                    page.append(_PlacedLine(""))
                    spaced += why == "gap" and ends_sentence(shown.text)  # a paragraph's, not a heading's
                    indented += why == "indent" and line.indent <= _PDF_FIRST_LINE_INDENT
                shown = line
            page.append(line)
        out.append(page)
    return out, indented > spaced


def _pdf_paragraphs(pages: list[list[_PlacedLine]], indent_set: bool) -> list[str]:
    """The pages' lines (``_pdf_page_lines``) as paragraphs: the running header, footer and page
    numbers left out, lines grouped into blocks (a blank line, or a short line, a paragraph's
    last, ends one) and each block's lines joined; a paragraph cut by a page break is one. In a
    text whose paragraphs start ``indent_set``, a page that opens on an unindented full line
    goes on with the paragraph before the break, even where a sentence ended there."""
    running = _running_lines([[line.text for line in lines] for lines in pages])
    pages = [_without_page_furniture(lines, running) for lines in pages]
    widest: dict[float, float] = {}  # the widest reach of a line in each font size
    for line in (line for lines in pages for line in lines if line.text and line.size):
        widest[line.size] = max(widest.get(line.size, 0.0), _extent(line))

    def measure(line: _PlacedLine) -> float:
        """The text's measure for a line: the widest reach among lines in its font size (a small
        print note is set to the same measure as the body, in more characters)."""
        return max((reach for size, reach in widest.items()
                    if max(size, line.size) <= _PDF_SIZE_CHANGE * min(size, line.size)), default=0.0)

    blocks: list[str] = []
    # how the text before a page break ends: None (a paragraph's end), "full" (mid-sentence on a
    # line that reaches the measure), "short" (mid-sentence on a shorter one), "sentence" (a
    # sentence's end on a line that reaches the measure)
    open_end: str | None = None
    for lines in pages:
        page_blocks, ends_open = _pdf_blocks(lines, measure)
        if not page_blocks:
            continue
        first = next(line for line in lines if line.text)
        # the paragraph goes on over the break when its line ran to the measure, or when the
        # next page opens in the middle of a sentence (a lower-case letter), or on a line that a
        # text set by first-line indents would have indented had a paragraph started there
        if open_end == "full" or (open_end == "short" and page_blocks[0][0].islower()) or (
                open_end == "sentence" and indent_set and first.indent < 2 * _PDF_INDENT
                and _extent(first) >= _PDF_SHORT_LINE * measure(first)):
            blocks[-1] = _joined_lines([blocks[-1], page_blocks.pop(0)])
        blocks += page_blocks
        open_end = ends_open
    return blocks


# what a PDF font's character map gives for common characters. A glyph that several code points
# share is written as one of them, often not the text's: a Kangxi or CJK radical, or a CJK stroke,
# for the ideograph it looks like ("⽇" for 日, "⻑" for 長, "⺠" for 民), whose equivalent comes
# from Unicode's data (EquivalentUnifiedIdeograph.txt, UCD 15.0, beside this package); a hyphenation
# point for the katakana middle dot ("サディル‧ジャパロフ"), which no CJK text holds; a figure dash for
# the en dash ("23‒16", "1402‒1405"), which a text hardly ever means; compatibility
# ideographs and ligatures ("ﬀ" for ff), whose compatibility forms (NFKC) are the text's characters
_PDF_COMPATIBILITY = re.compile("[\u2e80-\u2fdf\u31c0-\u31ef\uf900-\ufaff\ufb00-\ufb4f]")
_EQUIVALENT_IDEOGRAPHS = Path(__file__).with_name("unicode") / "EquivalentUnifiedIdeograph.txt"


@functools.cache
def _equivalent_ideographs() -> dict[str, str]:
    """Each CJK radical and stroke with an equivalent unified ideograph, mapped to it."""
    table: dict[str, str] = {}
    for line in _EQUIVALENT_IDEOGRAPHS.read_text(encoding="utf-8").splitlines():
        fields = line.split("#")[0].split(";")
        if len(fields) == 2:
            first, _, last = fields[0].strip().partition("..")
            for code in range(int(first, 16), int(last or first, 16) + 1):
                table[chr(code)] = chr(int(fields[1], 16))
    return table


def _folded_char(match: re.Match) -> str:
    char = match.group()
    return _equivalent_ideographs().get(char) or unicodedata.normalize("NFKC", char)


def _pdf_characters(text: str) -> str:
    """A PDF's extracted text with the characters its fonts' maps stand in for (above)."""
    text = _PDF_COMPATIBILITY.sub(_folded_char, text).replace("\u2012", "\u2013")
    return "".join("\u30fb" if char == "\u2027" and any(_wide(c) for c in text[i - 1:i] + text[i + 1:i + 2]) else char
                   for i, char in enumerate(text)) if "\u2027" in text else text


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def _columns(line: str) -> int:
    """How wide a line is on the page, roughly: a wide (CJK) character takes two columns."""
    return sum(2 if _wide(c) else 1 for c in line)


def _joined_lines(lines: list[str]) -> str:
    """A block's lines as the one line of text they are (a PDF breaks lines where the page is
    full): with a space between words, without one beside a wide (CJK) character or after a
    hyphen or dash that ends a word ("пресс-" "конференция", "150-" "летие", "1858–" "1940"; a
    dash set apart, " –", is a word of its own)."""
    text = lines[0]
    for line in lines[1:]:
        glued = _wide(text[-1]) or _wide(line[0]) or (text[-1] in "-–—" and len(text) > 1 and text[-2].isalnum())
        text += ("" if glued else " ") + line
    return text


# a page's running header, footer and page number stand in its first or last lines
_PDF_EDGE_LINES = 2
_PAGE_NUMBER = re.compile(r"[\W_]*\d{1,4}[\W_]*(\d{1,4}[\W_]*)?")  # "3", "- 3 -", "3/10", "(3)"


def _line_shape(line: str) -> str:
    return re.sub(r"\d+", "#", line).casefold()  # "Page 3 of 10" and "Page 4 of 10" alike


def _running_lines(pages: list[list[str]]) -> set[str]:
    """The shapes of lines at the top or bottom of at least half the pages (two or more): a
    running header or footer ("Ministry of Foreign Affairs — Press release", "Page 3 of 10")."""
    if len(pages) < 2:
        return set()
    seen: dict[str, int] = {}
    for lines in pages:
        lines = [line for line in lines if line]
        for shape in {_line_shape(line) for line in lines[:_PDF_EDGE_LINES] + lines[-_PDF_EDGE_LINES:]}:
            seen[shape] = seen.get(shape, 0) + 1
    return {shape for shape, n in seen.items() if n >= max(2, len(pages) / 2)}


def _without_page_furniture(lines: list[_PlacedLine], running: set[str]) -> list[_PlacedLine]:
    """The page's lines (blank ones end paragraphs) less a running header or footer and a page
    number among its first or last lines of text."""
    text = [i for i, line in enumerate(lines) if line.text]
    dropped: set[int] = set()
    for run in (text[:_PDF_EDGE_LINES], reversed(text[-_PDF_EDGE_LINES:])):
        for i in run:  # from the page's edge inwards, while the lines are furniture
            if _line_shape(lines[i].text) not in running and not _PAGE_NUMBER.fullmatch(lines[i].text):
                break
            dropped.add(i)
    return [line for i, line in enumerate(lines) if i not in dropped]


_PDF_FIRST_LINE_INDENT = 8  # columns (4 ems): a line set further right is centred or placed, not indented


def _extent(line: _PlacedLine) -> float:
    """How far right a line reaches from the text's left edge, in points: its width, and a
    paragraph's first-line indent (a line set further right is centred or placed, and is measured
    from its start)."""
    return line.width + (line.indent * line.size / 2 if line.indent <= _PDF_FIRST_LINE_INDENT else 0)


def _pdf_blocks(lines: list[_PlacedLine], measure: Callable[[_PlacedLine], float]) -> tuple[list[str], str | None]:
    """The page's blocks, a line narrower than its ``measure`` allows ending one, and how the last
    one ends when no blank line follows it: in the middle of a sentence, "full" (its last line
    reaches the measure, as a paragraph's lines but the last do) or "short"; "sentence" when a
    sentence ends on a line that reaches the measure; None when it ends on a shorter one."""
    while lines and not lines[-1].text:
        lines = lines[:-1]
    blocks: list[str] = []
    current: list[str] = []
    for line in lines:
        if line.text:
            current.append(line.text)
        if current and (not line.text or _extent(line) < _PDF_SHORT_LINE * measure(line)):
            blocks.append(_joined_lines(current))
            current = []
    if current:
        blocks.append(_joined_lines(current))
    last = lines[-1] if lines else _PlacedLine("")
    if not last.text:
        return blocks, None
    full = _extent(last) >= _PDF_SHORT_LINE * measure(last)
    if ends_sentence(last.text):
        return blocks, "sentence" if full else None
    return blocks, "full" if full else "short"
