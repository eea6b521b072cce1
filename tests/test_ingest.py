"""Incremental sync on the real stack: sentence-transformers, Chroma, BM25, manifest."""

from __future__ import annotations

import json

import pytest

from index.ingest import sync
from index.lexical import LexicalIndex
from index.sentences import SentenceVectors
from index.store import INDEX_FORMAT, Manifest, PassageStore, StoreError

JA = "000_6f479204fdb56844.txt"
RU = "003_223ee8f423a3e31d.txt"


def quiet(settings, paths=None, **kw):
    return sync(settings, paths, progress=False, log=lambda _m: None, **kw)


def _no_embedding(_settings):
    raise AssertionError("the embedding model must not be loaded when nothing changed")


def test_first_sync_indexes_everything(fresh_settings):
    report = quiet(fresh_settings)
    assert sorted(report.added) == [JA, RU]
    manifest = Manifest.load(fresh_settings.manifest_path)
    n = sum(len(e.passages) for e in manifest.docs.values())
    assert report.passages_embedded == n > 20
    assert PassageStore(fresh_settings).count() == n
    assert len(LexicalIndex.load(fresh_settings.lexical_dir)) == n
    sentences = SentenceVectors.load(fresh_settings.sentences_path)
    assert report.sentences_embedded == len(sentences) >= n
    assert sentences.doc_ids() == {e.doc_id for e in manifest.docs.values()}
    ids = [pid for e in manifest.docs.values() for pid in e.passages]
    assert all("#p" in pid for pid in ids) and len(set(ids)) == len(ids)


def test_unchanged_corpus_embeds_nothing(fresh_settings):
    quiet(fresh_settings)
    before = fresh_settings.manifest_path.read_text()
    report = quiet(fresh_settings, embedding_factory=_no_embedding)
    assert report.unchanged == 2 and report.passages_embedded == 0
    assert fresh_settings.manifest_path.read_text() == before


def test_ids_are_stable_across_rebuilds(fresh_settings, tmp_path):
    quiet(fresh_settings)
    first = Manifest.load(fresh_settings.manifest_path)
    rebuilt = fresh_settings.model_copy(update={"data_dir": tmp_path / "rebuilt"})
    quiet(rebuilt)
    second = Manifest.load(rebuilt.manifest_path)
    assert {d: e.passages for d, e in first.docs.items()} == {d: e.passages for d, e in second.docs.items()}


def test_editing_one_paragraph_reembeds_only_that_file(fresh_settings):
    quiet(fresh_settings)
    path = fresh_settings.corpus_dir / RU
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Также на встрече присутствовали послы всех стран-участниц.",
                                 "На встрече присутствовали послы всех стран-участниц и наблюдатели."),
                    encoding="utf-8")
    report = quiet(fresh_settings)
    manifest = Manifest.load(fresh_settings.manifest_path)
    assert report.updated == [RU] and report.added == [] and report.unchanged == 1
    assert report.passages_embedded == len(manifest.docs[RU].passages)
    store = PassageStore(fresh_settings)
    texts = [p.text for p in store.get(manifest.docs[RU].passages)]
    assert any("наблюдатели" in t for t in texts)
    assert store.count() == sum(len(e.passages) for e in manifest.docs.values())


def test_deleting_a_file_removes_its_passages(fresh_settings):
    quiet(fresh_settings)
    old = Manifest.load(fresh_settings.manifest_path).docs[RU].passages
    (fresh_settings.corpus_dir / RU).unlink()
    report = quiet(fresh_settings)
    assert report.removed == [RU]
    assert PassageStore(fresh_settings).get(old) == []
    assert not set(old) & set(LexicalIndex.load(fresh_settings.lexical_dir).ids())
    assert "003_223ee8f423a3e31d" not in SentenceVectors.load(fresh_settings.sentences_path).doc_ids()
    assert RU not in Manifest.load(fresh_settings.manifest_path).docs


def test_broken_file_is_reported_and_the_rest_indexes(fresh_settings):
    (fresh_settings.corpus_dir / "broken.docx").write_bytes(b"this is not a zip archive")
    (fresh_settings.corpus_dir / "empty.txt").write_bytes(b"")
    report = quiet(fresh_settings)
    failed = dict(report.failed)
    assert set(failed) == {"broken.docx", "empty.txt"}
    assert all(reason for reason in failed.values())
    assert sorted(report.added) == [JA, RU]


def test_interrupted_sync_leaves_manifest_and_recovers(fresh_settings, monkeypatch):
    def boom(self):
        raise OSError("disk full")

    monkeypatch.setattr(LexicalIndex, "save", boom)
    with pytest.raises(OSError):
        quiet(fresh_settings)
    assert not fresh_settings.manifest_path.exists()  # nothing claims to be indexed
    monkeypatch.undo()
    report = quiet(fresh_settings)
    manifest = Manifest.load(fresh_settings.manifest_path)
    assert sorted(report.added) == [JA, RU]
    assert PassageStore(fresh_settings).count() == sum(len(e.passages) for e in manifest.docs.values())


def test_collection_refuses_another_embedding_model(fresh_settings):
    quiet(fresh_settings)
    other = fresh_settings.model_copy(update={"embed_model": "some/other-model"})
    with pytest.raises(StoreError, match="built with"):
        PassageStore(other)
    with pytest.raises(StoreError, match="built with"):
        quiet(other)


def test_ingest_paths_must_be_inside_the_corpus(fresh_settings, tmp_path):
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("text", encoding="utf-8")
    with pytest.raises(StoreError, match="not inside"):
        quiet(fresh_settings, [outside])


def test_manifest_is_json_with_metadata(fresh_settings):
    quiet(fresh_settings)
    data = json.loads(fresh_settings.manifest_path.read_text(encoding="utf-8"))
    ja = data["docs"][JA]["metadata"]
    assert ja["date"] == "2025-12-20" and ja["lang"] == "ja" and ja["title"]
    assert data["docs"][RU]["metadata"]["date"] == "2025-09-17"


def test_missing_sentence_vectors_are_rebuilt_without_reembedding_passages(fresh_settings):
    quiet(fresh_settings)
    full = len(SentenceVectors.load(fresh_settings.sentences_path))
    fresh_settings.sentences_path.unlink()  # as in an index built before sentence vectors existed
    report = quiet(fresh_settings)
    assert report.passages_embedded == 0 and report.sentences_embedded == full
    assert len(SentenceVectors.load(fresh_settings.sentences_path)) == full


def test_an_index_of_an_older_format_is_rebuilt(fresh_settings):
    quiet(fresh_settings)
    data = json.loads(fresh_settings.manifest_path.read_text(encoding="utf-8"))
    n = sum(len(e["passages"]) for e in data["docs"].values())
    data["format"] = INDEX_FORMAT - 1  # as written by a release whose passages were built differently
    fresh_settings.manifest_path.write_text(json.dumps(data), encoding="utf-8")
    report = quiet(fresh_settings)
    assert sorted(report.updated) == [JA, RU] and report.passages_embedded == n
    assert Manifest.load(fresh_settings.manifest_path).format == INDEX_FORMAT
    assert PassageStore(fresh_settings).count() == n
