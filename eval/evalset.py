"""Eval sets in the shared JSONL format (see ``shared/eval-format.md``).

Loads and validates a set line by line, locates evidence quotes in source texts as character
spans, and matches generated answers against an item's accepted answer strings.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

_T = TypeVar("_T")
_WHITESPACE = re.compile(r"\s+")


class EvalSetError(ValueError):
    """An eval-set file that does not follow the format; the message names every bad line."""


@dataclass(frozen=True)
class Evidence:
    """Where an answer stands: an exact quote from one corpus file."""

    doc: str
    quote: str


@dataclass(frozen=True)
class EvalItem:
    """One question of an eval set."""

    id: str
    lang: str
    question: str
    answers: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    answerable: bool
    kind: str = ""  # optional: what the answer is ("list": several items, ``answers`` holds them all)
    # optional (this project's sets): the questions asked before it in one chat, in order; the
    # question is a follow-up and is asked after them, as the chat asks it
    history: tuple[str, ...] = ()


def normalize_answer(s: str) -> str:
    """NFKC, case folding and whitespace collapsing, the comparison form of answers."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", s).casefold())
    return _WHITESPACE.sub(" ", folded).strip()


def answer_matches(answer_text: str, answers: Iterable[str]) -> bool:
    """Whether ``answer_text`` contains one of ``answers`` after normalisation (empty variants never match)."""
    text = normalize_answer(answer_text)
    return any(variant and variant in text for variant in map(normalize_answer, answers))


def quote_span(text: str, quote: str) -> tuple[int, int] | None:
    """Half-open character span of ``quote`` in ``text``, or None when it is not there.

    An exact occurrence wins; otherwise both strings are compared NFKC-normalised with all
    whitespace removed (a quote copied across a line break or from full-width characters still
    matches), and the match is mapped back to offsets in the original ``text``. A quote copied
    from a web page's source (``Tokyo &amp; <b>Osaka</b>``) is last compared by what a browser
    shows of it: HTML documents' offsets point into their extracted text.
    """
    start = text.find(quote)
    if quote and start >= 0:
        return start, start + len(quote)
    squeezed_text, origin = _squeeze(text)
    for variant in dict.fromkeys((quote, _visible(quote))):
        squeezed_quote, _ = _squeeze(variant)
        found = squeezed_text.find(squeezed_quote) if squeezed_quote else -1
        if found >= 0:
            return origin[found], origin[found + len(squeezed_quote) - 1] + 1
    return None


def _visible(markup: str) -> str:
    """What a browser shows of an HTML fragment: tags dropped, character references decoded."""
    return html.unescape(re.sub(r"<[^<>]*>", "", markup))


def _squeeze(text: str) -> tuple[str, list[int]]:
    """``text`` NFKC-normalised character by character without whitespace, and each output char's source offset."""
    chars: list[str] = []
    origin: list[int] = []
    for offset, ch in enumerate(text):
        for out in unicodedata.normalize("NFKC", ch):
            if not out.isspace():
                chars.append(out)
                origin.append(offset)
    return "".join(chars), origin


def load_eval_set(path: str | Path) -> list[EvalItem]:
    """Read and validate a JSONL eval set; raise :class:`EvalSetError` listing every bad line."""
    items: list[EvalItem] = []
    errors: list[str] = []
    first_line_of: dict[str, int] = {}
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()  # a byte-order mark is no JSON
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = parse_item(json.loads(line))
        except json.JSONDecodeError as exc:
            errors.append(f"{path}:{lineno}: invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        except EvalSetError as exc:
            errors.append(f"{path}:{lineno}: {exc}")
            continue
        if item.id in first_line_of:
            errors.append(f"{path}:{lineno}: duplicate id {item.id!r} (first on line {first_line_of[item.id]})")
            continue
        first_line_of[item.id] = lineno
        items.append(item)
    if errors:
        raise EvalSetError("\n".join(errors))
    return items


def parse_item(obj: object) -> EvalItem:
    """Validate one decoded JSON line and build its :class:`EvalItem`."""
    if not isinstance(obj, dict):
        raise EvalSetError(f"expected a JSON object, got {type(obj).__name__}")
    item = EvalItem(
        id=_required(obj, "id", str),
        lang=_required(obj, "lang", str),
        question=_required(obj, "question", str),
        answers=tuple(_string_list(obj)),
        evidence=tuple(_evidence_list(obj)),
        answerable=_required(obj, "answerable", bool),
        kind=obj.get("kind") if isinstance(obj.get("kind"), str) else "",
        history=tuple(_history(obj)),
    )
    if item.answerable and not (item.answers and item.evidence):
        raise EvalSetError(f"item {item.id!r}: an answerable item needs non-empty 'answers' and 'evidence'")
    if not item.answerable and (item.answers or item.evidence):
        raise EvalSetError(f"item {item.id!r}: an unanswerable item must have empty 'answers' and 'evidence'")
    return item


def _history(obj: dict) -> list[str]:
    """The optional ``history`` field: the non-empty questions asked before this one."""
    history = obj.get("history", [])
    if not isinstance(history, list) or not all(isinstance(q, str) and q.strip() for q in history):
        raise EvalSetError("field 'history' must be a list of non-empty strings")
    return history


def _required(obj: dict, field: str, kind: type[_T]) -> _T:
    """``obj[field]`` checked to be a ``kind`` (non-empty when a string)."""
    if field not in obj:
        raise EvalSetError(f"missing field {field!r}")
    value = obj[field]
    if not isinstance(value, kind):
        raise EvalSetError(f"field {field!r} must be {kind.__name__}, got {type(value).__name__}")
    if isinstance(value, str) and not value.strip():
        raise EvalSetError(f"field {field!r} must not be empty")
    return value


def _string_list(obj: dict) -> list[str]:
    """The ``answers`` field: a list of strings that stay non-empty after normalisation."""
    answers = _required(obj, "answers", list)
    for position, answer in enumerate(answers):
        if not isinstance(answer, str) or not normalize_answer(answer):
            raise EvalSetError(f"answers[{position}] must be a non-empty string, got {answer!r}")
    return answers


def _evidence_list(obj: dict) -> list[Evidence]:
    """The ``evidence`` field: a list of ``{"doc": str, "quote": str}`` objects."""
    evidence = []
    for position, entry in enumerate(_required(obj, "evidence", list)):
        if not isinstance(entry, dict):
            raise EvalSetError(f"evidence[{position}] must be an object, got {type(entry).__name__}")
        try:
            evidence.append(Evidence(doc=_required(entry, "doc", str), quote=_required(entry, "quote", str)))
        except EvalSetError as exc:
            raise EvalSetError(f"evidence[{position}]: {exc}") from None
    return evidence
