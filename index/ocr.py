"""The words of scanned pages (PDF pages without text, image files), by optical character recognition.

A PDF page without a text layer (a scan, a fax, a photographed page) is rendered by PDFium
(pypdfium2) at ``DPI`` and read by Tesseract (pytesseract; the program and its language packs are
Debian packages, which ``make ocr`` installs). Tesseract's orientation and script detection (OSD)
comes first: a page scanned upside down or sideways is turned upright, and its words are
recognised with the configured language pack of its script (``jpn``, ``rus`` or ``eng``: one
pack reads a page about three times faster than ``jpn+rus+eng`` together, 2.4–2.9 s against 8.6 s
on 2 cores; ``_READS_LATIN`` says when a Latin pack goes beside it); where OSD cannot tell, or no
configured pack is of that script, all of them together. Each recognised line comes back as its
words placed in PDF points (left and right edge, baseline, and the line's font size as
``_font_size`` estimates it; the page straightened first where it lay askew), so that the PDF
reader finds a scanned page's paragraphs, headers and footers by the same layout rules as a
printed page's. A scan that OCR has read before it was filed carries its words as an invisible
text layer: those are read as they stand (``text_layer_words``), and nothing is recognised again.
"""

from __future__ import annotations

import functools
import io
import math
import shutil
import unicodedata
from collections.abc import Callable, Sequence

DPI = 300  # an archive's usual scanning resolution; Tesseract reads body text best at 300 dpi and up

# Tesseract's language packs and the scripts (as its OSD names them) each is written in
_PACK_SCRIPTS = {
    "jpn": {"Japanese", "Han", "Katakana", "Hiragana"}, "jpn_vert": {"Japanese", "Han"},
    "chi_sim": {"Han"}, "chi_tra": {"Han"}, "kor": {"Hangul", "Korean"},
    "rus": {"Cyrillic"}, "ukr": {"Cyrillic"}, "bel": {"Cyrillic"}, "bul": {"Cyrillic"}, "srp": {"Cyrillic"},
    "eng": {"Latin"}, "fra": {"Latin"}, "deu": {"Latin"}, "spa": {"Latin"}, "ita": {"Latin"},
    "ell": {"Greek"}, "ara": {"Arabic"}, "heb": {"Hebrew"},
}

# a CJK pack reads Latin letters too ("H.E. Mr. Sadyr ZHAPAROV" in a Japanese text); a Cyrillic one
# does not ("date" read as "Да{е"), so a page in another script is read with a Latin pack beside its own
# (rus+eng: 2.7 s a page against rus's 2.4 s; jpn+eng takes twice jpn's time)
_READS_LATIN = {"jpn", "jpn_vert", "chi_sim", "chi_tra", "kor"}

Word = tuple[str, float, float, float, float]  # text, left edge, baseline (from the page's foot up), font size, right edge: points
_page_listener: Callable[[], None] | None = None


class OcrUnavailable(RuntimeError):
    """Tesseract or a configured language pack is not installed; the message says which."""


def on_page(listener: Callable[[], None] | None) -> None:
    """Call ``listener`` after each page read (the reader process tells its parent that a long
    scan is being read, not hung)."""
    global _page_listener
    _page_listener = listener


def check_languages(languages: str) -> list[str]:
    """The packs of ``languages`` ("jpn+rus+eng"), or OcrUnavailable saying what is missing."""
    import pytesseract

    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        raise OcrUnavailable("Tesseract is not installed (make ocr, or: apt-get install tesseract-ocr "
                             "tesseract-ocr-jpn tesseract-ocr-rus)")
    packs = [pack for pack in languages.split("+") if pack]
    missing = sorted(set(packs) - _installed_packs(pytesseract.pytesseract.tesseract_cmd))
    if missing:
        raise OcrUnavailable(f"Tesseract has no language pack {', '.join(missing)} "
                             f"(apt-get install {' '.join('tesseract-ocr-' + p.replace('_', '-') for p in missing)})")
    return packs


@functools.cache
def _installed_packs(tesseract: str) -> frozenset[str]:
    """The language packs ``tesseract`` has: asked once a process (a reader process reads a
    whole sync's files), not once a file."""
    import pytesseract

    return frozenset(pytesseract.get_languages())


SCAN_SHARE = 0.5  # an image covering at least this share of a page makes the page a scan


