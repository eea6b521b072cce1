"""Writing the index: Chroma, BM25, sentence vectors and manifest, changed together one batch
at a time, so that a crash or ``kill -9`` at any moment costs at most the batch in flight.

A batch is written Chroma → BM25 (one SQLite transaction) → sentence vectors (a file per
document) → manifest (atomic), so the manifest only ever names documents whose every store is
written. Before a batch touches the stores, its documents and the sha256 each is written at go
to a journal (``ingest-journal.json`` in the data folder), deleted once the manifest is saved.
The next sync finds a journal that is still there and undoes what it names that the manifest
does not record as written: those documents leave every store and the manifest, and are
indexed again with the rest of the work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

import numpy as np

from index.document import Passage
from index.lexical import LexicalIndex
from index.sentences import SentenceVectors
from index.manifest import DocEntry, Manifest, atomic_write_text
from index.store import PassageStore, describe_unreachable


@dataclass
class Work:
    """One document of a batch: its passages, its manifest entry, and whether its passages are
    to be embedded (False: only its sentence vectors are missing)."""

    doc: str
    passages: list[Passage]
    entry: DocEntry
    embed_passages: bool = True


class Journal:
    """The batch being written, as {doc ID: sha256 it is written at ("" when it is removed)};
    the file exists only while a batch is being written."""

    def __init__(self, settings) -> None:
        self.path = settings.data_dir / "ingest-journal.json"

    def begin(self, docs: dict[str, str]) -> None:
        atomic_write_text(self.path, json.dumps({"docs": docs}, ensure_ascii=False))

    def end(self) -> None:
        self.path.unlink(missing_ok=True)

    def pending(self) -> dict[str, str]:
        if not self.path.is_file():
            return {}
        return json.loads(self.path.read_text(encoding="utf-8"))["docs"]


class IndexWriter:
    """The four stores of the index, written together one batch at a time."""

    def __init__(self, settings, manifest: Manifest) -> None:
        self.settings = settings
        self.manifest = manifest
        self.store = PassageStore(settings)
        self.lexical = LexicalIndex.load(settings.lexical_dir)
        self.sentences = SentenceVectors.load(settings.sentences_dir)
        self.journal = Journal(settings)

    def close(self) -> None:
        """Release the stores (BM25 changes not committed are rolled back)."""
        self.lexical.close()

    def recover(self, log: Callable[[str], None]) -> None:
        """Undo what an interrupted batch wrote: unless the manifest already records a document
        as the batch left it (the batch stopped between saving the manifest and closing the
        journal), the document leaves every store and the manifest, to be indexed again."""
        by_id = {e.doc_id: (doc, e.sha256) for doc, e in self.manifest.docs.items()}
        undo = [doc_id for doc_id, sha in self.journal.pending().items() if by_id.get(doc_id, ("", ""))[1] != sha]
        if undo:
            log(f"an earlier sync stopped mid-batch: indexing the {len(undo)} document(s) it was writing again")
            self._delete(undo)
            for doc_id in undo:
                self.manifest.docs.pop(by_id.get(doc_id, ("", ""))[0], None)
            self.manifest.save(self.settings.manifest_path)
        self.journal.end()

    def _delete(self, doc_ids: list[str]) -> None:
        self.store.delete_documents(doc_ids)
        self.lexical.remove_documents(doc_ids)
        self.lexical.save()
        self.sentences.remove_documents(doc_ids)

    def remove(self, docs: list[str]) -> None:
        """Documents (by file) out of every store and the manifest."""
        doc_ids = [self.manifest.docs[d].doc_id for d in docs]
        self.journal.begin(dict.fromkeys(doc_ids, ""))
        self._delete(doc_ids)
        for doc in docs:
            del self.manifest.docs[doc]
        self.manifest.save(self.settings.manifest_path)
        self.journal.end()

    def commit(self, batch: list[Work], vectors: np.ndarray,
               sentence_rows: dict[str, tuple[list[str], np.ndarray, np.ndarray]], vector_keys: list[str]) -> None:
        """Write a batch to every store, then the manifest. ``vectors``: one row per passage of
        the documents to embed, in batch order, and ``vector_keys`` what each was computed from
        (``PassageEmbedding.vector_key``); ``sentence_rows``: doc ID → (passage ID of each
        sentence, sentence vectors, their ``own`` vectors: ``index.sentences``)."""
        self.journal.begin({w.entry.doc_id: w.entry.sha256 for w in batch})
        embedded = [w for w in batch if w.embed_passages]
        offset = 0
        for w in embedded:
            old = self.manifest.docs.get(w.doc)
            self.store.delete_ids(sorted(set(old.passages if old else []) | set(w.entry.passages)))
            self.store.add(w.passages, vectors[offset:offset + len(w.passages)],
                           vector_keys[offset:offset + len(w.passages)])
            offset += len(w.passages)
        if embedded:
            self.lexical.replace_documents({w.entry.doc_id: w.passages for w in embedded})
            self.lexical.save()
        empty = np.zeros((0, 0), np.float32)
        for w in batch:
            ids, vecs, own = sentence_rows.get(w.entry.doc_id, ([], empty, empty))
            self.sentences.replace_document(w.entry.doc_id, ids, vecs, own)
        for w in batch:
            self.manifest.docs[w.doc] = w.entry
        self.manifest.save(self.settings.manifest_path)
        self.journal.end()


def consistency_problems(settings) -> list[str]:
    """What disagrees between the stores and the manifest (empty when Chroma, BM25 and the
    sentence vectors hold exactly the manifest's passages, vector search reaches every one of
    them and no batch is open)."""
    manifest = Manifest.load(settings.manifest_path)
    ids = {pid for e in manifest.docs.values() for pid in e.passages}
    problems = []
    store = PassageStore(settings)
    stored = store.count()
    if stored != len(ids):
        problems.append(f"Chroma holds {stored} passages, the manifest names {len(ids)}")
    unreachable = store.unreachable(settings.candidate_pool)
    if unreachable:
        problems.append(describe_unreachable(unreachable))
    lexical = set(LexicalIndex.load(settings.lexical_dir).ids())
    if lexical != ids:
        problems.append(f"BM25: {len(lexical - ids)} passages too many, {len(ids - lexical)} missing")
    sentences = SentenceVectors.load(settings.sentences_dir)
    missing = [e.doc_id for e in manifest.docs.values() if not sentences.has_document(e.doc_id)]
    if missing:
        problems.append(f"sentence vectors missing for {len(missing)} documents")
    if Journal(settings).pending():
        problems.append("a batch is still open (ingest-journal.json)")
    return problems
