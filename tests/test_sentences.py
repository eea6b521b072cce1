"""Sentence vectors: splitting, per-document files, best sentence per passage, removal."""

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
    vectors = SentenceVectors.load(tmp_path / "sentences")
    assert vectors.count() == 0 and vectors.best_similarity(_unit(1, 0), ["a#p1"]) == {}
    vectors.replace_document("a", ["a#p1", "a#p1", "a#p2"], np.stack([_unit(1, 0), _unit(0, 1), _unit(1, 1)]))
    vectors.replace_document("b", ["b#p1"], np.stack([_unit(-1, 0)]))
    best = vectors.best_similarity(_unit(0, 1), ["a#p1", "a#p2", "b#p1", "zzz"])
    assert best["a#p1"] == 1.0 and abs(best["a#p2"] - 0.7071) < 1e-3 and best["b#p1"] == 0.0
    assert "zzz" not in best


def test_each_document_is_its_own_file_replaced_and_removed_alone(tmp_path):
    folder = tmp_path / "sentences"
    vectors = SentenceVectors.load(folder)
    vectors.replace_document("a", ["a#p1"], np.stack([_unit(1, 0)]))
    vectors.replace_document("sub/b", ["sub/b#p1", "sub/b#p2"], np.stack([_unit(0, 1), _unit(1, 0)]))
    b_file = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert vectors.best_similarity(_unit(1, 0), ["a#p1"]) == {"a#p1": 1.0}  # now cached
    vectors.replace_document("a", ["a#p1", "a#p2"], np.stack([_unit(0, 1), _unit(0, 1)]))  # edited document
    assert vectors.best_similarity(_unit(1, 0), ["a#p1"]) == {"a#p1": 0.0}, "the cache must not serve the old rows"
    after = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert len(after) == 2 and sum(after[n] == t for n, t in b_file.items()) == 1  # b's file untouched
    vectors.replace_document("empty", [], np.zeros((0, 0), np.float32))
    assert vectors.has_document("empty") and vectors.of_passage("empty#p1") is None
    vectors.remove_documents(["sub/b", "empty"])
    again = SentenceVectors.load(folder)
    assert again.count() == 2 and again.has_document("a") and not again.has_document("sub/b")
    assert again.best_similarity(_unit(0, 1), ["a#p1", "sub/b#p1"]) == {"a#p1": 1.0}
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary file left behind
