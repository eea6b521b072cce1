"""Passages, the cited unit: one per paragraph, long paragraphs cut into pieces on sentence ends.

A passage ID is ``<doc_id>#p<N>`` or, for the k-th piece of a paragraph longer than
``max_chars``, ``<doc_id>#p<N>.<k>``. IDs depend only on the file's text, so re-reading an
unchanged file gives the same IDs. Every passage carries its document's metadata, its section
and its own source span, mapped back through `index.paragraphs.source_offsets`.
"""

from __future__ import annotations

from pathlib import Path

from index.document import Document, Paragraph, Passage
from index.paragraphs import source_offsets, split_paragraphs
from index.readers import Limits, read_document
from index.sentence_split import sentence_spans, trim

DEFAULT_MAX_CHARS = 1200


def ingest_file(path: Path, corpus_root: Path, max_chars: int = DEFAULT_MAX_CHARS,
                limits: Limits = Limits(), doc_id: str | None = None) -> tuple[Document, list[Passage]]:
    """Read, split and cut one corpus file (under ``doc_id``, ``read_document``): what the ingest step stores for it."""
    doc = read_document(path, corpus_root, limits, doc_id)
    paragraphs = split_paragraphs(doc)
    header, trailer = outside_body(doc, paragraphs)
    return doc, build_passages(doc, header + paragraphs + trailer, max_chars)


def outside_body(doc: Document, paragraphs: list[Paragraph]) -> tuple[list[Paragraph], list[Paragraph]]:
    """The text around the body, made citable: a header block of several lines, or the title
    line, becomes paragraph 0 and a trailing source line the paragraph after the last. Staff ask
    what these say ("who issued this?", "where was the press conference?" when the title says),
    and an answer drawn from them needs a span to point at."""
    header: list[Paragraph] = []
    trailer: list[Paragraph] = []
    head_start, head_end = trim(doc.text, 0, doc.body_start)
    head = doc.text[head_start:head_end]
    title_line = bool(doc.title) and "\n" not in head and head.lstrip("#").strip() == doc.title
    if title_line:
        head_start = head_end - len(doc.title)  # a "# " heading's marks are not the title's text
    if "\n" in head or title_line:
        header.append(Paragraph(n=0, text=doc.text[head_start:head_end], start=head_start, end=head_end))
    tail_start, tail_end = trim(doc.text, doc.body_end, len(doc.text))
    if tail_end > tail_start:
        trailer.append(Paragraph(n=(paragraphs[-1].n if paragraphs else 0) + 1,
                                 text=doc.text[tail_start:tail_end], start=tail_start, end=tail_end,
                                 section=paragraphs[-1].section if paragraphs else ""))
    return header, trailer


def build_passages(doc: Document, paragraphs: list[Paragraph],
                   max_chars: int = DEFAULT_MAX_CHARS) -> list[Passage]:
    """One passage per paragraph; a paragraph longer than ``max_chars`` gives numbered pieces."""
    passages: list[Passage] = []
    for paragraph in paragraphs:
        base = f"{doc.doc_id}#p{paragraph.n}"
        if len(paragraph.text) <= max_chars:
            passages.append(_passage(doc, paragraph, base, paragraph.text,
                                     paragraph.start, paragraph.end))
            continue
        offsets = source_offsets(doc.text, paragraph)
        for k, (i, j) in enumerate(_pieces(paragraph.text, max_chars), start=1):
            passages.append(_passage(doc, paragraph, f"{base}.{k}", paragraph.text[i:j],
                                     offsets[i], offsets[j - 1] + 1))
    return passages


def _passage(doc: Document, paragraph: Paragraph, pid: str, text: str,
             start: int, end: int) -> Passage:
    return Passage(id=pid, doc_id=doc.doc_id, doc=doc.doc, n=paragraph.n, text=text, start=start,
                   end=end, section=paragraph.section, lead=paragraph.lead, **doc.metadata())


def _pieces(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Spans of ``text`` of at most ``max_chars``, whole sentences packed together where they fit."""
    pieces: list[tuple[int, int]] = []
    start = end = 0
    for s, e in sentence_spans(text):
        if e - start > max_chars and end > start:
            pieces.append((start, end))
            start = s
        end = e
    pieces.append((start, len(text)))
    spans = [span for s, e in pieces for span in _hard_split(text, s, e, max_chars)]
    return [span for span in (trim(text, s, e) for s, e in spans) if span[1] > span[0]]


def _hard_split(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut a span with no sentence end in reach at the last space before the limit, else at it."""
    spans: list[tuple[int, int]] = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + max_chars // 2, start + max_chars + 1)
        cut = cut if cut > start else start + max_chars
        spans.append((start, cut))
        start = cut
    spans.append((start, end))
    return spans
