"""The plain llama-index baseline: chunks carry source spans, the index is reused, an unfinished build is not."""

from __future__ import annotations

from tests.conftest import make_settings


def test_baseline_finds_the_quote_and_reuses_its_index(seed_service, tmp_path):
    from eval.llamaindex_baseline import LlamaIndexBaseline
    from index.readers import read_document

    settings = make_settings(tmp_path, corpus_dir=seed_service.settings.corpus_dir)
    embedding = seed_service.retriever.embedding
    baseline = LlamaIndexBaseline(settings, embedding)
    hits = baseline.search("所得に対する租税に関する二重課税の除去のための条約はいつ発効したか", k=3)
    assert hits, "the baseline found nothing"
    top = hits[0].passage
    source = read_document(settings.corpus_dir / top.doc, settings.corpus_dir).text
    assert source[top.start:top.end] == top.text  # chunk offsets point at the chunk's text
    assert "2025年11月27日に発効" in " ".join(h.passage.text for h in hits)

    (marker,) = (settings.data_dir / "llamaindex-baseline").glob("*/complete")
    reopened = LlamaIndexBaseline(settings, embedding)
    assert [h.passage.id for h in reopened.search("二重課税", k=3)] == [h.passage.id for h in baseline.search("二重課税", k=3)]

    marker.unlink()  # as if the build had been interrupted: the folder is rebuilt, not trusted
    rebuilt = LlamaIndexBaseline(settings, embedding)
    assert marker.is_file() and rebuilt.search("二重課税", k=1)


def test_an_index_built_with_another_model_or_dtype_is_not_reused(tmp_path):
    from types import SimpleNamespace

    from eval.llamaindex_baseline import index_key

    (tmp_path / "a.txt").write_text("本文", encoding="utf-8")
    files = [tmp_path / "a.txt"]
    fp32 = SimpleNamespace(model_name="google/embeddinggemma-300m", dtype="float32")
    key = index_key(files, fp32)
    assert index_key(files, SimpleNamespace(model_name=fp32.model_name, dtype="float32")) == key
    assert index_key(files, SimpleNamespace(model_name=fp32.model_name, dtype="bfloat16")) != key
    assert index_key(files, SimpleNamespace(model_name="intfloat/multilingual-e5-small", dtype="float32")) != key
    (tmp_path / "a.txt").write_text("本文が変わった", encoding="utf-8")
    assert index_key(files, fp32) != key
