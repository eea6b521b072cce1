"""The application service: one object that answers, cites and lists documents.

CLI, Gradio UI and eval runner all go through ``RagService``, so they share one pipeline:
retrieve and score the candidate sentences (``rag/evidence.py``; a follow-up both as asked and
with the previous question, ``rag/chat.py``) → (sources out) → select evidence (which sentences
answer, or abstain) → compose (quotes, or the LLM phrasing them) → verify citations and claims → result. Heavy parts (embedding model, Chroma, BM25, LLM) load lazily, once per service.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from index.document import Passage
from index.language import detect_language
from index.lexical import LexicalIndex
from index.sentences import SentenceVectors
from index.manifest import Manifest
from index.store import PassageStore
from rag.answer import generate_answer
from rag.chat import follow_up_queries
from rag import claims, evidence
from rag.extractive import quoted_answer
from rag.messages import message
from rag.options import AskOptions, CitationNotFound, Filters
from rag.retrieve import HybridRetriever, ScoredPassage


def passage_json(p: Passage, score: float | None = None, copies: list[Passage] | None = None) -> dict[str, Any]:
    """A passage as the API, the CLI's ``--json`` and the UI see it; ``copies``: the passages
    elsewhere with the same text, which retrieval folded into this one (``rag.retrieve``)."""
    data = {"id": p.id, "doc": p.doc, "doc_id": p.doc_id, "n": p.n, "title": p.title, "date": p.date,
            "place": p.place, "source": p.source, "note": p.note, "lang": p.lang, "section": p.section,
            "start": p.start, "end": p.end, "text": p.text}
    if score is not None:
        data["score"] = round(score, 6)
    if copies:
        data["copies"] = [{"id": c.id, "doc": c.doc, "doc_id": c.doc_id, "n": c.n, "title": c.title, "date": c.date,
                           "start": c.start, "end": c.end} for c in copies]
    return data


def final_result(events: Iterable[dict[str, Any]], on_token: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The checked result that ends an answer's ``events`` (``RagService.ask_stream``);
    ``on_token`` is called with each piece of the model's text as it streams."""
    result: dict[str, Any] = {}
    for event in events:
        if event["type"] == "token" and on_token is not None:
            on_token(event["text"])
        elif event["type"] == "final":
            result = event["result"]
    return result


