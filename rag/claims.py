"""Check the claims of an answer sentence (numbers, dates, names) against the passages it cites.

A claim is supported when the cited passages state it, in whatever language they are written:

* Dates are compared as ``(year, month, day)`` with missing parts allowed, so ``3 марта 2024``,
  ``March 3, 2024``, ``03.03.2024``, ``2024年3月3日`` and ``令和6年三月三日`` are one date, and a
  partial date in the answer (``May 2024``, ``2024``) is supported by any passage date it
  covers. Japanese dates are read by ja-timex (eras, kanji numerals, full-width digits);
  Russian, English and numeric ones by the patterns below (dateparser's search, tried, misread
  "в 2023 году" as the year 2, dropped the month of "в ноябре 2025 года" and took "may" for
  May). Relative dates in a passage (本年4月, 昨年, 同年, ``в прошлом году``, ``this year``) are
  resolved with the date of the passage's document and the last year the passage mentioned.
* Numbers are compared by value: ``1,250`` = ``1 250``; ``15億`` = ``1.5 billion``; Russian
  ``2,5`` = ``2.5`` (figures read by babel in the text's locale, kanji numerals by kanjize).
  A passage also counts its dates' parts, kanji numerals (第二; where UniDic reads them as
  numerals, not the 一 of 一致) and small number words (второй, second) as numbers, so an
  answer may write them as digits.
* Names: Latin and Cyrillic capitalised words and sequences (a sentence-initial word counts
  only when a passage confirms it, since it may be an ordinary word), acronyms (NASA,
  G20, ЕС; one of three letters or more is also found spelt out: LNG in "liquefied natural
  gas", ШОС in "Шанхайской организации сотрудничества"), katakana words (オーストラリア) and
  quoted names (「…」, «…», "…"). A name is supported when a cited passage contains it (NFKC,
  casefolded; an English word compared by Snowball stem, a Russian one as a form of the same
  word by pymorphy3's morphology, so Иванов matches Ивановым but Ханее is not Ханое).
  A name in another script than a passage (English "Ivanov" and Russian "Иванов", "Australia"
  and オーストラリア) is romanised (unidecode; cutlet's Hepburn for katakana, and for a
  loanword also its source spelling from UniDic) and compared by consonant skeleton: similar
  consonants merged, vowels dropped, edit distance (rapidfuzz) at most 1. When that fails the
  name is *unverifiable*, not unsupported: it may be a translation (Germany / Германия) or
  written in kanji. Only a name that a passage in its own
  script should contain but does not is unsupported. For a name supported only as a
  transliteration the check reports the passage's own spelling (``ClaimCheck.spellings``), which
  a generated answer shows beside it: a loose skeleton match is then visible to the reader.

A sentence is ``ok`` when none of its claims is unsupported; unverifiable names are reported
but do not fail it. A sentence without checkable claims is ok.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, lru_cache

import cutlet
import kanjize
from ja_timex import TimexParser
from babel.numbers import NumberFormatError, parse_decimal
from rapidfuzz.distance import Levenshtein
from unidecode import unidecode

from index.analyzers import japanese_numerals, stem as snowball_stem
from index.document import Passage
from index.language import CYRILLIC, KANA, KANJI, LATIN
from index.sentence_split import sentence_spans
from rag.citations import strip_markers

Date = tuple[int | None, int | None, int | None]

# ---- dates ---------------------------------------------------------------------------------

_EN_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
              "sep": 9, "oct": 10, "nov": 11, "dec": 12}
_RU_MONTHS = {"янв": 1, "фев": 2, "мар": 3, "апр": 4, "ма": 5, "июн": 6, "июл": 7, "авг": 8,
              "сен": 9, "окт": 10, "ноя": 11, "дек": 12}
_RELATIVE_YEARS = {  # phrase → (relative to: the document's year or the last year mentioned, offset)
    "本年": ("ref", 0), "今年": ("ref", 0), "昨年": ("ref", -1), "去年": ("ref", -1), "来年": ("ref", 1),
    "同年": ("last", 0), "前年": ("last", -1), "翌年": ("last", 1),
    "this year": ("ref", 0), "last year": ("ref", -1), "next year": ("ref", 1), "the same year": ("last", 0),
    "в этом году": ("ref", 0), "в текущем году": ("ref", 0), "в нынешнем году": ("ref", 0),
    "в прошлом году": ("ref", -1), "в следующем году": ("ref", 1), "в том же году": ("last", 0),
}
_JA_RELATIVE = "|".join(k for k in _RELATIVE_YEARS if k.endswith("年"))

_EN_MON = (r"(?P<mon_en>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
           r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?(?![A-Za-z])")
_EN_MON_FULL = (r"(?P<mon_en>January|February|March|April|June|July|August|September|October"
                r"|November|December)(?![A-Za-z])")
_RU_MON = (r"(?<![а-яё])(?P<mon_ru>(?:январ|феврал|апрел|июн|июл|сентябр|октябр|ноябр|декабр)(?:ь|я|е|ем|ём)"
           r"|март(?:а|е|ом)?|август(?:а|е|ом)?|ма(?:й|я|е|ем))(?![а-яё])")
_ORD = r"(?:st|nd|rd|th)?"
_DASH = r"\s*(?:-|–|—|~|〜|to|and|through|по|до|и|から)\s*"
_RU_YEAR_WORD = r"(?:\s*(?:г\.|гг\.|года|году|год)(?![а-яё]))?"

# Russian, English and numeric dates; Japanese ones are read by ja-timex (_japanese_dates)
_DATE_PATTERNS = [re.compile(p, flags) for p, flags in (
    (r"(?<!\d)(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)", 0),
    (r"(?<![\d.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})(?!\d)", 0),
    (r"(?<![\d.])(?P<d>\d{1,2})" + _ORD + r"(?!\d)(?:" + _DASH + r"(?P<d2>\d{1,2})" + _ORD + r"(?!\d))?\s+(?:of\s+)?"
     + _EN_MON + r"(?:,?\s+(?P<y>\d{4})(?!\d))?", 0),
    (_EN_MON + r"\s+(?P<d>\d{1,2})" + _ORD + r"(?!\d)(?:" + _DASH + r"(?P<d2>\d{1,2})" + _ORD + r"(?!\d))?"
     r"(?:,?\s+(?P<y>\d{4})(?!\d))?", 0),
    (_EN_MON + r",?\s+(?:of\s+)?(?P<y>\d{4})(?!\d)", 0),
    (r"(?<![\d.])(?P<d>\d{1,2})(?:" + _DASH + r"(?P<d2>\d{1,2}))?\s+" + _RU_MON
     + r"(?:\s+(?P<y>\d{4})" + _RU_YEAR_WORD + r")?", re.IGNORECASE),
    (_RU_MON + r"\s+(?P<y>\d{4})" + _RU_YEAR_WORD, re.IGNORECASE),
    (r"(?P<rel>(?:this|last|next|the same) year|в\s+(?:этом|текущем|нынешнем|прошлом|следующем|том\s+же)\s+году"
     rf"|{_JA_RELATIVE})", re.IGNORECASE),
    (_EN_MON_FULL, 0),
    (_RU_MON, re.IGNORECASE),
    (r"(?<![A-Za-zА-Яа-яЁё\d.,])(?P<y>1[89]\d\d|20\d\d|21\d\d)(?!\d|[.,]\d)" + _RU_YEAR_WORD, 0),
)]
_JAPANESE = re.compile(rf"[{KANA}{KANJI}]")
_CYRILLIC_LETTER = re.compile(rf"[{CYRILLIC}]")
_TIMEX_DATE = re.compile(r"(?:FY)?(\d{4}|X{4})(?:-(\d\d|XX)-(\d\d|XX))?")
# what joins the two ends of a Japanese range (8月5日から8日, 12月20日〜22日, 1日及び2日)
_JA_RANGE = re.compile(r"\s*(?:-|–|—|~|〜|～|から|及び|および|と|、)\s*")


@dataclass(frozen=True)
class _DateMention:
    start: int
    end: int
    surface: str
    values: tuple[Date, ...]  # two for a range ("5–8 August")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _month(groups: dict[str, str | None], key: str) -> int | None:
    if groups.get(key):
        return int(groups[key])
    if groups.get("mon_en"):
        return _EN_MONTHS[groups["mon_en"][:3].lower()]
    if groups.get("mon_ru"):
        word = groups["mon_ru"].lower()
        return _RU_MONTHS[word[:2] if word.startswith("ма") and not word.startswith("мар") else word[:3]]
    return None


def _relative_year(phrase: str, ref_year: int | None, last_year: int | None) -> int | None:
    base, offset = _RELATIVE_YEARS[re.sub(r"\s+", " ", phrase.lower())]
    anchor = ref_year if base == "ref" else (last_year if last_year is not None else ref_year)
    return anchor + offset if anchor is not None else None


def _valid(date: Date) -> bool:
    year, month, day = date
    in_range = (month is None or 1 <= month <= 12) and (day is None or 1 <= day <= 31)
    return (year is not None or month is not None) and in_range


def _japanese_dates(text: str, ref_year: int | None) -> list[_DateMention]:
    """Japanese dates, read by ja-timex (formats, eras, kanji numerals), unresolved parts then
    filled in: a year from a relative word before the date (本年4月, 同年9月: the document's year
    or the last year mentioned), the year and month of a range's first end (8月5日から8日), the
    last month for 同月."""
    found = []
    for timex in TimexParser(reference=None).parse(text):
        match = _TIMEX_DATE.fullmatch(timex.value) if timex.type == "DATE" else None
        # only what a Japanese unit marks as a date, of a year that has four digits: not "1・2・3",
        # an address's "26-7", "150年以上" (a duration) or the "1971年-2" it reads in "1971年-2000年"
        raw = timex.raw_text
        if (match and re.search("[年月日]", raw) and not raw[-1].isdigit()
                and not (match[1].isdigit() and int(match[1]) < 1000)):
            found.append((timex.span[0], timex.span[1],
                          tuple(None if part is None or "X" in part else int(part) for part in match.groups())))
    mentions: list[_DateMention] = []
    last: tuple[int | None, int | None] = (None, None)  # the last year and month stated
    for start, end, (year, month, day) in found:
        before = text[max(0, start - 2):start]
        values: tuple[Date, ...] = ()  # a range's first end, when this is its second
        if year is None and before in _RELATIVE_YEARS:
            year, start = _relative_year(before, ref_year, last[0]), start - 2
        elif year is None and before == "同月":
            (year, month), start = last, start - 2
        elif year is None and mentions and _JA_RANGE.fullmatch(text[mentions[-1].end:start]):
            first = mentions.pop()
            values, start = first.values, first.start
            year, month = values[0][0], month or values[0][1]
        if _valid((year, month, day)):
            values = (*values, (year, month, day))
        if values:
            mentions.append(_DateMention(start, end, text[start:end], values))
            if year is not None:
                last = (year, month)
    return mentions


@lru_cache(maxsize=4096)
def _find_dates(text: str, ref_date: str | None) -> tuple[_DateMention, ...]:
    """Date mentions in ``text`` (NFKC): Japanese ones first, then the patterns (earliest
    winning overlaps), resolved in order. Cached: a sentence's numbers and names are found
    around its dates, and a passage's sentences recur from question to question."""
    ref_year = int(ref_date[:4]) if ref_date and ref_date[:4].isdigit() else None
    japanese = _japanese_dates(text, ref_year) if _JAPANESE.search(text) else []
    taken: list[tuple[int, int]] = [(m.start, m.end) for m in japanese]
    matches: list[re.Match] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if not any(match.start() < e and s < match.end() for s, e in taken):
                taken.append(match.span())
                matches.append(match)
    mentions: list[_DateMention] = list(japanese)
    for match in sorted(matches, key=lambda m: m.start()):
        groups = match.groupdict()
        year = int(groups["y"]) if groups.get("y") else None
        if groups.get("rel"):
            before = max((m for m in mentions if m.start < match.start() and m.values[-1][0] is not None),
                         key=lambda m: m.start, default=None)  # the last year stated before it
            year = _relative_year(groups["rel"], ref_year, before.values[-1][0] if before else None)
        month = _month(groups, "m")
        day = int(groups["d"]) if groups.get("d") else None
        values = [(year, month, day)]
        if groups.get("d2"):
            values.append((year, _month(groups, "m2") or month, int(groups["d2"])))
        values = [v for v in values if _valid(v)]
        if values:
            mentions.append(_DateMention(match.start(), match.end(), match.group(), tuple(values)))
    return tuple(sorted(mentions, key=lambda m: m.start))


