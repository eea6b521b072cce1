"""Hybrid retrieval: dense (Chroma) and lexical (BM25) evidence fused by score.

Every candidate from either side gets its dense cosine similarity to the question (passages
found only by BM25 have their stored vectors compared), plus ``lexical_weight`` times its BM25
score normalised by the best BM25 score of the query. Score fusion keeps the dense margin:
a passage far ahead on meaning is not overtaken by passages that merely share words with the
question, as happens with reciprocal-rank fusion.

BM25 can only match passages in the question's language, so in a mixed-language corpus its
bonus would pull every answer toward same-language documents. So the bonus only reorders the
question's-language passages among the places the order without it (dense and sentence
similarity, below) gives them, and lifts none past a passage in another language
(``with_bonus_within_language``). Until stop 54 it was switched off when the best dense
passage was in another language and otherwise added freely; in a bigger archive the best
dense passage is often in the question's language while the answer is not, and Japanese
passages sharing a question's words pushed the Russian answer down (README: R@1/R@5 summed
over four mixed-language dev runs 372/409 → 375/417 with the bonus kept in its language; the
switch then changed no answer count and was removed). The bonus itself (README): jsquad R@1
0.884 → 0.929, xquad-ru 0.923 → 0.954; in a corpus of one language it is the plain sum.
A question's language may hold no passage that answers it: a Japanese question about
"ノルウェー" over a corpus that names Norway only in Russian matches Japanese passages on
incidental words alone. So the bonus is scaled by the share of the query's IDF mass that the
lexical index knows (squared, ``lexical_coverage_power``): a query whose rarest terms occur
nowhere gets little lexical weight (known facts ja→ru R@1 0.632 → 0.737, R@20 0.895 → 0.947;
README).
Then every candidate gains ``sentence_weight`` times the similarity of its best-matching
sentence (``index/sentences.py``): a question is usually about one sentence of a paragraph,
and that sentence matches it more sharply than the paragraph's vector does, above all across
languages (xquad en→ru R@1 0.920 → 0.948, README).
Each result keeps both ranks and the similarity, which answering uses to decide whether the
corpus says anything relevant at all.
Passages that no signal can tell apart (the same text under the same title, date, section and
lead-in, in the same language: a file saved twice, a statement filed under two names) are one
result: the best ranked (on a tie the shorter file name) carries the others as ``copies``.
Answering reads how far the best passage stands ahead of the next, so a twin would read as a
rival and turn answerable questions into refusals (measured, README: known facts with every
seed document present twice, 157 → 143 right answers), and the twins would fill the sources
and the evidence with one paragraph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from llama_index.core import QueryBundle, VectorStoreIndex
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, TextNode
from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

from index.document import Passage, as_read, date_number
from index.language import detect_language
from index.lexical import LexicalIndex
from index.sentences import SentenceVectors
from index.manifest import Manifest
from index.store import PassageStore, node_to_passage
from rag.options import Filters

MODES = ("hybrid", "dense", "lexical")


def metadata_filters(filters: Filters) -> MetadataFilters | None:
    """The filters as llama-index metadata filters over the Chroma records."""
    parts: list[MetadataFilter] = []
    if filters.docs:
        parts.append(MetadataFilter(key="doc_id", value=filters.docs, operator=FilterOperator.IN))
    if filters.since:
        parts.append(MetadataFilter(key="date_num", value=date_number(filters.since), operator=FilterOperator.GTE))
    if filters.until:
        parts.append(MetadataFilter(key="date_num", value=date_number(filters.until), operator=FilterOperator.LTE))
    if filters.langs:
        parts.append(MetadataFilter(key="lang", value=filters.langs, operator=FilterOperator.IN))
    return MetadataFilters(filters=parts) if parts else None


@dataclass
class ScoredPassage:
    passage: Passage
    score: float  # fused score (higher is better); BM25 score in lexical mode
    similarity: float | None = None  # dense cosine similarity, when the dense side found it
    dense_rank: int | None = None
    lexical_rank: int | None = None
    copies: list[Passage] = field(default_factory=list)  # the same text elsewhere (module docstring)


def same_text_key(passage: Passage) -> tuple[str, str]:
    """What every signal reads of a passage: its language and its text with title, date, section
    and lead-in (``Passage.indexed_text``), ``as_read``."""
    return passage.lang, as_read(passage.indexed_text())


def without_copies(ranked: list[ScoredPassage], k: int) -> list[ScoredPassage]:
    """The first ``k`` results of ``ranked`` whose passages differ (``same_text_key``), each
    carrying the later ones it equals as ``copies``."""
    first: dict[tuple[str, str], ScoredPassage] = {}
    for item in ranked:
        key = same_text_key(item.passage)
        if key in first:
            first[key].copies.append(item.passage)
        elif len(first) < k:
            first[key] = item
    return list(first.values())


def best_first(results) -> list[ScoredPassage]:
    """By score, best first; on a tie (twins) the shorter file name first ("report.pdf" before
    "report (1).pdf", "Copy of report.pdf"), then the passage ID, so that which twin leads is fixed."""
    return sorted(results, key=lambda r: (-r.score, len(r.passage.doc), r.passage.id))


def with_bonus_within_language(results: list[ScoredPassage], bonus: dict[str, float],
                               lang: str) -> list[ScoredPassage]:
    """``results`` best first after adding each passage's lexical ``bonus`` (only passages in
    ``lang``, the question's language, have one), so that the bonus reorders passages of ``lang``
    among themselves but lifts none past a passage in another language: the places ``lang``
    passages hold in the order without the bonus stay theirs, and are filled in the order with it.
    A score is lowered, where it must be, to just under the one placed before it, so that scores
    stay in rank order. In a pool of one language this is plain addition."""
    base = best_first(results)
    fused = iter(sorted((r for r in base if r.passage.lang == lang),
                        key=lambda r: -(r.score + bonus.get(r.passage.id, 0.0))))
    ranked = [next(fused) if r.passage.lang == lang else r for r in base]
    previous = None
    for item in ranked:
        item.score += bonus.get(item.passage.id, 0.0)
        if previous is not None and item.score > previous:
            item.score = previous - 1e-9
        previous = item.score
    return ranked


class HybridRetriever(BaseRetriever):
    """Dense + lexical retrieval over the index, as a llama-index retriever."""

    def __init__(self, settings, store: PassageStore, embedding, lexical: LexicalIndex,
                 manifest: Manifest, sentences: SentenceVectors | None = None, mode: str = "hybrid") -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"retrieval mode must be one of {MODES}, not {mode!r}")
        self.settings = settings
        self.store = store
        self.embedding = embedding
        self.lexical = lexical
        self.manifest = manifest
        self.sentences = sentences
        self.mode = mode
        self._vector_index = VectorStoreIndex.from_vector_store(store.vector_store, embed_model=embedding)

    def normalise_filters(self, filters: Filters | None) -> Filters | None:
        """Accept file names or doc IDs in ``filters.docs``; turn them all into doc IDs."""
        if filters is None or filters.is_empty():
            return None
        by_name = {doc: entry.doc_id for doc, entry in self.manifest.docs.items()}
        docs = [by_name.get(d, d) for d in filters.docs]
        return Filters(docs=docs, since=filters.since, until=filters.until, langs=filters.langs)

    def _allowed_ids(self, filters: Filters) -> set[str]:
        allowed: set[str] = set()
        for entry in self.manifest.docs.values():
            meta = entry.metadata
            if filters.docs and entry.doc_id not in filters.docs:
                continue
            if filters.langs and meta.get("lang") not in filters.langs:
                continue
            num = date_number(meta.get("date", ""))
            if filters.since and num < date_number(filters.since):
                continue
            if filters.until and num > date_number(filters.until):
                continue
            allowed.update(entry.passages)
        return allowed

    def dense(self, query: str, k: int, filters: Filters | None) -> list[tuple[Passage, float]]:
        retriever = self._vector_index.as_retriever(
            similarity_top_k=k, filters=metadata_filters(filters) if filters else None
        )
        hits = retriever.retrieve(QueryBundle(query_str=query))
        return [(node_to_passage(h.node.node_id, h.node.get_content(), h.node.metadata), float(h.score or 0.0))
                for h in hits]

    def lexical_hits(self, query: str, k: int, filters: Filters | None) -> list[tuple[str, float]]:
        allowed = self._allowed_ids(filters) if filters else None
        return self.lexical.search(query, k=k, allowed_ids=allowed)

    def search(self, query: str, k: int | None = None, filters: Filters | None = None) -> list[ScoredPassage]:
        """The top ``k`` passages for ``query``, best first."""
        k = k or self.settings.top_k
        filters = self.normalise_filters(filters)
        pool = max(k, self.settings.candidate_pool)
        results: dict[str, ScoredPassage] = {}
        if self.mode in ("hybrid", "dense"):
            for rank, (passage, sim) in enumerate(self.dense(query, pool, filters), 1):
                results[passage.id] = ScoredPassage(passage, sim, similarity=sim, dense_rank=rank)
        if self.mode == "dense":
            return without_copies(best_first(results.values()), k)

        hits = self.lexical_hits(query, pool, filters)
        if self.mode == "lexical":
            by_id = {p.id: p for p in self.store.get([pid for pid, _ in hits])}
            return without_copies(best_first(ScoredPassage(by_id[pid], score, lexical_rank=rank)
                                             for rank, (pid, score) in enumerate(hits, 1) if pid in by_id), k)

        qlang = detect_language(query)
        missing = [pid for pid, _ in hits if pid not in results]
        qvec = np.asarray(self.embedding.get_query_embedding(query))  # cached: computed once per question
        if missing:
            for passage, vector in self.store.get_with_vectors(missing):
                sim = float(np.dot(qvec, vector))
                results[passage.id] = ScoredPassage(passage, sim, similarity=sim)
        best = hits[0][1] if hits else 1.0
        weight = self.settings.lexical_weight
        if hits:
            weight *= self.lexical.known_share(query) ** self.settings.lexical_coverage_power
        bonus: dict[str, float] = {}
        for rank, (pid, score) in enumerate(hits, 1):
            item = results.get(pid)
            if item is None:
                continue
            item.lexical_rank = rank
            if item.passage.lang == qlang:
                bonus[pid] = weight * score / best
        if self.sentences is not None and self.settings.sentence_weight:
            for pid, sim in self.sentences.best_similarity(qvec, list(results)).items():
                results[pid].score += self.settings.sentence_weight * sim
        return without_copies(with_bonus_within_language(list(results.values()), bonus, qlang), k)

    # llama-index interface
    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        out = []
        for item in self.search(query_bundle.query_str):
            p = item.passage
            node = TextNode(id_=p.id, text=p.text, metadata=p.to_dict())
            out.append(NodeWithScore(node=node, score=item.score))
        return out
