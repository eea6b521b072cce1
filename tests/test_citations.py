"""Citation markers in generated answers: sentence splitting, parsing, validation and rendering."""

from __future__ import annotations

import pytest

from rag.citations import CitedSentence, map_markers, parse_markers, render_answer, split_sentences, strip_markers


def test_japanese_sentences_keep_markers_placed_after_the_full_stop():
    answer = ("条約は2025年11月27日に発効した。[1]双方は「中央アジア+日本」対話の枠組みにおける協力を"
              "更に強化することで一致した［２］。日本側は30周年を祝した。【1】【3】")
    assert split_sentences(answer) == [
        "条約は2025年11月27日に発効した。[1]",
        "双方は「中央アジア+日本」対話の枠組みにおける協力を更に強化することで一致した［２］。",
        "日本側は30周年を祝した。【1】【3】",
    ]


def test_full_stop_inside_quotes_does_not_end_a_japanese_sentence():
    answer = "日本側は「同行事の成功裏の開催に向けて協力する。」と述べた。[2]"
    assert split_sentences(answer) == [answer]


def test_english_markers_before_or_after_the_final_punctuation_belong_to_that_sentence():
    answer = ("The tax treaty entered into force on 27 November 2025. [1] "
              "The second dialogue took place in Tokyo in 2025 [2]. Mr. Muto chaired it [2, 3].")
    assert split_sentences(answer) == [
        "The tax treaty entered into force on 27 November 2025. [1]",
        "The second dialogue took place in Tokyo in 2025 [2].",
        "Mr. Muto chaired it [2, 3].",
    ]


def test_russian_abbreviated_year_and_decimals_do_not_end_sentences():
    answer = ("16 сентября 2025 г. в Токио состоялся второй диалог [1]. "
              "Объём финансирования составил 1.5 млрд долларов [2]. Ёдзи Муто представил дорожную карту.[1]")
    assert split_sentences(answer) == [
        "16 сентября 2025 г. в Токио состоялся второй диалог [1].",
        "Объём финансирования составил 1.5 млрд долларов [2].",
        "Ёдзи Муто представил дорожную карту.[1]",
    ]


def test_list_items_are_sentences_and_their_numbers_stay_with_them():
    answer = "1. The treaty entered into force in November 2025 [1]\n2. The plant contract was signed [2]"
    assert split_sentences(answer) == ["1. The treaty entered into force in November 2025 [1]",
                                       "2. The plant contract was signed [2]"]


@pytest.mark.parametrize("sentence, expected", [
    ("発効した。[1]", [1]),
    ("in 2025 [1][2].", [1, 2]),
    ("in 2025 [1, 2].", [1, 2]),
    ("in 2025 [1,2].", [1, 2]),
    ("一致した［１］［３］。", [1, 3]),
    ("一致した【2】。", [2]),
    ("一致した[1、2]。", [1, 2]),
    ("repeated [2] and again [2][1].", [2, 1]),
    ("no markers, but a year 2025 and a list (1, 2).", []),
])
def test_parse_markers_reads_every_notation(sentence, expected):
    assert parse_markers(sentence) == expected


def test_strip_markers_leaves_clean_text():
    cleaned = strip_markers("The treaty [1] entered into force in 2025 [2][3].")
    assert cleaned == "The treaty entered into force in 2025."
    assert strip_markers("発効した［１］。【2】") == "発効した。"


def test_invalid_markers_are_dropped_and_reported():
    answer = ("The treaty entered into force on 27 November 2025 [1][7]. "
              "Ashgabat hosted an international forum in December [0]. GOSAT satellites are used [4].")
    sentences, invalid = map_markers(answer, n_passages=4)
    assert invalid == [7, 0]
    assert sentences == [
        CitedSentence("The treaty entered into force on 27 November 2025.", [1]),
        CitedSentence("Ashgabat hosted an international forum in December.", []),
        CitedSentence("GOSAT satellites are used.", [4]),
    ]


def test_markers_alone_on_the_next_line_attach_to_the_previous_sentence():
    sentences, invalid = map_markers("The forum took place in Ashgabat.\n[2][3]", n_passages=3)
    assert invalid == []
    assert [(s.text, s.markers) for s in sentences] == [("The forum took place in Ashgabat.", [2, 3])]


def test_render_normalises_markers_per_language():
    sentences, _ = map_markers(
        "条約は2025年11月27日に発効した［１］。双方は一致した。【1】【2】 It entered into force in 2025 [1, 2].", 2)
    assert render_answer(sentences) == "条約は2025年11月27日に発効した。[1]双方は一致した。[1][2] It entered into force in 2025. [1][2]"


def test_render_keeps_line_breaks_between_list_items():
    answer = "- The treaty entered into force in 2025 [1, 2]\n- The contract was signed in July【2】"
    sentences, _ = map_markers(answer, 2)
    assert render_answer(sentences) == "- The treaty entered into force in 2025 [1][2]\n- The contract was signed in July [2]"
