"""The manifest (``data/manifest.json``): each indexed document's sha256 (with the file's size
and modification time when it was hashed), metadata and passage IDs. It is what incremental
sync compares against and what the app lists as documents; it needs nothing heavier than
``json``, so reading it never waits for Chroma, llama-index or torch.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


# what passages and their indexed texts are made of; a document indexed at another format is indexed again
INDEX_FORMAT = 40  # 2: list items carry their lead-in; 3: sentences are embedded with their passage's title;
# 4: sentences (and long paragraphs' cuts) come from index.sentence_split; 5: sentences' own vectors
# (pooled from the passage's pass without the title) are stored beside them; 6: a first line that is
# only a date ("May 27, 2024", "平成27年11月2日") dates the document (index/readers.py); 7: so does such a
# line under the title line, or else a date in the title; 8: the title line is paragraph 0; 9: an HTML
# page's navigation, side panels and page footer are dropped, and a DOCX's short first paragraph, or
# an HTML first line that its <title> holds, is the title line (a date line under it dates the document);
# 10: so is page furniture that only class and id names mark (trafilatura's rules) or made of links,
# and a PDF's running header, footer and page numbers; a PDF's lines are joined into its paragraphs
# (also over a page break) and a font's radicals and ligatures folded (U+2F47 → 日, ﬀ → ff); 11: Markdown
# is rendered (markdown-it-py) and read as HTML: no link targets or markup, no lines of links; HTML
# list items keep their marker, a table's data row is one line, <br><br> parts paragraphs, <pre> keeps
# its lines; a DOCX is converted by mammoth (tracked insertions, content controls, lists' markers)
# 12: a PDF's CJK radicals without a compatibility form (U+2ED1 → 長) and the hyphenation point a CJK
# font writes for ・ are read as the characters they stand for
# 13: a PDF's layout parts paragraphs too: a line in another font size, or further below a sentence's
# end than the text's line pitch allows, or above it; 14: a line above or below a page's body in a smaller
# font, ending no sentence and holding no date, is its header or footer
# 15: a line indented from the text's left edge after a sentence's end (a first-line indent) starts a
# paragraph, and an indent counts in how far a line reaches; 16: a PDF's figure dash is read as the en dash
# 17: a PDF line's reach is measured from where its words stand, against lines of its own font size
# 18: the space pypdf makes of a word processor's gap between Asian and Latin text is dropped
# 19: in a text set by first-line indents, an unindented full line opening a page goes on with the paragraph
# 20: a PDF line ending in a dash right after a letter or digit is joined to the next without a space
# 21: a PDF line's pieces are read in the order they stand on it, without the spaces pypdf makes of jumps
# 22: a PDF page without text (a scan) is read by OCR (index/ocr.py); a PDF /Title that is the file's name is none
# 23: a PDF line further below the one above than the line pitch allows starts a paragraph after any line, not only a sentence's end
# 24: a PDF page whose little text (a stamp) lies over an image covering most of the page is read by OCR too
# 25: a scanned page laid askew is read as if laid straight (its words turned by its lines' median slope)
# 26: a scanned page's OCR layer (invisible text over the scan) is read by PDFium's character boxes, as OCR's words
# 27: so is a layer with a visible stamp over it (the page's text mostly invisible)
# 28: a DOCX's hidden text (Word's Hidden effect, on a run or by its style) is not read (index/hidden_text.py)
# 29: nor is a PDF's text that no viewer paints: invisible, transparent, white on the white page, under 1 pt,
# outside the crop box or the clip (index/pdf_paint.py); 30: nor text an opaque box or image is painted over
# 31: nor an HTML element hidden by its hidden attribute or its own style (display: none, visibility: hidden)
# 32: nor a PDF's optional content (a layer) that a viewer hides when the document opens
# 33: nor the glyphs of a PDF line that a box painted later covers part of (by the font's widths)
# 34: nor an HTML element whose own style sets its font-size or opacity to 0
# 35: a first line, header field or front-matter date that is a month of a year ("平成13年5月", "May 2001")
# dates the document by that month (YYYY-MM; a range filter takes it for the month's first day);
# 36: a short line that opens with a section number ("(1)二国間関係", "1. Opening remarks") is a
# heading, indented or not, unless it is one of a list of such lines (index/paragraphs.py)
# 37: a dateline with its place and time ("Москва, 14 марта 2024 года", "2 October 2024, 14:00, Ashgabat")
# dates the document as a date alone does; a title line that is a heading below "# " (a DOCX's Heading 1)
# loses its marker; 38: a dateline is no section heading (index/paragraphs.py): "令和5年11月20日" under
# a title named the section of the paragraphs up to the first heading; 39: lines with no blank line
# between them that each end a sentence (or are short headings or datelines) are each a paragraph, and
# a short first line over such lines is the title (a text saved with a line per paragraph); 40: a text
# opening with a heading below "# " and holding none is titled by it (a page's <h2>), else by its first
# "# " heading wherever it stands

# how vectors are computed from the texts embedded (pooling, own vectors, normalisation): vectors
# stored under another version are never reused for an unchanged text (``PassageEmbedding.vector_key``)
VECTORS_VERSION = 1


@dataclass
class DocEntry:
    """What the manifest knows of one indexed document."""

    doc_id: str
    sha256: str
    passages: list[str]
    metadata: dict[str, str] = field(default_factory=dict)
    size: int = 0  # the file's size and modification time when it was last hashed (0: not recorded)
    mtime_ns: int = 0
    format: int = INDEX_FORMAT  # the format it was indexed at: an entry of another is indexed again


@dataclass
class Manifest:
    embed_model: str = ""
    docs: dict[str, DocEntry] = field(default_factory=dict)  # keyed by `doc` (relative path)
    sentences: str = "separate"  # how sentence vectors were made (index/sentences.sentence_pooling)

    @classmethod
    def load(cls, path: Path) -> "Manifest":
        if not path.is_file():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        # entries written before each recorded its format have the one the whole index recorded
        fmt = data.get("format", 1)
        docs = {doc: DocEntry(**{"format": fmt, **entry}) for doc, entry in data.get("docs", {}).items()}
        return cls(embed_model=data.get("embed_model", ""), docs=docs, sentences=data.get("sentences", "separate"))

    def listing(self) -> list[dict[str, Any]]:
        """One row per document, by file name: what the app and ``/documents`` show."""
        return [{"doc": doc, "doc_id": e.doc_id, **e.metadata, "passages": len(e.passages)}
                for doc, e in sorted(self.docs.items())]

    def save(self, path: Path) -> None:
        data = {"embed_model": self.embed_model, "sentences": self.sentences,
                "docs": {doc: entry.__dict__ for doc, entry in sorted(self.docs.items())}}
        atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=1))


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
