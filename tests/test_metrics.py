"""Eval metrics on small hand-computed cases."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from eval.metrics import (
    ItemOutcome,
    Ratio,
    Span,
    abstention_rate,
    answer_accuracy,
    answer_language_rate,
    quote_only_rate,
    quotes_per_answer,
    right_when,
    by_group,
    citation_precision,
    citation_recall,
    first_support_rank,
    lang_pairs,
    mrr_at_k,
    outcome_kind,
    question_lang,
    recall_at_k,
    summarize,
    supports,
    wrong_abstention_rate,
)

EVIDENCE = [("a.txt", 100, 120)]
HIT = ("a.txt", 110, 130)
MISS = ("a.txt", 0, 50)


def outcome(
    id: str = "q",
    qlang: str = "en",
    source_langs: frozenset[str] = frozenset({"ja"}),
    answerable: bool = True,
    ranked: Sequence[Span] = (),
    cited: Sequence[Span] = (),
    answer: str = "",
    abstained: bool = False,
    answers: Sequence[str] = ("27 November 2025",),
    evidence: Sequence[Span] = tuple(EVIDENCE),
    in_language: bool = True,
    quote_only: bool = False,
    quotes: int = 0,
    list_items: int = 0,
    list_found: int = 0,
    unsure: bool = False,
) -> ItemOutcome:
    """An outcome with the defaults of an answerable English question about a Japanese document."""
    if not answerable:
        source_langs, answers, evidence = frozenset(), (), ()
    return ItemOutcome(
        id=id, qlang=qlang, source_langs=source_langs, answerable=answerable, ranked_spans=list(ranked),
        cited_spans=list(cited), answer=answer, abstained=abstained, answers=list(answers),
        evidence_spans=list(evidence), in_question_language=in_language, quote_only=quote_only, quotes=quotes,
        list_items=list_items, list_found=list_found, unsure=unsure,
    )


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        (("d", 0, 5), False),  # [0,5) touches [5,9) but shares no character
        (("d", 9, 12), False),  # touches on the other side
        (("d", 4, 6), True),
        (("d", 6, 7), True),  # inside
        (("d", 0, 20), True),  # contains
        (("d", 6, 6), False),  # empty span
        (("other", 5, 9), False),  # same offsets, different document
    ],
)
def test_supports_uses_half_open_overlap_in_the_same_document(span, expected):
    assert supports(span, [("d", 5, 9)]) is expected


def test_supports_checks_every_evidence_span():
    assert supports(("b", 3, 4), [("a", 0, 10), ("b", 0, 5)])
    assert not supports(("b", 3, 4), [])


def test_first_support_rank():
    assert first_support_rank(outcome(ranked=[MISS, MISS, HIT, HIT])) == 3
    assert first_support_rank(outcome(ranked=[MISS])) is None
    assert first_support_rank(outcome(ranked=[])) is None


def test_recall_at_k_counts_answerable_items_only():
    items = [
        outcome("a", ranked=[HIT]),
        outcome("b", ranked=[MISS, MISS, HIT]),
        outcome("c", ranked=[MISS] * 10 + [HIT]),
        outcome("d", ranked=[MISS]),
        outcome("u", answerable=False, ranked=[HIT]),
    ]
    assert recall_at_k(items, 1) == Ratio(1, 4)
    assert recall_at_k(items, 5) == Ratio(2, 4)
    assert recall_at_k(items, 20) == Ratio(3, 4)


def test_mrr_at_10():
    assert mrr_at_k([outcome(ranked=[MISS, MISS, HIT])]).value == pytest.approx(1 / 3)
    assert mrr_at_k([outcome(ranked=[MISS] * 10 + [HIT])]).value == 0
    assert mrr_at_k([outcome(ranked=[MISS] * 9 + [HIT])]).value == pytest.approx(1 / 10)
    both = mrr_at_k([outcome(ranked=[HIT]), outcome(ranked=[MISS, HIT]), outcome(ranked=[])])
    assert both.num == pytest.approx(1.5) and both.den == 3


def test_ratio_without_denominator_has_no_value():
    assert Ratio(0, 0).value is None
    assert recall_at_k([outcome(answerable=False)], 1) == Ratio(0, 0)


def _counts(entry: dict) -> dict:
    """A metric's entry without its interval (``test_share_carries_its_wilson_interval``)."""
    return {k: v for k, v in entry.items() if k not in ("low", "high")}