def extract_dates(text: str, ref_date: str | None = None) -> list[Date]:
    """Dates in ``text`` as ``(year, month, day)``, parts it does not give as None.

    ``ref_date`` (ISO, the document's date) resolves relative years such as 本年 or
    ``в прошлом году``; without it they are left without a year (or skipped when only a year).
    """
    return [value for mention in _find_dates(_norm(text), ref_date) for value in mention.values]


def _date_supported(claim: Date, known: set[Date]) -> bool:
    """Does some passage date cover ``claim``? A passage date without a year ("May 13") fits a
    claim of any year whose month and day it gives; a claim that is only a year needs that year:
    a day named in 2012's summary does not state 2015."""
    return any(all(c is None or c == k or (i == 0 and k is None and claim[1] is not None)
                   for i, (c, k) in enumerate(zip(claim, date)))
               for date in known)


# ---- numbers -------------------------------------------------------------------------------

_SCALES = {"万": 10**4, "億": 10**8, "兆": 10**12, "千": 10**3,
           "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12,
           "тыс": 10**3, "тысяч": 10**3, "млн": 10**6, "миллион": 10**6, "млрд": 10**9, "миллиард": 10**9,
           "трлн": 10**12, "триллион": 10**12}
_SCALE_WORD = (r"(?P<scale>thousand|million|billion|trillion|тыс(?:\.|яч[аи]?)?|млн\.?|млрд\.?|трлн\.?"
               r"|миллион(?:а|ов)?|миллиард(?:а|ов)?|триллион(?:а|ов)?)(?![a-zа-яё])")
