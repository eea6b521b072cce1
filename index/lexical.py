"""The lexical side of retrieval: BM25 (bm25s) over passages whose tokens live in SQLite.

Each passage is analysed by the analyzer of its own language, on its contextual header plus
text; a query by the analyzer of the query's language, so a Japanese query finds Japanese
passages only (dense retrieval covers the other languages).

One SQLite database (``tokens.sqlite3`` in the folder) keeps every passage's ID, document,
language, indexed text and tokens. Adding, replacing or removing a document changes its own
rows, and ``save()`` commits them in one transaction: an update costs what the document costs,
whatever the size of the index, and a crash leaves the last committed state (SQLite's
journal). The BM25 matrix is derived data: bm25s cannot update one in place, so a reader
builds it in memory from the rows when it first searches, and again after it changed them.
An index written with other analyzer or BM25 settings is re-analysed from the stored text on
load; the generation folders of earlier releases are imported once.
"""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from index.analyzers import ANALYZER_VERSION, query_tokens, tokenize
from index.document import Passage
from index.language import detect_language

# Lucene BM25 with Anserini's passage settings: on the bench sets they beat the bm25s defaults
# (k1=1.5, b=0.75) in Recall@1 by 1.4 points on JSQuAD (ja→ja), 0.5 on XQuAD (ru→ru).
BM25_PARAMS = {"method": "lucene", "k1": 0.9, "b": 0.4}
SIGNATURE = {"format": 1, "analyzer": ANALYZER_VERSION, "bm25": BM25_PARAMS}

