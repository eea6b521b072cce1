"""Language of a text (passage, query or answer): py3langid over the app's languages.

The identifier (langid.py's naive Bayes over byte n-grams) is restricted to the languages the
app serves (``Settings.languages``: ja, ru, en by default; each needs an analyzer and is a
language answers are written in). Measured on the bench questions (JSQuAD, XQuAD ru/en) and
their first words: of 7,000 texts with 10 or more letters it misnamed 1 (counting scripts, as
this module did before, misnamed 4); of 15,000 shorter ones both misnamed 4 %. Unrestricted, it
called short Russian questions Bulgarian and single words Swedish or Tagalog. Text without
letters keeps the caller's default.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

_LETTER = re.compile(r"[^\W\d_]")


@cache
def _identifier(languages: tuple[str, ...]) -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(languages))
    return identifier


def _languages() -> tuple[str, ...]:
    from rag.settings import get_settings  # the app's one settings object; index/ reads it here only

    return tuple(get_settings().languages)


def detect_language(text: str, default: str = "en") -> str:
    """The language of ``text`` among the app's languages; ``default`` when it has no letters."""
    if not _LETTER.search(text):
        return default
    return _identifier(_languages()).classify(text[:20_000])[0]


# letters of each script as regex class ranges; the project's script patterns are built from these
LATIN = "A-Za-zÀ-ÖØ-öø-ɏ"
CYRILLIC = "Ѐ-ӿ"
KANA = "\u3040-\u30ff"
KANJI = "\u4e00-\u9fff"

_KANA = re.compile(rf"[{KANA}]")
# [n] markers, quotations (one level of nesting: «… «Газпром» …») and asides in parentheses (where
# an answer gives a name's source spelling) are not the writer's language
_QUOTED = re.compile(r"\[[0-9, ]+\]|«[^«»]*(?:«[^«»]*»[^«»]*)*»|「[^「」]*(?:「[^「」]*」[^「」]*)*」|\([^()]*\)|（[^（）]*）")


def in_language(text: str, lang: str, sources: Iterable[str] = ()) -> bool:
    """Is ``text`` written in ``lang``? Quotes, asides in parentheses and [n] markers are
    ignored; Japanese needs kana (Han alone may well be Chinese, which a local model sometimes
    answers in), unless the text is a piece copied word for word from one of ``sources`` (texts
    written in ``lang``): "2025年12月20日", "筑波大学" or "WCO" taken from a Japanese passage is
    Japanese for its reader, whatever a detector makes of a few characters."""
    plain = _QUOTED.sub("", text)
    if _copied_from(plain, sources):
        return True
    if lang == "ja" and not _KANA.search(plain):
        return False
    return detect_language(plain, default=lang) == lang


_EDGES = " \t\n.,;:!?。、．，！？"


def _copied_from(text: str, sources: Iterable[str]) -> bool:
    """Whether ``text`` (NFKC, without the punctuation around it) lies word for word in one of ``sources``."""
    piece = unicodedata.normalize("NFKC", text).strip(_EDGES)
    return bool(_LETTER.search(piece)) and any(piece in unicodedata.normalize("NFKC", s) for s in sources)


_WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(rf"[{CYRILLIC}]")
_LATIN = re.compile(rf"[{LATIN}]")


def garbled_words(text: str) -> list[str]:
    """Words that mix Cyrillic letters with Latin letters or kana ("Ивaнов" with a Latin "a",
    "этапフェазе"): no language writes such a word, a small model's transliteration slips do.
    (Latin next to Japanese is ordinary Japanese, "USB3対応", "CO2排出"; so, rarely, is a
    Cyrillic name with a kanji suffix, "Ромашка社".)"""
    return [w for w in _WORD.findall(text) if _CYRILLIC.search(w) and (_LATIN.search(w) or _KANA.search(w))]