_NUMBER = re.compile(
    r"(?<![A-Za-zА-Яа-яЁё\d.,])(?:(?P<ja>(?:\d[\d,]*(?:\.\d+)?[兆億万千])+\d*)"
    r"|(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?)"
    r"(?:\s*" + _SCALE_WORD + r")?)",
    re.IGNORECASE,
)
_NUMBER_WORDS = {
    "one": 1, "first": 1, "two": 2, "second": 2, "both": 2, "three": 3, "third": 3, "four": 4, "fourth": 4,
    "five": 5, "fifth": 5, "six": 6, "sixth": 6, "seven": 7, "seventh": 7, "eight": 8, "eighth": 8,
    "nine": 9, "ninth": 9, "ten": 10, "tenth": 10,
    "один": 1, "одна": 1, "одно": 1, "два": 2, "две": 2, "двух": 2, "три": 3, "трех": 3, "четыре": 4,
    "пять": 5, "шесть": 6, "семь": 7, "восемь": 8, "девять": 9, "десять": 10,
}
_RU_ORDINAL_STEMS = {"перв": 1, "втор": 2, "трет": 3, "четверт": 4, "пят": 5, "шест": 6, "седьм": 7,
                     "восьм": 8, "девят": 9, "десят": 10}


def _decimal(digits: str, comma_decimal: bool) -> Decimal | None:
    """The number ``digits`` writes, read by babel: first in the Russian locale when
    ``comma_decimal`` (``1,250`` = 1.25), else the English one (``1,250`` = 1250); a figure whose
    grouping that locale rejects is read by the other (``2,5`` = 2.5, ``1 250`` = 1250)."""
    locales = ("ru", "en") if comma_decimal else ("en", "ru")
    for strict in (True, False):
        for locale in locales:
            try:
                return parse_decimal(digits, locale=locale, strict=strict)
            except NumberFormatError:
                continue
    return None