_DATABASE = "tokens.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS passages (row INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, doc_id TEXT NOT NULL,
                                     lang TEXT NOT NULL, text TEXT NOT NULL, tokens TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS passages_by_doc ON passages (doc_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class IndexedPassage:
    """What the index keeps of a passage: enough to rebuild the matrix or re-analyse it."""

    id: str
    doc_id: str
    lang: str
    text: str  # the indexed text: contextual header + passage text
    tokens: list[str]

    @classmethod
    def analyse(cls, passage: Passage) -> "IndexedPassage":
        text = passage.indexed_text()
        lang = passage.lang or detect_language(text)
        return cls(passage.id, passage.doc_id, lang, text, tokenize(text, lang))


class LexicalIndex:
    """BM25 over passages stored in ``directory``; change it, then ``save()``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        # one connection, shared by the UI's threads under a lock
        self._db = sqlite3.connect(directory / _DATABASE, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")  # readers in other processes never wait for a sync
        self._db.executescript(_SCHEMA)
        self._lock = threading.RLock()
        self._rows: list[str] = []  # passage ID of each matrix row
        self._bm25: bm25s.BM25 | None = None
        self._stale = True  # the matrix is rebuilt from the rows when next needed
        self._df: Counter[str] = Counter()  # document frequency of each term, with the matrix

    @classmethod
    def load(cls, directory: Path) -> "LexicalIndex":
        """The index stored in ``directory``; an empty one if nothing was stored there yet."""
        index = cls(directory)
        index._import_generations()
        signature = index._db.execute("SELECT value FROM meta WHERE key = 'signature'").fetchone()
        if signature is None or json.loads(signature[0]) != SIGNATURE:
            index._reanalyse()
        return index

    def _reanalyse(self) -> None:
        with self._lock:
            rows = self._db.execute("SELECT row, lang, text FROM passages").fetchall()
            self._db.executemany("UPDATE passages SET tokens = ? WHERE row = ?",
                                 [(json.dumps(tokenize(text, lang), ensure_ascii=False), row)
                                  for row, lang, text in rows])
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('signature', ?)", (json.dumps(SIGNATURE),))
            self._db.commit()

    def _import_generations(self) -> None:
        """Earlier releases kept generation folders (``CURRENT`` naming the live one): import it."""
        pointer = self.directory / "CURRENT"
        if not pointer.is_file():
            return
        records = self.directory / pointer.read_text(encoding="utf-8").strip() / "passages.json"
        if records.is_file():
            data = json.loads(records.read_text(encoding="utf-8"))
            self._insert([IndexedPassage(**fields) for fields in data["passages"]])
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('signature', ?)", (json.dumps(data["signature"]),))
            self._db.commit()
        pointer.unlink()
        for generation in self.directory.glob("gen-*"):
            shutil.rmtree(generation, ignore_errors=True)

    def _insert(self, records: list[IndexedPassage]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO passages (id, doc_id, lang, text, tokens) VALUES (?, ?, ?, ?, ?)",
            [(r.id, r.doc_id, r.lang, r.text, json.dumps(r.tokens, ensure_ascii=False)) for r in records])

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]

    def ids(self) -> list[str]:
        with self._lock:
            return [pid for (pid,) in self._db.execute("SELECT id FROM passages ORDER BY row")]

    def replace_documents(self, passages_by_doc: dict[str, list[Passage]]) -> None:
        """Index each document's passages in place of what it had (none: the document goes)."""
        records = {doc_id: [IndexedPassage.analyse(p) for p in passages] for doc_id, passages in passages_by_doc.items()}
        with self._lock:
            self._db.executemany("DELETE FROM passages WHERE doc_id = ?", [(d,) for d in records])
            self._insert([r for rs in records.values() for r in rs])
            self._stale = True

    def remove_documents(self, doc_ids: Iterable[str]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM passages WHERE doc_id = ?", [(d,) for d in doc_ids])
            self._stale = True

    def save(self) -> None:
        """Commit the changes made since the last save, all or nothing."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('signature', ?)", (json.dumps(SIGNATURE),))
            self._db.commit()

    def close(self) -> None:
        """Drop the changes not saved, and the connection."""
        with self._lock:
            self._db.rollback()
            self._db.close()

    def _tokens(self) -> list[tuple[str, list[str]]]:
        return [(pid, json.loads(tokens)) for pid, tokens in self._db.execute("SELECT id, tokens FROM passages ORDER BY row")]

    def search(self, query: str, k: int = 20, allowed_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """The ``k`` best (passage ID, BM25 score) pairs for ``query``, best first, scores > 0."""
        bm25, rows = self._matrix()
        if bm25 is None or k <= 0:
            return []
        token_ids = bm25.get_tokens_ids(query_tokens(query))
        if not token_ids:
            return []
        scores = bm25.get_scores_from_ids(token_ids)
        if allowed_ids is not None:
            scores = scores * np.fromiter((pid in allowed_ids for pid in rows), bool, len(rows))
        hits = np.flatnonzero(scores > 0)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        hits = hits[np.lexsort((hits, -scores[hits]))]  # best first; ties in index order
        return [(rows[i], float(scores[i])) for i in hits]

    def known_share(self, query: str) -> float:
        """The share of the query's IDF mass carried by terms that occur in the index at all.

        A term no passage contains ("Norway" asked in Japanese over a corpus that names it
        only in Russian) has the highest IDF, so a query whose key terms are unknown here gets
        a low share: whatever BM25 matched is then incidental words, not the question's point.
        """
        terms = query_tokens(query)
        self._matrix()
        df_of, n = self._df, len(self._rows)
        if not terms or not n:
            return 0.0
        weights = [(math.log(1 + (n - df + 0.5) / (df + 0.5)), df > 0) for df in (df_of.get(t, 0) for t in terms)]
        return sum(w for w, known in weights if known) / sum(w for w, _ in weights)

    def prepare(self) -> None:
        """Build the BM25 matrix now rather than at the first search."""
        self._matrix()

    def _matrix(self) -> tuple[bm25s.BM25 | None, list[str]]:
        """The BM25 matrix of the current rows (None when there are none) and its row IDs."""
        with self._lock:
            if self._stale:
                records = self._tokens()
                self._rows = [pid for pid, _ in records]
                self._df = Counter(t for _, tokens in records for t in set(tokens))
                self._bm25 = None
                if records:
                    self._bm25 = bm25s.BM25(**BM25_PARAMS)
                    self._bm25.index([tokens for _, tokens in records], show_progress=False)
                self._stale = False
            return self._bm25, self._rows
