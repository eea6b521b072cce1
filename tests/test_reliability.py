"""The reliability suite's quick size (`bench/reliability.py --quick`; `make reliability` runs it
whole): generated hostile files through a real `rag ingest`, `kill -9` of `rag ingest` at two
points and a re-run, and 8 concurrent gradio_client sessions against a real `rag serve`."""

from __future__ import annotations

import importlib.util

from tests.conftest import REPO


def _suite():
    spec = importlib.util.spec_from_file_location("reliability", REPO / "bench" / "reliability.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_hostile_files_kills_and_concurrent_sessions(tmp_path):
    suite = _suite()
    results = suite.run(["hostile", "kill", "load"], quick=True, work=tmp_path)
    assert [r["check"] for r in results] == ["hostile files", "kill -9 at two points", "load: 8 sessions"]
    assert all(r["ok"] for r in results), suite.table(results)
    hostile, killed, load = (r["figures"] for r in results)
    assert hostile["as_expected"] == hostile["files"] and hostile["exit"] == 3
    assert killed["committed_after_kill_1"] >= 1 and killed["committed_after_kill_2"] > killed["committed_after_kill_1"]
    assert load["calls"] == 8 * 5 and load["errors"] == 0 and load["crossed"] == 0
