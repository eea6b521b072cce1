"""Splitting a document's body into numbered paragraphs that keep their source offsets.

The body is cut into blocks at blank lines. Headings are not paragraphs: they name the `section`
of the paragraphs below them. A heading is a Markdown ``#`` line, or a short single line without
sentence or clause punctuation that stands before a text block not starting in lowercase (in an
indented document, only an unindented line, unless it opens with a section number: "(1)二国間関係"
or "1.全体概要" in a 『世界と日本』 file, where every line is indented; a numbered line after a
list's lead-in, or beside another short item, is a list item). A block that stops mid-sentence (no final
punctuation) runs on into the next text block when the break is evidently not a paragraph end:
the next block starts with a lowercase letter, or the document is a layout dump whose blocks are
(nearly) all indented lines, so that its blank lines are line breaks, not paragraph breaks. In
unindented text a blank line is trusted as a paragraph break even after an unfinished sentence
(an omitted formula or table often sits there).

A list's items get the sentence that introduces the list as their `lead`: a paragraph ending in a
colon introduces the paragraphs after it: items that start with a list marker while they do, and
otherwise up to and including the first that ends a sentence (items end in ``;`` or ``,`` until
the last). An item such as "Minister of Energy X;" says nothing of what it is a list of;
retrieval needs the lead-in ("the meeting brought together:") to find it.

A paragraph's text differs from its source span only in whitespace: line ends are joined (with
no separator between CJK characters, a single space otherwise) and surrounding whitespace is
stripped, so `source_offsets` maps every character back to the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.dates import is_dateline
from index.document import Document, Paragraph
from index.sentence_split import CLOSING_MARKS, sentence_spans

_SENTENCE_END = "。．.!?！？…"
_CLOSERS = CLOSING_MARKS + '"'  # at a line's end an ASCII quote closes
_CLAUSE_PUNCT = ",、，:：;；"
_HEADING_MAX_CHARS = 60
_HEADING_MAX_WORDS = 10
_INDENTED_SHARE = 0.75
_MARKED_HEADING = re.compile(r"(#{1,6})[ \t]+(.+?)[ \t#]*")
_LIST_ITEM = re.compile(r"[・•●○■□◆◇▪◦‣※]|(?:[-*+–—]|\(?\d{1,3}[.)）]|[（(]\d{1,3}[)）])\s")
LIST_INTRO = (":", "：")
_LEAD_MAX_CHARS = 200
_INNER_PUNCT = re.compile(r"[。！？、，]|[.!?,;:]\s| \| ")  # a heading is no sentence, clause list or table row
# the number a numbered heading opens with: 1 / 1. / 1.2 / 1) / (1) / （1） / I. / 一、 / 第1章
_SECTION_NUMBER = re.compile(r"(?:\d{1,2}(?:\.\d{1,2})*(?:[.)）]\s*|\s+)|[（(]\d{1,2}[)）]\s*|[IVX]{1,4}[.)]\s*"
                             r"|[一二三四五六七八九十]{1,3}[、.．]\s*|第[\d一二三四五六七八九十]{1,3}[章節部]\s*)(?=\S)")


@dataclass(frozen=True)
class _Block:
    """Consecutive non-blank lines: the spans of the lines with surrounding whitespace stripped."""

    lines: tuple[tuple[int, int], ...]
    indented: bool

    @property
    def start(self) -> int:
        return self.lines[0][0]

    @property
    def end(self) -> int:
        return self.lines[-1][1]


def split_paragraphs(doc: Document) -> list[Paragraph]:
    """Body paragraphs of ``doc`` numbered 1.. in reading order, with sections and source spans."""
    text = doc.text
    blocks = [part for block in _blocks(text, doc.body_start, doc.body_end) for part in _lines_apart(text, block)]
    layout = len(blocks) > 1 and sum(b.indented for b in blocks) >= _INDENTED_SHARE * len(blocks)
    headings = _headings(text, blocks, layout)
    paragraphs: list[Paragraph] = []
    section = ""
    group: list[_Block] = []
    for i, block in enumerate(blocks):
        if headings[i] is not None:
            section = headings[i]
            continue
        group.append(block)
        following = blocks[i + 1] if i + 1 < len(blocks) and headings[i + 1] is None else None
        if following is None or not _runs_on(text, block, following, layout):
            paragraphs.append(_paragraph(text, group, len(paragraphs) + 1, section))
            group = []
    _mark_list_items(paragraphs)
    return paragraphs


def _mark_list_items(paragraphs: list[Paragraph]) -> None:
    """Give the items of each colon-introduced list their lead-in sentence."""
    lead = ""
    marked: bool | None = None  # do this list's items start with markers? None before the first
    open_list = False  # the previous unmarked item ended without closing the list
    for paragraph in paragraphs:
        body = paragraph.text.rstrip()
        starts_marked = bool(_LIST_ITEM.match(body))
        if lead and not body.endswith(LIST_INTRO) and (
                marked is None or (starts_marked if marked else open_list)):
            paragraph.lead = lead
            marked = starts_marked if marked is None else marked
            open_list = body[-1] not in _SENTENCE_END + _CLOSERS
            continue
        lead = _last_sentence(body)[:_LEAD_MAX_CHARS] if body.endswith(LIST_INTRO) else ""
        marked = None


def without_list_marker(text: str) -> str:
    """``text`` without the list marker it opens with ("1. ", "(2)", "・", "- "): a list's
    numbering, not a number the text states."""
    marker = _LIST_ITEM.match(text)
    return text[marker.end():].lstrip() if marker else text


def _last_sentence(text: str) -> str:
    """The last sentence of a paragraph (its lead-in, when it introduces a list)."""
    spans = sentence_spans(text)
    return text[spans[-1][0]:].strip() if spans else text


def source_offsets(text: str, paragraph: Paragraph) -> list[int]:
    """For each character of ``paragraph.text``, its offset in the source ``text``.

    Non-space characters match the source one to one, in order; a space stands for the source
    whitespace (line break) at its place.
    """
    offsets: list[int] = []
    src = paragraph.start
    for ch in paragraph.text:
        if ch.isspace():
            offsets.append(src)
            continue
        while src < paragraph.end and text[src] != ch and text[src].isspace():
            src += 1
        if src >= paragraph.end or text[src] != ch:
            raise ValueError(f"paragraph {paragraph.n} does not match its source span")
        offsets.append(src)
        src += 1
    return offsets


def _blocks(text: str, start: int, end: int) -> list[_Block]:
    """Blank-line separated blocks of text[start:end]; a ``#`` heading line is a block of its own."""
    blocks: list[_Block] = []
    lines: list[tuple[int, int]] = []
    indented = False
    pos = start
    while pos < end:
        line_end = text.find("\n", pos, end)
        line_end = end if line_end < 0 else line_end
        raw = text[pos:line_end]
        content = raw.strip()
        heading = bool(_MARKED_HEADING.fullmatch(content))
        wordy = bool(re.search(r"\w", content))  # rules such as '---' or '* * *' separate blocks
        if lines and (not wordy or heading):
            blocks.append(_Block(tuple(lines), indented))
            lines = []
        if wordy:
            lead = len(raw) - len(raw.lstrip())
            if not lines:
                indented = lead > 0
            lines.append((pos + lead, pos + lead + len(content)))
            if heading:
                blocks.append(_Block(tuple(lines), indented))
                lines = []
        pos = line_end + 1
    if lines:
        blocks.append(_Block(tuple(lines), indented))
    return blocks


