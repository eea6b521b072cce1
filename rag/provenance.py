"""Questions about where a document comes from, answered from its metadata.

"Which outlet published the report on …?", "出典はどこですか？", "Какое издание опубликовало …?"
ask for a document's ``source`` field, which the reader took from a header block ("[出典] …")
or a trailing source line ("///publisher, date"). Those lines are passages of their own
(`index.passages.outside_body`), so the answer can quote and cite the very line the field was
read from. Sentence similarity cannot find it (a source line shares no words with the
question); the document can: it is the one retrieval ranks first for the rest of the
question: among the few documents retrieval ranks first (in the language the question names:
"the Russian-language report"), the one whose opening paragraph is closest to the question.
A press release that mentions an event in passing loses to the article whose lead is about it.
"""

from __future__ import annotations

import re

from index.document import Passage

# asked of a document ("which outlet published the report"), not of something it mentions
# ("who published the novel"): a publisher word and a word for the document, or 出典 and kin alone
_PUBLISHER_ASKED = re.compile(
    r"\bwho (published|issued|released|put out)\b|\b(which|what) (\w+ )?(outlet|publication|publisher"
    r"|newspaper|news agency|media)\b|\b(source|publisher)s? of\b|\bwhere (was|is) .{0,60}\bpublished\b"
    r"|источник|издани|газет|агентств|\bсми\b|портал|кто (опубликовал|выпустил)"
    r"|どこが|どの(媒体|メディア|新聞|通信社|機関|報道機関)|発行|発信|配信|掲載",
    re.IGNORECASE)
_DOCUMENT_NAMED = re.compile(
    r"\b(article|report|document|text|press release|statement|news|story|this)\b"
    r"|стать|сообщени|документ|материал|новост|текст|заявлени|пресс-релиз|публикаци|репортаж"
    r"|記事|文書|資料|プレスリリース|報道|声明|ニュース|テキスト",
    re.IGNORECASE)
_SOURCE_FIELD_NAMED = re.compile(r"出典|掲載元|配信元")

# the document language a question names: "the Russian-language article", "ロシア語の記事"
_LANGUAGE_NAMED = {
    "ru": re.compile(r"\brussian[- ]language\b|\bin russian\b|\brussian (text|version)|русскоязычн|на русском"
                     r"|русск\w+ (текст|верси)|ロシア語", re.IGNORECASE),
    "ja": re.compile(r"\bjapanese[- ]language\b|\bin japanese\b|\bjapanese (text|version)|японоязычн|на японском"
                     r"|японск\w+ (текст|верси)|日本語", re.IGNORECASE),
    "en": re.compile(r"\benglish[- ]language\b|\bin english\b|\benglish (text|version)|англоязычн|на английском"
                     r"|английск\w+ (текст|верси)|英語", re.IGNORECASE),
}


def asks_for_source(question: str) -> bool:
    """Does the question ask who published or issued a document?"""
    return bool(_SOURCE_FIELD_NAMED.search(question)
                or (_PUBLISHER_ASKED.search(question) and _DOCUMENT_NAMED.search(question)))


def language_named(question: str) -> str | None:
    """The language of the documents the question is about, when it names one."""
    for lang, pattern in _LANGUAGE_NAMED.items():
        if pattern.search(question):
            return lang
    return None


def source_line(passage: Passage) -> str | None:
    """The line of a header or trailer passage that gives the document's source, if it has one."""
    if not passage.source:
        return None
    for line in passage.text.splitlines():
        if passage.source in line:
            return line.strip()
    return None


def documents_in_order(passages: list[Passage], lang: str | None) -> list[str]:
    """Document IDs in the order their best passage ranks, in the named language if any."""
    return list(dict.fromkeys(p.doc_id for p in passages if lang is None or p.lang == lang))


def opening_passage(passage_ids: list[str]) -> str | None:
    """A document's first body passage (after a header block, ``#p0``): what it is about."""
    return next((pid for pid in passage_ids if not pid.endswith("#p0")), None)
