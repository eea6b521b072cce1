"""Questions about a document's publisher: recognised, and answered from its source line."""

from __future__ import annotations

import pytest

from index.document import Passage
from rag.provenance import asks_for_source, documents_in_order, language_named, source_line


@pytest.mark.parametrize("question", [
    "Which news outlet published the report on the summit?",
    "Who published this article?",
    "Какое издание опубликовало статью о форуме?",
    "Какой источник указан для текста заявления?",
    "この文書の出典はどこですか？",
    "どの通信社がこの記事を配信しましたか？",
])
def test_publisher_questions_are_recognised(question):
    assert asks_for_source(question)


@pytest.mark.parametrize("question", [
    "Who published the novel that the minister quoted?",  # a publisher, not of the document
    "ラオスで発刊される全ての新聞の発行元はどこか？",
    "Which company won the contract?",
    "Кто подписал соглашение?",
])
def test_other_questions_are_not(question):
    assert not asks_for_source(question)


def test_the_language_a_question_names():
    assert language_named("Which outlet published the Russian-language report?") == "ru"
    assert language_named("ロシア語記事の出典はどこですか？") == "ru"
    assert language_named("Какой источник указан для японского текста?") == "ja"
    assert language_named("Who published this report?") is None


def _passage(pid: str, text: str, source: str, lang: str = "ru") -> Passage:
    return Passage(id=pid, doc_id=pid.split("#")[0], doc="d.txt", n=0, text=text, start=0, end=len(text),
                   source=source, lang=lang)


def test_source_line_is_the_line_holding_the_source():
    header = _passage("a#p0", "Title line\n[出典] Agency X\n[備考] note", "Agency X")
    assert source_line(header) == "[出典] Agency X"
    assert source_line(_passage("a#p3", "A body paragraph.", "Agency X")) is None
    assert source_line(_passage("a#p0", "Title line\nmore", "")) is None


def test_documents_in_rank_order_and_named_language():
    ps = [_passage("b#p1", "x", "", "ja"), _passage("a#p2", "x", ""), _passage("b#p4", "x", "", "ja")]
    assert documents_in_order(ps, None) == ["b", "a"]
    assert documents_in_order(ps, "ru") == ["a"]