def lines_are_paragraphs(lines: list[str]) -> bool:
    """Whether lines with no blank line between them are each a paragraph, not one paragraph
    wrapped: a text saved with a line per paragraph (Word's and many pages' plain-text export,
    a transcript's "Вопрос: …" / "Ответ: …") has every line end a sentence, or be a short line
    without punctuation (a title, a heading), a dateline, a list's lead-in (":") or one of its
    items (a list marker first, or ";" last), and at least two end a sentence; a wrapped
    paragraph's lines break mid-sentence (a Japanese one may leave a short fragment, "日本語の" /
    "段落です。", which two sentence ends tell from a heading)."""
    ends = [ends_sentence(line) for line in lines]
    return sum(ends) >= 2 and all(
        end or line.endswith(LIST_INTRO + (";", "；")) or _LIST_ITEM.match(line) or _short_unpunctuated(line)
        or is_dateline(line) for line, end in zip(lines, ends))


def _lines_apart(text: str, block: _Block) -> list[_Block]:
    """``block``, or each of its lines as a block of its own when they are paragraphs
    (``lines_are_paragraphs``)."""
    if not lines_are_paragraphs([text[a:b] for a, b in block.lines]):
        return [block]
    return [_Block((line,), block.indented) for line in block.lines]


def _headings(text: str, blocks: list[_Block], layout: bool) -> list[str | None]:
    """The heading text of each block that is a heading, None for text blocks."""
    marked = [_marked_heading(text, b) for b in blocks]
    plain = [_looks_like_heading(text, b, layout) for b in blocks]
    numbered = [_numbered_heading(text, b) for b in blocks]
    short_items = [n or _short_item(text, b) for n, b in zip(numbered, blocks)]
    result: list[str | None] = []
    for i, block in enumerate(blocks):
        stands_before_text = (i + 1 < len(blocks) and marked[i + 1] is None and not plain[i + 1]
                              and not text[blocks[i + 1].start].islower())
        # a numbered line beside another short item, or after a list's lead-in, is a list item
        in_list = numbered[i] and ((i > 0 and (short_items[i - 1] or text[blocks[i - 1].end - 1] in LIST_INTRO))
                                   or (i + 1 < len(blocks) and short_items[i + 1]))
        if marked[i] is not None:
            result.append(marked[i])
        elif (plain[i] or numbered[i]) and stands_before_text and not in_list:
            result.append(text[block.start:block.end])
        else:
            result.append(None)
    return result


