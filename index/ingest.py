"""Incremental sync of the corpus folder into the index (Chroma + BM25 + sentence vectors + manifest).

Each file is compared with the manifest: one whose size and modification time are those
recorded is unchanged without being read (as git and rsync decide); any other is hashed, and
one whose sha256 is the recorded one is unchanged too (its new time is recorded). Unchanged
files are skipped without loading the embedding model, changed or new files are read and split,
and their passages embedded unless the index holds vectors for the same text already (a vector
key: ``PassageEmbedding.vector_key``), removed files lose their passages. Documents indexed at an
older ``INDEX_FORMAT`` are read again the same way. Files are read and split in a child process
(``index/reader_process.py``) that is stopped when a file takes longer than ``max_parse_s`` or
more memory than ``max_parse_mb``. Whatever goes wrong with one file (it cannot be read, decoded
or parsed, a parser gives up, recurses too deep, hangs or swells) is caught at that file,
reported by name with the reason, and the sync goes on; whatever the file had in the index
stays. Files not even tried (``index/discover.py``: unsupported, hidden, links outside the
corpus) are reported too.

Work is committed in batches of about ``ingest_batch_passages`` passages: a batch's documents
are read and embedded (float32 arrays), then written by ``index/writer.py``, which makes a
killed sync cost at most the batch in flight. Memory holds one batch, not the corpus.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from index.discover import discover
from index.document import doc_id_for
from index.reader_process import ReaderProcess, failure_reason
from index.readers import Limits, ReaderError
from index.sentence_split import split_sentences
from index.sentences import SentenceVectors, sentence_pooling
from index.manifest import INDEX_FORMAT, DocEntry, Manifest
from index.store import StoreError
from index.writer import IndexWriter, Journal, Work


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason): tried, could not be indexed
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason): not tried
    # (file, pieces): a PDF or DOCX indexed without text it holds and no reader of it sees (index/hidden_text.py;
    # an HTML page's hidden elements, menus and dialogs as often as not, are left out unnamed, as its furniture is)
    hidden: list[tuple[str, int]] = field(default_factory=list)
    # (file, other): a file indexed in this sync whose bytes an indexed file has too (retrieval shows the
    # text once, naming both: rag.retrieve); the operator may want one of them gone
    copies: list[tuple[str, str]] = field(default_factory=list)
    # (file, other): a file indexed under its name with the suffix as document ID, because another
    # file holds the name without it ("report.docx" beside "report.pdf"): its citations read report.docx#pN
    suffixed: list[tuple[str, str]] = field(default_factory=list)
    passages_embedded: int = 0
    passages_reused: int = 0  # unchanged texts whose stored vectors were kept (none embedded again)
    embed_seconds: float = 0.0
    sentences_embedded: int = 0
    sentence_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        """Was every file of the corpus indexed?"""
        return not self.failed and not self.skipped

    def summary(self) -> str:
        rate = self.passages_embedded / self.embed_seconds if self.embed_seconds else 0.0
        text = (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
                f"{self.unchanged} unchanged, {len(self.failed)} failed, {len(self.skipped)} skipped; "
                f"{self.passages_embedded} passages embedded")
        if self.passages_embedded:
            text += f" in {self.embed_seconds:.1f} s ({rate:.1f} passages/s)"
        if self.passages_reused:
            text += f", {self.passages_reused} kept (text unchanged)"
        if self.sentences_embedded:
            text += f", {self.sentences_embedded} sentences " + (
                f"in {self.sentence_seconds:.1f} s" if self.sentence_seconds else "(pooled in the passages' pass)")
        return text + f"; {self.seconds:.1f} s in all"


@dataclass(frozen=True)
class FileStamp:
    """What the manifest records of a file's bytes: their sha256, size and modification time."""

    sha256: str
    size: int
    mtime_ns: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Batches:
    """Documents queued for embedding, committed whenever a batch is full."""

    def __init__(self, settings, writer: IndexWriter, report: SyncReport, indexed_before: set[str],
                 embedding_factory: Callable | None, bar: tqdm, pooling: str) -> None:
        self.settings, self.writer, self.report = settings, writer, report
        self.indexed_before = indexed_before
        self.embedding_factory = embedding_factory
        self.embedding = None
        self.pooling = pooling  # index/sentences.sentence_pooling
        self.bar = bar
        self.batch: list[Work] = []

    def add(self, work: Work) -> None:
        self.batch.append(work)
        if sum(len(w.passages) for w in self.batch) >= self.settings.ingest_batch_passages:
            self.commit()

    def commit(self) -> None:
        if not self.batch:
            return
        if self.embedding is None:
            from index.embed import make_embedding

            self.embedding = (self.embedding_factory or make_embedding)(self.settings)
        report = self.report
        every = [(w, p, split_sentences(p.text)) for w in self.batch for p in w.passages]
        new = [k for k, (w, _, _) in enumerate(every) if w.embed_passages]
        # what the vectors of each passage to embed are computed from; a backfilled one (its
        # sentences' vectors missing) keeps its passage vector and needs none
        keys = {k: self.embedding.vector_key(every[k][1], every[k][2], self.pooling) for k in new}
        made = self._stored(every, keys)
        report.passages_reused += len(made)
        made.update(self._embed(every, [k for k in range(len(every)) if k not in made]))
        vectors = np.stack([made[k][0] for k in new]) if new else np.zeros((0, 0), np.float32)
        by_doc: dict[str, tuple[list[str], list[np.ndarray], list[np.ndarray]]] = {}
        for k, (w, p, sentences) in enumerate(every):
            ids, arrays, own_arrays = by_doc.setdefault(w.entry.doc_id, ([], [], []))
            ids.extend([p.id] * len(sentences))
            arrays.append(made[k][1])
            own_arrays.append(made[k][2])
        empty = np.zeros((0, 0), np.float32)
        sentence_rows = {doc_id: (ids, *(np.concatenate(a) if ids else empty for a in (arrays, own_arrays)))
                         for doc_id, (ids, arrays, own_arrays) in by_doc.items()}
        self.writer.commit(self.batch, vectors, sentence_rows, [keys[k] for k in new])
        for w in self.batch:
            if w.embed_passages:
                (report.updated if w.doc in self.indexed_before else report.added).append(w.doc)
        self.bar.update(len(self.batch))
        self.bar.set_postfix(passages=report.passages_embedded, kept=report.passages_reused,
                             sentences=report.sentences_embedded)
        self.batch = []

    def _stored(self, every: list, keys: dict[int, str]) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The vectors the index already holds for passages of ``every`` whose text is unchanged
        (an equal vector key, in any document: an edited document's other paragraphs, an index
        of an older format whose texts are the same, a file moved): passage ``k`` → its vector,
        its sentences' and their own vectors."""
        found = self.writer.store.vectors_by_key(list(keys.values()))
        stored = {}
        for k, key in keys.items():
            if key not in found:
                continue
            pid, vector = found[key]
            sentences = every[k][2]
            rows, own = self.writer.sentences.of_passage(pid), self.writer.sentences.own_of_passage(pid)
            if rows is not None and own is not None and len(rows) == len(own) == len(sentences):
                stored[k] = (vector, rows, own)
        return stored

    def _embed(self, every: list, todo: list[int]) -> dict[int, tuple[np.ndarray | None, np.ndarray, np.ndarray]]:
        """Passages ``todo`` of ``every`` embedded now: passage ``k`` → its vector (None when only
        its sentences' were missing), its sentences' vectors and their own vectors."""
        if not todo:
            return {}
        report, embedding = self.report, self.embedding.load()
        items = [every[k] for k in todo]
        t0 = time.perf_counter()
        if self.settings.embed_url:
            # a server returns one vector per text, never its tokens: the sentences' own vectors
            # are the sentences embedded alone
            wanted = [i for i, (w, _, _) in enumerate(items) if w.embed_passages]
            rows = embedding.embed_passages([items[i][1] for i in wanted]) if wanted else None
            vectors = {i: rows[j] for j, i in enumerate(wanted)}
            alone = embedding.embed_alone([s for _, _, sentences in items for s in sentences])
            own = np.split(alone, np.cumsum([len(s) for _, _, s in items])[:-1])
        else:
            # one forward pass per passage: its vector and, pooled from its tokens, its sentences'
            rows, pooled, own = embedding.embed_late([p for _, p, _ in items], [s for _, _, s in items])
            vectors = {i: rows[i] for i, (w, _, _) in enumerate(items) if w.embed_passages}
        report.embed_seconds += time.perf_counter() - t0
        if self.pooling != "late":
            t0 = time.perf_counter()
            pooled = self._sentence_vectors(items, vectors)
            report.sentence_seconds += time.perf_counter() - t0
        report.passages_embedded += len(vectors)
        report.sentences_embedded += sum(len(s) for _, _, s in items)
        return {k: (vectors.get(i), pooled[i], own[i]) for i, k in enumerate(todo)}

    def _sentence_vectors(self, every: list, passage_rows: dict[int, np.ndarray]) -> list[np.ndarray]:
        """Each passage's sentences encoded on their own; a passage that is one sentence takes its
        own vector when it was just embedded (the same text goes in: ~40% of the sentences of
        the diplomatic documents here, measured)."""
        embedding, rows, todo = self.embedding, {}, []
        for k, (_, p, sentences) in enumerate(every):
            if (k in passage_rows and len(sentences) == 1
                    and embedding.sentence_text(p, sentences[0]) == embedding.document_text(p)):
                rows[k] = passage_rows[k][None, :]
            else:
                todo.extend((k, p, s) for s in sentences)
        encoded = (embedding.embed_sentences([(p, s) for _, p, s in todo]) if todo
                   else np.zeros((0, 0), np.float32))
        of_passage: dict[int, list[int]] = {}
        for i, (k, _, _) in enumerate(todo):
            of_passage.setdefault(k, []).append(i)
        rows.update((k, encoded[picked]) for k, picked in of_passage.items())
        dim = next((r.shape[1] for r in rows.values()), 0)
        return [rows.get(k, np.zeros((0, dim), np.float32)) for k in range(len(every))]


