"""The project's one sentence splitter (blingfire with generic repairs): boundaries and offsets."""

from __future__ import annotations

import random
import re

import pytest

from index.sentence_split import sentence_spans, split_sentences


@pytest.mark.parametrize("text, expected", [
    ("条約が発効した。双方は歓迎した。", ["条約が発効した。", "双方は歓迎した。"]),
    ("Встреча прошла 16 сентября. Её вёл Муто.", ["Встреча прошла 16 сентября.", "Её вёл Муто."]),
    # initials, abbreviations and titles stay inside their sentence
    ("Министр С.В.Лавров провёл переговоры в Москве. Стороны обсудили договор, т.е. меморандум 2019 г. о сотрудничестве.",
     ["Министр С.В.Лавров провёл переговоры в Москве.",
      "Стороны обсудили договор, т.е. меморандум 2019 г. о сотрудничестве."]),
    ("At 8:20 a.m. (local time) Mr. Kishida met H.E. Mr. Sadyr Zhaparov. The U.S. side was absent.",
     ["At 8:20 a.m. (local time) Mr. Kishida met H.E. Mr. Sadyr Zhaparov.", "The U.S. side was absent."]),
    ("The meeting ended in 2025. Mr. Muto chaired it.", ["The meeting ended in 2025.", "Mr. Muto chaired it."]),
    # a quotation of several sentences is part of the sentence that quotes it
    ("彼は「私は故郷がない人間だ。全世界の国民の間ではユダヤ人として」と語った。次の文。",
     ["彼は「私は故郷がない人間だ。全世界の国民の間ではユダヤ人として」と語った。", "次の文。"]),
    ("マーラーは「こんな小僧は二度と呼ぶな！」とアルマに言った。", ["マーラーは「こんな小僧は二度と呼ぶな！」とアルマに言った。"]),
    ("«Это так. И это тоже», — сказал он. Он ушёл.", ["«Это так. И это тоже», — сказал он.", "Он ушёл."]),
    # a line break ends a sentence; a list number stays with its item
    ("[文書名] 共同声明\n[年月日] 2017年3月29日", ["[文書名] 共同声明", "[年月日] 2017年3月29日"]),
    ("1. Opening remarks\n2. Bilateral relations", ["1. Opening remarks", "2. Bilateral relations"]),
    ("", []),
    (" \n\n ", []),
])
def test_sentences(text, expected):
    assert split_sentences(text) == expected


def test_spans_are_offsets_into_the_text_and_cover_every_word():
    text = "  Первое предложение. Второе 😀 предложение!\n\n条約が発効した。 Third one?  "
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["Первое предложение.", "Второе 😀 предложение!", "条約が発効した。",
                                             "Third one?"]
    assert all(a < b <= c for (a, b), (c, _) in zip(spans, spans[1:]))


def test_trailing_pattern_closes_the_sentence_before():
    markers = re.compile(r"(?:\s*\[\d+\])+")
    text = "It was signed. [1] Then ratified [2]. Done.[3][4]"
    assert [text[a:b] for a, b in sentence_spans(text, trailing=markers)] == [
        "It was signed. [1]", "Then ratified [2].", "Done.[3][4]"]
    text = "発効した。[1]次の文です。[2]"
    assert [text[a:b] for a, b in sentence_spans(text, trailing=markers)] == ["発効した。[1]", "次の文です。[2]"]
    assert [text[a:b] for a, b in sentence_spans(text)] == ["発効した。", "[1]次の文です。[2]"]


def test_every_character_lies_in_exactly_one_sentence():
    """Random texts from pieces that trigger every repair: nothing is lost, nothing overlaps."""
    pieces = ["Mr.", " Smith", ". ", "!", "?", "。", "「", "」", "と述べた", "(", ")", "«", "»", " [1]", "[2]",
              "1.", " 2000 г.", "\n", " ", "x", "Он ушёл", "条約"]
    markers = re.compile(r"(?:\s*\[\d+\])+")
    rng = random.Random(0)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        for trailing in (None, markers):
            spans = sentence_spans(text, trailing)
            assert all(b <= c for (_, b), (c, _) in zip(spans, spans[1:])), text
            covered = {i for a, b in spans for i in range(a, b)}
            assert all(i in covered for i, ch in enumerate(text) if not ch.isspace()), text
            assert all(text[a:b] == text[a:b].strip() and b > a for a, b in spans), text
