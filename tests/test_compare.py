"""eval.compare: which questions two eval runs answered differently (pure logic over run JSONs)."""

from __future__ import annotations

import json

import pytest

from eval.compare import CompareError, compare, main, render


def run(outcomes: dict[str, str], ranks: dict[str, int | None] | None = None) -> dict:
    return {"items": [{"id": k, "question": f"question {k}?", "outcome": v} for k, v in outcomes.items()],
            "retrieval_ranks": {"hybrid": ranks or {}}}


def test_changed_items_their_moves_and_retrieval_ranks():
    before = run({"q1": "right", "q2": "wrong", "q3": "abstained", "q4": "right"}, {"q1": 1, "q2": 3, "q4": 1})
    after = run({"q1": "right", "q2": "right", "q3": "answered", "q5": "wrong"}, {"q1": 1, "q2": 1, "q5": None})
    result = compare(before, after)
    assert result["changed"] == [("q2", "wrong", "right", "question q2?"), ("q3", "abstained", "answered", "question q3?")]
    assert result["moves"] == {("wrong", "right"): 1, ("abstained", "answered"): 1}
    assert result["ranks"] == {"hybrid": [("q2", 3, 1)]}
    assert (result["only_before"], result["only_after"]) == (["q4"], ["q5"])
    text = render(result)
    assert "2 item(s) changed outcome" in text and "q2: wrong → right  question q2?" in text
    assert "q2: 3 → 1" in text and "only in the first run: q4" in text


def test_retrieval_only_runs_compare_ranks_and_old_runs_are_refused(tmp_path, capsys):
    retrieval_only = {"retrieval_ranks": {"hybrid": {"q1": 2}}}
    assert compare(retrieval_only, {"retrieval_ranks": {"hybrid": {"q1": None}}})["ranks"] == {"hybrid": [("q1", 2, None)]}
    with pytest.raises(CompareError, match="nothing to compare"):
        compare({"items": []}, {"items": []})
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"items": [{"id": "q1", "answer": "x"}]}), encoding="utf-8")
    new = tmp_path / "new.json"
    new.write_text(json.dumps(run({"q1": "right"})), encoding="utf-8")
    assert main([str(old), str(new)]) == 1
    assert "before runs recorded each item's outcome" in capsys.readouterr().err
    assert main([str(new), str(new)]) == 0
    assert "0 item(s) changed outcome" in capsys.readouterr().out


def test_runs_of_different_sets_corpora_or_llms_are_said_to_differ():
    before = run({"q1": "right"}) | {"set": "eval/sets/a.jsonl", "corpus": "c", "llm": "none", "split": "dev"}
    after = run({"q1": "wrong"}) | {"set": "eval/sets/b.jsonl", "corpus": "c", "llm": "local", "split": "dev"}
    result = compare(before, after)
    assert result["differ"] == [("set", "eval/sets/a.jsonl", "eval/sets/b.jsonl"), ("llm", "none", "local")]
    text = render(result)
    assert text.startswith("note: the runs differ in set: eval/sets/a.jsonl → eval/sets/b.jsonl\n"
                           "note: the runs differ in llm: none → local\n1 item(s) changed outcome")
    assert not compare(before, before)["differ"] and render(compare(before, before)).startswith("0 item(s)")
    elsewhere = before | {"set": "/work/main/eval/sets/a.jsonl"}  # the same set, run from another folder
    assert not compare(before, elsewhere)["differ"]
