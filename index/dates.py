"""Dates written in documents: a day (numeric, 年月日, Russian and English month names, Japanese
era years converted by ja-timex), a month of a year (dateparser), where a date lies in a line, and
whether a line is a dateline (a date, perhaps with where and when it was issued)."""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata

_MONTHS = (("jan", 1), ("feb", 2), ("mar", 3), ("apr", 4), ("may", 5), ("jun", 6), ("jul", 7),
           ("aug", 8), ("sep", 9), ("oct", 10), ("nov", 11), ("dec", 12),
           ("янв", 1), ("фев", 2), ("мар", 3), ("апр", 4), ("май", 5), ("мая", 5), ("июн", 6),
           ("июл", 7), ("авг", 8), ("сен", 9), ("окт", 10), ("ноя", 11), ("дек", 12))
_DATE_FORMS = (
    (re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})"), ("y", "m", "d")),
    (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})"), ("d", "m", "y")),
    (re.compile(r"(\d{1,2})\s+([^\W\d_]{3,})\.?,?\s+(\d{4})"), ("d", "name", "y")),
    (re.compile(r"([^\W\d_]{3,})\.?\s+(\d{1,2}),?\s+(\d{4})"), ("name", "d", "y")),
)


# a Japanese era year (平成27年, 令和元年): ja-timex converts it (``_era_dates``)
_ERA_DATE = re.compile(r"(?:明治|大正|昭和|平成|令和)\s*(?:元|\d{1,2})\s*年"
                       r"(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?")


def parse_date(text: str) -> str:
    """ISO ``YYYY-MM-DD`` of the first date written in ``text`` (numeric, 年月日, ru/en month
    names, Japanese era years); "" when it gives none, or no day."""
    text = unicodedata.normalize("NFKC", text)
    for pattern, order in _DATE_FORMS:
        for match in pattern.finditer(text):
            parts = dict(zip(order, match.groups()))
            month = _month_number(parts["name"]) if "name" in parts else int(parts["m"])
            try:
                return datetime.date(int(parts["y"]), month, int(parts["d"])).isoformat()
            except ValueError:
                continue
    era = _ERA_DATE.search(text)
    return next((v for v in _era_dates(era.group()) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v)), "") if era else ""


def date_span(text: str) -> tuple[int, int] | None:
    """Where the first date ``parse_date`` would read (a day, a month or an era year) lies in ``text`` (NFKC)."""
    spans = [m.span() for pattern, _ in _DATE_FORMS for m in pattern.finditer(text)]
    spans += [m.span() for m in _ERA_DATE.finditer(text)]
    return min(spans) if spans else None


def _era_dates(text: str) -> list[str]:
    """The dates ja-timex reads in Japanese ``text``, era years converted: "2015-11-02" for
    平成27年11月2日, "2001-05-XX" for 平成13年5月 (each caller takes the form it reads)."""
    from ja_timex import TimexParser

    # a parser per call, as rag/claims.py does: one costs a microsecond, and its parse keeps state
    return [t.value for t in TimexParser(reference=None).parse(text) if t.type == "DATE" and t.value]


def parse_month(text: str) -> str:
    """``YYYY-MM`` of a text that is a month of a year and nothing else ("May 2001", "май 2001
    года", "2001年5月", "平成13年5月": dateparser, and ja-timex for an era year); "" for anything
    else. The year must be written out (four digits or an era year) and the month be a word or
    月: dateparser takes "10.5" and "11 20" for months too. A longer text (a title) is no month, and
    is not handed to dateparser (loaded on first use, 0.8 s; up to 3 ms a call on a long line)."""
    text = unicodedata.normalize("NFKC", text).strip()
    if _ERA_DATE.fullmatch(text):
        return next((v[:7] for v in _era_dates(text) if re.fullmatch(r"\d{4}-\d{2}-XX", v)), "")
    if len(text) > _MONTH_MAX_CHARS or not (re.search(r"\d{4}", text) and re.search(r"[^\W\d_]", text)):
        return ""
    found = _month_parser().get_date_data(text)
    return found.date_obj.strftime("%Y-%m") if found.date_obj and found.period == "month" else ""


_MONTH_MAX_CHARS = 32  # "сентябрь 2001 года", "September 2001 г." and the like, with room to spare


@functools.cache
def _month_parser():
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["en", "ru", "ja"], settings={"REQUIRE_PARTS": ["year", "month"]})


def _month_number(name: str) -> int:
    name = name.lower()
    return next((number for prefix, number in _MONTHS if name.startswith(prefix)), 0)


_DATELINE_MAX_CHARS = 60  # "Washington, D.C., March 3, 2021 (Reuters)" with room to spare; a sentence is longer
_DATE_TAIL_MAX_CHARS = 4  # what a date's own words leave after it: "года", "г.", "日"
_TIME = re.compile(r"\d{1,2}:\d{2}")


def is_dateline(line: str) -> bool:
    """Whether ``line`` is a dateline: a date (``parse_date``'s or a month's) and nothing else,
    or with where it was issued and when ("Москва, 14 марта 2024 года", "9 июня 2017 года,
    Астана", "2 October 2024, 14:00, Ashgabat"): beside the date only comma-parted times and
    names of a few capitalised words. A sentence that holds a date is no dateline."""
    line = unicodedata.normalize("NFKC", line)
    span = date_span(line) if len(line) <= _DATELINE_MAX_CHARS else None
    if span is None:
        return False
    start, end = span
    before, after = re.split(r"[,、，]", line[:start]), re.split(r"[,、，]", line[end:])
    if len(after[0].strip()) <= _DATE_TAIL_MAX_CHARS:
        after[0] = ""  # the date's own tail ("2024 года"), not a piece beside it
    if before[-1].strip() or after[0].strip():
        return False  # words run into the date: a title or a sentence ("Выборы 14 марта 2024 года")
    for piece in before + after:
        words = _TIME.sub("", piece).strip(" ()[]–—-").split()
        if len(words) > 3 or any(not next((c.isupper() for c in w if c.isalpha()), False) for w in words):
            return False
    return True
