"""Inline citation markers in generated answers: split into sentences, parse, validate, render.

An answer is a few sentences in Japanese, Russian or English, each followed by markers that
number the passages it relies on: ``[1]``, ``[1][2]``, ``[1, 2]``, full-width ``［１］`` or
``【1】``. Markers belong to the sentence they close, whether the model put them before the
final punctuation (``... in 2025 [2].``) or after it (``…発効した。[1]``). The app, not the model,
decides what a marker points to: numbers outside ``1..n_passages`` are dropped and reported.

Sentences are the project's own (``index.sentence_split``): not inside brackets or quotes
(「…。」 is one sentence), not after an abbreviation or initial (``U.S.``, ``Mr.``, ``т.е.``);
a line break always ends one (list items are claims); markers after the period close the
sentence before them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.sentence_split import sentence_spans

_MARKER = re.compile(r"[\[［【]\s*[0-9０-９]{1,3}(?:\s*[,，、]\s*[0-9０-９]{1,3})*\s*[\]］】]")
_MARKER_RUN = re.compile(rf"(?:\s*{_MARKER.pattern})+")
_NUMBER = re.compile(r"[0-9０-９]+")


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


def _split_with_breaks(text: str) -> list[tuple[str, bool]]:
    """Sentences with their markers, each flagged when it is the last one of its line."""
    out: list[tuple[str, bool]] = []
    for line in text.splitlines():
        sentences = [line[a:b].strip() for a, b in sentence_spans(line, trailing=_MARKER_RUN)]
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