def test_share_carries_its_wilson_interval():
    low, high = Ratio(5, 7).interval()  # worked by hand: centre 0.638, half-width 0.279
    assert (low, high) == (pytest.approx(0.359, abs=1e-3), pytest.approx(0.918, abs=1e-3))
    assert Ratio(0, 10).interval() == (0.0, pytest.approx(0.278, abs=1e-3))
    assert Ratio(10, 10).interval() == (pytest.approx(0.722, abs=1e-3), 1.0)
    # the same share of more questions is known more narrowly
    wide, narrow = Ratio(6, 8).interval(), Ratio(1500, 2000).interval()
    assert narrow[1] - narrow[0] < (wide[1] - wide[0]) / 10
    assert Ratio(1500, 2000).as_dict() == {"num": 1500, "den": 2000, "value": 0.75,
                                          "low": pytest.approx(0.7307, abs=1e-4), "high": pytest.approx(0.7684, abs=1e-4)}


def test_what_is_not_a_share_has_no_interval():
    assert Ratio(0, 0).interval() is None
    assert Ratio(1.5, 3).interval() is None  # MRR: a sum of reciprocal ranks
    assert Ratio(7, 3).interval() is None  # quotes per answer: a mean
    assert "low" not in Ratio(1.5, 3).as_dict()
    # a mean whose sum happens to be whole and not above its count is still no share
    assert Ratio(34.0, 36, share=False).interval() is None
    assert Ratio(19, 19, share=False).interval() is None


def test_mrr_and_quotes_per_answer_carry_no_interval():
    items = [outcome("a", ranked=[HIT], quotes=1, quote_only=True),
             outcome("b", ranked=[HIT], quotes=1, quote_only=True)]
    summary = summarize(items)
    assert summary["mrr@10"]["num"] == 2 and "low" not in summary["mrr@10"]
    assert summary["quotes_per_answer"] == {"num": 2, "den": 2, "value": 1.0}


def test_summary_row_shows_counts_and_interval(tmp_path):
    from eval.summary import rows

    run = {"set": "sets/x.jsonl", "split": "heldout", "tuned_on": False, "llm": "none", "answers": {"overall": {
        "n": 7, "abstention": Ratio(5, 7).as_dict(), "quotes_per_answer": Ratio(7, 3).as_dict()}}}
    (tmp_path / "run.json").write_text(json.dumps(run), encoding="utf-8")
    [row] = rows([tmp_path / "run.json"])
    assert "0.714 (5/7, 0.36–0.92)" in row and "2.333 (7/3)" in row and "**held out**" in row


def test_answer_accuracy_normalises_and_counts_abstentions_as_wrong():
    items = [
        outcome("a", answer="It entered into force on 27  NOVEMBER 2025 [1]."),
        outcome("b", answer="Вступила в силу 27 ноября 2025 г.", answers=["27 ноября 2025"]),
        outcome("c", answer="27 November 2025", abstained=True),
        outcome("d", answer="In December 2025."),
        outcome("u", answerable=False, answer="27 November 2025"),
    ]
    assert answer_accuracy(items) == Ratio(2, 4)


def test_answer_accuracy_matches_full_width_forms():
    item = outcome(answer="２０２５年１１月２７日に発効しました。", answers=["2025年11月27日"])
    assert answer_accuracy([item]) == Ratio(1, 1)


def test_citation_precision_is_micro_averaged_and_recall_per_item():
    items = [
        outcome("a", cited=[HIT, MISS, MISS]),  # 1 of 3 citations supports
        outcome("b", cited=[HIT]),  # 1 of 1
        outcome("c", cited=[]),  # no citations: lowers recall, not precision
        outcome("d", cited=[("b.txt", 100, 120)]),  # right offsets, wrong document
        outcome("u", answerable=False, cited=[MISS, MISS]),  # ignored
    ]
    assert citation_precision(items) == Ratio(2, 5)
    assert citation_recall(items) == Ratio(2, 4)


def test_abstention_rates():
    items = [
        outcome("u1", answerable=False, abstained=True),
        outcome("u2", answerable=False, abstained=True),
        outcome("u3", answerable=False, abstained=False),
        outcome("a1", abstained=True),
        outcome("a2"),
        outcome("a3"),
        outcome("a4"),
    ]
    assert abstention_rate(items) == Ratio(2, 3)
    assert wrong_abstention_rate(items) == Ratio(1, 4)


def test_answer_language_counts_every_answered_item():
    items = [outcome(in_language=True), outcome(in_language=False),
             outcome(answerable=False, in_language=False),  # answered an unanswerable item, wrong language
             outcome(abstained=True, in_language=False)]  # abstentions are not answers
    assert answer_language_rate(items) == Ratio(1, 3)


def test_quote_only_answers_are_counted_apart_from_the_answer_language():
    items = [outcome(in_language=True), outcome(in_language=False, quote_only=True),
             outcome(in_language=False, quote_only=True), outcome(abstained=True, quote_only=True)]
    assert answer_language_rate(items) == Ratio(1, 1)
    assert quote_only_rate(items) == Ratio(2, 3)


def test_quotes_are_counted_per_quote_only_answer():
    items = [outcome(quote_only=True, quotes=1), outcome(quote_only=True, quotes=3),
             outcome(in_language=True, quotes=0), outcome(abstained=True, quote_only=True, quotes=2)]
    assert quotes_per_answer(items) == Ratio(4, 2)