def _scale(word: str | None) -> int:
    if not word:
        return 1
    word = word.lower().rstrip(".")
    return next(v for k, v in _SCALES.items() if word.startswith(k))


def _kanji_value(text: str) -> Decimal | None:
    """``3億5000万`` → 350000000, ``三千五百`` → 3500 (kanjize); None for what is not a numeral."""
    try:
        return Decimal(kanjize.kanji2number(text.replace(",", "")))
    except ValueError:
        return None


def _number_values(match: re.Match, comma_decimal: bool) -> tuple[Decimal, ...]:
    """The value a number match states, then (for scaled ones) the bare figures it is written with."""
    if match.group("ja"):
        parts = [Decimal(d.replace(",", "")) for d in re.findall(r"[\d,.]*\d", match.group("ja"))]
        value = _kanji_value(match.group("ja"))
        return (*([value] if value is not None else []), *parts)
    value = _decimal(match.group("num"), comma_decimal)
    if value is None:
        return ()
    return (value * _scale(match.group("scale")), value)


def _canonical(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _is_cyrillic_text(text: str) -> bool:
    cyrillic = len(re.findall(r"[А-Яа-яЁё]", text))
    return cyrillic > len(re.findall(r"[A-Za-z]", text))


def _number_claims(text: str) -> list[tuple[str, Decimal]]:
    """(surface, value) of the numbers in ``text`` (NFKC) that are not part of a date."""
    spans = [(m.start, m.end) for m in _find_dates(text, None)]
    blanked = _blank(text, spans)
    comma_decimal = _is_cyrillic_text(text)
    claims = []
    for match in _NUMBER.finditer(blanked):
        values = _number_values(match, comma_decimal)
        if values:
            claims.append((match.group().strip(), values[0]))
    return claims


def extract_numbers(text: str) -> list[str]:
    """Numbers stated in ``text`` outside dates and citation markers, as canonical values.

    ``1,250`` → ``1250``; ``2,5 млрд`` → ``2500000000``; ``30周年`` → ``30``; ``15億`` → ``1500000000``.
    """
    return [_canonical(value) for _, value in _number_claims(_norm(strip_markers(text)))]


_KANJI_NUMERAL = re.compile(r"[〇一二三四五六七八九十百千万億兆]+")


def _passage_numbers(text: str) -> set[Decimal]:
    """Every figure a passage states, generously: digits in dates too, both readings of
    ``1,250``, scaled and bare values, kanji numerals and small number words."""
    numbers: set[Decimal] = set()
    for comma_decimal in (False, True):
        for match in _NUMBER.finditer(text):
            numbers.update(_number_values(match, comma_decimal))
    if _KANJI_NUMERAL.search(text):  # as numerals, not as the 一 of 一致 (``japanese_numerals``)
        kanji = (_kanji_value(k) for run in japanese_numerals(text) for k in _KANJI_NUMERAL.findall(run))
        numbers.update(v for v in kanji if v is not None)
    for word in re.findall(r"[a-zа-я]+", text.lower().replace("ё", "е")):
        if word in _NUMBER_WORDS:
            numbers.add(Decimal(_NUMBER_WORDS[word]))
        stem = next((s for s in _RU_ORDINAL_STEMS if word.startswith(s) and len(word) <= len(s) + 4), None)
        if stem:
            numbers.add(Decimal(_RU_ORDINAL_STEMS[stem]))
    return numbers


# ---- names ---------------------------------------------------------------------------------

_WORD = re.compile(rf"[{LATIN}]+(?:['’-](?![sS](?![{LATIN}]))[{LATIN}]+)*|[{CYRILLIC}]+(?:-[{CYRILLIC}]+)*")
_ACRONYM = re.compile(r"(?<![A-Za-z0-9])[A-Z](?:[A-Z0-9&]|-(?=[A-Z0-9]))*[A-Z0-9](?![A-Za-z0-9])"
                      r"|(?<![А-Яа-яЁё])[А-ЯЁ]{2,}(?![А-Яа-яЁё])")
_KATAKANA = re.compile(r"[ァ-ヺー]{2,}(?:・[ァ-ヺー]{2,})*")
_QUOTE = re.compile(r"「([^「」]{2,100})」|『([^『』]{2,100})』|«([^«»]{2,100})»|“([^“”]{2,100})”|\"([^\"]{2,100})\"")
_STOPWORDS = {
    "the", "a", "an", "this", "that", "these", "those", "it", "its", "in", "on", "at", "by", "for", "from",
    "to", "of", "and", "but", "or", "as", "with", "both", "according", "however", "also", "there", "they",
    "he", "she", "we", "i", "after", "before", "during", "since", "under", "while", "when", "which", "what",
    "в", "во", "на", "по", "с", "со", "к", "у", "о", "об", "из", "за", "для", "при", "после", "до", "это",
    "эта", "этот", "эти", "также", "однако", "кроме", "как", "так", "согласно", "обе", "оба", "он", "она",
    "они", "его", "ее", "их", "и", "но", "а", "когда", "где", "который", "которая", "которые",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
}
_GENERIC_KATAKANA = {  # loanwords too common to be names; a paraphrase may use them freely
    "エネルギー", "プロジェクト", "サミット", "パートナーシップ", "プログラム", "システム", "センター",
    "グループ", "レベル", "イベント", "ビジネス", "サービス", "データ", "ネットワーク", "プラント",
    "フォーラム", "セミナー", "ワークショップ", "メンバー", "テーマ", "ニュース", "プロセス", "ルート",
}


@dataclass(frozen=True)
class _Name:
    start: int
    surface: str
    kind: str  # "word" (capitalised Latin/Cyrillic), "acronym", "katakana", "quote"
    parts: tuple[str, ...]  # words checked one by one (a quote is one part)
    soft_first: bool = False  # the first part opens the sentence: it may be an ordinary word


def _script(word: str) -> str:
    """latin, cyrillic or cjk, by the first letter."""
    for ch in word:
        if _CYRILLIC_LETTER.match(ch):
            return "cyrillic"
        if _JAPANESE.match(ch):
            return "cjk"
        if ch.isalpha():
            return "latin"
    return "latin"


def _capitalised_names(text: str, taken: list[tuple[int, int]], sentence_starts: set[int]) -> list[_Name]:
    """Runs of capitalised words (stopwords and acronyms break them); one that opens a sentence
    (its first letter at one of ``sentence_starts``) may be an ordinary word."""
    names: list[_Name] = []
    run: list[re.Match] = []

    def flush() -> None:
        if run:
            surface = text[run[0].start():run[-1].end()]
            parts = tuple(m.group() for m in run)
            names.append(_Name(run[0].start(), surface, "word", parts, soft_first=run[0].start() in sentence_starts))
            run.clear()

    for match in _WORD.finditer(text):
        word = match.group()
        inside = any(s <= match.start() < e for s, e in taken)
        capitalised = word[0].isupper() and not word.isupper() and word.lower() not in _STOPWORDS
        adjacent = run and text[run[-1].end():match.start()] in (" ", "\u00a0")
        if not capitalised or inside or (run and not adjacent):
            flush()
        if capitalised and not inside:
            run.append(match)
    flush()
    return names


def extract_names(text: str) -> list[str]:
    """Names in ``text``: quoted names, acronyms, katakana words, capitalised word runs."""
    return [name.surface for name in _find_names(_norm(strip_markers(text)))]


def _find_names(text: str) -> list[_Name]:
    """Names in ``text`` (NFKC); month names and other words of dates are not names."""
    names: list[_Name] = []
    taken: list[tuple[int, int]] = [(m.start, m.end) for m in _find_dates(text, None)]
    for match in _QUOTE.finditer(text):
        inner = next(g for g in match.groups() if g)
        names.append(_Name(match.start(), inner, "quote", (inner,)))
        taken.append(match.span())
    for match in _ACRONYM.finditer(text):
        if not any(s <= match.start() < e for s, e in taken):
            names.append(_Name(match.start(), match.group(), "acronym", (match.group(),)))
            taken.append(match.span())
    for match in _KATAKANA.finditer(text):
        parts = tuple(p for p in match.group().split("・") if p.strip("ー") and p not in _GENERIC_KATAKANA)
        if parts and not any(s <= match.start() < e for s, e in taken):
            names.append(_Name(match.start(), match.group(), "katakana", parts))
    names.extend(_capitalised_names(text, taken, _sentence_starts(text)))
    return sorted(names, key=lambda name: name.start)


_SCRIPT_LETTER = re.compile(rf"[{LATIN}{CYRILLIC}{KANA}{KANJI}]")


def _sentence_starts(text: str) -> set[int]:
    """Where each sentence of ``text`` has its first letter (past any bracket or quote that opens
    it): a question asked after another ("Где он прошёл? Кто председательствовал …?") opens two."""
    starts = set()
    for start, end in sentence_spans(text):
        if letter := _SCRIPT_LETTER.search(text, start, end):
            starts.add(letter.start())
    return starts


# ---- romanisation (for names across scripts) ---------------------------------------------------

_SKELETON_DIGRAPHS = (("shch", "s"), ("sch", "s"), ("dzh", "j"), ("dz", "j"), ("dj", "j"), ("zh", "j"),
                      ("kh", "h"), ("ch", "c"), ("sh", "s"), ("ts", "s"), ("tz", "s"), ("ph", "f"),
                      ("ck", "k"), ("q", "k"), ("x", "ks"), ("w", "v"))
_SKELETON_CLASSES = str.maketrans("bdgzvlc", "ptksfrk")
# cutlet wraps a MeCab tagger, which is not thread-safe: one pair for the process, used under a
# lock. (One pair per thread, as before, cost about 1 MB of native memory for every new thread,
# never given back: a served app's worker threads come and go, and it grew without end.)
_CUTLET_LOCK = threading.Lock()


@cache
def _cutlets() -> tuple[cutlet.Cutlet, cutlet.Cutlet]:
    """The (Hepburn, source spelling of loanwords: オーストラリア → Australia) converters."""
    hepburn, foreign = cutlet.Cutlet(), cutlet.Cutlet()
    hepburn.use_foreign_spelling = False
    return hepburn, foreign


def _ascii(roman: str) -> str:
    return "".join(ch for ch in roman.lower() if ch.isascii() and ch.isalpha())


def _romanisations(word: str) -> tuple[str, ...]:
    """Lowercase ASCII spellings of a word: Hepburn for Japanese (cutlet), and for a loanword also
    its source spelling from UniDic (コンピューター → konpyuutaa, computer); unidecode for any
    other script (Лондон → london)."""
    if _script(word) != "cjk":
        return (_ascii(unidecode(word)),)
    with _CUTLET_LOCK:
        hepburn, foreign = (_ascii(converter.romaji(word)) for converter in _cutlets())
    return (hepburn, foreign) if foreign != hepburn else (hepburn,)


def _loose(roman: str) -> str:
    """Spelling with transliteration variants merged: yodzi / yoji, youji / yoji."""
    for a, b in _SKELETON_DIGRAPHS:
        roman = roman.replace(a, b)
    for long_vowel, short in (("ou", "o"), ("oo", "o"), ("uu", "u"), ("ii", "i"), ("aa", "a")):
        roman = roman.replace(long_vowel, short)
    return roman


def _skeleton(roman: str) -> str:
    """Consonants only, voiced/unvoiced and l/r merged, doubles collapsed: washington → fsnktn."""
    loose = _loose(roman)
    loose = re.sub(r"c(?=[eiy])", "s", loose)
    consonants = re.sub(r"[aeiouyh'’-]", "", loose).translate(_SKELETON_CLASSES)
    return re.sub(r"(.)\1+", r"\1", consonants)


def _sounds_alike(a: str, b: str) -> bool:
    """Romanised ``a`` and ``b`` look like one name: skeletons within distance 1 (equal when
    short); names with at most two consonants must also be spelt nearly alike."""
    sa, sb = _skeleton(a), _skeleton(b)
    if not sa or not sb:
        return False
    if min(len(sa), len(sb)) <= 2:
        return sa == sb and Levenshtein.distance(_loose(a), _loose(b)) <= 1
    limit = 1 if min(len(sa), len(sb)) >= 4 else 0
    return Levenshtein.distance(sa, sb) <= limit


# ---- passages ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _PassageFacts:
    text: str  # NFKC, casefolded, ё → е, spaces collapsed
    script: str  # the passage's dominant script: latin, cyrillic or cjk
    words: frozenset[str]
    stems: frozenset[str]  # English Snowball stems of its Latin words
    romanised: tuple[tuple[str, str, str], ...]  # (script, romanised, the name as the passage spells it)
    dates: frozenset[Date]
    numbers: frozenset[Decimal]


def fold(text: str) -> str:
    """NFKC, casefolded, ё → е, spaces collapsed: how names are compared."""
    return re.sub(r"\s+", " ", _norm(text).casefold().replace("ё", "е"))


def is_katakana(text: str) -> bool:
    return bool(_KATAKANA.fullmatch(text))


def _stem(word: str) -> str:
    """English Snowball stem (a Russian word is compared by its morphology: ``_same_lexeme``)."""
    return snowball_stem(word, "en")


def _dominant_script(text: str) -> str:
    counts = {"latin": len(re.findall(rf"[{LATIN}]", text)), "cyrillic": len(_CYRILLIC_LETTER.findall(text)),
              "cjk": 3 * len(_JAPANESE.findall(text))}
    return max(counts, key=counts.get)


@lru_cache(maxsize=512)
def _facts(text: str, date: str) -> _PassageFacts:
    normal = _norm(text)
    folded = fold(text)
    words = frozenset(m.group() for m in _WORD.finditer(folded))
    spelt = {(m.group(), m.group()) for m in _WORD.finditer(normal)}  # (word, shown as); ё kept: Ёдзи → yodzi
    spelt |= {(p, m.group()) for m in _KATAKANA.finditer(normal) for p in m.group().split("・") if p.strip("ー")}
    romanised = tuple(sorted({(_script(w), r, shown) for w, shown in spelt for r in _romanisations(w)}))
    stems = frozenset(_stem(w) for w in words if _script(w) != "cyrillic")
    return _PassageFacts(
        text=folded, script=_dominant_script(normal), words=words, stems=stems,
        romanised=romanised, dates=frozenset(extract_dates(normal, date or None)),
        numbers=frozenset(_passage_numbers(normal)),
    )


@cache
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def prepare() -> None:
    """Load the Russian morphology (about a second) now rather than at the first Russian name."""
    _morph()


@lru_cache(maxsize=8192)
def _lexeme(word: str) -> tuple[frozenset[str], frozenset[str]]:
    """A folded Russian word's lemmas, and the forms of the nouns pymorphy3 reads it as (its
    dictionary's, or for a word it does not know, the paradigm it infers), folded; each with
    the word itself. Forms of nouns only: a name is one, and an unknown word's other guesses
    reach far (Ханее read as the comparative of an adjective "ханый" has "ханое" among its forms)."""
    parses = _morph().parse(word)
    lemmas = {word, *(fold(p.normal_form) for p in parses)}
    forms = {word, *(fold(f.word) for p in parses[:4] if "NOUN" in p.tag for f in p.lexeme)}
    return frozenset(lemmas), frozenset(forms)


def _same_lexeme(a: str, b: str) -> bool:
    """Are folded Russian words ``a`` and ``b`` forms of one word (Иванов, Ивановым; Ханой, Ханое),
    either read as the other's form or both as forms of one lemma? Ханее is no form of Ханой,
    Джонса none of Джонсон."""
    (lemmas_a, forms_a), (lemmas_b, forms_b) = _lexeme(a), _lexeme(b)
    return b in forms_a or a in forms_b or bool(lemmas_a & lemmas_b)


def _word_in(word: str, facts: _PassageFacts) -> bool:
    """Is ``word`` (folded) written in the passage, allowing inflection? An English word by its
    Snowball stem; a Russian one as a form of the same word (``_same_lexeme``), which a stem or
    a shared prefix cannot tell: both take Ханее for Ханое and Дэвис for Дэвид."""
    if word in facts.words:
        return True
    if _script(word) != "cyrillic":
        return _stem(word) in facts.stems
    return any(w[:3] == word[:3] and _same_lexeme(word, w) for w in facts.words)


_FUNCTION_WORDS = frozenset({"of", "and", "for", "the", "in", "on", "at", "to", "и", "в", "во", "по", "для", "на", "о"})
_LETTERS = re.compile(rf"[{LATIN}{CYRILLIC}]+")


def _spelt_out(acronym: str, text: str) -> bool:
    """Does folded ``text`` spell out ``acronym`` (3 to 8 letters, folded): consecutive words
    whose initials are its letters in order, short function words between them skipped, a
    hyphenated word's later parts counting as words or skipped ("lng": "liquefied natural gas"; "атэс":
    "азиатско-тихоокеанское экономическое сотрудничество"; "osce": "organization for security
    and co-operation in europe")? Two letters are too few: "the parties met" is no "PM"."""
    if not 3 <= len(acronym) <= 8 or not acronym.isalpha():
        return False
    # (word, whether it continues a hyphenated word: "operation" of "co-operation" may go unspelt)
    words = [(m.group(), text[m.start() - 1:m.start()] == "-") for m in _LETTERS.finditer(text)]
    for start, (word, _) in enumerate(words):
        if word[0] != acronym[0]:
            continue
        i, at = 1, start + 1
        while i < len(acronym) and at < len(words):
            following, continues = words[at]
            if following[0] == acronym[i]:
                i += 1
            elif not continues and following not in _FUNCTION_WORDS:
                break
            at += 1
        if i == len(acronym):
            return True
    return False


def _part_found(part: str, kind: str, facts: _PassageFacts) -> bool:
    folded = fold(part)
    if kind == "acronym":
        return (bool(re.search(rf"(?<![a-zа-я0-9]){re.escape(folded)}(?![a-zа-я0-9])", facts.text))
                or _spelt_out(folded, facts.text))
    if kind in ("katakana", "quote") and folded in facts.text:
        return True
    words = [m.group() for m in _WORD.finditer(folded)]
    return bool(words) and kind != "katakana" and all(_word_in(w, facts) for w in words)


def _transliterated(part: str, facts: _PassageFacts) -> str | None:
    """The passage's spelling of a name that ``part`` transliterates from another script, if any."""
    script = _script(part)
    return next((shown for roman in _romanisations(part) for s, r, shown in facts.romanised
                 if s != script and _sounds_alike(roman, r)), None)


def _part_status(part: str, kind: str, cited: list[_PassageFacts]) -> tuple[str, str | None]:
    """supported, unsupported (every passage could show it and none does) or unverifiable; and
    the source's spelling when the part is supported only as a transliteration."""
    if any(_part_found(part, kind, f) for f in cited):
        return "supported", None
    if kind != "quote" and " " not in part:
        for f in cited:
            if shown := _transliterated(part, f):
                return "supported", shown
    script = _script(part)
    return ("unsupported" if all(f.script == script for f in cited) else "unverifiable"), None


def _name_status(name: _Name, cited: list[_PassageFacts]) -> tuple[str, str, str | None] | None:
    """(surface to report, status, the source's spelling of a transliterated name) of a name;
    None when nothing of it is left to check."""
    checked = [_part_status(p, name.kind, cited) for p in name.parts]
    parts = list(name.parts)
    if name.soft_first and checked[0][0] != "supported":
        parts, checked = parts[1:], checked[1:]
    if not parts:
        return None
    surface = name.surface if len(parts) == len(name.parts) else " ".join(parts)
    statuses = [status for status, _ in checked]
    for status in ("unsupported", "unverifiable"):
        if status in statuses:
            return surface, status, None
    shown = " ".join(dict.fromkeys(s for _, s in checked if s))
    return surface, "supported", shown or None


# ---- the check -----------------------------------------------------------------------------

@dataclass
class ClaimCheck:
    """Outcome of checking one sentence against its cited passages."""

    ok: bool
    unsupported: list[str]  # claims no cited passage states
    unverifiable: list[str]  # names no cited passage could show (other script, no transliteration)
    claims: list[str]  # every claim checked, in order
    spellings: dict[str, str] = field(default_factory=dict)  # transliterated name → the source's spelling
    yearless: list[str] = field(default_factory=list)  # dates given without the year their source states
    kinds: dict[str, str] = field(default_factory=dict)  # claim → "date", "number" or "name"

    @property
    def supported(self) -> list[str]:
        return [c for c in self.claims if c not in self.unsupported and c not in self.unverifiable]


@lru_cache(maxsize=1024)
def _mentions(sentence_text: str) -> tuple[tuple, tuple, tuple]:
    """The dates, numbers and names ``sentence_text`` states (a question is checked against
    each of its candidate passages: parsed once)."""
    text = _norm(strip_markers(sentence_text))
    return _find_dates(text, None), tuple(_number_claims(text)), tuple(_find_names(text))


def check_sentence(sentence_text: str, cited: list[Passage]) -> ClaimCheck:
    """Check every date, number and name of ``sentence_text`` against the ``cited`` passages."""
    dates, numbers, names = _mentions(sentence_text)
    facts = [_facts(p.text, p.date) for p in cited]
    known_dates = {d for f in facts for d in f.dates}
    known_numbers = {n for f in facts for n in f.numbers}
    results: list[tuple[str, str, str]] = []  # (surface, verdict, kind)
    spellings: dict[str, str] = {}
    for mention in dates:
        supported = all(_date_supported(v, known_dates) or (v[1] is None and Decimal(v[0]) in known_numbers)
                        for v in mention.values)  # a bare year may also be a count ("2000 participants")
        results.append((mention.surface, "supported" if supported else "unsupported", "date"))
    for surface, value in numbers:
        results.append((surface, "supported" if value in known_numbers else "unsupported", "number"))
    for name in names:
        status = _name_status(name, facts)
        if status:
            surface, verdict, shown = status
            results.append((surface, verdict, "name"))
            if shown:
                spellings[surface] = shown
    kinds: dict[str, str] = {}
    for surface, _, kind in results:
        kinds.setdefault(surface, kind)
    unsupported = list(dict.fromkeys(s for s, status, _ in results if status == "unsupported"))
    unverifiable = list(dict.fromkeys(s for s, status, _ in results if status == "unverifiable"))
    return ClaimCheck(ok=not unsupported, claims=list(kinds), unsupported=unsupported, unverifiable=unverifiable,
                      spellings=spellings, yearless=_yearless(dates, known_dates), kinds=kinds)


def _yearless(dates: tuple[_DateMention, ...], known: set[Date]) -> list[str]:
    """Day-and-month dates of a sentence that names no year at all, where a cited passage gives
    that day with its year: "16 сентября" for "16 сентября 2025 года" cannot tell a reader of a
    decades-long archive which year it was. ("from August 5 to August 8, 2025" names one.)"""
    if any(v[0] is not None for m in dates for v in m.values):
        return []
    return [m.surface.rstrip(".,") for m in dates
            if any(v[2] is not None and k[0] is not None and k[1:] == v[1:] for v in m.values for k in known)]


def new_to(claim: str, question: str) -> bool:
    """Does ``claim`` say something the question does not? A word counts as given when the
    question holds it, or its stem (the word less a short inflected ending): "Германии"
    is in a question about "Германию", "2024 год" in one about "2024 году"."""
    c, q = fold(claim), fold(question)
    if c in q:
        return False
    words = re.findall(r"\w+", c)
    return not all(w[: max(4, len(w) - 3)] in q for w in words)
