"""The eval-set loader and the known-facts set checked against the raw corpus files."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from eval.evalset import (EvalItem, EvalSetError, Evidence, answer_matches, load_eval_set, normalize_answer,
                          quote_span)

REPO = Path(__file__).resolve().parent.parent
KNOWN_FACTS = REPO / "eval" / "sets" / "known_facts.jsonl"
DOC_LANG = {"000_6f479204fdb56844.txt": "ja", "003_223ee8f423a3e31d.txt": "ru"}
QUESTION_LANGS = ("ja", "ru", "en")


def read_doc(name: str) -> str:
    """A corpus file read directly: UTF-8 with newlines normalised (independent of the ingestion readers)."""
    return (REPO / "tests" / "fixtures" / "corpus" / name).read_bytes().decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


@pytest.fixture(scope="module")
def items() -> list[EvalItem]:
    return load_eval_set(KNOWN_FACTS)


def test_known_facts_loads_with_expected_size(items):
    assert 160 <= len(items) <= 200
    assert {item.lang for item in items} == set(QUESTION_LANGS)
    assert all(doc.doc in DOC_LANG for item in items for doc in item.evidence)


def test_every_quote_is_a_unique_single_line_substring_of_its_document(items):
    texts = {name: read_doc(name) for name in DOC_LANG}
    for item in items:
        for evidence in item.evidence:
            text = texts[evidence.doc]
            assert "\n" not in evidence.quote, item.id
            assert text.count(evidence.quote) == 1, f"{item.id}: {evidence.quote!r}"
            start, end = quote_span(text, evidence.quote)
            assert text[start:end] == evidence.quote


def test_every_quote_contains_one_of_the_answers(items):
    for item in items:
        for evidence in item.evidence:
            assert answer_matches(evidence.quote, item.answers), f"{item.id}: {evidence.quote!r}"


def test_every_fact_is_asked_in_all_three_languages(items):
    langs_by_fact: dict[tuple, set[str]] = defaultdict(set)
    for item in items:
        if item.answerable:
            langs_by_fact[item.evidence].add(item.lang)
    assert all(langs == set(QUESTION_LANGS) for langs in langs_by_fact.values())


def test_every_question_language_meets_every_source_language(items):
    pairs = Counter(
        (item.lang, source)
        for item in items
        if item.answerable
        for source in {DOC_LANG[evidence.doc] for evidence in item.evidence}
    )
    for qlang in QUESTION_LANGS:
        for source in ("ja", "ru"):
            assert pairs[(qlang, source)] >= 15, (qlang, source, pairs[(qlang, source)])


def test_unanswerable_items_are_numerous_and_spread_over_languages(items):
    unanswerable = Counter(item.lang for item in items if not item.answerable)
    assert sum(unanswerable.values()) >= 20
    assert all(unanswerable[lang] >= 6 for lang in QUESTION_LANGS)


def test_ids_are_unique(items):
    assert len({item.id for item in items}) == len(items)


GOOD = {
    "id": "q1",
    "lang": "en",
    "question": "When?",
    "answers": ["2025"],
    "evidence": [{"doc": "a.txt", "quote": "in 2025"}],
    "answerable": True,
}


def write_set(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_loader_reads_a_valid_set_and_skips_blank_lines(tmp_path):
    unanswerable = GOOD | {"id": "q2", "answers": [], "evidence": [], "answerable": False}
    path = write_set(tmp_path, json.dumps(GOOD), "", json.dumps(unanswerable))
    loaded = load_eval_set(path)
    assert [item.id for item in loaded] == ["q1", "q2"]
    assert loaded[0].evidence[0].quote == "in 2025" and loaded[0].answers == ("2025",)
    assert loaded[1].answerable is False
    path.write_text("\ufeff" + json.dumps(GOOD) + "\r\n", encoding="utf-8")  # as a Windows editor saves it
    assert [item.id for item in load_eval_set(path)] == ["q1"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "question"}), "missing field 'question'"),
        (json.dumps(GOOD | {"answerable": "yes"}), "field 'answerable' must be bool, got str"),
        (json.dumps(GOOD | {"answers": "2025"}), "field 'answers' must be list"),
        (json.dumps(GOOD | {"answers": ["2025", " "]}), "answers[1] must be a non-empty string"),
        (json.dumps(GOOD | {"evidence": [{"doc": "a.txt"}]}), "evidence[0]: missing field 'quote'"),
        (json.dumps(GOOD | {"evidence": ["a.txt"]}), "evidence[0] must be an object"),
        (json.dumps(GOOD | {"id": ""}), "field 'id' must not be empty"),
        (json.dumps(GOOD | {"evidence": []}), "answerable item needs non-empty 'answers' and 'evidence'"),
        (json.dumps(GOOD | {"answers": []}), "answerable item needs non-empty 'answers' and 'evidence'"),
        (json.dumps(GOOD | {"answerable": False}), "unanswerable item must have empty"),
        (json.dumps(GOOD), "duplicate id 'q1' (first on line 1)"),
        (json.dumps(GOOD | {"id": "q2", "history": "When?"}), "field 'history' must be a list of non-empty strings"),
        (json.dumps(GOOD | {"id": "q2", "history": ["When?", ""]}), "field 'history' must be a list of non-empty"),
    ],
)
def test_loader_rejects_malformed_lines_naming_the_line(tmp_path, line, message):
    path = write_set(tmp_path, json.dumps(GOOD), line)
    with pytest.raises(EvalSetError) as error:
        load_eval_set(path)
    assert f"{path}:2: " in str(error.value)
    assert message in str(error.value)


def test_loader_reports_every_bad_line(tmp_path):
    path = write_set(tmp_path, "{", json.dumps(GOOD), "{")
    with pytest.raises(EvalSetError) as error:
        load_eval_set(path)
    assert f"{path}:1: " in str(error.value) and f"{path}:3: " in str(error.value)


def test_quote_span_exact():
    assert quote_span("abc def abc", "def") == (4, 7)
    assert quote_span("abc", "xyz") is None
    assert quote_span("abc", "") is None


def test_quote_span_ignores_whitespace_and_width_and_maps_back_to_the_original():
    text = "前文。\n イニシア\n\n ティブを推進する。"
    start, end = quote_span(text, "イニシアティブ")
    assert text[start:end] == "イニシア\n\n ティブ"
    text = "Phase ＡＢＣ  12 done"
    start, end = quote_span(text, "ABC 12")
    assert text[start:end] == "ＡＢＣ  12"


def test_quote_span_reads_a_quote_copied_from_a_web_pages_source():
    """An HTML document's offsets point into its extracted text; a quote taken from its source
    is found by what the page shows."""
    text = "The summit (Tokyo & Osaka) ended."
    start, end = quote_span(text, "summit (Tokyo &amp; <b>Osaka</b>)")
    assert text[start:end] == "summit (Tokyo & Osaka)"
    assert quote_span(text, "<b>Kyoto</b>") is None


def test_items_whose_evidence_cannot_be_located_are_named_and_judged_on_their_answers_only(tmp_path):
    from eval.metrics import summarize
    from eval.runner import EvidenceLocator, outcome_for

    (tmp_path / "a.txt").write_text("The treaty entered into force on 27 November 2025.", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    locator = EvidenceLocator(tmp_path, {"a.txt": "en"})

    def item(id_: str, doc: str, quote: str) -> EvalItem:
        return EvalItem(id=id_, lang="en", question="When did the treaty enter into force?",
                        answers=("27 November 2025",), evidence=(Evidence(doc, quote),), answerable=True)

    good, moved, gone, broken = (item("q1", "a.txt", "27 November 2025"), item("q2", "a.txt", "1 December 2025"),
                                 item("q3", "b.txt", "27 November"), item("q4", "empty.txt", "27 November"))
    assert locator.locate(good) == ([("a.txt", 33, 49)], "")
    assert [locator.locate(i) for i in (moved, gone, broken)] == [
        ([], "quote not found in a.txt: '1 December 2025'"), ([], "b.txt: not in the corpus"), ([], "empty.txt: empty file")]
    cited = {"answer": "«…on 27 November 2025» [1]", "abstained": False,
             "citations": [{"doc": "a.txt", "start": 0, "end": 50}], "passages": [{"doc": "a.txt", "start": 0, "end": 50}]}
    outcomes = [outcome_for(i, cited, locator) for i in (good, moved, gone, broken)]
    assert [o.evidence_located for o in outcomes] == [True, False, False, False]
    # a file in a subfolder named by its bare name is found there, and spans carry its corpus path
    (tmp_path / "2025").mkdir()
    (tmp_path / "2025" / "c.txt").write_text("Signed on 1 December 2025.", encoding="utf-8")
    assert locator.locate(item("q5", "c.txt", "1 December")) == ([("2025/c.txt", 10, 20)], "")
    (tmp_path / "2025" / "[1].txt").write_text("Signed on 1 December 2025.", encoding="utf-8")  # not a pattern
    assert locator.locate(item("q6", "[1].txt", "1 December")) == ([("2025/[1].txt", 10, 20)], "")
    summary = summarize(outcomes)
    assert (summary["answer_accuracy"]["num"], summary["answer_accuracy"]["den"]) == (4, 4)
    for key in ("citation_precision", "recall@1"):
        assert (summary[key]["num"], summary[key]["den"]) == (1, 1), key


def test_a_citation_supports_through_the_copy_retrieval_folded_into_it(tmp_path):
    """The same text filed twice is one source (rag.retrieve); it supports an item whose evidence
    names either file."""
    from eval.metrics import summarize
    from eval.runner import EvidenceLocator, outcome_for

    for name in ("a.txt", "copy of a.txt"):
        (tmp_path / name).write_text("The treaty entered into force on 27 November 2025.", encoding="utf-8")
    locator = EvidenceLocator(tmp_path, {})
    item = EvalItem(id="q1", lang="en", question="When did the treaty enter into force?", answers=("27 November 2025",),
                    evidence=(Evidence("a.txt", "27 November 2025"),), answerable=True)
    copy = {"doc": "copy of a.txt", "start": 0, "end": 50}
    folded = {"doc": "copy of a.txt", "start": 0, "end": 50, "copies": [{"doc": "a.txt", "start": 0, "end": 50}]}
    other = {"doc": "b.txt", "start": 0, "end": 50, "copies": [{"doc": "c.txt", "start": 0, "end": 50}]}
    for rows, supported in (([folded], 1), ([copy], 0), ([other, folded], 1)):
        outcome = outcome_for(item, {"answer": "«27 November 2025» [1]", "abstained": False,
                                     "citations": rows, "passages": rows}, locator)
        summary = summarize([outcome])
        assert summary["citation_precision"]["num"] == supported and summary["recall@5"]["num"] == supported


def test_normalize_answer():
    assert normalize_answer("  Ｍｕｔｏ\n\tСан  ") == "muto сан"
    assert normalize_answer("Straße") == "strasse"


def test_answer_matches():
    assert answer_matches("Председатель — Ёдзи МУТО.", ["Muto", "Муто"])
    assert answer_matches("２０２５年１１月２７日に発効", ["2025年11月27日"])
    assert not answer_matches("Muto", ["Мутко"])
    assert not answer_matches("anything", [])
    assert not answer_matches("anything", [" "])


def test_list_items_are_the_answers_the_evidence_documents_write_each_counted_once(tmp_path):
    from eval.runner import EvidenceLocator, outcome_for

    (tmp_path / "a.txt").write_text("Signed: the Trade Agreement, the Visa Accord and a memo.", encoding="utf-8")
    item = EvalItem(id="q", lang="en", question="Which documents were signed?",
                    answers=("Trade Agreement", "trade agreement", "Visa Accord", "Visa", "Торговое соглашение"),
                    evidence=(Evidence("a.txt", "the Trade Agreement"),), answerable=True, kind="list")
    locator = EvidenceLocator(tmp_path, {"a.txt": "en"})
    # case variants are one item, "visa" lies inside "visa accord", the Russian form is not in the source
    assert locator.list_items(item) == ["trade agreement", "visa accord"]
    answered = outcome_for(item, {"answer": "«Signed: the Trade Agreement» [1]", "abstained": False}, locator)
    assert (answered.list_items, answered.list_found) == (2, 1)
    abstained = outcome_for(item, {"answer": "the Trade Agreement", "abstained": True}, locator)
    assert (abstained.list_items, abstained.list_found) == (2, 0)
    assert locator.list_items(EvalItem(**{**item.__dict__, "kind": ""})) == []


def test_loader_reads_the_questions_asked_before_a_follow_up(tmp_path):
    loaded = load_eval_set(write_set(tmp_path, json.dumps(GOOD | {"history": ["Tell me about it.", "And then?"]}),
                                     json.dumps(GOOD | {"id": "q2"})))
    assert [item.history for item in loaded] == [("Tell me about it.", "And then?"), ()]


def test_loader_reads_an_items_kind_when_the_set_gives_one(tmp_path):
    loaded = load_eval_set(write_set(tmp_path, json.dumps(GOOD | {"kind": "list"}),
                                     json.dumps(GOOD | {"id": "q2"})))
    assert [item.kind for item in loaded] == ["list", ""]


def test_a_question_that_raises_is_recorded_as_a_wrong_answer_and_the_run_goes_on(tmp_path, capsys):
    from eval.metrics import summarize
    from eval.runner import EvidenceLocator, run_items

    (tmp_path / "a.txt").write_text("The treaty entered into force on 27 November 2025.", encoding="utf-8")
    items = [EvalItem(id=f"q{n}", lang="en", question=q, answers=("27 November 2025",),
                      evidence=(Evidence("a.txt", "27 November 2025"),), answerable=True)
             for n, q in enumerate(("When did it enter into force?", "\udcff broken"))]

    def ask(item: EvalItem) -> dict:
        if "\udcff" in item.question:
            raise UnicodeEncodeError("utf-8", item.question, 0, 1, "surrogates not allowed")
        return {"answer": "«27 November 2025» [1]", "abstained": False,
                "citations": [{"doc": "a.txt", "start": 0, "end": 50}], "passages": []}

    outcomes, records = run_items(items, ask, EvidenceLocator(tmp_path, {}), progress=False)
    assert records[1]["error"].startswith("UnicodeEncodeError") and "error" not in records[0]
    assert "Traceback" in capsys.readouterr().err
    accuracy = summarize(outcomes)["answer_accuracy"]
    assert (accuracy["num"], accuracy["den"]) == (1, 2)