def scans_under_text(data: bytes, pages: Sequence[int]) -> tuple[list[int], list[int]]:
    """Those of the PDF's ``pages`` (0-based) on which one image covers at least ``SCAN_SHARE``
    of the page (a scan): all of them, and those whose text is mostly invisible (render mode 3:
    the words OCR read, laid over the scan by a scanner's "searchable PDF", ocrmypdf or Acrobat,
    perhaps with a file number stamped over it since, in characters fewer)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    def characters(text, page_text) -> int:
        return max(pdfium_c.FPDFTextObj_GetText(text.raw, page_text.raw, None, 0) // 2 - 1, 0)  # UTF-16, a terminator

    if not pages:
        return [], []
    document = pdfium.PdfDocument(data)
    try:
        covered, layered = [], []
        for index in pages:
            page = document[index]
            width, height = page.get_size()
            for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
                left, bottom, right, top = image.get_bounds()
                shown = (min(right, width) - max(left, 0)) * (min(top, height) - max(bottom, 0))
                if shown >= width * height * SCAN_SHARE:
                    covered.append(index)
                    break
            else:
                continue
            page_text, shown = page.get_textpage(), 0
            for text in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
                invisible = pdfium_c.FPDFTextObj_GetTextRenderMode(text.raw) == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE
                shown += characters(text, page_text) * (-1 if invisible else 1)
            if shown < 0:
                layered.append(index)
        return covered, layered
    finally:
        document.close()


def text_layer_words(data: bytes, pages: Sequence[int]) -> dict[int, list[list[Word]]]:
    """The words of the PDF's ``pages`` (0-based) as PDFium places their characters: lines where
    PDFium sees one end (its generated line breaks), words at spaces, each word from its first
    character's left edge to its last's right on the first's baseline, in its font size. An OCR
    layer places each word by itself and stretches it to the scanned word's width, which pypdf
    hands over as one run a line, so that the layout rules could not measure it."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    document = pdfium.PdfDocument(data)
    box, matrix, x, y = pdfium_c.FS_RECTF(), pdfium_c.FS_MATRIX(), ctypes.c_double(), ctypes.c_double()
    try:
        out = {}
        for index in pages:
            text = document[index].get_textpage()
            lines: list[list[Word]] = [[]]
            word: list | None = None
            for i in range(text.count_chars()):
                # PDFium gives a hyphen it takes for a word broken over a line as U+0002
                char = chr(pdfium_c.FPDFText_GetUnicode(text.raw, i)).replace("\x02", "-")
                if char.isspace():
                    if word is not None:
                        lines[-1].append(tuple(word))
                        word = None
                    if char == "\n" and lines[-1]:
                        lines.append([])
                    continue
                pdfium_c.FPDFText_GetLooseCharBox(text.raw, i, box)
                if word is None:  # its size: the font's, times the text's vertical scale ("1 Tf" in a 12-point matrix)
                    pdfium_c.FPDFText_GetCharOrigin(text.raw, i, x, y)
                    pdfium_c.FPDFText_GetMatrix(text.raw, i, matrix)
                    size = pdfium_c.FPDFText_GetFontSize(text.raw, i) * math.hypot(matrix.c, matrix.d)
                    word = [char, box.left, y.value, size, box.right]
                else:
                    word[0] += char
                    word[4] = box.right
            if word is not None:
                lines[-1].append(tuple(word))
            out[index] = [line for line in lines if line]
        return out
    finally:
        document.close()


def read_pages(data: bytes, pages: Sequence[int], languages: str) -> dict[int, list[list[Word]]]:
    """Each of the PDF's ``pages`` (0-based) recognised: its lines, top to bottom, each its words
    left to right."""
    import pypdfium2 as pdfium

    packs = check_languages(languages)
    document = pdfium.PdfDocument(data)
    try:
        out = {}
        for index in pages:
            page = document[index]
            _, height = page.get_size()
            image = page.render(scale=DPI / 72, grayscale=True).to_pil()
            out[index] = _page_words(image, height, packs)
            if _page_listener is not None:
                _page_listener()
        return out
    finally:
        document.close()


def read_images(data: bytes, languages: str, max_pages: int) -> list[list[list[Word]]]:
    """Each page of an image file (a TIFF may hold many; PNG, JPEG one) recognised as a scanned
    PDF page is, its pixels taken at ``DPI`` (only the layout's proportions depend on it); more
    than ``max_pages`` pages is a ValueError."""
    from PIL import Image, ImageSequence

    with Image.open(io.BytesIO(data)) as image:
        if getattr(image, "n_frames", 1) > max_pages:
            raise ValueError(f"{image.n_frames} pages, more than the {max_pages} a file may have (setting max_ocr_pages)")
        packs = check_languages(languages)
        out = []
        for frame in ImageSequence.Iterator(image):
            page = frame.convert("L")
            out.append(_page_words(page, page.height * 72 / DPI, packs))
            if _page_listener is not None:
                _page_listener()
        return out


