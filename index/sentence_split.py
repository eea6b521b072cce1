"""The project's one sentence splitter: where the sentences of a text start and end, any language.

Used for everything that needs sentences: the sentences ingest embeds and the evidence scorer
quotes, cutting a long paragraph into passages, a list's lead-in, and the sentences of a
generated answer with their citation markers.

Boundaries come from blingfire's sentence model (a compiled finite-state splitter, one for all
languages): abbreviations and initials stay inside their sentence (``Mr.``, ``H.E.``, ``U.S.``,
``т.е.``, ``С.В.Лавров``, ``2019 г. в Москве``), Japanese sentences end at 。！？ with no space.
It runs line by line: a line break inside a passage ends a sentence (header fields, list items).
Three generic repairs of its output, whatever the language:

* no sentence ends inside balanced brackets or quotation marks (「…。…」, «…», (H.E. …)): a
  quotation of several sentences stays in the sentence that quotes it;
* a piece that starts with closing punctuation (``」と述べた。``), or follows one with no space
  between, goes on the sentence before; so does what a caller names as trailing (an answer's
  citation markers after the period, ``… in 2025. [2]``);
* a piece with no letter (a list number ``1.``, ``(2)``), or of one word ending in a period (a
  title the model took for a sentence: ``Mr.`` in ``… 2025. Mr. Smith chaired it.``), joins the
  sentence after it.
"""

from __future__ import annotations

import re

import blingfire

# closing brackets and quotation marks: a piece opening with one continues the sentence before
# (the ASCII quote is not one: it opens a quotation as often as it closes one)
CLOSING_MARKS = "」』）)]］】〕》»”’"
_CLOSING = re.compile(rf"\s*[{re.escape(CLOSING_MARKS)}]")
_LETTER = re.compile(r"[^\W\d_]")
_ONE_WORD = re.compile(r"\S+\.")
_PAIRS = {"「": "」", "『": "』", "（": "）", "(": ")", "«": "»", "“": "”", "[": "]", "【": "】"}

Span = tuple[int, int]


def _bracketed(line: str) -> list[bool]:
    """For each position of ``line``: is it inside a balanced pair of brackets or quotes?"""
    depth = [0] * (len(line) + 1)  # +1 after an opening that gets closed, -1 at its closing: linear
    stack: list[tuple[str, int]] = []
    for i, ch in enumerate(line):
        if ch in _PAIRS:
            stack.append((_PAIRS[ch], i))
        elif stack and ch == stack[-1][0]:
            _, start = stack.pop()
            depth[start + 1] += 1
            depth[i] -= 1
    inside, level = [], 0
    for step in depth:
        level += step
        inside.append(level > 0)
    return inside


def trim(text: str, start: int, end: int) -> Span:
    """``(start, end)`` moved inward past the spaces at either end of ``text[start:end]``."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _line_spans(line: str, offset: int, trailing: re.Pattern | None) -> list[Span]:
    if not line.strip():
        return []
    _, found = blingfire.text_to_sentences_and_offsets(line)
    inside = _bracketed(line) if len(found) > 1 else []
    spans: list[Span] = []
    for start, end in found:
        if spans and inside[spans[-1][1] - 1] and inside[start]:
            spans[-1] = (spans[-1][0], end)
            continue
        if spans and (_CLOSING.match(line, start)
                      or start == spans[-1][1] and _CLOSING.match(line, start - 1)):
            spans[-1] = (spans[-1][0], end)  # 」と述べた。: the sentence goes on after the quotation
            continue
        tail = trailing.match(line, start) if trailing else None
        if spans and tail:
            spans[-1] = (spans[-1][0], tail.end())
            start = tail.end()
            if not line[start:end].strip():
                continue
        spans.append((start, end))
    merged: list[Span] = []
    pending: int | None = None  # start of pieces waiting for the next sentence
    for start, end in spans:
        piece = line[start:end]
        if not _LETTER.search(piece) or _ONE_WORD.fullmatch(piece.strip()):
            if pending is None:
                pending = start
            continue
        merged.append((pending if pending is not None else start, end))
        pending = None
    if pending is not None:
        if merged:
            merged[-1] = (merged[-1][0], spans[-1][1])
        else:
            merged.append((pending, spans[-1][1]))
    return [(offset + s, offset + e) for s, e in (trim(line, *span) for span in merged) if e > s]


def sentence_spans(text: str, trailing: re.Pattern | None = None) -> list[Span]:
    """``(start, end)`` character offsets of the sentences of ``text``, in order, surrounding
    spaces excluded; ``trailing`` matches what closes the sentence before when it opens a piece."""
    spans: list[Span] = []
    offset = 0
    for line in text.split("\n"):
        spans += _line_spans(line, offset, trailing)
        offset += len(line) + 1
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (one character or less is not a sentence)."""
    return [s for s in (text[a:b].strip() for a, b in sentence_spans(text)) if len(s) > 1]
