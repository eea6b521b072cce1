"""Inline citation markers in generated answers: split into sentences, parse, validate, render.

An answer is a few sentences in Japanese, Russian or English, each followed by markers that
number the passages it relies on: ``[1]``, ``[1][2]``, ``[1, 2]``, full-width ``［１］`` or
``【1】``. Markers belong to the sentence they close, whether the model put them before the
final punctuation (``... in 2025 [2].``) or after it (``…発効した。[1]``). The app, not the model,
decides what a marker points to: numbers outside ``1..n_passages`` are dropped and reported.

Sentences end at Japanese 。！？ (no space needed) and at ``.!?`` followed by a space, a marker
or the end of a line, but not inside balanced brackets or quotes (「…。」 is one sentence), not
before a lowercase letter (``2024 г. в Берлине``) and not after an initial or a common
abbreviation (``U.S.``, ``Mr.``). Line breaks always end a sentence (list items are claims).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARKER = re.compile(r"[\[［【]\s*[0-9０-９]{1,3}(?:\s*[,，、]\s*[0-9０-９]{1,3})*\s*[\]］】]")
_MARKER_RUN = re.compile(rf"(?:\s*{_MARKER.pattern})+")
_NUMBER = re.compile(r"[0-9０-９]+")
_JA_END = "。！？"
_LATIN_END = ".!?"
_CLOSERS = "」』）)»”’\"'"
_PAIRS = {"「": "」", "『": "』", "（": "）", "(": ")", "«": "»", "“": "”"}
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "vs", "no", "jr", "sr", "e.g", "i.e", "cf", "fig", "approx",
    "им", "ул", "проф", "акад", "т.е", "т.к", "т.н",
}
_LIST_NUMBER = re.compile(r"\s*(?:[-*•]\s*)?(?:\d{1,2}|[A-Za-z])")  # "1." or "a." opening a list item


@dataclass
class CitedSentence:
    """One sentence of an answer: its text without markers and the passage numbers it cites."""

    text: str
    markers: list[int]
    line_break: bool = False  # the answer broke the line after this sentence (kept on render)


def parse_markers(sentence: str) -> list[int]:
    """Passage numbers cited in ``sentence``, in order of first appearance, without repeats."""
    numbers: list[int] = []
    for marker in _MARKER.finditer(sentence):
        for digits in _NUMBER.findall(marker.group()):
            n = int(digits)  # int() reads full-width digits too
            if n not in numbers:
                numbers.append(n)
    return numbers


def strip_markers(sentence: str) -> str:
    """``sentence`` without its markers, spaces tidied (no space left before punctuation)."""
    text = _MARKER_RUN.sub("", sentence)
    text = re.sub(r"[ \t]+([.,;:!?。、！？)）」』»])", r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _protected(line: str) -> list[bool]:
    """Positions inside balanced brackets or quotes, where no sentence may end."""
    inside = [False] * len(line)
    stack: list[tuple[str, int]] = []
    for i, ch in enumerate(line):
        if ch in _PAIRS:
            stack.append((_PAIRS[ch], i))
        elif stack and ch == stack[-1][0]:
            _, start = stack.pop()
            for j in range(start + 1, i):
                inside[j] = True
    return inside


def _is_abbreviation(line: str, dot: int) -> bool:
    """Is the word before the period at ``dot`` an initial or a known abbreviation?"""
    word = re.search(r"[\w.]*$", line[:dot]).group().lower()
    return (len(word) == 1 and word.isalpha() and line[dot - 1].isupper()) or "." in word.strip(".") \
        or word in _ABBREVIATIONS


def _latin_end(line: str, i: int) -> int | None:
    """End of a sentence closed by the ``.!?`` at ``i``, or None when it does not close one."""
    if _LIST_NUMBER.fullmatch(line[:i]):
        return None
    j = i
    while j < len(line) and line[j] in _LATIN_END:
        j += 1
    while j < len(line) and line[j] in _CLOSERS:
        j += 1
    if j == len(line) or _MARKER.match(line, j):
        return j
    if not line[j].isspace():
        return None
    rest = line[j:].lstrip()
    if not rest or _MARKER.match(rest):
        return j
    if rest[0].islower() or (line[i] == "." and _is_abbreviation(line, i)):
        return None
    return j


def _sentence_ends(line: str) -> list[int]:
    """Offsets in ``line`` just after each sentence, its closing quotes and its markers."""
    inside = _protected(line)
    ends: list[int] = []
    i = 0
    while i < len(line):
        end = None
        if not inside[i] and line[i] in _JA_END:
            end = i + 1
            while end < len(line) and (line[end] in _JA_END or line[end] in _CLOSERS):
                end += 1
        elif not inside[i] and line[i] in _LATIN_END:
            end = _latin_end(line, i)
        if end is None:
            i += 1
            continue
        run = _MARKER_RUN.match(line, end)
        end = run.end() if run else end
        ends.append(end)
        i = end
    return ends


def _line_sentences(line: str) -> list[str]:
    pieces, start = [], 0
    for end in _sentence_ends(line) + [len(line)]:
        piece = line[start:end].strip()
        start = end
        if not piece:
            continue
        if pieces and not re.search(r"\w", strip_markers(piece)):
            pieces[-1] += piece  # stray markers (or a lone number) after a sentence belong to it
        else:
            pieces.append(piece)
    return pieces


def _split_with_breaks(text: str) -> list[tuple[str, bool]]:
    """Sentences with their markers, each flagged when it is the last one of its line."""
    out: list[tuple[str, bool]] = []
    for line in text.splitlines():
        sentences = _line_sentences(line)
        out.extend((s, k == len(sentences) - 1) for k, s in enumerate(sentences))
    return out


def split_sentences(text: str) -> list[str]:
    """Sentences of an answer, each with the markers that close it."""
    return [sentence for sentence, _ in _split_with_breaks(text)]


def map_markers(answer: str, n_passages: int) -> tuple[list[CitedSentence], list[int]]:
    """Sentences with their valid markers, and the marker numbers that point to no passage."""
    sentences: list[CitedSentence] = []
    invalid: list[int] = []
    for raw, line_end in _split_with_breaks(answer.strip()):
        valid = []
        for n in parse_markers(raw):
            if 1 <= n <= n_passages:
                valid.append(n)
            elif n not in invalid:
                invalid.append(n)
        text = strip_markers(raw)
        if text:
            sentences.append(CitedSentence(text, valid, line_end))
        elif sentences:  # markers alone on a line cite the sentence before them
            sentences[-1].markers = list(dict.fromkeys(sentences[-1].markers + valid))
    if sentences:
        sentences[-1].line_break = False
    return sentences, invalid


def _is_japanese(text: str) -> bool:
    """Does the sentence end in Japanese (CJK punctuation, kana or kanji)?"""
    last = text.rstrip()[-1:]
    return bool(last) and ("\u3000" <= last <= "\u9fff" or "\uff00" <= last <= "\uffef")


def render_answer(sentences: list[CitedSentence]) -> str:
    """The answer rebuilt with normalised markers after each sentence: ``text [1][2]``."""
    out = ""
    for k, sentence in enumerate(sentences):
        japanese = _is_japanese(sentence.text)
        marks = "".join(f"[{n}]" for n in sentence.markers)
        if k:
            previous = sentences[k - 1]
            out += "\n" if previous.line_break else ("" if japanese and _is_japanese(previous.text) else " ")
        out += sentence.text + (("" if japanese else " ") + marks if marks else "")
    return out
