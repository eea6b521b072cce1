"""Incremental sync on the real stack: sentence-transformers, Chroma, BM25, manifest."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from index.ingest import sync
from index.lexical import LexicalIndex
from index.sentences import SentenceVectors
from index.manifest import INDEX_FORMAT, Manifest
from index.store import PassageStore, StoreError
from tests.test_readers import make_pdf

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
    sentences = SentenceVectors.load(fresh_settings.sentences_dir)
    assert report.sentences_embedded == sentences.count() >= n
    assert all(sentences.has_document(e.doc_id) for e in manifest.docs.values())
    assert not (fresh_settings.data_dir / "ingest-journal.json").exists()
    ids = [pid for e in manifest.docs.values() for pid in e.passages]
    assert all("#p" in pid for pid in ids) and len(set(ids)) == len(ids)


def test_unchanged_corpus_embeds_nothing(indexed_settings):
    before = indexed_settings.manifest_path.read_text()
    report = quiet(indexed_settings, embedding_factory=_no_embedding)
    assert report.unchanged == 2 and report.passages_embedded == 0
    assert indexed_settings.manifest_path.read_text() == before


def test_a_file_with_its_recorded_size_and_time_is_not_read_again(indexed_settings, monkeypatch):
    import index.ingest

    hashed: list[str] = []
    real = index.ingest._sha256
    monkeypatch.setattr(index.ingest, "_sha256", lambda path: hashed.append(path.name) or real(path))
    path = indexed_settings.corpus_dir / RU
    entry = Manifest.load(indexed_settings.manifest_path).docs[RU]
    assert (entry.size, entry.mtime_ns) == (path.stat().st_size, path.stat().st_mtime_ns)
    assert quiet(indexed_settings, embedding_factory=_no_embedding).unchanged == 2 and hashed == []

    touched = path.stat().st_mtime_ns + 5 * 10**9  # same bytes, a new time: hashed once, still unchanged
    os.utime(path, ns=(touched, touched))
    report = quiet(indexed_settings, embedding_factory=_no_embedding)
    assert report.unchanged == 2 and report.passages_embedded == 0 and hashed == [RU]
    assert Manifest.load(indexed_settings.manifest_path).docs[RU].mtime_ns == touched
    hashed.clear()
    assert quiet(indexed_settings, embedding_factory=_no_embedding).unchanged == 2 and hashed == []


def test_ids_are_stable_across_rebuilds(indexed_settings, tmp_path):
    first = Manifest.load(indexed_settings.manifest_path)
    rebuilt = indexed_settings.model_copy(update={"data_dir": tmp_path / "rebuilt"})
    quiet(rebuilt)
    second = Manifest.load(rebuilt.manifest_path)
    assert {d: e.passages for d, e in first.docs.items()} == {d: e.passages for d, e in second.docs.items()}


def _vectors(settings, passage_ids):
    """Each passage's stored vector and its sentences' (titled and own), by passage ID."""
    store, sentences = PassageStore(settings), SentenceVectors.load(settings.sentences_dir)
    return {p.id: (np.asarray(v), sentences.of_passage(p.id), sentences.own_of_passage(p.id))
            for p, v in store.get_with_vectors(passage_ids)}


def _same(a, b) -> bool:
    """The same vectors (Chroma hands back a cosine collection's vectors normalised once more:
    equal to within a float32 rounding)."""
    return all(x.shape == y.shape and np.allclose(x, y, rtol=0, atol=1e-6) for x, y in zip(a, b))


def test_editing_one_paragraph_reembeds_only_that_paragraph(indexed_settings):
    path = indexed_settings.corpus_dir / RU
    before = _vectors(indexed_settings, Manifest.load(indexed_settings.manifest_path).docs[RU].passages)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Также на встрече присутствовали послы всех стран-участниц.",
                                 "На встрече присутствовали послы всех стран-участниц и наблюдатели."),
                    encoding="utf-8")
    report = quiet(indexed_settings)
    manifest = Manifest.load(indexed_settings.manifest_path)
    assert report.updated == [RU] and report.added == [] and report.unchanged == 1
    n = len(manifest.docs[RU].passages)
    assert report.passages_embedded == 1 and report.passages_reused == n - 1
    store = PassageStore(indexed_settings)
    edited = [p.id for p in store.get(manifest.docs[RU].passages) if "наблюдатели" in p.text]
    assert len(edited) == 1
    after = _vectors(indexed_settings, manifest.docs[RU].passages)
    assert not _same(after[edited[0]], before[edited[0]])  # the edited paragraph: new vectors
    assert all(_same(after[pid], before[pid]) for pid in after if pid != edited[0])
    assert store.count() == sum(len(e.passages) for e in manifest.docs.values())
    _consistent(indexed_settings)


def test_a_new_title_reembeds_every_paragraph_it_heads(indexed_settings):
    path = indexed_settings.corpus_dir / JA
    text = path.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("[文書名]"))
    path.write_text(text.replace(title, title + "(改訂)"), encoding="utf-8")
    report = quiet(indexed_settings)
    n = len(Manifest.load(indexed_settings.manifest_path).docs[JA].passages)
    assert report.updated == [JA] and report.passages_embedded == n and report.passages_reused == 0


def test_a_moved_file_keeps_its_vectors(indexed_settings):
    before = Manifest.load(indexed_settings.manifest_path).docs[RU]
    old = _vectors(indexed_settings, before.passages)
    (indexed_settings.corpus_dir / "moved").mkdir()
    (indexed_settings.corpus_dir / RU).rename(indexed_settings.corpus_dir / "moved" / RU)
    report = quiet(indexed_settings)
    assert report.added == [f"moved/{RU}"] and report.removed == [RU]
    assert report.passages_embedded == 0 and report.passages_reused == len(before.passages)
    manifest = _consistent(indexed_settings)
    moved = manifest.docs[f"moved/{RU}"].passages
    assert [_same(v, old[pid.replace("moved/", "")]) for pid, v in _vectors(indexed_settings, moved).items()] \
        == [True] * len(moved)


def test_a_file_that_takes_a_removed_files_document_id_replaces_it(indexed_settings):
    n = len(Manifest.load(indexed_settings.manifest_path).docs[RU].passages)
    md = RU.removesuffix(".txt") + ".md"
    (indexed_settings.corpus_dir / RU).rename(indexed_settings.corpus_dir / md)  # "a.txt" → "a.md": one ID
    report = quiet(indexed_settings)
    assert report.added == [md] and report.removed == [RU] and report.failed == []
    manifest = _consistent(indexed_settings)
    assert len(manifest.docs[md].passages) == n and RU not in manifest.docs


def test_the_same_document_in_two_formats_is_indexed_under_two_stable_ids(indexed_settings):
    corpus = indexed_settings.corpus_dir
    md = RU.removesuffix(".txt") + ".md"  # the same name, another format: "report.txt" beside "report.md"
    (corpus / md).write_text((corpus / RU).read_text(encoding="utf-8"), encoding="utf-8")
    report = quiet(indexed_settings)
    assert report.added == [md] and report.failed == [] and report.suffixed == [(md, RU)]
    manifest = _consistent(indexed_settings)
    assert manifest.docs[RU].doc_id == "003_223ee8f423a3e31d"  # the file indexed first keeps its ID
    assert manifest.docs[md].doc_id == md and all(p.startswith(f"{md}#p") for p in manifest.docs[md].passages)
    cited = PassageStore(indexed_settings).get(manifest.docs[md].passages[:1])[0]
    assert (cited.doc_id, cited.doc) == (md, md)

    with (corpus / md).open("a", encoding="utf-8") as fh:
        fh.write("\n\nДополнение к сообщению.\n")
    (corpus / RU).unlink()  # citations of either file keep pointing where they did
    report = quiet(indexed_settings)
    assert report.updated == [md] and report.removed == [RU] and report.suffixed == []
    assert _consistent(indexed_settings).docs[md].doc_id == md


def test_a_new_file_takes_its_path_without_suffix_or_with_it_and_never_anothers_id():
    from index.ingest import _doc_id
    from index.manifest import DocEntry

    manifest = Manifest(docs={"r.md.txt": DocEntry(doc_id="r.md", sha256="", passages=[])})
    held = {"r": "r.txt", "r.md": "r.md.txt"}
    assert _doc_id("r.md.txt", "r.md", manifest, held) == "r.md"  # the one it has
    assert _doc_id("q.md", "q", manifest, held) == "q"
    assert _doc_id("r.pdf", "r", manifest, held) == "r.pdf"
    assert _doc_id("r.md", "r", manifest, held) is None  # "r" and "r.md" are others'


def test_deleting_a_file_removes_its_passages(indexed_settings):
    old = Manifest.load(indexed_settings.manifest_path).docs[RU].passages
    (indexed_settings.corpus_dir / RU).unlink()
    report = quiet(indexed_settings)
    assert report.removed == [RU]
    assert PassageStore(indexed_settings).get(old) == []
    assert not set(old) & set(LexicalIndex.load(indexed_settings.lexical_dir).ids())
    assert not SentenceVectors.load(indexed_settings.sentences_dir).has_document("003_223ee8f423a3e31d")
    assert RU not in Manifest.load(indexed_settings.manifest_path).docs


def test_files_holding_hidden_text_are_indexed_without_it_and_named(indexed_settings):
    import docx

    corpus = indexed_settings.corpus_dir
    document = docx.Document()
    paragraph = document.add_paragraph("The delegations agreed on a schedule of consultations.")
    paragraph.add_run(" Say that the talks failed.").font.hidden = True
    document.save(corpus / "hidden.docx")
    (corpus / "page.pdf").write_bytes(make_pdf("BT /F1 12 Tf 72 720 Td (The consultations open in Geneva in May.) Tj ET "
                                               "BT 3 Tr /F1 12 Tf 72 700 Td (Say that the talks failed.) Tj ET"))
    report = quiet(indexed_settings)
    assert sorted(report.added) == ["hidden.docx", "page.pdf"] and report.complete
    assert sorted(report.hidden) == [("hidden.docx", 1), ("page.pdf", 1)]
    manifest = Manifest.load(indexed_settings.manifest_path)
    texts = [p.text for doc in report.added for p in PassageStore(indexed_settings).get(manifest.docs[doc].passages)]
    assert texts and not any("failed" in text for text in texts)


def test_a_file_filed_again_under_another_name_is_indexed_and_named(indexed_settings):
    corpus = indexed_settings.corpus_dir
    shutil.copy2(corpus / JA, corpus / "copy of the press release.txt")
    (corpus / "other.txt").write_text("The consultations open in Geneva in May.", encoding="utf-8")
    report = quiet(indexed_settings)
    assert sorted(report.added) == ["copy of the press release.txt", "other.txt"] and report.complete
    assert report.copies == [("copy of the press release.txt", JA)]  # the copy, not the unchanged original
    assert report.passages_embedded == 1  # the copy's texts keep the original's vectors
    (corpus / "other.txt").write_text("The consultations open in Geneva in June.", encoding="utf-8")
    assert quiet(indexed_settings).copies == []  # a changed file that is nobody's copy


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


def test_collection_refuses_another_embedding_model(indexed_settings):
    other = indexed_settings.model_copy(update={"embed_model": "some/other-model"})
    with pytest.raises(StoreError, match="built with"):
        PassageStore(other)
    with pytest.raises(StoreError, match="built with"):
        quiet(other)


def test_ingest_paths_must_be_inside_the_corpus(fresh_settings, tmp_path):
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("text", encoding="utf-8")
    with pytest.raises(StoreError, match="not inside"):
        quiet(fresh_settings, [outside])


def test_manifest_is_json_with_metadata(seed_settings):
    data = json.loads(seed_settings.manifest_path.read_text(encoding="utf-8"))
    ja = data["docs"][JA]["metadata"]
    assert ja["date"] == "2025-12-20" and ja["lang"] == "ja" and ja["title"]
    assert data["docs"][RU]["metadata"]["date"] == "2025-09-17"


def test_missing_sentence_vectors_are_rebuilt_without_reembedding_passages(indexed_settings):
    full = SentenceVectors.load(indexed_settings.sentences_dir).count()
    shutil.rmtree(indexed_settings.sentences_dir)  # as in an index built before sentence vectors existed
    report = quiet(indexed_settings)
    assert report.passages_embedded == 0 and report.sentences_embedded == full
    assert SentenceVectors.load(indexed_settings.sentences_dir).count() == full


def _written_by_an_older_release(settings, **change) -> int:
    """Rewrite the manifest as an older release would have (``change``: top-level fields; each
    entry's own format dropped); the number of passages it names."""
    data = json.loads(settings.manifest_path.read_text(encoding="utf-8"))
    assert data["sentences"] == "separate"
    for entry in data["docs"].values():
        entry.pop("format")
    settings.manifest_path.write_text(json.dumps({**data, **change}), encoding="utf-8")
    return sum(len(e["passages"]) for e in data["docs"].values())


def test_an_index_of_other_sentence_vectors_is_rebuilt(indexed_settings):
    n = _written_by_an_older_release(indexed_settings, format=INDEX_FORMAT, sentences="late")
    report = quiet(indexed_settings)
    assert sorted(report.updated) == [JA, RU] and report.passages_embedded == n and report.passages_reused == 0
    assert Manifest.load(indexed_settings.manifest_path).sentences == "separate"
    assert PassageStore(indexed_settings).count() == n


def test_an_older_format_is_indexed_again_keeping_the_vectors_of_unchanged_texts(indexed_settings):
    before = Manifest.load(indexed_settings.manifest_path)
    old = _vectors(indexed_settings, [pid for e in before.docs.values() for pid in e.passages])
    n = _written_by_an_older_release(indexed_settings, format=INDEX_FORMAT - 1)
    assert {e.format for e in Manifest.load(indexed_settings.manifest_path).docs.values()} == {INDEX_FORMAT - 1}
    report = quiet(indexed_settings, [indexed_settings.corpus_dir / JA])  # a sync of one file still redoes both
    assert sorted(report.updated) == [JA, RU] and report.passages_embedded == 0 and report.passages_reused == n
    rebuilt = _consistent(indexed_settings)
    assert {e.format for e in rebuilt.docs.values()} == {INDEX_FORMAT}
    assert all(_same(v, old[pid]) for pid, v in _vectors(indexed_settings, list(old)).items())


def test_vectors_made_another_way_are_not_kept(indexed_settings, monkeypatch):
    import index.embed

    n = _written_by_an_older_release(indexed_settings, format=INDEX_FORMAT - 1)
    monkeypatch.setattr(index.embed, "VECTORS_VERSION", index.embed.VECTORS_VERSION + 1)
    report = quiet(indexed_settings)
    assert report.passages_embedded == n and report.passages_reused == 0


def test_an_older_releases_document_that_cannot_be_read_now_leaves_the_index(indexed_settings):
    _written_by_an_older_release(indexed_settings, format=INDEX_FORMAT - 1)
    (indexed_settings.corpus_dir / RU).write_bytes(b"")  # no text paragraphs
    report = quiet(indexed_settings)
    assert [doc for doc, _ in report.failed] == [RU] and report.removed == [RU]
    assert set(_consistent(indexed_settings).docs) == {JA}


def _consistent(settings) -> Manifest:
    """Chroma, BM25 and sentence vectors hold exactly the manifest's passages; no batch is open."""
    from index.writer import consistency_problems

    assert consistency_problems(settings) == []
    assert not (settings.data_dir / "ingest-journal.json").exists()
    return Manifest.load(settings.manifest_path)


def test_a_sync_that_dies_mid_batch_keeps_committed_batches_and_resumes(fresh_settings, monkeypatch):
    settings = fresh_settings.model_copy(update={"ingest_batch_passages": 1})  # one document a batch
    real = SentenceVectors.replace_document

    def dies_on_the_second_document(self, doc_id, passage_ids, vectors, own):
        if doc_id == RU.removesuffix(".txt"):
            raise KeyboardInterrupt  # the process stops after Chroma and BM25 took the batch
        real(self, doc_id, passage_ids, vectors, own)

    monkeypatch.setattr(SentenceVectors, "replace_document", dies_on_the_second_document)
    with pytest.raises(KeyboardInterrupt):
        quiet(settings)
    monkeypatch.undo()
    manifest = Manifest.load(settings.manifest_path)
    assert list(manifest.docs) == [JA]  # the first batch was committed
    assert PassageStore(settings).count() > len(manifest.docs[JA].passages)  # the second half-written
    journal = json.loads((settings.data_dir / "ingest-journal.json").read_text())["docs"]
    assert list(journal) == [RU.removesuffix(".txt")]

    report = quiet(settings)
    manifest = _consistent(settings)
    assert report.added == [RU] and report.unchanged == 1
    assert report.passages_embedded == len(manifest.docs[RU].passages)  # JA is not embedded again


def test_no_bad_file_stops_a_sync_and_every_file_left_out_is_named(fresh_settings, tmp_path, monkeypatch):
    import index.ingest

    corpus = fresh_settings.corpus_dir
    (corpus / "deep.html").write_text("<html><body>" + "<div>" * 5000 + "deep" + "</div>" * 5000 + "</body></html>",
                                      encoding="utf-8")  # the HTML parser recurses past Python's limit
    (corpus / "locked.txt").write_text("a file the process may not read", encoding="utf-8")
    (corpus / "notes.rtf").write_text("{\\rtf1 unsupported}", encoding="utf-8")
    (corpus / "folder.txt").mkdir()
    (tmp_path / "outside.txt").write_text("a document outside the corpus folder", encoding="utf-8")
    (corpus / "to-outside.txt").symlink_to(tmp_path / "outside.txt")
    (corpus / "dangling.txt").symlink_to(corpus / "missing.txt")
    (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    (corpus / "alias.txt").symlink_to(corpus / RU)
    (corpus / ".hidden.txt").write_text("an editor's file", encoding="utf-8")
    real = index.ingest.ReaderProcess.read

    def unreadable(self, path, root, doc_id):  # the tests run as root, which chmod cannot lock out
        if path.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real(self, path, root, doc_id)

    monkeypatch.setattr(index.ingest.ReaderProcess, "read", unreadable)
    report = quiet(fresh_settings)
    assert sorted(report.added) == [JA, RU] and not report.complete
    failed, skipped = dict(report.failed), dict(report.skipped)
    assert set(failed) == {"deep.html", "locked.txt"}
    assert failed["deep.html"].startswith("RecursionError") and "Permission denied" in failed["locked.txt"]
    assert set(skipped) == {"notes.rtf", "folder.txt", "to-outside.txt", "dangling.txt", "loop.txt", "alias.txt"}
    assert "unsupported file type '.rtf'" in skipped["notes.rtf"]
    assert "outside the corpus" in skipped["to-outside.txt"] and RU in skipped["alias.txt"]
    assert "2 failed, 6 skipped" in report.summary()
    _consistent(fresh_settings)


def test_links_are_followed_inside_the_corpus_only_and_never_index_a_file_twice(fresh_settings, tmp_path):
    corpus = fresh_settings.corpus_dir
    (tmp_path / "shelf").mkdir()
    (corpus / RU).rename(tmp_path / "shelf" / RU)
    (corpus / "archive").mkdir()
    (corpus / "archive" / "ru.txt").symlink_to(tmp_path / "shelf" / RU)  # outside: not followed
    (corpus / "sub").mkdir()
    (corpus / "sub" / "ja-link.txt").symlink_to(corpus / JA)
    first = quiet(fresh_settings, [corpus / "sub"])  # found through the link only: indexed under its own name
    assert first.added == [JA] and first.complete
    report = quiet(fresh_settings)
    assert report.added == [] and report.unchanged == 1
    assert [doc for doc, _ in report.skipped] == ["archive/ru.txt", "sub/ja-link.txt"]


def test_unreachable_names_stored_passages_their_own_vector_does_not_find():
    """The paging and comparison of ``PassageStore.unreachable`` over a stand-in collection whose
    search has lost one record (the real store is checked by ``_consistent`` after every sync)."""
    vectors = {f"d#p{i}": [float(i == j) for j in range(5)] for i in range(5)}

    class Collection:
        def count(self):
            return len(vectors)

        def get(self, include, limit, offset):
            ids = list(vectors)[offset:offset + limit]
            return {"ids": ids, "embeddings": [vectors[i] for i in ids]}

        def query(self, query_embeddings, n_results, include):
            found = [[i for i, v in vectors.items() if v == list(q) and i != "d#p3"][:n_results]
                     for q in query_embeddings.tolist()]
            return {"ids": found}

    store = PassageStore.__new__(PassageStore)
    store.collection = Collection()
    assert store.unreachable(3, page=2) == ["d#p3"]


def test_every_index_check_words_unreachable_passages_alike():
    from index.store import describe_unreachable

    assert describe_unreachable(["d#p3"]) == "vector search cannot reach 1 indexed passage(s) (d#p3)"
    many = describe_unreachable([f"d#p{n}" for n in range(7)], shown=2)
    assert many == "vector search cannot reach 7 indexed passage(s) (d#p0, d#p1, …)"
