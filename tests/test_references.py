"""A passage is named alike in the CLI's plain output and the UI (``rag.references``)."""

from __future__ import annotations

from rag.cli import _reference
from rag.references import known_facts, paragraph_number, reference
from ui.render import source_card

PASSAGE = {"id": "abc#p12", "doc": "report.txt", "title": "", "date": None, "place": "Tokyo",
           "source": "MOFA", "section": "2 Energy", "text": "Text."}


def test_an_untitled_passage_is_named_by_its_file_in_the_cli_and_the_ui():
    assert reference(PASSAGE) == "report.txt, n.d., ¶12"
    assert _reference(PASSAGE) == "abc#p12 — report.txt, n.d., ¶12"  # the CLI: the ID, then the same string
    assert "report.txt, n.d., ¶12" in source_card(PASSAGE, cited=False, answer="", labels={"not_cited": "x"})


def test_known_facts_are_those_a_passage_has_in_one_order():
    assert known_facts(PASSAGE) == ["Tokyo", "MOFA"]
    assert known_facts(PASSAGE | {"date": "2025-12-20"}, section=True) == ["2025-12-20", "Tokyo", "MOFA", "2 Energy"]
    assert paragraph_number("abc#p3") == "3" and paragraph_number("abc") == "?"
