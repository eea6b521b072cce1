"""The CI gate: counts below baseline minus margin fail, and degraded retrieval is caught for real."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from eval.runner import check_gate, eval_settings, run_eval
from rag.service import RagService
from tests.conftest import CORPUS, REPO

BASELINE = REPO / "eval" / "baseline.json"
KNOWN_FACTS = REPO / "eval" / "sets" / "known_facts.jsonl"


def _summary(**counts):
    return {k: {"num": n, "den": d, "value": n / d} for k, (n, d) in counts.items()}


def test_gate_passes_within_margin_and_fails_beyond():
    baseline = {"metrics": {"recall@5": {"num": 170, "den": 174, "margin": 3}}}
    assert check_gate(_summary(**{"recall@5": (167, 174)}), baseline) == []
    failures = check_gate(_summary(**{"recall@5": (166, 174)}), baseline)
    assert len(failures) == 1 and "recall@5" in failures[0]


def test_gate_scales_counts_when_the_set_grows():
    baseline = {"metrics": {"answer_accuracy": {"num": 90, "den": 100, "margin": 2}}}
    assert check_gate(_summary(answer_accuracy=(176, 200)), baseline) == []  # 88/100 scaled
    assert check_gate(_summary(answer_accuracy=(174, 200)), baseline)  # 87/100 scaled


def test_gate_fails_on_a_missing_metric():
    baseline = {"metrics": {"mrr@10": {"num": 10, "den": 10, "margin": 0}}}
    assert check_gate({}, baseline) == ["mrr@10: not measured"]


def test_degraded_retrieval_fails_the_committed_gate(tmp_path, seed_settings):
    """Top-k 1 instead of the configured pool: the real known-facts run must fail the gate."""
    from rag.settings import Settings

    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    retrieval_rules = {"metrics": {k: v for k, v in baseline["metrics"].items()
                                   if k.startswith(("recall", "mrr"))}}
    assert retrieval_rules["metrics"], "the baseline must gate retrieval metrics"
    base = Settings(data_dir=tmp_path / "data")
    good = eval_settings(base, CORPUS, "none")
    shutil.copytree(seed_settings.data_dir, good.data_dir)  # the same seed documents, indexed once per session
    out = run_eval(RagService, good, KNOWN_FACTS, modes=("hybrid",), retrieval_only=True, progress=False)
    assert out["unreachable_passages"] == []  # vector search reaches every indexed passage
    assert check_gate(out["retrieval"]["hybrid"]["overall"], retrieval_rules) == []
    ranks, overall = out["retrieval_ranks"]["hybrid"], out["retrieval"]["hybrid"]["overall"]
    assert len(ranks) == overall["recall@1"]["den"]  # one per answerable question whose evidence was found
    assert sum(r == 1 for r in ranks.values()) == overall["recall@1"]["num"]
    assert sum(r is not None and r <= 5 for r in ranks.values()) == overall["recall@5"]["num"]

    class TopOne(RagService):
        def retriever_for_mode(self, mode):
            retriever = super().retriever_for_mode(mode)
            original = retriever.search
            retriever.search = lambda q, k=None, filters=None: original(q, k=1, filters=filters)
            return retriever

    bad = run_eval(TopOne, good, KNOWN_FACTS, modes=("hybrid",), retrieval_only=True, progress=False)
    failures = check_gate(bad["retrieval"]["hybrid"]["overall"], retrieval_rules)
    assert any(f.startswith("recall@5") for f in failures)
    assert set(bad["retrieval_ranks"]["hybrid"].values()) <= {1, None}  # one passage retrieved
    assert bad["retrieval_ranks"]["hybrid"].keys() == ranks.keys()


def test_a_follow_up_is_asked_after_the_questions_before_it(tmp_path, seed_settings):
    """The runner asks an item's history first, as the chat does: "When did it enter into
    force?" alone names nothing the corpus answers."""
    from rag.settings import Settings

    follow_up = {"id": "f1", "lang": "en", "question": "When did it enter into force?",
                 "answers": ["2025年11月27日"], "answerable": True,
                 "evidence": [{"doc": "000_6f479204fdb56844.txt", "quote": "2025年11月27日に発効"}]}
    path = tmp_path / "follow_ups.jsonl"
    path.write_text(json.dumps(follow_up | {"history": ["Tell me about the double taxation treaty between Japan and "
                                                        "Turkmenistan."]}) + "\n"
                    + json.dumps(follow_up | {"id": "f2"}) + "\n", encoding="utf-8")
    settings = eval_settings(Settings(data_dir=tmp_path / "data"), CORPUS, "none")
    shutil.copytree(seed_settings.data_dir, settings.data_dir)  # the seed documents, indexed once per session
    out = run_eval(RagService, settings, path, progress=False)
    results = {item["id"]: item for item in out["items"]}
    assert "2025年11月27日" in results["f1"]["answer"]
    assert results["f1"]["standalone_question"] == ("When did it enter into force? Tell me about the double taxation "
                                                    "treaty between Japan and Turkmenistan.")
    assert results["f2"]["abstained"]  # the same words without the chat before them
    assert (results["f1"]["outcome"], results["f2"]["outcome"]) == ("right", "wrong_abstention")  # for eval.compare
