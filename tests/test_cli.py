"""The `rag` command as a user runs it: ingest, ask --json, cite, in subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import copy_corpus

CONTROL_CHARS = Path(__file__).parent / "data" / "control_chars.txt"  # ESC, BEL, CR and U+202E in its text


def run_rag(tmp_path, *args):
    env = {**os.environ, "RAG_CORPUS_DIR": str(tmp_path / "corpus"), "RAG_DATA_DIR": str(tmp_path / "data"),
           "RAG_LLM": "none"}
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True,
                          env=env, timeout=600)


def test_cli_ask_indexes_first_then_ingest_and_cite(tmp_path):
    copy_corpus(tmp_path / "corpus")
    shutil.copy(CONTROL_CHARS, tmp_path / "corpus")
    asked = run_rag(tmp_path, "ask", "--json", "--llm", "none",
                    "When did the double taxation treaty between Japan and Turkmenistan enter into force?")
    assert asked.returncode == 0, asked.stderr
    assert "nothing is indexed yet" in asked.stderr and "3 added" in asked.stderr
    result = json.loads(asked.stdout)  # standard output stays the answer alone
    assert "2025年11月27日" in result["answer"] and result["citations"]

    again = run_rag(tmp_path, "ingest", "--quiet", "--check")
    assert again.returncode == 0, again.stderr
    assert "3 unchanged" in again.stdout and "0 passages embedded" in again.stdout
    assert "index check: every store agrees with the manifest" in again.stderr
    other = subprocess.run([sys.executable, "-m", "rag.cli", "ingest", "--quiet", "--check"], capture_output=True,
                           text=True, timeout=600, env={**os.environ, "RAG_CORPUS_DIR": str(tmp_path / "corpus"),
                                                        "RAG_DATA_DIR": str(tmp_path / "data"),
                                                        "RAG_EMBED_MODEL": "another/model"})
    assert other.returncode == 2 and "error: the index was built with" in other.stderr
    assert "Traceback" not in other.stderr and "index check" not in other.stderr

    cited = run_rag(tmp_path, "cite", "--json", result["citations"][0]["id"])
    assert cited.returncode == 0, cited.stderr
    assert "2025年11月27日に発効" in json.loads(cited.stdout)["text"]

    hostile = run_rag(tmp_path, "cite", "control_chars#p1")  # plain output: for a terminal
    assert hostile.returncode == 0 and "2025-11-27 in Tokyo" in hostile.stdout
    assert ", ," not in hostile.stdout.splitlines()[0]  # a field the document lacks is left out, not blank
    assert not [c for c in hostile.stdout if (ord(c) < 0x20 and c not in "\n\t") or 0x202A <= ord(c) <= 0x2069]

    missing = run_rag(tmp_path, "cite", "nope#p1")
    assert missing.returncode == 2 and "no passage" in missing.stderr

    shutil.copy2(tmp_path / "corpus" / "000_6f479204fdb56844.txt", tmp_path / "corpus" / "copy.txt")
    copied = run_rag(tmp_path, "ingest", "--quiet")
    assert copied.returncode == 0 and "1 added" in copied.stdout, copied.stderr
    assert "same bytes as another file: copy.txt = 000_6f479204fdb56844.txt" in copied.stderr
    plain = run_rag(tmp_path, "ask", "--llm", "none",
                    "When did the double taxation treaty between Japan and Turkmenistan enter into force?")
    assert plain.returncode == 0 and "2025年11月27日" in plain.stdout, plain.stderr
    assert "same text also in: copy#p" in plain.stdout or "same text also in: 000_6f479204fdb56844#p" in plain.stdout
    silent = run_rag(tmp_path, "ask", "--llm", "none", "What is the tallest mountain in the Andes?")
    assert silent.returncode == 0 and "The closest passages are listed as sources." in silent.stdout, silent.stderr
    assert [line for line in silent.stdout.splitlines() if line.startswith("- ") and "#p" in line]  # …and listed

    listed = run_rag(tmp_path, "docs", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["doc"]: row for row in json.loads(listed.stdout)}
    assert sorted(rows) == ["000_6f479204fdb56844.txt", "003_223ee8f423a3e31d.txt", "control_chars.txt", "copy.txt"]
    copy, ru = rows["copy.txt"], rows["003_223ee8f423a3e31d.txt"]
    assert (copy["doc_id"], copy["date"], copy["lang"]) == ("copy", "2025-12-20", "ja")
    table = run_rag(tmp_path, "docs")
    assert table.stdout.splitlines()[1].split("\t")[:5] == [
        "003_223ee8f423a3e31d", "003_223ee8f423a3e31d.txt", "2025-09-17", "ru", f"{ru['passages']} passages"]
    assert f"4 documents, {sum(r['passages'] for r in rows.values())} passages" in table.stderr


def test_cli_ingest_names_the_files_it_left_out_and_exits_3(tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "notes.rtf").write_text("{\\rtf1 unsupported}", encoding="utf-8")
    (tmp_path / "corpus" / "empty.txt").write_text("", encoding="utf-8")
    done = run_rag(tmp_path, "ingest", "--quiet")
    assert done.returncode == 3, done.stderr
    assert "1 failed, 1 skipped" in done.stdout
    assert "failed: empty.txt" in done.stderr and "skipped: notes.rtf: unsupported file type" in done.stderr


def test_cli_ask_with_nothing_to_index_names_rag_ingest(tmp_path):
    (tmp_path / "corpus").mkdir()
    asked = run_rag(tmp_path, "ask", "--llm", "none", "What was agreed?")
    assert asked.returncode == 2 and asked.stdout == ""
    assert "no document could be indexed" in asked.stderr and "rag ingest" in asked.stderr
    listed = run_rag(tmp_path, "docs")
    assert listed.returncode == 0 and listed.stdout == "" and "nothing is indexed yet (rag ingest)" in listed.stderr


def test_cli_notes_under_a_generated_answer_say_it_may_not_answer_and_what_was_dropped():
    from rag.cli import answer_notes
    from rag.messages import message

    unsure = {"mode": "llm", "lang": "ru", "unsure": True, "checks": {"dropped": [{"sentence": "x"}]}}
    assert answer_notes(unsure) == [message("unsure_note", "ru"), "sentences dropped by the checks: 1"]
    assert answer_notes({**unsure, "unsure": False, "checks": {}}) == []
    # a quoted answer opens with its own lead-in; an abstention is no answer
    assert answer_notes({**unsure, "mode": "extractive"}) == []
    assert answer_notes({**unsure, "mode": "abstain"}) == []


def test_cli_prints_the_checked_answer_not_the_draft_as_it_streams():
    """Pure logic of the display: the model's pieces are counted on a terminal's standard error,
    never printed; what is returned is the final, checked result."""
    import io

    from rag.cli import final_result

    events = [{"type": "sources", "passages": []}, {"type": "token", "text": "高市早苗"},
              {"type": "token", "text": "与 draft"}, {"type": "final", "result": {"answer": "checked [1]"}}]
    counter = io.StringIO()
    assert final_result(iter(events), counter) == {"answer": "checked [1]"}
    shown = counter.getvalue()
    assert "draft" not in shown and "高市早苗" not in shown
    assert "writing the answer … 2" in shown and shown.endswith("\r\x1b[K")  # the count is cleared
    assert final_result(iter(events)) == {"answer": "checked [1]"}


@pytest.mark.llm
def test_cli_ask_with_the_local_llm_prints_only_what_passed_the_checks(seed_settings, seed_service,
                                                                        monkeypatch, capsys):
    """The real model over the seeds: a question whose draft the checks reject or cut; the plain
    output is the checked answer, and no sentence of the draft that did not pass is on screen."""
    from rag.cli import main
    from rag.display import plain
    from rag.options import AskOptions

    question = "Who chaired the second economy and energy dialogue?"
    expected = seed_service.ask(question, AskOptions(llm="local"))  # greedy: the CLI's run is the same
    assert expected["mode"] != "llm" or expected["checks"]["dropped"], "pick a question whose draft fails a check"
    monkeypatch.setenv("RAG_CORPUS_DIR", str(seed_settings.corpus_dir))
    monkeypatch.setenv("RAG_DATA_DIR", str(seed_settings.data_dir))
    assert main(["ask", "--llm", "local", question]) == 0
    out = capsys.readouterr().out
    assert out.startswith(plain(expected["answer"]) + "\n\n")
    raw = expected["checks"]["raw"]
    dropped = [d["sentence"] for d in expected["checks"].get("dropped", [])]
    assert raw.strip() and raw not in out and not [s for s in dropped if plain(s) in out]
