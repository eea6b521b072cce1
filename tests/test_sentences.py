"""Sentence vectors: splitting, per-document replacement, best sentence per passage, saving."""

from __future__ import annotations

import numpy as np

from index.sentences import SentenceVectors, split_sentences


def test_split_sentences_in_japanese_and_russian():
    assert split_sentences("条約が発効した。双方は歓迎した。") == ["条約が発効した。", "双方は歓迎した。"]
    assert split_sentences("Встреча прошла 16 сентября. Её вёл Муто.") == ["Встреча прошла 16 сентября.", "Её вёл Муто."]


def _unit(*xs):
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_best_similarity_is_the_best_sentence_of_each_passage(tmp_path):
    vectors = SentenceVectors.load(tmp_path / "s.npz")
    assert len(vectors) == 0 and vectors.best_similarity(_unit(1, 0), ["a#p1"]) == {}
    vectors.replace_document("a", ["a#p1", "a#p1", "a#p2"], np.stack([_unit(1, 0), _unit(0, 1), _unit(1, 1)]))
    vectors.replace_document("b", ["b#p1"], np.stack([_unit(-1, 0)]))
    best = vectors.best_similarity(_unit(0, 1), ["a#p1", "a#p2", "b#p1", "zzz"])
    assert best["a#p1"] == 1.0 and abs(best["a#p2"] - 0.7071) < 1e-3 and best["b#p1"] == 0.0
    assert "zzz" not in best


def test_replace_remove_and_reload(tmp_path):
    path = tmp_path / "s.npz"
    vectors = SentenceVectors.load(path)
    vectors.replace_document("a", ["a#p1"], np.stack([_unit(1, 0)]))
    vectors.replace_document("b", ["b#p1", "b#p2"], np.stack([_unit(0, 1), _unit(1, 0)]))
    vectors.replace_document("a", ["a#p1", "a#p2"], np.stack([_unit(0, 1), _unit(0, 1)]))  # edited document
    vectors.remove_documents(["b"])
    vectors.save()
    again = SentenceVectors.load(path)
    assert len(again) == 2 and again.doc_ids() == {"a"}
    assert again.best_similarity(_unit(0, 1), ["a#p1", "b#p1"]) == {"a#p1": 1.0}
    assert [p.name for p in tmp_path.iterdir()] == ["s.npz"]  # no temporary file left behind