def _marked_heading(text: str, block: _Block) -> str | None:
    match = _MARKED_HEADING.fullmatch(text[block.start:block.end])
    return match.group(2) if match and len(block.lines) == 1 else None


def ends_sentence(line: str) -> bool:
    """Does the line end a sentence (final punctuation, then perhaps closing quotes or brackets)?"""
    stripped = line.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _SENTENCE_END


def _short_unpunctuated(line: str) -> bool:
    """A short line without sentence or clause punctuation."""
    return (len(line) <= _HEADING_MAX_CHARS and len(line.split()) <= _HEADING_MAX_WORDS
            and line[-1] not in _SENTENCE_END + _CLAUSE_PUNCT and not _INNER_PUNCT.search(line))


def _looks_like_heading(text: str, block: _Block, layout: bool) -> bool:
    """A short single line without sentence or clause punctuation, not a list item (in a layout
    dump, not an indented line: a line broken off) nor a dateline ("令和6年5月22日" under a
    title dates the document; it names no section)."""
    line = text[block.start:block.end]
    return (len(block.lines) == 1 and not (layout and block.indented) and _short_unpunctuated(line)
            and not _LIST_ITEM.match(line) and not is_dateline(line))


def _short_item(text: str, block: _Block) -> bool:
    """A single line that opens with a list marker and is short and unpunctuated after it ("• visa
    facilitation"): one of a list of such items."""
    line = text[block.start:block.end]
    marker = _LIST_ITEM.match(line)
    rest = line[marker.end():] if marker else ""
    return len(block.lines) == 1 and bool(rest.strip()) and _short_unpunctuated(rest)


def _numbered_heading(text: str, block: _Block) -> bool:
    """A single line that opens with a section number and is short, without sentence or clause
    punctuation after it ("(1)二国間関係", "1.全体概要", "2. Bilateral relations"), indented or
    not: the number marks it as a heading as a ``#`` does (``_headings`` tells a list of such
    lines apart)."""
    line = text[block.start:block.end]
    number = _SECTION_NUMBER.match(line)
    return len(block.lines) == 1 and number is not None and _short_unpunctuated(line[number.end():])


def _runs_on(text: str, block: _Block, following: _Block, layout: bool) -> bool:
    """Whether ``block`` breaks off mid-sentence and ``following`` continues it."""
    last = text[block.end - 1]
    if last in _SENTENCE_END + _CLOSERS + ":;：；":
        return False
    if _LIST_ITEM.match(text, block.start) or _LIST_ITEM.match(text, following.start):
        return False
    return layout or text[following.start].islower()


def _paragraph(text: str, group: list[_Block], n: int, section: str) -> Paragraph:
    parts: list[str] = []
    for block in group:
        for start, end in block.lines:
            if parts:
                parts.append(_joiner(parts[-1][-1], text[start]))
            parts.append(text[start:end])
    return Paragraph(n=n, text="".join(parts), start=group[0].start, end=group[-1].end,
                     section=section)


def _joiner(left: str, right: str) -> str:
    """No space across a line break next to CJK text (which has none), one space otherwise."""
    return "" if _is_cjk(left) or _is_cjk(right) else " "


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (0x3000 <= code <= 0x30FF or 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF
            or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFFEF)
