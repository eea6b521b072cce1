"""Language of a text (passage or query) from its script: ja, ru, en, or another code.

Scripts decide it cheaply and reliably for the languages the corpus holds: kana or Han
ideographs → Japanese, Cyrillic → Russian, Latin → English. Counting letters (not bytes)
means a Russian passage quoting "NASA" is still Russian, and a Japanese query with a Latin
acronym is still Japanese.
"""

from __future__ import annotations

import re
import unicodedata


def _script(ch: str) -> str | None:
    code = ord(ch)
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9F:
        return "kana"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return "han"
    if 0x0400 <= code <= 0x04FF:
        return "cyrillic"
    if ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN"):
        return "latin"
    return None


def detect_language(text: str, default: str = "en") -> str:
    """The dominant language of ``text``; ``default`` when it has no letters."""
    counts = {"kana": 0, "han": 0, "cyrillic": 0, "latin": 0}
    for ch in text:
        script = _script(ch)
        if script:
            counts[script] += 1
    cjk = counts["kana"] + counts["han"]
    # CJK characters carry about a word each, Latin/Cyrillic letters a fifth of one
    weighted = {"ja": cjk * 3, "ru": counts["cyrillic"], "en": counts["latin"]}
    lang, score = max(weighted.items(), key=lambda kv: kv[1])
    return lang if score > 0 else default


_KANA = re.compile(r"[\u3040-\u30ff]")
# [n] markers and quotations (one level of nesting: «… «Газпром» …») are not the writer's language
_QUOTED = re.compile(r"\[[0-9, ]+\]|«[^«»]*(?:«[^«»]*»[^«»]*)*»|「[^「」]*(?:「[^「」]*」[^「」]*)*」")


def in_language(text: str, lang: str) -> bool:
    """Is ``text`` written in ``lang``? Quotes and [n] markers are ignored; Japanese needs kana
    (Han alone may well be Chinese)."""
    plain = _QUOTED.sub("", text)
    if lang == "ja":
        return bool(_KANA.search(plain))
    return detect_language(plain, default=lang) == lang
