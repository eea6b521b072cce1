"""Sentence vectors: every passage's sentences embedded on their own, for sentence-level matching.

A question usually asks about one sentence of a long paragraph; the paragraph's single vector
blurs that sentence with the rest, most of all across languages. Retrieval therefore adds the
best similarity between the question and any one sentence of a candidate passage to its score
(measured in the README: English questions over Russian passages, R@1 0.920 → 0.948).

Each sentence has two vectors: the one retrieval matches (the sentence embedded with its
passage's title, ``PassageEmbedding.sentence_text``) and its ``own`` (the sentence's tokens
pooled from its passage's forward pass without the title, ``PassageEmbedding.embed_late``; with
an embeddings server, the sentence embedded alone), which the evidence step scores beside the
first (``rag/evidence.py``): a title lifts every sentence of its passage alike.

The vectors live one file per document in a folder (``<sha256 of the doc ID>.npz``: the
document's ID, each row's passage ID, float32 vectors), each written to a temporary file and
renamed into place. Adding, changing or removing a document writes or deletes its own file
only, whatever the size of the index; a query reads the files of its candidates' documents,
keeping the most recently used in memory (a bounded cache), so nothing is loaded whole.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

import numpy as np


def sentence_pooling(settings) -> str:
    """How sentence vectors are made: ``late`` (pooled from the passage's own forward pass, the
    in-process model) or ``separate`` (each sentence encoded on its own: an embeddings server
    returns one vector per text, never its tokens). The manifest records it; an index made the
    other way is rebuilt."""
    return "late" if settings.late_chunking and not settings.embed_url else "separate"


def doc_id_of(passage_id: str) -> str:
    """``<doc_id>#p<N>[.<k>]`` → ``<doc_id>``."""
    return passage_id.rsplit("#p", 1)[0]


class SentenceVectors:
    """Sentence vectors of every indexed passage, one file per document under ``directory``."""

    def __init__(self, directory: Path, cached_documents: int = 2048) -> None:
        self.directory = directory
        self._cached_documents = cached_documents
        # doc ID → passage ID → (vectors, own vectors) of its sentences
        self._cache: OrderedDict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = OrderedDict()
        self._lock = threading.Lock()  # the UI answers from several threads

    @classmethod
    def load(cls, directory: Path) -> "SentenceVectors":
        """The vectors stored under ``directory`` (none if nothing was stored there yet)."""
        return cls(directory)

    def _path(self, doc_id: str) -> Path:
        return self.directory / f"{hashlib.sha256(doc_id.encode()).hexdigest()[:32]}.npz"

    def has_document(self, doc_id: str) -> bool:
        return self._path(doc_id).is_file()

    def count(self) -> int:
        """Sentence vectors stored in all (reads every file: for checks, not for queries)."""
        total = 0
        for path in self.directory.glob("*.npz"):
            with np.load(path) as data:
                total += len(data["passage_ids"])
        return total

    def replace_document(self, doc_id: str, passage_ids: list[str], vectors: np.ndarray, own: np.ndarray) -> None:
        """Store ``vectors`` and ``own`` (one row each per sentence, ``passage_ids`` naming each
        row's passage) in place of what ``doc_id`` had."""
        vectors, own = np.asarray(vectors, dtype=np.float32), np.asarray(own, dtype=np.float32)
        if len(own) != len(vectors):
            raise ValueError(f"{doc_id}: {len(vectors)} sentence vectors but {len(own)} own vectors")
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(doc_id)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as fh:
                empty = np.zeros((0, 0), np.float32)
                np.savez(fh, doc_id=np.asarray(doc_id), passage_ids=np.asarray(passage_ids, dtype=str),
                         vectors=vectors if len(passage_ids) else empty, own=own if len(passage_ids) else empty)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        with self._lock:
            self._cache.pop(doc_id, None)

    def remove_documents(self, doc_ids: Iterable[str]) -> None:
        for doc_id in doc_ids:
            self._path(doc_id).unlink(missing_ok=True)
            with self._lock:
                self._cache.pop(doc_id, None)

    def _document(self, doc_id: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        with self._lock:
            if doc_id in self._cache:
                self._cache.move_to_end(doc_id)
                return self._cache[doc_id]
        rows: dict[str, list[int]] = {}
        path = self._path(doc_id)
        vectors = own = np.zeros((0, 0), np.float32)
        if path.is_file():
            with np.load(path) as data:
                vectors = data["vectors"]
                own = data["own"]  # index format 5 on: an older index is rebuilt whole
                for i, pid in enumerate(data["passage_ids"].tolist()):
                    rows.setdefault(pid, []).append(i)
        by_passage = {pid: (vectors[r], own[r]) for pid, r in rows.items()}
        with self._lock:
            self._cache[doc_id] = by_passage
            while len(self._cache) > self._cached_documents:
                self._cache.popitem(last=False)
        return by_passage

    def of_passage(self, passage_id: str) -> np.ndarray | None:
        """The vectors of a passage's sentences, in ``index.sentence_split.split_sentences`` order; None if not stored."""
        rows = self._document(doc_id_of(passage_id)).get(passage_id)
        return rows[0] if rows is not None and len(rows[0]) else None

    def own_of_passage(self, passage_id: str) -> np.ndarray | None:
        """The ``own`` vectors of a passage's sentences, in the same order; None if not stored."""
        rows = self._document(doc_id_of(passage_id)).get(passage_id)
        return rows[1] if rows is not None and rows[1].size else None

    def best_similarity(self, query_vector: np.ndarray, passage_ids: Iterable[str]) -> dict[str, float]:
        """For each passage, the highest cosine similarity of one of its sentences to the query
        (vectors are normalised); passages without sentence vectors are left out."""
        out = {}
        for pid in passage_ids:
            vectors = self.of_passage(pid)
            if vectors is not None:
                out[pid] = float(np.max(vectors @ query_vector))
        return out