def upright(image, packs: list[str]):
    """A rendered page turned upright by Tesseract's OSD, and the packs to read it with: the one
    of its script, a Latin one beside it (``_READS_LATIN``), or all ``packs`` where OSD cannot tell."""
    import pytesseract

    try:
        osd = pytesseract.image_to_osd(image, output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractError:  # too few characters to tell
        osd = {"rotate": 0, "script": ""}
    if osd["rotate"]:
        image = image.rotate(-osd["rotate"], expand=True, fillcolor=255)
    chosen = [pack for pack in packs if osd["script"] in _PACK_SCRIPTS.get(pack, ())][:1] or packs
    if chosen != packs and chosen[0] not in _READS_LATIN:  # names, dates and "date 2019-01-14" lines in Latin
        chosen += [pack for pack in packs if "Latin" in _PACK_SCRIPTS.get(pack, ()) and pack not in chosen][:1]
    return image, chosen


def _page_words(image, height: float, packs: list[str]) -> list[list[Word]]:
    """The lines of one rendered page, turned upright, read with the pack of its script."""
    import pytesseract

    turned, chosen = upright(image, packs)
    if turned is not image:
        height = turned.height * 72 / DPI
    hocr = pytesseract.image_to_pdf_or_hocr(turned, lang="+".join(chosen), extension="hocr").decode("utf-8")
    return hocr_lines(hocr, height)


_LINE_CLASSES = ["ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat"]  # hOCR's kinds of line


def _title_fields(title: str) -> dict[str, list[float]]:
    """An hOCR element's numeric properties ("bbox 0 0 2480 3508; x_size 41"), the others (the
    page's "image", a file name) left out."""
    fields = {}
    for key, _, values in (part.strip().partition(" ") for part in title.split(";")):
        try:
            fields[key] = [float(v) for v in values.split()]
        except ValueError:
            continue
    return fields


def hocr_lines(hocr: str, height: float) -> list[list[Word]]:
    """Tesseract's hOCR of a page ``height`` points high (rendered at ``DPI``) as lines of placed
    words: a word at its bounding box's left edge, on its line's baseline, in its line's font
    size (``_font_size``), reaching to its box's right edge; all of them turned about the page's
    centre by its skew (``_skew``), as if the page had been laid straight on the scanner."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(hocr, "html.parser")
    found = []
    for line in soup.find_all(class_=_LINE_CLASSES):
        placed = [(text, *_title_fields(word["title"])["bbox"][::2]) for word in line.find_all(class_="ocrx_word")
                  if (text := word.get_text().strip())]
        if placed:
            found.append((_title_fields(line["title"]), placed))
    page = soup.find(class_="ocr_page")
    _, _, width, tall = _title_fields(page.get("title", "") if page else "").get("bbox", (0, 0, 0, height * DPI / 72))
    slope = _skew([fields for fields, _ in found])
    cos, sin = 1 / math.hypot(1, slope), slope / math.hypot(1, slope)

    def straight(x: float, y: float) -> tuple[float, float]:  # a pixel's place on the page laid straight
        x, y = x - width / 2, y - tall / 2
        return x * cos + y * sin + width / 2, y * cos - x * sin + tall / 2

    scale = 72 / DPI
    lines = []
    for fields, placed in found:
        left, _, _, bottom = fields["bbox"]
        rise, offset = fields.get("baseline", [0.0, 0.0])
        size = _font_size([(text, x) for text, x, _ in placed], fields) * scale
        words = []
        for text, x, right in placed:
            start, base = straight(x, bottom + offset + rise * (x - left))
            end, _ = straight(right, bottom + offset + rise * (right - left))
            words.append((text, start * scale, height - base * scale, size, end * scale))
        lines.append(words)
    return lines


def _skew(lines: list[dict[str, list[float]]]) -> float:
    """The page's skew, as the slope of its lines' baselines (hOCR's ``baseline``, pixels down per
    pixel right): their median, each line weighted by its width, so that the long lines of the
    body outweigh a short one whose few pixels of rise tell little."""
    slopes = sorted((fields.get("baseline", [0.0])[0], fields["bbox"][2] - fields["bbox"][0]) for fields in lines)
    half, seen = sum(width for _, width in slopes) / 2, 0.0
    for slope, width in slopes:
        seen += width
        if seen >= half:
            return slope
    return 0.0


def _font_size(words: list[tuple[str, float]], fields: dict[str, list[float]]) -> float:
    """A line's font size in pixels. Tesseract's ``x_size`` reads the ink from ascenders to
    descenders, which Latin and Cyrillic letters have; CJK characters have neither, and a line of
    kana and commas ("なった。") reads half as large as it is. A line of mostly CJK characters is
    measured by how far apart they stand (set solid, one em each, a narrow letter or digit about
    half of one): from its first word's start to its last's, over what the words before the last
    hold; with fewer than three of them, by its ink's height (a CJK character fills most of its em)."""
    left, top, _, bottom = fields["bbox"]
    before = "".join(text for text, _ in words[:-1])
    text = before + words[-1][0]
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    if 2 * wide < len(text):
        return fields.get("x_size", [bottom - top])[0]
    wide_before = sum(unicodedata.east_asian_width(c) in "WF" for c in before)
    if len(before) < 3 or words[-1][1] <= words[0][1]:
        return bottom - top
    return (words[-1][1] - words[0][1]) / (wide_before + (len(before) - wide_before) / 2)
