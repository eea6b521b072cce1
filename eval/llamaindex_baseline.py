"""The plain llama-index baseline for retrieval comparisons: VectorStoreIndex, default SentenceSplitter.

Same documents (decoded by the app's readers, so offsets are comparable) and the same
embedding model as the app, but none of its paragraphs, contextual headers, lexical side or
fusion. Chunks keep their character span in the document, so the eval's span-overlap rule
scores them like passages. The index is persisted beside the eval index and reused while
the corpus and the embedding (model, dtype) are unchanged.

Its vectors live in an embedded Chroma collection, as the app's do: llama-index's default
in-memory store scores every chunk in Python, 2.5 s per question at 4,640 chunks (JSQuAD),
where Chroma takes milliseconds. A build that did not finish is not reused: the ``complete``
marker is written last.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import chromadb
from llama_index.core import Document as LIDocument
from llama_index.core import StorageContext, VectorStoreIndex
from llama_index.core.node_parser import SentenceSplitter
from llama_index.vector_stores.chroma import ChromaVectorStore

from index.document import Passage
from index.discover import discover
from index.readers import ReaderError, read_document
from rag.retrieve import ScoredPassage


def index_key(files: list[Path], embedding) -> str:
    """The corpus's files and the embedding that vectorised them (model and dtype): an index
    built with another model, or another precision, is not reused."""
    digest = hashlib.sha256(f"{embedding.model_name}|{embedding.dtype}".encode())
    for f in files:
        digest.update(f.name.encode() + hashlib.sha256(f.read_bytes()).digest())
    return digest.hexdigest()[:16]


class LlamaIndexBaseline:
    """Retriever with the ``search(query, k)`` interface of ``HybridRetriever``."""

    def __init__(self, settings, embedding) -> None:
        corpus = settings.corpus_dir.resolve()
        files = discover(corpus).files
        persist = settings.data_dir / "llamaindex-baseline" / index_key(files, embedding)
        complete = persist / "complete"
        client = chromadb.PersistentClient(path=str(persist),
                                           settings=chromadb.Settings(anonymized_telemetry=False))
        if not complete.is_file() and "baseline" in [c.name for c in client.list_collections()]:
            client.delete_collection("baseline")  # left by a build that did not finish
        collection = client.get_or_create_collection("baseline", metadata={"hnsw:space": "cosine"})
        store = ChromaVectorStore(chroma_collection=collection)
        if complete.is_file():
            self.index = VectorStoreIndex.from_vector_store(store, embed_model=embedding)
        else:
            docs = []
            for f in files:
                try:
                    document = read_document(f, corpus)
                except ReaderError:
                    continue
                docs.append(LIDocument(text=document.text, metadata={"doc": document.doc},
                                       excluded_embed_metadata_keys=["doc"],
                                       excluded_llm_metadata_keys=["doc"]))
            self.index = VectorStoreIndex.from_documents(
                docs, storage_context=StorageContext.from_defaults(vector_store=store), embed_model=embedding,
                transformations=[SentenceSplitter()], show_progress=True,
            )
            complete.touch()
        self.embedding = embedding

    def search(self, query: str, k: int | None = None, filters=None) -> list[ScoredPassage]:
        hits = self.index.as_retriever(similarity_top_k=k or 20).retrieve(query)
        out = []
        for h in hits:
            node = h.node
            passage = Passage(id=node.node_id, doc_id="", doc=node.metadata.get("doc", ""), n=0,
                              text=node.get_content(), start=node.start_char_idx or 0,
                              end=node.end_char_idx or 0)
            out.append(ScoredPassage(passage, float(h.score or 0.0), similarity=h.score))
        return out
