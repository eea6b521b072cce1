"""The data model shared by ingestion, retrieval and answering: documents, paragraphs, passages.

Offsets (`start`, `end`) are character offsets into `Document.text`, the decoded source text,
so that `Document.text[start:end]` is the source span a paragraph came from (its displayed
`text` may differ: lines broken mid-sentence are joined, surrounding whitespace stripped).
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

METADATA_FIELDS = ("title", "date", "place", "source", "note", "lang")


@dataclass
class Document:
    """A decoded source file and its metadata, as a reader returns it."""

    doc_id: str  # path relative to the corpus root, without extension, '/'-separated
    doc: str  # path relative to the corpus root, with extension (what eval sets name)
    text: str  # the full decoded text; offsets point into it
    body_start: int  # the body (paragraphs) begins here, after any header block
    body_end: int  # and ends here, before any trailing source line
    sha256: str  # of the file's bytes
    title: str = ""
    date: str = ""  # ISO YYYY-MM-DD or ""
    place: str = ""
    source: str = ""
    note: str = ""
    lang: str = ""  # ja, ru, en, ...
    hidden: int = 0  # pieces of a PDF's or DOCX's text that no reader of it sees, left out (index/hidden_text.py)

    def metadata(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in METADATA_FIELDS}


@dataclass
class Paragraph:
    """A body paragraph: its number in reading order (1-based), its text and its source span."""

    n: int
    text: str
    start: int
    end: int
    section: str = ""
    lead: str = ""  # for a list item: the sentence that introduces the list ("… took part:")


@dataclass
class Passage:
    """The unit that is embedded, retrieved and cited: one paragraph or one piece of a long one."""

    id: str  # "<doc_id>#p<N>" or "<doc_id>#p<N>.<k>"
    doc_id: str
    doc: str
    n: int
    text: str
    start: int
    end: int
    section: str = ""
    lead: str = ""  # the lead-in of the list this passage is an item of
    title: str = ""
    date: str = ""
    place: str = ""
    source: str = ""
    note: str = ""
    lang: str = ""
    extra: dict = field(default_factory=dict)

    def context_header(self, with_date: bool = True) -> str:
        """Title, date, section and list lead-in: prepended to the text for embedding and BM25,
        never shown (without the date: the embedding model's title slot)."""
        parts = [p for p in (self.title, self.date if with_date else "", self.section, self.lead) if p]
        return " | ".join(parts)

    def indexed_text(self) -> str:
        header = self.context_header()
        return f"{header}\n{self.text}" if header else self.text

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("extra")
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Passage":
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        return cls(**{k: v for k, v in data.items() if k in known})


def as_read(text: str) -> str:
    """``text`` as a reader sees it, to tell whether two texts are the same: NFKC, whitespace
    runs as one space."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def doc_id_for(path: Path, corpus_root: Path) -> tuple[str, str]:
    """(doc_id, doc) for a file under the corpus root."""
    rel = path.resolve().relative_to(corpus_root.resolve())
    return rel.with_suffix("").as_posix(), rel.as_posix()


def date_number(date: str) -> int:
    """ISO date → YYYYMMDD integer for range filters (Chroma compares numbers only); 0 if none.
    A month (``2001-05``, a document dated by its month) or a year stands for its first day."""
    digits = date.replace("-", "")
    return int(digits + "0101"[len(digits) - 4:]) if digits.isdigit() and len(digits) in (4, 6, 8) else 0
