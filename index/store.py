"""The index on disk: the Chroma collection (vectors, passage text, metadata).

Chroma is reached through llama-index's ``ChromaVectorStore``: an embedded ``PersistentClient``
under ``data/chroma`` by default, or a ``chroma run`` server when ``chroma_url`` is set. The
collection records the embedding model that filled it and refuses another one. What is in
it is listed by the manifest (``index/manifest.py``).
"""

from __future__ import annotations

from urllib.parse import urlparse

import chromadb
import numpy as np
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.vector_stores.chroma import ChromaVectorStore

from index.document import Passage, date_number

# metadata kept on every Chroma record (Chroma metadata values are scalars)
_PASSAGE_META = ("doc", "n", "start", "end", "section", "lead", "title", "date", "place", "source", "note", "lang")


class StoreError(RuntimeError):
    """The index cannot be opened or written as asked; the message says why."""


def passage_to_node(passage: Passage, embedding: list[float], vector_key: str = "") -> TextNode:
    metadata = {key: getattr(passage, key) for key in _PASSAGE_META}
    metadata["doc_id"] = passage.doc_id
    metadata["date_num"] = date_number(passage.date)
    if vector_key:  # what its vectors were computed from (``PassageEmbedding.vector_key``)
        metadata["vector_key"] = vector_key
    node = TextNode(id_=passage.id, text=passage.text, metadata=metadata, embedding=embedding)
    node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=passage.doc_id)
    return node


def node_to_passage(node_id: str, text: str, metadata: dict) -> Passage:
    fields = {key: metadata.get(key, "") for key in _PASSAGE_META}
    return Passage(id=node_id, doc_id=metadata.get("doc_id", ""), text=text, **fields)


def chroma_client(settings) -> "chromadb.ClientAPI":
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(host=url.hostname or "127.0.0.1", port=url.port or 8000,
                                   ssl=url.scheme == "https",
                                   settings=chromadb.Settings(anonymized_telemetry=False))
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir),
                                     settings=chromadb.Settings(anonymized_telemetry=False))


def describe_unreachable(ids: list[str], shown: int = 5) -> str:
    """How every index check words the passages ``PassageStore.unreachable`` found."""
    more = ", …" if len(ids) > shown else ""
    return f"vector search cannot reach {len(ids)} indexed passage(s) ({', '.join(ids[:shown])}{more})"


class PassageStore:
    """Vectors and passages in Chroma, behind llama-index's vector store interface."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.client = chroma_client(settings)
        self.collection = self.client.get_or_create_collection(
            settings.collection,
            metadata={"embed_model": settings.embed_model, "hnsw:space": "cosine",
                      "hnsw:M": settings.hnsw_max_neighbors, "hnsw:construction_ef": settings.hnsw_ef_construction},
        )
        recorded = (self.collection.metadata or {}).get("embed_model")
        if recorded and recorded != settings.embed_model:
            raise StoreError(
                f"collection {settings.collection!r} was built with {recorded}, not "
                f"{settings.embed_model}: rebuild it (delete {settings.data_dir}) or use another collection"
            )
        self.vector_store = ChromaVectorStore(chroma_collection=self.collection)

    def add(self, passages: list[Passage], embeddings: np.ndarray, vector_keys: list[str] | None = None) -> None:
        keys = vector_keys or [""] * len(passages)
        nodes = [passage_to_node(p, e.tolist(), k) for p, e, k in zip(passages, embeddings, keys)]
        if nodes:
            self.vector_store.add(nodes)

    def vectors_by_key(self, keys: list[str]) -> dict[str, tuple[str, np.ndarray]]:
        """For each vector key some stored passage has (in any document), that passage's ID and
        vector; keys no passage has are left out."""
        found: dict[str, tuple[str, np.ndarray]] = {}
        wanted = sorted(set(k for k in keys if k))
        for start in range(0, len(wanted), 256):
            got = self.collection.get(where={"vector_key": {"$in": wanted[start:start + 256]}},
                                      include=["metadatas", "embeddings"])
            for pid, meta, vector in zip(got["ids"], got["metadatas"], got["embeddings"]):
                found.setdefault(meta["vector_key"], (pid, np.asarray(vector, dtype=np.float32)))
        return found

    def delete_ids(self, ids: list[str]) -> None:
        if ids:
            self.vector_store.delete_nodes(node_ids=ids)

    def delete_documents(self, doc_ids: list[str]) -> None:
        """Every passage of these documents, whatever the manifest says they have."""
        if doc_ids:
            self.collection.delete(where={"doc_id": {"$in": list(doc_ids)}})

    def count(self) -> int:
        return self.collection.count()

    def unreachable(self, k: int, page: int = 512) -> list[str]:
        """Stored passages that a vector search with their own stored vector does not return
        among its ``k`` nearest (retrieval's candidate pool): records ``get`` has and ``query``
        cannot find. Seen once on an embedded collection whose passages had been deleted and
        added again (cf. Chroma issue #7758); a hole like that is silent in retrieval, so the
        index checks ask."""
        lost: list[str] = []
        total = self.collection.count()
        for offset in range(0, total, page):
            got = self.collection.get(include=["embeddings"], limit=page, offset=offset)
            if not len(got["ids"]):
                break
            found = self.collection.query(query_embeddings=np.asarray(got["embeddings"], dtype=np.float32),
                                          n_results=min(k, total), include=[])
            lost += [pid for pid, hits in zip(got["ids"], found["ids"]) if pid not in hits]
        return lost

    def get_with_vectors(self, ids: list[str]) -> list[tuple[Passage, list[float]]]:
        """Passages with their stored embeddings (for scoring candidates the dense side missed)."""
        if not ids:
            return []
        got = self.collection.get(ids=ids, include=["documents", "metadatas", "embeddings"])
        return [(node_to_passage(i, t, m), e)
                for i, t, m, e in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])]

    def get(self, ids: list[str]) -> list[Passage]:
        """Passages by ID, in the order asked; unknown IDs are left out."""
        if not ids:
            return []
        got = self.collection.get(ids=ids, include=["documents", "metadatas"])
        found = {i: node_to_passage(i, t, m) for i, t, m in zip(got["ids"], got["documents"], got["metadatas"])}
        return [found[i] for i in ids if i in found]
