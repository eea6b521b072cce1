"""Sentence vectors: per-document files, best sentence per passage, removal."""

from __future__ import annotations

import numpy as np
import pytest

from index.sentence_split import split_sentences
from index.sentences import SentenceVectors


def _unit(*xs):
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_best_similarity_is_the_best_sentence_of_each_passage(tmp_path):
    vectors = SentenceVectors.load(tmp_path / "sentences")
    assert vectors.count() == 0 and vectors.best_similarity(_unit(1, 0), ["a#p1"]) == {}
    rows = np.stack([_unit(1, 0), _unit(0, 1), _unit(1, 1)])
    vectors.replace_document("a", ["a#p1", "a#p1", "a#p2"], rows, -rows)
    vectors.replace_document("b", ["b#p1"], np.stack([_unit(-1, 0)]), np.stack([_unit(1, 0)]))
    best = vectors.best_similarity(_unit(0, 1), ["a#p1", "a#p2", "b#p1", "zzz"])
    assert best["a#p1"] == 1.0 and abs(best["a#p2"] - 0.7071) < 1e-3 and best["b#p1"] == 0.0
    assert "zzz" not in best
    # each passage's own vectors come back beside its vectors, row for row
    assert np.array_equal(vectors.own_of_passage("a#p1"), -rows[:2]) and vectors.own_of_passage("zzz") is None
    with pytest.raises(ValueError, match="own vectors"):
        vectors.replace_document("c", ["c#p1"], rows[:1], rows[:0])


def test_each_document_is_its_own_file_replaced_and_removed_alone(tmp_path):
    folder = tmp_path / "sentences"
    vectors = SentenceVectors.load(folder)
    vectors.replace_document("a", ["a#p1"], np.stack([_unit(1, 0)]), np.stack([_unit(1, 0)]))
    b_rows = np.stack([_unit(0, 1), _unit(1, 0)])
    vectors.replace_document("sub/b", ["sub/b#p1", "sub/b#p2"], b_rows, b_rows)
    b_file = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert vectors.best_similarity(_unit(1, 0), ["a#p1"]) == {"a#p1": 1.0}  # now cached
    vectors.replace_document("a", ["a#p1", "a#p2"], np.stack([_unit(0, 1), _unit(0, 1)]),  # edited document
                             np.stack([_unit(0, 1), _unit(0, 1)]))
    assert vectors.best_similarity(_unit(1, 0), ["a#p1"]) == {"a#p1": 0.0}, "the cache must not serve the old rows"
    after = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert len(after) == 2 and sum(after[n] == t for n, t in b_file.items()) == 1  # b's file untouched
    vectors.replace_document("empty", [], np.zeros((0, 0), np.float32), np.zeros((0, 0), np.float32))
    assert vectors.has_document("empty") and vectors.of_passage("empty#p1") is None
    vectors.remove_documents(["sub/b", "empty"])
    again = SentenceVectors.load(folder)
    assert again.count() == 2 and again.has_document("a") and not again.has_document("sub/b")
    assert again.best_similarity(_unit(0, 1), ["a#p1", "sub/b#p1"]) == {"a#p1": 1.0}
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary file left behind


def _stored_passages(service):
    retriever = service.retriever
    return retriever.store.get([pid for e in retriever.manifest.docs.values() for pid in e.passages])


def _passages_with_sentences(service, least: int):
    return [p for p in _stored_passages(service) if len(split_sentences(p.text)) >= least]


def test_late_chunking_pools_each_sentence_from_its_passage_pass(seed_service):
    embedding = seed_service.retriever.embedding
    # passages of prose: a header field's line ("[備考] 仮訳") holds too little of its own for its
    # pooled vector to stand apart from its neighbours'
    passages = [p for p in _passages_with_sentences(seed_service, 3)
                if min(map(len, split_sentences(p.text))) >= 20][:6]
    assert len(passages) >= 2
    sentences = [split_sentences(p.text) for p in passages]
    vectors, pooled, own = embedding.embed_late(passages, sentences)
    assert np.allclose(vectors, embedding.embed_passages(passages), atol=2e-3)  # the same passage vectors
    for passage, texts, rows, own_rows in zip(passages, sentences, pooled, own):
        assert rows.shape == own_rows.shape == (len(texts), vectors.shape[1])
        assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-3)
        assert np.allclose(np.linalg.norm(own_rows, axis=1), 1.0, atol=1e-3)
        titled, alone = embedding.embed_sentences([(passage, s) for s in texts]), embedding.embed_alone(texts)
        # each pooled vector is closest to its own sentence embedded on its own (titled; without
        # the title for the own vectors), of the passage's sentences
        assert (np.argmax(rows @ titled.T, axis=1) == np.arange(len(texts))).all()
        assert (np.argmax(own_rows @ alone.T, axis=1) == np.arange(len(texts))).all()
        # without the title's tokens, a sentence's vector is nearer the sentence alone
        assert np.mean(np.sum(own_rows * alone, axis=1)) > np.mean(np.sum(rows * alone, axis=1))


def test_late_chunking_embeds_alone_the_sentences_cut_off_by_the_length_limit(seed_service):
    embedding = seed_service.retriever.embedding
    model = embedding._st()
    passage = max(_passages_with_sentences(seed_service, 3), key=lambda p: len(p.text))
    texts = split_sentences(passage.text)
    limit = model.max_seq_length
    model.max_seq_length = len(model.tokenizer(embedding.document_text(passage))["input_ids"]) // 3
    try:
        _, (rows,), (own,) = embedding.embed_late([passage], [texts])
        first, last = embedding.embed_sentences([(passage, texts[0]), (passage, texts[-1])])
        first_alone, last_alone = embedding.embed_alone([texts[0], texts[-1]])
    finally:
        model.max_seq_length = limit
    assert np.allclose(rows[-1], last, atol=2e-3) and np.allclose(own[-1], last_alone, atol=2e-3)  # past the cut: embedded on its own
    assert not np.allclose(rows[0], first, atol=2e-3) and not np.allclose(own[0], first_alone, atol=2e-3)  # within it: pooled


def test_a_one_sentence_passage_stores_the_vector_its_sentence_would_get(seed_service):
    """Ingest reuses such a passage's own vector (the same text goes in) instead of encoding it again."""
    retriever = seed_service.retriever
    single = [p for p in _stored_passages(seed_service) if split_sentences(p.text) == [p.text]][:3]
    several = _passages_with_sentences(seed_service, 2)[:1]
    assert single and several
    for passage in single + several:
        stored = retriever.sentences.of_passage(passage.id)
        alone = retriever.embedding.embed_sentences([(passage, s) for s in split_sentences(passage.text)])
        assert stored.shape == alone.shape and np.allclose(stored, alone, atol=2e-3)


def test_ingest_stores_each_sentences_own_vector_from_its_passage_pass(seed_service):
    retriever = seed_service.retriever
    passages = _passages_with_sentences(seed_service, 2)[:3] + [
        p for p in _stored_passages(seed_service) if split_sentences(p.text) == [p.text]][:2]
    _, _, own = retriever.embedding.embed_late(passages, [split_sentences(p.text) for p in passages])
    for passage, rows in zip(passages, own):
        # the same vectors, up to the rounding of another batch's padding (bfloat16 on some CPUs)
        assert np.sum(retriever.sentences.own_of_passage(passage.id) * rows, axis=1).min() > 0.995