def test_answers_are_scored_apart_by_their_unsure_mark():
    items = [outcome(answer="27 November 2025"), outcome(answer="28 November"),
             outcome(answer="27 November 2025", unsure=True), outcome(answerable=False, answer="x", unsure=True),
             outcome(answer="27 November 2025", abstained=True, unsure=False)]
    assert right_when(items, unsure=False) == Ratio(1, 2)  # the abstention is no answer
    assert right_when(items, unsure=True) == Ratio(1, 2)  # an answer to an unanswerable question is wrong
    summary = summarize(items)
    assert summary["right_when_sure"]["value"] == 0.5 and summary["right_when_unsure"]["den"] == 2


def test_summarize_reports_counts_and_raw_numbers():
    items = [
        outcome("a", ranked=[HIT], cited=[HIT], answer="27 November 2025"),
        outcome("b", ranked=[MISS, HIT], cited=[MISS], answer="no idea", abstained=True),
        outcome("u", answerable=False, abstained=True),
    ]
    summary = summarize(items)
    assert summary["n"] == 3 and summary["n_answerable"] == 2 and summary["n_unanswerable"] == 1
    assert _counts(summary["recall@1"]) == {"num": 1, "den": 2, "value": 0.5}
    assert _counts(summary["recall@5"]) == {"num": 2, "den": 2, "value": 1.0}
    assert summary["recall@20"]["num"] == 2
    assert summary["mrr@10"] == {"num": 1.5, "den": 2, "value": 0.75}
    assert _counts(summary["answer_accuracy"]) == {"num": 1, "den": 2, "value": 0.5}
    assert _counts(summary["citation_precision"]) == {"num": 1, "den": 2, "value": 0.5}
    assert _counts(summary["citation_recall"]) == {"num": 1, "den": 2, "value": 0.5}
    assert _counts(summary["abstention"]) == {"num": 1, "den": 1, "value": 1.0}
    assert _counts(summary["wrong_abstention"]) == {"num": 1, "den": 2, "value": 0.5}


def test_summarize_of_nothing():
    summary = summarize([])
    assert summary["n"] == 0 and summary["recall@1"] == {"num": 0, "den": 0, "value": None}


def test_by_group_per_question_language():
    items = [
        outcome("1", qlang="ja", ranked=[HIT]),
        outcome("2", qlang="ja", ranked=[MISS]),
        outcome("3", qlang="ru", ranked=[HIT]),
        outcome("4", qlang="ru", answerable=False, abstained=True),
    ]
    groups = by_group(items, question_lang)
    assert list(groups) == ["ja", "ru"]
    assert groups["ja"]["recall@1"]["num"] == 1 and groups["ja"]["n"] == 2
    assert groups["ru"]["n"] == 2 and groups["ru"]["abstention"]["value"] == 1.0


def test_by_group_per_language_pair_counts_multi_source_items_in_each_pair():
    items = [
        outcome("1", qlang="en", source_langs=frozenset({"ja"}), ranked=[HIT]),
        outcome("2", qlang="en", source_langs=frozenset({"ja", "ru"}), ranked=[MISS]),
        outcome("3", qlang="ru", source_langs=frozenset({"ru"}), ranked=[HIT]),
        outcome("4", qlang="en", answerable=False),
    ]
    groups = by_group(items, lang_pairs)
    assert list(groups) == [("en", "ja"), ("en", "ru"), ("ru", "ru")]
    assert _counts(groups[("en", "ja")]["recall@1"]) == {"num": 1, "den": 2, "value": 0.5}
    assert _counts(groups[("en", "ru")]["recall@1"]) == {"num": 0, "den": 1, "value": 0.0}
    assert groups[("ru", "ru")]["n"] == 1


def test_list_completeness_is_the_share_of_list_items_answered_over_list_questions_only():
    items = [
        outcome("1", list_items=4, list_found=3),
        outcome("2", list_items=2, list_found=0, abstained=True),
        outcome("3"),  # not a list question: left out
        outcome("4", answerable=False),
    ]
    assert _counts(summarize(items)["list_completeness"]) == {"num": 3, "den": 6, "value": 0.5}
    assert summarize([outcome("3")])["list_completeness"]["value"] is None


def test_outcome_kind_orders_what_happened_to_one_item():
    assert outcome_kind(outcome(answer="It entered into force on 27 November 2025 [1].")) == "right"
    assert outcome_kind(outcome(answer="It entered into force in 2024 [1].")) == "wrong"
    assert outcome_kind(outcome(abstained=True)) == "wrong_abstention"
    assert outcome_kind(outcome(answerable=False, answers=(), evidence=(), abstained=True)) == "abstained"
    assert outcome_kind(outcome(answerable=False, answers=(), evidence=(), answer="2024 [1]")) == "answered"
