"""Incremental sync of the corpus folder into the index (Chroma + BM25 + sentence vectors + manifest).

Each file is compared by the sha256 of its bytes with the manifest: unchanged files are
skipped without loading the embedding model, changed or new files are read, split and
embedded, removed files lose their passages. A file that cannot be read is reported and
skipped; whatever it had in the index stays. Writes go Chroma → BM25 (atomic) → sentence
vectors (atomic) → manifest (atomic), so an interrupted sync leaves the manifest at the last complete state and the
next sync redoes the unfinished documents.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from index.document import Passage, doc_id_for
from index.lexical import LexicalIndex
from index.passages import ingest_file
from index.readers import SUPPORTED_EXTENSIONS, ReaderError
from index.sentences import SentenceVectors, split_sentences
from index.store import INDEX_FORMAT, DocEntry, Manifest, PassageStore, StoreError


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    passages_embedded: int = 0
    embed_seconds: float = 0.0
    sentences_embedded: int = 0
    sentence_seconds: float = 0.0
    seconds: float = 0.0

    def summary(self) -> str:
        rate = self.passages_embedded / self.embed_seconds if self.embed_seconds else 0.0
        text = (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
                f"{self.unchanged} unchanged, {len(self.failed)} failed; "
                f"{self.passages_embedded} passages embedded")
        if self.passages_embedded:
            text += f" in {self.embed_seconds:.1f} s ({rate:.1f} passages/s)"
        if self.sentences_embedded:
            text += f", {self.sentences_embedded} sentences in {self.sentence_seconds:.1f} s"
        return text + f"; {self.seconds:.1f} s in all"


def discover(corpus_root: Path, paths: list[Path] | None = None) -> list[Path]:
    """Supported files under the corpus root (or under the given paths), hidden ones skipped."""
    roots = paths or [corpus_root]
    found: set[Path] = set()
    for root in roots:
        candidates = [root] if root.is_file() else root.rglob("*")
        for path in candidates:
            rel = path.relative_to(root) if path != root else Path(path.name)
            if path.is_file() and path.suffix.lower() in SUPPORTED_EXTENSIONS and not any(
                part.startswith(".") for part in rel.parts
            ):
                found.add(path.resolve())
    return sorted(found)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sync(
    settings,
    paths: list[Path] | None = None,
    *,
    progress: bool = True,
    embedding_factory: Callable | None = None,
    log: Callable[[str], None] = print,
) -> SyncReport:
    """Bring the index in line with the corpus (or with the given files/folders inside it)."""
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
    stale_format = manifest.format != INDEX_FORMAT  # every document is read and embedded again
    manifest.format = INDEX_FORMAT

    files = discover(corpus_root, [p for p in scope or [] if p.exists()] if scope else None)
    present: dict[str, Path] = {doc_id_for(f, corpus_root)[1]: f for f in files}

    def in_scope(doc: str) -> bool:
        target = corpus_root / doc
        return scope is None or any(s == target or s in target.parents for s in scope)

    removed = [doc for doc in manifest.docs if doc not in present and in_scope(doc)]
    todo: list[tuple[str, Path, str]] = []
    for doc, path in present.items():
        digest = _sha256(path)
        entry = manifest.docs.get(doc)
        if entry and entry.sha256 == digest and not stale_format:
            report.unchanged += 1
        else:
            todo.append((doc, path, digest))

    parsed: list[tuple[str, list[Passage], DocEntry]] = []
    doc_ids = {e.doc_id: d for d, e in manifest.docs.items() if d not in removed}
    for doc, path, digest in tqdm(todo, desc="read", unit="file", disable=not progress or not todo):
        try:
            document, passages = ingest_file(path, corpus_root)
        except ReaderError as exc:
            report.failed.append((doc, str(exc)))
            log(f"skipped {doc}: {exc}")
            continue
        owner = doc_ids.get(document.doc_id)
        if owner and owner != doc:
            reason = f"same document ID {document.doc_id!r} as {owner}; rename one of them"
            report.failed.append((doc, reason))
            log(f"skipped {doc}: {reason}")
            continue
        if not passages:
            report.failed.append((doc, "no text paragraphs found"))
            log(f"skipped {doc}: no text paragraphs found")
            continue
        doc_ids[document.doc_id] = doc
        entry = DocEntry(doc_id=document.doc_id, sha256=digest, passages=[p.id for p in passages],
                         metadata=document.metadata())
        parsed.append((doc, passages, entry))

    sentences = SentenceVectors.load(settings.sentences_path)
    redone = {doc for doc, _, _ in parsed} | set(removed)
    # documents indexed before sentence vectors existed (or whose vectors were lost) get them now
    have_sentences = sentences.doc_ids()
    backfill = [doc for doc, e in manifest.docs.items() if doc not in redone and e.doc_id not in have_sentences]
    if not parsed and not removed and not backfill:
        report.seconds = time.perf_counter() - started
        return report

    store = PassageStore(settings)
    all_new = [p for _, passages, _ in parsed for p in passages]
    vectors: list[list[float]] = []
    sentence_work = [(entry.doc_id, passages) for _, passages, entry in parsed]
    sentence_work += [(manifest.docs[doc].doc_id, store.get(manifest.docs[doc].passages)) for doc in backfill]
    sentence_vectors: dict[str, tuple[list[str], list[list[float]]]] = {}
    if all_new or backfill:
        from index.embed import make_embedding

        embedding = (embedding_factory or make_embedding)(settings).load()
        t0 = time.perf_counter()
        vectors = embedding.embed_passages(all_new, progress=progress)
        report.embed_seconds = time.perf_counter() - t0
        report.passages_embedded = len(all_new)
        t0 = time.perf_counter()
        rows = [(doc_id, p, s) for doc_id, passages in sentence_work for p in passages for s in split_sentences(p.text)]
        encoded = embedding.embed_sentences([(p, s) for _, p, s in rows], progress=progress) if rows else []
        for (doc_id, passage, _), vec in zip(rows, encoded):
            ids, vecs = sentence_vectors.setdefault(doc_id, ([], []))
            ids.append(passage.id)
            vecs.append(vec)
        report.sentence_seconds = time.perf_counter() - t0
        report.sentences_embedded = len(rows)

    lexical = LexicalIndex.load(settings.lexical_dir)
    for doc in removed:
        entry = manifest.docs[doc]
        store.delete_ids(entry.passages)
        report.removed.append(doc)
    offset = 0
    for doc, passages, entry in parsed:
        old = manifest.docs.get(doc)
        # delete the new IDs too: a sync interrupted after Chroma writes left them behind
        store.delete_ids(sorted(set(old.passages if old else []) | set(entry.passages)))
        store.add(passages, vectors[offset:offset + len(passages)])
        offset += len(passages)
        (report.updated if old else report.added).append(doc)
    lexical.remove_documents([manifest.docs[d].doc_id for d in removed])
    lexical.replace_documents({entry.doc_id: passages for _, passages, entry in parsed})
    lexical.save()
    sentences.remove_documents([manifest.docs[d].doc_id for d in removed])
    for doc_id, _ in sentence_work:
        ids, vecs = sentence_vectors.get(doc_id, ([], []))
        sentences.replace_document(doc_id, ids, vecs)
    sentences.save()
    for doc in removed:
        del manifest.docs[doc]
    for doc, _, entry in parsed:
        manifest.docs[doc] = entry
    manifest.save(settings.manifest_path)
    report.seconds = time.perf_counter() - started
    return report
