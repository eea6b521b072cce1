"""What kinds of named entity a sentence holds: person, place, organisation.

The answerability check asks "does this sentence contain the kind of thing the question asks
for?". Capitalisation alone cannot answer that in Russian, where every country and region is
capitalised ("представителей стран Центральной Азии и Японии" names no person). So each script
gets the best analysis available offline:

- Russian words go through pymorphy3's dictionary: Name/Surn/Patr tags mark persons, Orgn
  organisations, Geox places where the toponym says where (after в/на/из…, or in the
  locative: "в Бергене", not "инициированный Норвегией" or "стран Азии"); two adjacent capitalised words it does not know are taken for a
  foreign personal name ("Кэндзи Ватанабэ"); a capitalised name in «» quotes is an organisation.
- Japanese text uses UniDic's proper-noun classes (人名, 地名, 組織名); a noun compound ending
  in an institutional suffix (基金, 機構, 省, 銀行, …) is an organisation too, as UniDic splits
  such names into common nouns; a katakana name joined by ・ is a person.
- Latin-script capitalised word runs may be any of the three (English has no dictionary
  here), so they count for every kind.
"""

from __future__ import annotations

import re
import threading
from functools import cache

import pymorphy3

from index.analyzers import japanese_proper_nouns
from rag.claims import extract_names

KINDS = ("person", "place", "org")

_CYR_WORD = re.compile(r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ]?[а-яё]+)?|[а-яё]+")
_QUOTED_CAPITALISED = re.compile(r"«\s*[А-ЯЁA-Z][^»]*»")
_LATIN_NAME = re.compile(r"[A-Za-z]")
_JA_ORG_SUFFIX = re.compile(
    r"[一-龥ァ-ヴー]{1,20}(?:基金|機構|銀行|公社|公庫|協会|財団|会社|商事|大学|研究所|委員会|事業団|組合|センター|省|庁)"
)
_PERSON_TAGS = {"Name", "Surn", "Patr"}
# a toponym is a place answer where it says where: "в Бергене", "на Камчатке", not "стран Азии"
_LOCATIVE_PREPOSITIONS = {"в", "во", "на", "из", "под", "около", "близ", "у"}
_FAR = 99

_morph_lock = threading.Lock()


@cache
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


def _russian_kinds(text: str) -> set[str]:
    kinds: set[str] = set()
    if _QUOTED_CAPITALISED.search(text):
        kinds.add("org")
    unknown_run = 0
    since_preposition = _FAR
    with _morph_lock:
        morph = _morph()
        for match in _CYR_WORD.finditer(text):
            word = match.group()
            since_preposition = 0 if word.lower() in _LOCATIVE_PREPOSITIONS else since_preposition + 1
            if not word[0].isupper():
                unknown_run = 0
                continue
            parses = morph.parse(word)
            tags = set().union(*(p.tag.grammemes for p in parses[:3]))
            if tags & _PERSON_TAGS:
                kinds.add("person")
            top = parses[0]
            if "Geox" in tags and (since_preposition <= 2 or ("loct" in top.tag and top.score >= 0.5)):
                kinds.add("place")
            if "Orgn" in tags:
                kinds.add("org")
            known = morph.word_is_known(word.lower())
            unknown_run = unknown_run + 1 if not known else 0
            if unknown_run >= 2:
                kinds.add("person")
    return kinds


def _japanese_kinds(text: str) -> set[str]:
    proper = japanese_proper_nouns(text)
    kinds = {{"人名": "person", "地名": "place", "組織名": "org"}.get(k, "") for _, k in proper}
    if _JA_ORG_SUFFIX.search(text):
        kinds.add("org")
    places = {surface for surface, k in proper if k == "地名"}
    if any(not places & set(name.split("・")) for name in extract_names(text)
           if "・" in name and re.fullmatch(r"[ァ-ヴー・]+", name)):
        kinds.add("person")
    return kinds - {""}


def entity_kinds(sentence: str) -> set[str]:
    """The kinds of named entity (``KINDS``) that ``sentence`` contains."""
    kinds = _japanese_kinds(sentence) if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", sentence) else set()
    if re.search(r"[А-Яа-яЁё]", sentence):
        kinds |= _russian_kinds(sentence)
    if any(_LATIN_NAME.search(name) for name in extract_names(sentence)):
        kinds |= set(KINDS)
    return kinds
