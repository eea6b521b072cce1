"""Does a source sentence answer the question at all? The extractive answer's abstention test.

Retrieval similarity cannot tell a near miss ("who signed the agreement?" when the corpus only
says it entered into force) from a hit: both find the same paragraph. Two checks can, without
an LLM: the kind of answer the question asks for (a date, a person, an amount, an
organisation, a place, a named event, what was discussed) must be present in the quoted
sentence, and every number, ordinal and date of the question ("the third summit", "G20", "the
April 2024 visit") must appear in the cited passage (``passage_mismatch``), and so must its names
(``names_missing``); a passage counts its document's title, and for numbers its document's
opening paragraph. `rag.extractive.choose_quotes` applies them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from decimal import Decimal
from functools import lru_cache

from index.document import Passage
from index.sentences import split_sentences
from index.analyzers import japanese_proper_nouns
from rag.claims import (_date_supported, _passage_numbers, extract_dates, extract_numbers, unspelt_in,
                        unsupported_names)
from rag.entities import entity_kinds

# expected answer kinds, by question words in en / ru / ja (checked in this order)
_KINDS: list[tuple[str, re.Pattern]] = [
    ("amount", re.compile(
        r"\bhow (many|much)\b|\b(value|amount|cost|price|capacity|output|worth)\b"
        r"|сколько|стоимост|сумм|мощност|объ[её]м|"
        r"いくら|何人|いくつ|金額|価格|能力|規模|どのくらい|どれくらい|何トン", re.IGNORECASE)),
    ("date", re.compile(
        r"\bwhen\b|\bwhat (year|date|month|day)\b|\bwhich (year|date|month|day)\b|\bsince when\b"
        r"|когда|в каком (году|месяце)|какого числа|какой даты|"
        r"いつ|何年|何月|何日|日付", re.IGNORECASE)),
    ("org", re.compile(
        r"\bwhich (\w+ )?(company|companies|firm|airline|organi[sz]ation|agency|bank|institution"
        r"|outlet|newspaper|publication|publisher)\b"
        r"|как(ая|ую|ое|ие|ой|ого|ом|их) (\w+ )?(компани|авиакомпани|организаци|фирм|банк|учреждени|ведомств"
        r"|издани|газет|агентств)|"
        r"どの企業|どこの企業|企業はどこ|どの会社|会社はどこ|航空会社|どの組織|どの機関", re.IGNORECASE)),
    ("event", re.compile(
        r"\b(which|what) (\w+ )?(meeting|event|summit|conference|forum|exhibition|expo|fair|festival"
        r"|dialogue|session)s?\b|\bon the sidelines of\b"
        r"|как(ой|ого|ую|ое|ом|ая|их|ие) (\w+ )?(встреч|мероприяти|саммит|конференци|форум|выставк|диалог"
        r"|совещани|сесси|фестивал)|на полях|"
        r"(どの|何の|どのような|どんな)(国際)?(会合|会議|イベント|行事|催し|博覧会|サミット|フォーラム|大会|対話)",
        re.IGNORECASE)),
    ("person", re.compile(
        r"\bwho(m|se)?\b|\bкто\b|\bкого\b|\bкем\b|\bкому\b|誰|だれ|どなた", re.IGNORECASE)),
    ("place", re.compile(
        r"\bwhere\b|\bin which (city|country|town|region)\b|\bwhich (city|country|town)\b"
        r"|\bгде\b|в каком (городе|месте|регионе)|куда|どこ|どの都市|都市|場所", re.IGNORECASE)),
    # what a meeting was about: answered by a sentence saying what was discussed or in focus
    ("topic", re.compile(
        r"\b(main|key|principal|central) (topics?|issues|subjects|themes|focus)\b"
        r"|\bwhat (topics?|issues|subjects|themes|matters) (were|was|did)\b"
        r"|\bwhat (was|were) (discussed|addressed|on the agenda|the focus)\b"
        r"|\bwhat did \w+( \w+){0,5} (discuss|focus on|talk about)\b"
        r"|(основное|главное|особое) внимание|что (\w+ )?обсу(жда|ди)"
        r"|как\w* (\w+ )?(вопрос|тем|проблем)\w* (\w+ )?(уделен|обсужд|обсуд|рассм|затр[оа]г|подн[яи])|"
        r"(どのような|どんな|何の)(問題|議題|テーマ|課題|話題)が(主に)?(取り上げ|議論|話し合|協議|焦点)"
        r"|何が(主に)?(議論|話し合|協議|取り上げ)|何について(議論|話し合|協議|意見)", re.IGNORECASE)),
]


def expected_kind(question: str) -> str | None:
    for kind, pattern in _KINDS:
        if pattern.search(question):
            return kind
    return None


# an event is named: a quoted or bracketed name next to an event noun (or holding one), an event
# noun before a Latin name ("саммит G20"), a compound ending in a head only used of named events
# ("…万博"), or capitalised words before an event noun ("Nordic Energy Summit")
_EVENT_NOUN = (r"(?i:会合|会議|サミット|フォーラム|博覧会|万博|EXPO|対話|大会|シンポジウム|イベント"
               r"|встреч|саммит|форум|конференци|выставк|диалог|совещани|сесси|фестивал"
               r"|meeting|summit|forum|conference|expo|exhibition|dialogue|session|festival|fair)")
_NAMED_EVENT = re.compile(
    r"[「『«“\"][^」』»”\"]{2,80}[」』»”\"][^、。,.;:]{0,20}?" + _EVENT_NOUN
    + r"|[「『«“\"][^」』»”\"]{0,80}" + _EVENT_NOUN + r"[^」』»”\"]{0,40}[」』»”\"]"
    r"|" + _EVENT_NOUN + r"\w*\s*(?:[「『«“\"]|[A-Z0-9]{2,})"
    r"|[\u30A0-\u30FF\u4E00-\u9FFFA-Za-z0-9・+×]{2,}(万博|博覧会|EXPO|五輪|オリンピック)"
    r"|(?:[A-Z][\w-]*\s){1,5}(Summit|Forum|Conference|Expo|Exhibition|Dialogue|Festival|Games)\b")


# a sentence saying what was discussed or in focus (the answer to a "topic" question)
_DISCUSSION = re.compile(
    r"\b(discuss\w*|focus\w*|attention|agenda|talks (on|about)|exchanged (views|opinions)|addressed"
    r"|cent(re|er)d on|deliberat\w*)\b"
    r"|обсу(жд|ди)|внимани|рассм[оа]тр|обмен\w* мнени|повестк|реч[ьи] шл|в центре|затрон|"
    r"議論|協議|意見交換|取り上げ|話し合|焦点|重点|議題|討議", re.IGNORECASE)


def _has_kind(kind: str, sentence: str, ref_date: str | None) -> bool:
    if kind == "topic":
        return bool(_DISCUSSION.search(sentence))
    if kind == "event":
        return bool(_NAMED_EVENT.search(unicodedata.normalize("NFKC", sentence)))
    if kind == "date":
        return bool(extract_dates(sentence, ref_date))
    if kind == "amount":
        return bool(extract_numbers(sentence))
    found = entity_kinds(sentence)
    # "where" is also asked of organisations (Japanese どこ: "which concern does he head?")
    return kind in found or (kind == "place" and "org" in found)


_ORDINALS = re.compile(
    r"\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)\b"
    r"|\b(перв|втор|трет|четв[её]рт|пят|шест|седьм|восьм|девят|десят)(ый|ой|ий|ая|ое|ые|ых|ым|ыми|ого|ому|ом|ую|ей"
    r"|ья|ье|ьи|ью|ьего|ьему|ьим|ьими|ьем|ьей|ьих)\b",
    re.IGNORECASE)
_DIGITS = re.compile(r"\d+")


def question_numbers(question: str) -> set[Decimal]:
    """Digit runs and ordinal words of the question ("the third summit", "G20", "2019");
    cardinal words such as "two sides" or "both" are not constraints."""
    text = unicodedata.normalize("NFKC", question)
    found = {Decimal(d) for d in _DIGITS.findall(text)}
    for match in _ORDINALS.finditer(text):
        found |= _passage_numbers(match.group(0))
    return found


def missing_numbers(question: str, passage_text: str) -> list[str]:
    """Numbers and ordinals of the question that the passage does not contain."""
    text = unicodedata.normalize("NFKC", passage_text)
    have = _passage_numbers(text) | {Decimal(d) for d in _DIGITS.findall(text)}
    return sorted(str(n) for n in question_numbers(question) - have)


def _root_in(name: str, text: str) -> bool:
    """Whether a word of ``text`` shares the root of a one-word ``name``: a question about a
    country may be answered by a passage naming something called after it ("Норвегия",
    "«Норвегнефть»"). The root is the name less up to five final letters, at least five kept."""
    if " " in name or len(name) < 5:
        return False
    root = name[: max(5, len(name) - 5)].casefold()
    return any(word.casefold().startswith(root) for word in re.findall(r"\w+", text))


_KATAKANA_WORD = re.compile(r"[ァ-ヺー・]+")


@lru_cache(maxsize=256)
def _katakana_places_and_persons(question: str) -> tuple[str, ...]:
    """Places and persons the question writes in katakana (UniDic's proper nouns; loanwords
    such as コンツェルン are common nouns and left out): a Russian passage that answers a
    question about カナダ names Канада."""
    return tuple(surface for surface, kind in japanese_proper_nouns(question)
                 if kind in ("地名", "人名") and _KATAKANA_WORD.fullmatch(surface))


def document_scope(passage: Passage, opening: str = "") -> str:
    """The text a passage stands for: its own, its document's title (names and numbers: under
    "The Nordic Energy Forum", a paragraph need not repeat the name) and, when given, its
    document's opening paragraph (numbers: a report opening "the third forum was held in
    Bergen on…" is about the third forum throughout, and its paragraph on what was discussed
    need not repeat "third")."""
    return "\n".join(part for part in (passage.title, opening, passage.text) if part)


def passage_mismatch(question: str, passage: Passage, opening: str = "") -> str | None:
    """None when the passage holds the numbers and dates of the question (the instance asked
    about: "the third dialogue", "the April 2025 visit"), its numbers in its
    ``document_scope`` (``opening``: its document's opening paragraph); else what it lacks."""
    passage_dates = set(extract_dates(passage.text, passage.date))
    years = {str(d[0]) for d in passage_dates if d[0] is not None}  # 本年 counts as the document's year
    missing = [n for n in missing_numbers(question, document_scope(passage, opening)) if n not in years]
    if missing:
        return f"the sources do not mention {', '.join(missing)} from the question"
    # a date the question gives ("the April 2025 visit") must be a date of the passage
    absent_dates = [d for d in extract_dates(question)  # a bare year is a number, checked above
                    if d[1] is not None and not _date_supported(d, passage_dates)]
    if absent_dates:
        shown = ", ".join("-".join(str(p) for p in d if p is not None) for d in absent_dates)
        return f"the source does not mention the date {shown} from the question"
    return None


def names_missing(question: str, passage: Passage) -> str | None:
    """None when the passage names what the question names (in its script, or spelt across
    scripts for katakana places and persons); else the names it lacks: it is about someone
    or somewhere else. The passage's ``document_scope`` counts: its document's title too."""
    scope = replace(passage, text=document_scope(passage))
    # sentence by sentence: a capitalised first word ("Any images?") is no name
    absent = [name for part in split_sentences(question) for name in unsupported_names(part, [scope])
              if not _root_in(name, scope.text)] + unspelt_in(list(_katakana_places_and_persons(question)), scope)
    if absent:  # it could name them and does not
        return f"the source does not mention {', '.join(absent)} from the question"
    return None


def lacks_answer(question: str, sentence: str, passage: Passage) -> str | None:
    """None when the sentence holds the kind of answer the question asks for (a date for
    "when", a person for "who"…) or the question asks for none; else the reason."""
    kind = expected_kind(question)
    if kind and not _has_kind(kind, sentence, passage.date):
        return f"the best source sentence contains no {kind}"
    return None
