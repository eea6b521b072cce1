"""The calibration table of ``eval/fit_evidence.py`` chooses quotes as the app does."""

from __future__ import annotations

import numpy as np
import pytest

from eval.fit_evidence import (TYPE_FLOOR_QUANTILE, Question, answer_type_floors, cross_validate, document_of,
                               outcomes)
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


def _questions(n: int, seed: int = 0) -> list[Question]:
    """``n`` answerable questions of two sets, each with its silent twin: three candidates whose
    answer sentence (the first, when answerable) is the most similar, give or take noise."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        for kind in ("answerable", "silent"):
            x = np.stack([_row(1, rng.normal(1.0 if kind == "answerable" else 0.0)) for _ in range(3)])
            x[:, FEATURES.index("passage_sim")] = rng.normal(0.6 if kind == "answerable" else 0.3, 0.1, 3)
            y = np.asarray([1, 0, 0] if kind == "answerable" else [0, 0, 0])
            out.append(Question("ab"[i % 2], kind, x, y, id=f"q{i}"))
    return out


def test_cross_validation_keeps_each_question_and_its_twin_out_of_their_own_fit(monkeypatch):
    import eval.fit_evidence as fe

    questions = _questions(30)
    fitted_on: list[set] = []
    real_fit = fe.fit

    def recording_fit(types, train):
        fitted_on.append({(q.set, q.id) for q in train})
        return real_fit(types, train)

    monkeypatch.setattr(fe, "fit", recording_fit)
    results = fe.cross_validate(_scorers().types, questions, 5, Settings())
    assert len(fitted_on) == 5 and len(results) == len(questions)
    # every question is left out of exactly one fit, together with its silent twin
    for key in {(q.set, q.id) for q in questions}:
        assert sum(key not in keys for keys in fitted_on) == 1
    # the out-of-fold question scorer still tells answerable questions from silent ones
    answerable = [p for _, kind, p, _ in results if kind == "answerable"]
    silent = [p for _, kind, p, _ in results if kind == "silent"]
    assert np.mean(answerable) > np.mean(silent) + 0.2


def _passage(doc: str) -> Passage:
    return Passage(id=f"{doc}#p1", doc_id=doc, doc=f"{doc}.txt", n=1, start=0, end=10, text="Some text.")


def test_cross_validation_by_document_never_scores_a_question_with_scorers_fitted_on_its_document(monkeypatch):
    """Questions of one document (six documents, five questions each) fall in one fold whole."""
    import eval.fit_evidence as fe

    questions = _questions(30)
    for q in questions:
        q.passages = [_passage(f"doc{int(q.id[1:]) % 6}")]
    fitted_on: list[set] = []
    real_fit = fe.fit

    def recording_fit(types, train):
        fitted_on.append({q.passages[0].doc for q in train})
        return real_fit(types, train)

    monkeypatch.setattr(fe, "fit", recording_fit)
    assert len(fe.cross_validate(_scorers().types, questions, 3, Settings())) == len(questions)
    # each document is left out of exactly one of the three fits, all its questions with it
    assert [sum(f"doc{d}.txt" not in docs for docs in fitted_on) for d in range(6)] == [1] * 6
    by_question: list[set] = []
    monkeypatch.setattr(fe, "fit", lambda types, train: by_question.append(
        {q.passages[0].doc for q in train}) or real_fit(types, train))
    fe.cross_validate(_scorers().types, questions, 3, Settings(), by="question")
    assert all(len(docs) == 6 for docs in by_question)  # by question, every fit sees every document


def test_a_question_s_document_is_its_evidence_document_or_else_its_best_passage_s():
    x, y = np.zeros((1, len(FEATURES))), np.zeros(1)
    answerable = Question("known-facts", "answerable", x, y, [_passage("other")], id="kf001")
    twin = Question("known-facts", "silent", x, y, [_passage("elsewhere")], id="kf001")
    near_miss = Question("known-facts", "unanswerable", x, y, [_passage("seed")], id="no-evidence")
    assert document_of([answerable, twin, near_miss]) == {
        ("known-facts", "kf001"): "000_6f479204fdb56844.txt", ("known-facts", "no-evidence"): "seed.txt"}


def test_cross_validation_refuses_candidates_without_question_ids():
    old_cache = [Question(q.set, q.kind, q.x, q.y) for q in _questions(6)]
    with pytest.raises(ValueError, match="collect them again"):
        cross_validate(_scorers().types, old_cache, 2, Settings())


def test_answer_type_floors_are_what_questions_of_a_kind_reach_out_of_fold():
    """Two kinds: the first read from the first dimension, the second from nothing (noise).
    A floor is the low quantile of the out-of-fold probabilities of that kind's questions."""
    rng = np.random.RandomState(0)
    x = rng.normal(size=(400, 3))
    y = np.stack([(x[:, 0] > 0.5).astype(float), (rng.uniform(size=400) < 0.3).astype(float)], axis=1)
    floor = answer_type_floors(x, y)
    assert floor.shape == (2,) and 0.0 < floor[1] < 0.3 < floor[0] < 1.0
    # no lower than the share of a kind's questions it lets fall below: in-sample probabilities
    # of the first kind's questions, which sit above the out-of-fold ones, hardly fall below it
    from sklearn.linear_model import LogisticRegression
    p = LogisticRegression(C=1.0, max_iter=2000).fit(x, y[:, 0]).predict_proba(x)[:, 1]
    assert np.mean(p[y[:, 0] == 1] < floor[0]) <= 2 * TYPE_FLOOR_QUANTILE

