"""Retrieval's folding of passages no signal can tell apart (pure logic; the end-to-end case is in
test_ask.py)."""

from __future__ import annotations

from index.document import Passage
from rag.retrieve import ScoredPassage, best_first, without_copies


def _hit(doc: str, n: int, text: str, score: float, **meta) -> ScoredPassage:
    meta = {"title": "Joint statement", "date": "2025-03-03", "lang": "en", **meta}
    return ScoredPassage(Passage(id=f"{doc}#p{n}", doc_id=doc, doc=f"{doc}.txt", n=n, text=text, start=0,
                                 end=len(text), **meta), score)


def test_a_passage_filed_twice_is_one_result_carrying_its_copy():
    ranked = [_hit("a", 1, "The ministers met in Bergen.", 0.9), _hit("b", 1, "The ministers met in Bergen.", 0.9),
              _hit("a", 2, "They agreed on offshore wind.", 0.7), _hit("b", 2, "They agreed on offshore wind.", 0.7),
              _hit("c", 5, "Grid interconnection was discussed.", 0.5)]
    out = without_copies(ranked, k=3)
    assert [h.passage.id for h in out] == ["a#p1", "a#p2", "c#p5"]  # k counts distinct passages
    assert [[c.id for c in h.copies] for h in out] == [["b#p1"], ["b#p2"], []]


def test_the_same_text_as_a_reader_sees_it_is_the_same():
    ranked = [_hit("a", 1, "The ministers met\nin  Bergen.", 0.9), _hit("b", 1, "The ministers met in Bergen.", 0.8),
              _hit("c", 1, "Ｔｈｅ ministers met in Bergen.", 0.7)]  # full-width letters: NFKC folds them
    out = without_copies(ranked, k=5)
    assert len(out) == 1 and [c.id for c in out[0].copies] == ["b#p1", "c#p1"]


def test_the_same_words_in_another_context_stay_apart():
    text = "The two sides welcomed the progress of cooperation."
    ranked = [_hit("a", 1, text, 0.9), _hit("b", 1, text, 0.8, date="2024-03-03"),  # another year's statement
              _hit("c", 1, text, 0.7, title="Press release"), _hit("d", 1, text, 0.6, section="Energy"),
              _hit("e", 1, text, 0.5, lead="The sides agreed:"), _hit("f", 1, text, 0.4, lang="")]
    out = without_copies(ranked, k=10)
    assert [h.passage.id for h in out] == ["a#p1", "b#p1", "c#p1", "d#p1", "e#p1", "f#p1"]
    assert not any(h.copies for h in out)


def test_of_twins_with_equal_scores_the_shorter_file_name_leads():
    text = "The ministers met in Bergen."
    ranked = best_first([_hit("report (1)", 1, text, 0.9), _hit("Copy of report", 1, text, 0.9),
                          _hit("report", 1, text, 0.9), _hit("other", 2, "Another text.", 0.95)])
    out = without_copies(ranked, k=5)
    assert [h.passage.id for h in out] == ["other#p2", "report#p1"]
    assert [c.id for c in out[1].copies] == ["report (1)#p1", "Copy of report#p1"]
