"""Retrieval's folding of passages no signal can tell apart and its lexical bonus across languages
(pure logic; the end-to-end cases are in test_ask.py)."""

from __future__ import annotations

from index.document import Passage
from rag.retrieve import ScoredPassage, best_first, with_bonus_within_language, without_copies


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


def test_the_lexical_bonus_reorders_a_language_but_lifts_none_of_it_past_another():
    ranked = with_bonus_within_language(
        [_hit("ru", 1, "Диалог прошёл в Ашхабаде.", 0.80, lang="ru"), _hit("ja", 1, "対話の開催を歓迎した。", 0.79, lang="ja"),
         _hit("ja", 2, "対話は東京で行われた。", 0.70, lang="ja"), _hit("ru", 2, "Стороны обсудили энергетику.", 0.60, lang="ru")],
        bonus={"ja#p2": 0.5}, lang="ja")
    # the Japanese passages keep the second and third places and swap within them
    assert [h.passage.id for h in ranked] == ["ru#p1", "ja#p2", "ja#p1", "ru#p2"]
    assert [round(h.score, 6) for h in ranked] == [0.80, 0.80, 0.79, 0.60]  # ja#p2 held just under ru#p1
    assert all(a.score > b.score for a, b in zip(ranked, ranked[1:]))


def test_in_a_pool_of_one_language_the_lexical_bonus_is_added():
    hits = [_hit("a", 1, "The ministers met in Bergen.", 0.8), _hit("a", 2, "They agreed on wind.", 0.7),
            _hit("b", 1, "Grid links were discussed.", 0.6)]
    ranked = with_bonus_within_language(hits, {"a#p2": 0.2, "b#p1": 0.35}, lang="en")
    assert [(h.passage.id, round(h.score, 6)) for h in ranked] == [("b#p1", 0.95), ("a#p2", 0.9), ("a#p1", 0.8)]