def sync(
    settings,
    paths: list[Path] | None = None,
    *,
    progress: bool = True,
    embedding_factory: Callable | None = None,
    log: Callable[[str], None] = print,
) -> SyncReport:
    """Bring the index in line with the corpus (or with the given files/folders inside it).
    Files not indexed are in the report (``failed``, ``skipped``); ``log`` hears of the rest
    (an interrupted sync undone, an index of an older format rebuilt)."""
    started = time.perf_counter()
    report = SyncReport()
    corpus_root = settings.corpus_dir.resolve()
    if not corpus_root.is_dir():
        raise StoreError(f"corpus folder {settings.corpus_dir} does not exist")
    scope = [p.resolve() for p in paths] if paths else None
    for p in scope or []:
        if not p.exists():
            log(f"warning: {p} does not exist; its indexed passages, if any, are removed")
        if corpus_root not in (p, *p.parents):
            raise StoreError(f"{p} is not inside the corpus folder {corpus_root}")

    manifest = Manifest.load(settings.manifest_path)
    if manifest.embed_model and manifest.embed_model != settings.embed_model:
        raise StoreError(f"the index was built with {manifest.embed_model}, not {settings.embed_model}: "
                         f"delete {settings.data_dir} to rebuild it")
    manifest.embed_model = settings.embed_model
    indexed_before = set(manifest.docs)  # a document indexed again is "updated", not "added"
    writer: IndexWriter | None = None
    try:
        if Journal(settings).pending():
            writer = IndexWriter(settings, manifest)
            writer.recover(log)
        pooling = sentence_pooling(settings)
        if manifest.docs and manifest.sentences != pooling:
            # sentence vectors are made differently now: every document is embedded again
            log(f"the index holds {manifest.sentences} sentence vectors, {pooling} ones are asked for: rebuilding it")
            writer = writer or IndexWriter(settings, manifest)
            writer.remove(list(manifest.docs))
        manifest.sentences = pooling
        # documents indexed by an older release (their passages may be made differently now) are
        # read again, whatever their scope; the vectors of texts that did not change are kept
        stale = {doc for doc, e in manifest.docs.items() if e.format != INDEX_FORMAT}
        if stale:
            log(f"{len(stale)} document(s) were indexed by an older release (index format "
                f"{min(manifest.docs[d].format for d in stale)}, now {INDEX_FORMAT}): indexing them again")

        found = discover(corpus_root, [p for p in scope or [] if p.exists()] if scope else None)
        report.skipped.extend(found.skipped)
        present: dict[str, Path] = {doc_id_for(f, corpus_root)[1]: f for f in found.files}

        def in_scope(doc: str) -> bool:
            target = corpus_root / doc
            return scope is None or any(s == target or s in target.parents for s in scope)

        for doc in sorted(stale - set(present)):
            if (corpus_root / doc).is_file():
                present[doc] = corpus_root / doc
        removed = [doc for doc in manifest.docs if doc not in present and (in_scope(doc) or doc in stale)]
        todo: list[tuple[str, Path, FileStamp]] = []
        restamped = False  # unchanged files whose size or time changed: the manifest records the new ones
        for doc, path in present.items():
            entry = manifest.docs.get(doc)
            try:
                stat = path.stat()  # before the bytes are read: a write after it shows at the next sync
                if doc not in stale and entry and (entry.size, entry.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                    report.unchanged += 1
                    continue
                stamp = FileStamp(_sha256(path), stat.st_size, stat.st_mtime_ns)
            except OSError as exc:
                report.failed.append((doc, failure_reason(exc)))
                continue
            if doc not in stale and entry and entry.sha256 == stamp.sha256:
                report.unchanged += 1
                entry.size, entry.mtime_ns, restamped = stamp.size, stamp.mtime_ns, True
            else:
                todo.append((doc, path, stamp))
        if restamped:  # the stamps alone; no store has changed yet
            manifest.save(settings.manifest_path)
        # documents indexed before sentence vectors existed (or whose vectors were lost) get them now
        redone = {doc for doc, _, _ in todo} | set(removed)
        sentences = SentenceVectors.load(settings.sentences_dir)
        backfill = [doc for doc, e in manifest.docs.items()
                    if doc not in redone and not sentences.has_document(e.doc_id)]
        if todo or removed or backfill:
            writer = writer or IndexWriter(settings, manifest)
            (settings.data_dir / "sentences.npz").unlink(missing_ok=True)  # earlier releases' one-file layout
            # a file gone is removed last, so that a file moved or renamed keeps its vectors
            # (``_Batches._stored``); first when another file takes its document ID ("a.txt" → "a.md")
            claimed = {doc_id_for(f, corpus_root)[0] for f in present.values()}
            first = [doc for doc in removed if manifest.docs[doc].doc_id in claimed]
            if first:
                writer.remove(first)
                report.removed.extend(first)
            removed = [doc for doc in removed if doc not in first]
            with tqdm(total=len(todo) + len(backfill), desc="index", unit="doc", disable=not progress) as bar:
                batches = _Batches(settings, writer, report, indexed_before, embedding_factory, bar, pooling)
                if todo:
                    with ReaderProcess(Limits.of(settings)) as reader:
                        _read_all(todo, corpus_root, manifest, batches, report, reader)
                for doc in backfill:
                    entry = manifest.docs[doc]
                    batches.add(Work(doc, writer.store.get(entry.passages), entry, embed_passages=False))
                batches.commit()
            # an old release's document that cannot be read now leaves too
            removed += [doc for doc in sorted(stale) if doc not in removed and doc in manifest.docs
                        and manifest.docs[doc].format != INDEX_FORMAT]
            if removed:
                writer.remove(removed)
                report.removed.extend(removed)
            report.copies = _same_bytes(report.added + report.updated, manifest)
    finally:
        if writer is not None:
            writer.close()
    report.seconds = time.perf_counter() - started
    return report


def _same_bytes(docs: list[str], manifest: Manifest) -> list[tuple[str, str]]:
    """Each of ``docs`` whose sha256 another indexed file has, with the first such file by name."""
    if not docs:
        return []
    by_hash: dict[str, list[str]] = {}
    for doc in sorted(manifest.docs):
        by_hash.setdefault(manifest.docs[doc].sha256, []).append(doc)
    return [(doc, next(d for d in by_hash[manifest.docs[doc].sha256] if d != doc)) for doc in sorted(docs)
            if doc in manifest.docs and len(by_hash[manifest.docs[doc].sha256]) > 1]


def _doc_id(doc: str, path_id: str, manifest: Manifest, doc_ids: dict[str, str]) -> str | None:
    """The document ID ``doc`` is indexed under: the one it has, so that citations keep
    pointing at it; a new file's path without its suffix (``path_id``, "notes/report"), or with
    it ("notes/report.docx") when another file holds that (the same document saved in two
    formats); None when other files hold both."""
    if doc in manifest.docs:
        return manifest.docs[doc].doc_id
    return next((i for i in (path_id, doc) if doc_ids.get(i, doc) == doc), None)


def _read_all(todo: list[tuple[str, Path, FileStamp]], corpus_root: Path, manifest: Manifest, batches: _Batches,
              report: SyncReport, reader: ReaderProcess) -> None:
    """Read and split each file (in the reader process), queueing it for embedding; a file that
    fails is reported and left."""
    doc_ids = {e.doc_id: d for d, e in manifest.docs.items()}
    for doc, path, stamp in todo:
        path_id = doc_id_for(path, corpus_root)[0]
        doc_id = _doc_id(doc, path_id, manifest, doc_ids)
        try:
            if doc_id is None:
                raise ReaderError(path, f"other files hold both its document IDs ({path_id!r}, {doc!r}); rename it")
            document, passages = reader.read(path, corpus_root, doc_id)
        except Exception as exc:  # noqa: BLE001 — one file's failure, whatever it is, must not stop the sync
            reason = failure_reason(exc)
        else:
            if not passages:
                reason = "no text paragraphs found"
            else:
                doc_ids[doc_id] = doc
                if doc not in manifest.docs and doc_id != path_id:
                    report.suffixed.append((doc, doc_ids[path_id]))
                if document.hidden:
                    report.hidden.append((doc, document.hidden))
                batches.add(Work(doc, passages, DocEntry(doc_id=document.doc_id, sha256=stamp.sha256,
                                                         passages=[p.id for p in passages],
                                                         metadata=document.metadata(), size=stamp.size,
                                                         mtime_ns=stamp.mtime_ns)))
                continue
        report.failed.append((doc, reason))
        batches.bar.update(1)
