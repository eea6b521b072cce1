"""Eval metrics of ``shared/eval-format.md``, computed from one outcome record per item.

Every metric is a :class:`Ratio` that keeps its raw numerator and denominator, so that a CI gate
can state thresholds as counts of questions. Conventions:

- a passage *supports* an item when it lies in the same document as one of the item's evidence
  spans and their half-open character intervals ``[start, end)`` overlap;
- retrieval metrics (Recall@k, MRR@10), answer accuracy, citation precision and recall and the
  wrong-abstention rate are over answerable items; the abstention rate is over unanswerable ones;
- an abstained answerable item counts as a wrong answer;
- citation precision is micro-averaged: supporting citations over all citations of answerable items;
- answer language is over every item answered (not abstained) in words of its own, answerable or
  not; quote-only answers are counted apart, with the sentences they quote.

A share of questions also carries its 95 % Wilson score interval (``low``, ``high``): how far
the figure could move by the luck of which questions were asked. A held-out half of 7
unanswerable questions cannot tell 0.71 from 0.85; one of 2,000 can. (For citation precision,
whose units are citations, several per answer and not independent, the interval is narrower
than the truth.)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence, Set
from dataclasses import dataclass, field
from typing import TypeVar

from scipy.stats import binomtest

from eval.evalset import answer_matches

Span = tuple[str, int, int]
"""A passage or quote as (corpus file name, start, end) character offsets, end exclusive."""

K = TypeVar("K", bound=Hashable)

RECALL_KS = (1, 5, 20)
MRR_K = 10


@dataclass(frozen=True)
class ItemOutcome:
    """What the system did on one eval item, next to what the item expects."""

    id: str
    qlang: str
    source_langs: Set[str]
    answerable: bool
    ranked_spans: Sequence[Span]
    cited_spans: Sequence[Span]
    answer: str
    abstained: bool
    answers: Sequence[str]
    evidence_spans: Sequence[Span]
    in_question_language: bool = True  # are the answer's own words (quotes excluded) in the question's language?
    quote_only: bool = False  # the answer is quotes alone, with no words of its own
    quotes: int = 0  # source sentences the answer quotes
    list_items: int = 0  # a list question's items as its evidence documents write them (0: not a list question)
    list_found: int = 0  # ... of those, how many the answer holds (0 when it abstained)
    unsure: bool = False  # answered, but marked as possibly not answering (``sure_threshold``)
    # the evidence quotes were found in the corpus (not: a quote the documents do not hold, a
    # document missing or unreadable); retrieval and citation figures leave the item out then
    evidence_located: bool = True


@dataclass(frozen=True)
class Ratio:
    """``num / den`` with both parts kept; ``value`` is None when there is nothing to divide.
    ``share``: ``num`` counts items out of ``den`` (False for a mean, such as MRR or quotes per
    answer, which has no binomial interval even when its sum happens to be whole)."""

    num: float
    den: int
    share: bool = field(default=True, compare=False)  # equal counts are equal ratios

    @property
    def value(self) -> float | None:
        return self.num / self.den if self.den else None

    def interval(self, confidence: float = 0.95) -> tuple[float, float] | None:
        """The Wilson score interval of a share (scipy's); None for an empty ratio or a mean."""
        if not self.share or not self.den or self.num != int(self.num) or not 0 <= self.num <= self.den:
            return None
        ci = binomtest(int(self.num), self.den).proportion_ci(confidence_level=confidence, method="wilson")
        return float(ci.low), float(ci.high)

    def as_dict(self) -> dict[str, float | int | None]:
        out: dict[str, float | int | None] = {"num": self.num, "den": self.den, "value": self.value}
        if (bounds := self.interval()) is not None:
            out["low"], out["high"] = round(bounds[0], 4), round(bounds[1], 4)
        return out


def supports(span: Span, evidence_spans: Iterable[Span]) -> bool:
    """Whether ``span`` overlaps one of ``evidence_spans`` in the same document (touching is not overlap)."""
    doc, start, end = span
    return any(
        doc == ev_doc and max(start, ev_start) < min(end, ev_end) for ev_doc, ev_start, ev_end in evidence_spans
    )


def first_support_rank(outcome: ItemOutcome) -> int | None:
    """1-based rank of the first retrieved passage that supports the item, None when none does."""
    for rank, span in enumerate(outcome.ranked_spans, start=1):
        if supports(span, outcome.evidence_spans):
            return rank
    return None


def _answerable(outcomes: Iterable[ItemOutcome]) -> list[ItemOutcome]:
    return [o for o in outcomes if o.answerable]


def _located(outcomes: Iterable[ItemOutcome]) -> list[ItemOutcome]:
    """Answerable items whose evidence was found: what retrieval and citations can be judged on."""
    return [o for o in outcomes if o.answerable and o.evidence_located]


def _unanswerable(outcomes: Iterable[ItemOutcome]) -> list[ItemOutcome]:
    return [o for o in outcomes if not o.answerable]


def _within(rank: int | None, k: int) -> bool:
    return rank is not None and rank <= k


def recall_at_k(outcomes: Iterable[ItemOutcome], k: int) -> Ratio:
    """Answerable items with a supporting passage among the first ``k`` retrieved."""
    items = _located(outcomes)
    return Ratio(sum(_within(first_support_rank(o), k) for o in items), len(items))


def mrr_at_k(outcomes: Iterable[ItemOutcome], k: int = MRR_K) -> Ratio:
    """Mean over answerable items of 1/rank of the first supporting passage (0 beyond rank ``k``)."""
    items = _located(outcomes)
    ranks = [first_support_rank(o) for o in items]
    return Ratio(sum(1 / rank for rank in ranks if rank is not None and rank <= k), len(items), share=False)


def answer_accuracy(outcomes: Iterable[ItemOutcome]) -> Ratio:
    """Answerable items whose (non-abstained) answer contains one of the accepted answers."""
    items = _answerable(outcomes)
    return Ratio(sum(outcome_kind(o) == "right" for o in items), len(items))


def citation_precision(outcomes: Iterable[ItemOutcome]) -> Ratio:
    """Micro-average over answerable items: supporting citations / all citations."""
    cited = [(span, o.evidence_spans) for o in _located(outcomes) for span in o.cited_spans]
    return Ratio(sum(supports(span, evidence) for span, evidence in cited), len(cited))


def citation_recall(outcomes: Iterable[ItemOutcome]) -> Ratio:
    """Answerable items with at least one supporting citation."""
    items = _located(outcomes)
    return Ratio(sum(any(supports(span, o.evidence_spans) for span in o.cited_spans) for o in items), len(items))


def list_completeness(outcomes: Iterable[ItemOutcome]) -> Ratio:
    """Over answerable list questions (eval items of kind ``list``): the share of their items,
    as the evidence documents write them, that the answers hold. Answer accuracy takes any one
    item; this says how much of the list a reader got. Items translated into the question's
    language are not counted, so it is a measure for quoted answers (and a floor for others)."""
    items = [o for o in _answerable(outcomes) if o.list_items]
    return Ratio(sum(o.list_found for o in items), sum(o.list_items for o in items))


def abstention_rate(outcomes: Iterable[ItemOutcome]) -> Ratio:
    """Unanswerable items on which the system abstained (higher is better)."""
    items = _unanswerable(outcomes)
    return Ratio(sum(o.abstained for o in items), len(items))


def wrong_abstention_rate(outcomes: Iterable[ItemOutcome]) -> Ratio:
    """Answerable items on which the system abstained (lower is better)."""
    items = _answerable(outcomes)
    return Ratio(sum(o.abstained for o in items), len(items))


def answer_language_rate(outcomes: Iterable[ItemOutcome]) -> Ratio:
    """Answered items with words of their own whose own words (quotes, markers and fixed
    lead-ins excluded) are in the question's language."""
    items = [o for o in outcomes if not o.abstained and not o.quote_only]
    return Ratio(sum(o.in_question_language for o in items), len(items))


def quote_only_rate(outcomes: Iterable[ItemOutcome]) -> Ratio:
    """Answered items that are quotes alone (extractive answers, fallbacks): their language is
    the source's, and the answer-language metric leaves them out."""
    items = [o for o in outcomes if not o.abstained]
    return Ratio(sum(o.quote_only for o in items), len(items))


def quotes_per_answer(outcomes: Iterable[ItemOutcome]) -> Ratio:
    """Sentences quoted per quote-only answer: how much a reader is given to read (more
    quotes make ``answer_accuracy`` easier to reach, so the two are read together)."""
    items = [o for o in outcomes if not o.abstained and o.quote_only]
    return Ratio(sum(o.quotes for o in items), len(items), share=False)


def outcome_kind(o: ItemOutcome) -> str:
    """What happened to one item, by the project's order right > abstain > wrong: an answerable
    question answered ``right`` (what ``answer_accuracy`` counts), answered ``wrong`` or refused
    (``wrong_abstention``); an unanswerable one ``abstained`` on or ``answered``."""
    if not o.answerable:
        return "abstained" if o.abstained else "answered"
    if o.abstained:
        return "wrong_abstention"
    return "right" if answer_matches(o.answer, o.answers) else "wrong"


def right_when(outcomes: Iterable[ItemOutcome], unsure: bool) -> Ratio:
    """Of the answers marked unsure (``unsure``) or not: those that hold an accepted answer
    (an answer to an unanswerable question holds none). Read together, the two say whether the
    mark tells a reader which answers to doubt."""
    items = [o for o in outcomes if not o.abstained and o.unsure == unsure]
    return Ratio(sum(o.answerable and answer_matches(o.answer, o.answers) for o in items), len(items))


def summarize(outcomes: Iterable[ItemOutcome]) -> dict[str, object]:
    """Counts and every metric (as ``{"num", "den", "value"}``), JSON-serialisable."""
    items = list(outcomes)
    n_answerable = len(_answerable(items))
    metrics: dict[str, Ratio] = {f"recall@{k}": recall_at_k(items, k) for k in RECALL_KS}
    metrics[f"mrr@{MRR_K}"] = mrr_at_k(items, MRR_K)
    metrics["answer_accuracy"] = answer_accuracy(items)
    metrics["citation_precision"] = citation_precision(items)
    metrics["citation_recall"] = citation_recall(items)
    metrics["list_completeness"] = list_completeness(items)
    metrics["abstention"] = abstention_rate(items)
    metrics["wrong_abstention"] = wrong_abstention_rate(items)
    metrics["answer_language"] = answer_language_rate(items)
    metrics["quote_only"] = quote_only_rate(items)
    metrics["quotes_per_answer"] = quotes_per_answer(items)
    metrics["right_when_sure"] = right_when(items, unsure=False)
    metrics["right_when_unsure"] = right_when(items, unsure=True)
    counts: dict[str, object] = {
        "n": len(items),
        "n_answerable": n_answerable,
        "n_unanswerable": len(items) - n_answerable,
    }
    return counts | {name: ratio.as_dict() for name, ratio in metrics.items()}


def by_group(outcomes: Iterable[ItemOutcome], key: Callable[[ItemOutcome], Iterable[K]]) -> dict[K, dict[str, object]]:
    """:func:`summarize` per group, in sorted group order.

    ``key`` names the groups of an item (one item may be in several, or in none); group keys must
    be sortable, e.g. :func:`question_lang` or :func:`lang_pairs`.
    """
    groups: dict[K, list[ItemOutcome]] = {}
    for outcome in outcomes:
        for group in key(outcome):
            groups.setdefault(group, []).append(outcome)
    return {group: summarize(groups[group]) for group in sorted(groups)}


def question_lang(outcome: ItemOutcome) -> tuple[str]:
    """Group key: the question language."""
    return (outcome.qlang,)


def lang_pairs(outcome: ItemOutcome) -> list[tuple[str, str]]:
    """Group key: one (question language, source language) pair per language of the evidence documents.

    Unanswerable items have no evidence and so belong to no pair.
    """
    return [(outcome.qlang, source) for source in sorted(outcome.source_langs)]
