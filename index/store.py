"""The index on disk: Chroma collection (vectors, passage text, metadata) plus the manifest.

Chroma is reached through llama-index's ``ChromaVectorStore``: an embedded ``PersistentClient``
under ``data/chroma`` by default, or a ``chroma run`` server when ``chroma_url`` is set. The
collection records the embedding model that filled it and refuses another one. The manifest
(``data/manifest.json``, written atomically) maps each document to the sha256 of its bytes,
its metadata and its passage IDs: it is what incremental sync compares against.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import chromadb
import numpy as np
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.vector_stores.chroma import ChromaVectorStore

from index.document import Passage

# metadata kept on every Chroma record (Chroma metadata values are scalars)
_PASSAGE_META = ("doc", "n", "start", "end", "section", "lead", "title", "date", "place", "source", "note", "lang")


class StoreError(RuntimeError):
    """The index cannot be opened or written as asked; the message says why."""


def date_number(date: str) -> int:
    """ISO date → YYYYMMDD integer for range filters (Chroma compares numbers only); 0 if none."""
    digits = date.replace("-", "")
    return int(digits.ljust(8, "0")) if digits.isdigit() else 0


def passage_to_node(passage: Passage, embedding: list[float]) -> TextNode:
    metadata = {key: getattr(passage, key) for key in _PASSAGE_META}
    metadata["doc_id"] = passage.doc_id
    metadata["date_num"] = date_number(passage.date)
    node = TextNode(id_=passage.id, text=passage.text, metadata=metadata, embedding=embedding)
    node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=passage.doc_id)
    return node


def node_to_passage(node_id: str, text: str, metadata: dict) -> Passage:
    fields = {key: metadata.get(key, "") for key in _PASSAGE_META}
    return Passage(id=node_id, doc_id=metadata.get("doc_id", ""), text=text, **fields)


@dataclass
class DocEntry:
    """What the manifest knows of one indexed document."""

    doc_id: str
    sha256: str
    passages: list[str]
    metadata: dict[str, str] = field(default_factory=dict)


# what passages and their indexed texts are made of; a manifest of another format is re-indexed
INDEX_FORMAT = 3  # 2: list items carry their lead-in; 3: sentences are embedded with their passage's title


@dataclass
class Manifest:
    embed_model: str = ""
    docs: dict[str, DocEntry] = field(default_factory=dict)  # keyed by `doc` (relative path)
    format: int = INDEX_FORMAT

    @classmethod
    def load(cls, path: Path) -> "Manifest":
        if not path.is_file():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        docs = {doc: DocEntry(**entry) for doc, entry in data.get("docs", {}).items()}
        return cls(embed_model=data.get("embed_model", ""), docs=docs, format=data.get("format", 1))

    def save(self, path: Path) -> None:
        data = {"embed_model": self.embed_model, "format": self.format,
                "docs": {doc: entry.__dict__ for doc, entry in sorted(self.docs.items())}}
        atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=1))


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def chroma_client(settings) -> "chromadb.ClientAPI":
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(host=url.hostname or "127.0.0.1", port=url.port or 8000,
                                   ssl=url.scheme == "https",
                                   settings=chromadb.Settings(anonymized_telemetry=False))
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir),
                                     settings=chromadb.Settings(anonymized_telemetry=False))


class PassageStore:
    """Vectors and passages in Chroma, behind llama-index's vector store interface."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.client = chroma_client(settings)
        self.collection = self.client.get_or_create_collection(
            settings.collection,
            metadata={"embed_model": settings.embed_model, "hnsw:space": "cosine"},
        )
        recorded = (self.collection.metadata or {}).get("embed_model")
        if recorded and recorded != settings.embed_model:
            raise StoreError(
                f"collection {settings.collection!r} was built with {recorded}, not "
                f"{settings.embed_model}: rebuild it (delete {settings.data_dir}) or use another collection"
            )
        self.vector_store = ChromaVectorStore(chroma_collection=self.collection)

    def add(self, passages: list[Passage], embeddings: np.ndarray) -> None:
        nodes = [passage_to_node(p, e.tolist()) for p, e in zip(passages, embeddings)]
        if nodes:
            self.vector_store.add(nodes)

    def delete_ids(self, ids: list[str]) -> None:
        if ids:
            self.vector_store.delete_nodes(node_ids=ids)

    def delete_documents(self, doc_ids: list[str]) -> None:
        """Every passage of these documents, whatever the manifest says they have."""
        if doc_ids:
            self.collection.delete(where={"doc_id": {"$in": list(doc_ids)}})

    def count(self) -> int:
        return self.collection.count()

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
