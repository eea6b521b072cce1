"""The calibration table of ``eval/fit_evidence.py`` chooses quotes as the app does."""

from __future__ import annotations

import numpy as np

from eval.fit_evidence import Question, outcomes
from index.document import Passage
from rag.evidence import FEATURES, QUESTION_FEATURES, AnswerTypes, EvidenceModel, Scorers
from rag.settings import Settings


def _scorers() -> Scorers:
    """A sentence scorer that reads one feature (the sentence's similarity) as its log-odds."""
    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index("sentence_sim")] = 1.0
    n = len(FEATURES)
    sentence = EvidenceModel(np.zeros(n), np.ones(n), coef, 0.0)
    question = EvidenceModel(np.zeros(len(QUESTION_FEATURES)), np.ones(len(QUESTION_FEATURES)),
                             np.zeros(len(QUESTION_FEATURES)), 0.0)
    return Scorers(AnswerTypes(np.zeros((2, 4)), np.zeros(2)), sentence, question)


def _row(passage_rank: int, log_odds: float) -> np.ndarray:
    x = np.zeros(len(FEATURES))
    x[FEATURES.index("passage_rank_inv")] = 1.0 / passage_rank
    x[FEATURES.index("sentence_sim")] = log_odds
    return x


def test_a_list_item_is_quoted_with_its_lead_in_when_the_passages_are_known():
    lead = Passage(id="d#p2", doc_id="d", doc="d.txt", n=2, start=0, end=40,
                   text="The meeting brought together the ministers:")
    item = Passage(id="d#p3", doc_id="d", doc="d.txt", n=3, start=41, end=60, text="Minister X;",
                   lead="The meeting brought together the ministers:")
    # the lead-in matches best; the item (which holds the answer) is at about half its probability:
    # above the bar for one text (same_passage_ratio), below the bar for another passage (quote_ratio)
    x = np.stack([_row(1, 2.0), _row(2, 0.0)])
    settings = Settings()
    assert settings.same_passage_ratio < 0.5 / (1 / (1 + np.exp(-2.0))) < settings.quote_ratio
    with_passages = Question("s", "answerable", x, np.asarray([0, 1]), [lead, item])
    without = Question("s", "answerable", x, np.asarray([0, 1]))
    (_, _, _, quoted_answer), (_, _, _, missed) = outcomes([with_passages, without], _scorers(), settings)
    assert quoted_answer and not missed