class RagService:
    def __init__(self, settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._retriever: HybridRetriever | None = None
        # Retrieval and evidence scoring run one request at a time. On 2 cores, ten threads doing
        # them at once (a served app's workers) answered 8 questions/s against 52 for one thread,
        # and the process grew by about 80 KB a question, without end, where one thread stayed
        # flat (measured; the native libraries underneath keep state per calling thread, torch
        # among them). The LLM's generation is outside this lock. Here the lock already makes
        # ``index.embed``'s single forward thread redundant; that thread is what keeps
        # ``rag embed-server`` (FastAPI's thread pool, no such lock) flat.
        self._compute = threading.Lock()

    # ---- components -------------------------------------------------------------------
    @property
    def retriever(self) -> HybridRetriever:
        with self._lock:
            if self._retriever is None:
                from index.embed import make_embedding

                self._retriever = HybridRetriever(
                    self.settings, PassageStore(self.settings), make_embedding(self.settings),
                    LexicalIndex.load(self.settings.lexical_dir), Manifest.load(self.settings.manifest_path),
                    SentenceVectors.load(self.settings.sentences_dir),
                )
            return self._retriever

    def retriever_for_mode(self, mode: str):
        """A retriever over the same corpus and model, ranking by ``mode``: hybrid, dense,
        lexical, or ``llamaindex`` (the plain llama-index baseline, for comparisons)."""
        r = self.retriever
        if mode == "llamaindex":
            from eval.llamaindex_baseline import LlamaIndexBaseline

            return LlamaIndexBaseline(self.settings, r.embedding)
        return HybridRetriever(self.settings, r.store, r.embedding, r.lexical, r.manifest, r.sentences, mode=mode)

    def warm_up(self) -> None:
        """Load the embedding model, open the index (BM25 matrix included) and load the Russian
        morphology the claim check uses now rather than on the first question."""
        self.retriever.embedding.get_query_embedding("warm up")
        self.retriever.lexical.prepare()
        claims.prepare()

    # ---- retrieval ----------------------------------------------------------------------
    def search(self, question: str, k: int | None = None, filters: Filters | None = None) -> list[ScoredPassage]:
        with self._compute:
            return self.retriever.search(question, k=k, filters=filters)

    # ---- answering ------------------------------------------------------------------------
    def ask(self, question: str, options: AskOptions | None = None) -> dict[str, Any]:
        """The whole answer at once (the last event of ``ask_stream``)."""
        return final_result(self.ask_stream(question, options))

    def ask_stream(self, question: str, options: AskOptions | None = None) -> Iterator[dict[str, Any]]:
        """Events: ``sources`` (retrieved passages, at once), ``waiting`` (the LLM is busy with
        ``ahead`` other requests; repeated when that changes), ``token`` (answer text as it is
        generated), ``final`` (the checked answer with citations, as ``rag ask --json``)."""
        options = options or AskOptions()
        t0 = time.perf_counter()
        lang = detect_language(question)
        llm_spec = options.llm or self.settings.llm
        if not self.retriever.manifest.docs:  # say so, rather than "the corpus does not answer"
            yield {"type": "sources", "passages": [], "question": question}
            yield {"type": "final", "result": {
                "question": question, "standalone_question": question, "lang": lang,
                "answer": message("empty_index", lang), "abstained": True, "mode": "empty_index",
                "checks": {}, "citations": [], "passages": [],
                "timings": {"total_s": round(time.perf_counter() - t0, 3)}}}
            return
        top_k = options.top_k or self.settings.top_k
        # a follow-up is tried as asked and with the previous question (rag/chat.py); the phrasing
        # the corpus more likely answers wins, the first on a tie
        phrasings = follow_up_queries(question, options.history)
        found = [self._evidence_for(p.text, top_k, options.filters) for p in phrasings]
        best = max(range(len(found)), key=lambda i: found[i][2])  # the first on a tie
        phrasing, (hits, ranked, answerable, unasked) = phrasings[best], found[best]
        standalone = phrasing.text
        passages_out = [passage_json(h.passage, h.score, h.copies) for h in hits]
        copies = {h.passage.id: h.copies for h in hits}
        timings = {"sources_s": round(time.perf_counter() - t0, 3)}
        yield {"type": "sources", "passages": passages_out, "question": standalone}

        context = [h.passage for h in hits[: self.settings.evidence_k]]  # the passages whose sentences may answer
        chosen = evidence.select(ranked, answerable=answerable, threshold=self.settings.answer_threshold,
                                 ratio=self.settings.quote_ratio, same_passage_ratio=self.settings.same_passage_ratio,
                                 max_quotes=self.settings.max_quotes, passages=context)
        chosen, context, list_cut = evidence.with_listed_items(chosen, context, self._list_items,
                                                               self.settings.max_list_items)
        sure = answerable >= self.settings.sure_threshold  # below it, the answer says it may not answer
        scores = {"answerable_probability": round(answerable, 3),
                  "best_sentence_probability": round(ranked[0].probability, 3) if ranked else None}
        outcome: dict[str, Any]
        if not chosen:
            outcome = {"answer": message("abstain", lang), "abstained": True, "mode": "abstain", "cited": [],
                       "checks": {"abstain_reason": "the sources are unlikely to answer the question", **scores}}
        else:
            extractive = quoted_answer(chosen, context, lang, sure=sure, list_cut=list_cut)
            extractive["checks"] = scores
            if llm_spec == "none":
                outcome = extractive
            else:  # the LLM reads only the passages the quotes come from: a lean prompt, no distractors
                outcome = yield from generate_answer(
                    phrasing, lang, extractive["numbered"], llm_spec, self.settings, timings=timings,
                    started=t0, evidence=extractive["quotes"], unasked=unasked,
                    fallback=lambda reason: {**extractive, "checks": {**extractive["checks"], "fallback": reason}},
                )
        timings["total_s"] = round(time.perf_counter() - t0, 3)
        citations = []
        for n in outcome["cited"]:  # markers number the passages the answerer was given
            passage = outcome["numbered"][n - 1]
            cit = passage_json(passage, copies=copies.get(passage.id))
            cit["n"] = n
            citations.append(cit)
        result = {
            "question": question, "standalone_question": standalone, "lang": lang,
            "answer": outcome["answer"], "abstained": outcome["abstained"], "mode": outcome["mode"],
            "unsure": not outcome["abstained"] and not sure,  # an answer the evidence scorer doubts
            "checks": outcome.get("checks", {}), "citations": citations, "passages": passages_out,
            "quotes": outcome.get("quotes", []), "timings": timings,  # quotes: the sentences an extractive answer quotes
        }
        yield {"type": "final", "result": result}

    def _evidence_for(self, query: str, top_k: int, filters: Filters | None):
        """``query``'s passages (best first), its scored candidate sentences, the probability
        that they answer it and the kinds of fact it does not ask for."""
        hits = self.search(query, k=top_k, filters=filters)
        with self._compute:  # never held across a yield: a stalled consumer would stall everyone
            qvec = np.asarray(self.retriever.embedding.get_query_embedding(query))
            asked, unasked = evidence.load_model().types.read(qvec)
            ranked = evidence.score(evidence.candidates(query, qvec, hits[: self.settings.evidence_k],
                                                        self.retriever.sentences, self.retriever.embedding, asked))
        return hits, ranked, evidence.answerable_probability(ranked), unasked

    def _list_items(self, intro: Passage, k: int) -> list[Passage]:
        """The first ``k`` items of the list whose lead-in ends ``intro``: the passages after it
        in its document, while ingest marked them as its items."""
        entry = self._manifest_entry(intro.doc_id)
        if entry is None or intro.id not in entry.passages:
            return []
        i = entry.passages.index(intro.id)
        items = []
        for p in self.retriever.store.get(entry.passages[i + 1: i + 1 + k]):
            if not evidence.one_text(intro, p) or not p.lead:
                break
            items.append(p)
        return items

    # ---- citation lookup and documents ------------------------------------------------------
    def cite(self, passage_id: str, neighbours: int = 1) -> dict[str, Any]:
        """A passage, its document's metadata and its neighbouring passages."""
        store = self.retriever.store
        found = store.get([passage_id])
        if not found:
            raise CitationNotFound(f"no passage with ID {passage_id!r}; IDs look like <doc_id>#p<N>")
        passage = found[0]
        entry = self._manifest_entry(passage.doc_id)
        ids = entry.passages if entry else [passage_id]
        i = ids.index(passage_id) if passage_id in ids else 0
        around = store.get(ids[max(0, i - neighbours): i + neighbours + 1])
        return {
            **passage_json(passage),
            "document": {"doc_id": passage.doc_id, "doc": passage.doc, **(entry.metadata if entry else {}),
                         "passages": len(ids)},
            "neighbours": [passage_json(p) for p in around if p.id != passage_id],
        }

    def _manifest_entry(self, doc_id: str):
        for entry in self.retriever.manifest.docs.values():
            if entry.doc_id == doc_id:
                return entry
        return None

    def documents(self) -> list[dict[str, Any]]:
        return self.retriever.manifest.listing()

    def document(self, doc_id: str) -> dict[str, Any]:
        entry = self._manifest_entry(doc_id)
        if entry is None:
            raise CitationNotFound(f"no document with ID {doc_id!r}")
        return {"doc_id": doc_id, **entry.metadata,
                "passages": [passage_json(p) for p in self.retriever.store.get(entry.passages)]}
