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

    class TopOne(RagService):
        def retriever_for_mode(self, mode):
            retriever = super().retriever_for_mode(mode)
            original = retriever.search
            retriever.search = lambda q, k=None, filters=None: original(q, k=1, filters=filters)
            return retriever

    bad = run_eval(TopOne, good, KNOWN_FACTS, modes=("hybrid",), retrieval_only=True, progress=False)
    failures = check_gate(bad["retrieval"]["hybrid"]["overall"], retrieval_rules)
    assert any(f.startswith("recall@5") for f in failures)
