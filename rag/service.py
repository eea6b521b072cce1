"""The application service: one object that answers, cites and lists documents.

CLI, Gradio UI and eval runner all go through ``RagService``, so they share one pipeline:
retrieve → (sources out) → answer with the LLM or extractively → check citations and claims
→ result. Heavy parts (embedding model, Chroma, BM25, LLM) load lazily, once per service.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Iterator

import numpy as np

from index.document import Passage
from index.language import detect_language
from index.lexical import LexicalIndex
from index.sentences import SentenceVectors
from index.store import Manifest, PassageStore
from rag.answer import generate_answer
from rag.answerability import document_scope, missing_numbers, question_numbers
from rag.extractive import Quote, choose_quotes, rank_sentences, render_extractive
from rag.messages import message
from rag.provenance import asks_for_source, documents_in_order, language_named, opening_passage, source_line
from rag.retrieve import Filters, HybridRetriever, ScoredPassage


class CitationNotFound(KeyError):
    """No passage has the asked ID."""


def passage_json(p: Passage, score: float | None = None) -> dict[str, Any]:
    data = {"id": p.id, "doc": p.doc, "doc_id": p.doc_id, "n": p.n, "title": p.title, "date": p.date,
            "place": p.place, "source": p.source, "note": p.note, "lang": p.lang, "section": p.section,
            "start": p.start, "end": p.end, "text": p.text}
    if score is not None:
        data["score"] = round(score, 6)
    return data


@dataclass
class AskOptions:
    llm: str | None = None  # "local" | "none" | URL; None = the settings' choice
    filters: Filters | None = None
    top_k: int | None = None  # passages returned as sources
    history: list[tuple[str, str]] = field(default_factory=list)  # (user, assistant) turns


class RagService:
    def __init__(self, settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._retriever: HybridRetriever | None = None

    # ---- components -------------------------------------------------------------------
    @property
    def retriever(self) -> HybridRetriever:
        with self._lock:
            if self._retriever is None:
                from index.embed import make_embedding

                self._retriever = HybridRetriever(
                    self.settings, PassageStore(self.settings), make_embedding(self.settings),
                    LexicalIndex.load(self.settings.lexical_dir), Manifest.load(self.settings.manifest_path),
                    SentenceVectors.load(self.settings.sentences_path),
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
        """Load the embedding model and open the index now rather than on the first question."""
        self.retriever.embedding.get_query_embedding("warm up")

    # ---- retrieval ----------------------------------------------------------------------
    def search(self, question: str, k: int | None = None, filters: Filters | None = None) -> list[ScoredPassage]:
        return self.retriever.search(question, k=k, filters=filters)

    # ---- answering ------------------------------------------------------------------------
    def ask(self, question: str, options: AskOptions | None = None) -> dict[str, Any]:
        """The whole answer at once (the last event of ``ask_stream``)."""
        result: dict[str, Any] = {}
        for event in self.ask_stream(question, options):
            if event["type"] == "final":
                result = event["result"]
        return result

    def ask_stream(self, question: str, options: AskOptions | None = None) -> Iterator[dict[str, Any]]:
        """Events: ``sources`` (retrieved passages, at once), ``token`` (answer text as it is
        generated), ``final`` (the checked answer with citations, as ``rag ask --json``)."""
        options = options or AskOptions()
        t0 = time.perf_counter()
        lang = detect_language(question)
        llm_spec = options.llm or self.settings.llm
        standalone = question
        if options.history:
            from rag.chat import condense_question

            standalone = condense_question(question, options.history, llm_spec, self.settings)
        top_k = options.top_k or self.settings.top_k
        hits = self.search(standalone, k=top_k, filters=options.filters)
        passages_out = [passage_json(h.passage, h.score) for h in hits]
        timings = {"sources_s": round(time.perf_counter() - t0, 3)}
        yield {"type": "sources", "passages": passages_out, "question": standalone}

        embedding = self.retriever.embedding
        qvec = np.asarray(embedding.get_query_embedding(standalone))
        context = self._context_passages(hits)
        relevant = bool(context) and (context[0].similarity or 0.0) >= self.settings.abstain_similarity
        openings = self._openings(standalone, context) if relevant else {}

        outcome: dict[str, Any]
        if not relevant:
            outcome = {"answer": message("abstain", lang), "abstained": True, "mode": "abstain",
                       "cited": [], "checks": {"reason": "no passage is similar enough to the question"}}
        elif all(missing_numbers(standalone, document_scope(c.passage, openings.get(c.passage.doc_id, "")))
                 for c in context):
            outcome = {"answer": message("abstain", lang), "abstained": True, "mode": "abstain", "cited": [],
                       "checks": {"abstain_reason": "the sources do not mention the numbers of the question"}}
        else:
            # one answerability decision for both modes: the LLM only phrases what a quote can back
            extractive = (asks_for_source(standalone)
                          and self._provenance(standalone, hits, qvec, lang, options.filters)
                          or self._extractive(qvec, context, lang, question=standalone, openings=openings))
            if llm_spec == "none" or extractive["abstained"]:
                outcome = extractive
            else:  # the LLM reads only the passages the quotes come from: a lean prompt, no distractors
                outcome = yield from generate_answer(
                    standalone, lang, [extractive["numbered"][n - 1] for n in extractive["cited"]], llm_spec,
                    self.settings, timings=timings, started=t0, evidence=extractive["quotes"],
                    fallback=lambda reason: {**extractive, "checks": {**extractive["checks"], "fallback": reason}},
                )
        timings["total_s"] = round(time.perf_counter() - t0, 3)
        citations = []
        for n in outcome["cited"]:  # markers number the passages the answerer was given
            cit = passage_json(outcome["numbered"][n - 1])
            cit["n"] = n
            citations.append(cit)
        result = {
            "question": question, "standalone_question": standalone, "lang": lang,
            "answer": outcome["answer"], "abstained": outcome["abstained"], "mode": outcome["mode"],
            "checks": outcome.get("checks", {}), "citations": citations, "passages": passages_out,
            "timings": timings,
        }
        yield {"type": "final", "result": result}

    def _context_passages(self, hits: list[ScoredPassage]) -> list[ScoredPassage]:
        """The few best passages the answer may draw on (numbered [1]..[n] in that order)."""
        return hits[: self.settings.context_k]

    def _openings(self, question: str, context: list[ScoredPassage]) -> dict[str, str]:
        """The opening paragraph of each context passage's document, by ``doc_id``, when the
        question has numbers or ordinals to find: the opening says which instance ("the third
        forum") the whole document reports (one store read; none for other questions)."""
        if not question_numbers(question):
            return {}
        docs = self.retriever.manifest.docs
        ids = {opening_passage(docs[c.passage.doc].passages) for c in context if c.passage.doc in docs}
        return {p.doc_id: p.text for p in self.retriever.store.get(sorted(i for i in ids if i))}

    def _extractive(self, qvec, context: list[ScoredPassage], lang: str, *, question: str,
                    openings: dict[str, str]) -> dict:
        passages = [c.passage for c in context]
        ranked = rank_sentences(qvec, passages, self.retriever.embedding, [c.score for c in context],
                                self.settings.quote_passage_weight)
        quotes, why_not = choose_quotes(question, ranked, passages, openings=openings)
        checks: dict[str, Any] = {}
        if not quotes:
            checks["abstain_reason"] = why_not
            return {"answer": message("abstain", lang), "abstained": True, "mode": "abstain",
                    "cited": [], "checks": checks}
        return {"answer": render_extractive(quotes, lang), "abstained": False, "mode": "extractive",
                "cited": sorted({q.n for q in quotes}), "checks": checks, "numbered": passages,
                "quotes": [q.sentence for q in quotes]}

    def _provenance(self, question: str, hits: list[ScoredPassage], qvec, lang: str,
                    filters: Filters | None) -> dict | None:
        """Who published the document the question is about: its source line, quoted. None when
        that document has no source, or none a passage of it shows (the usual answer runs then)."""
        named = language_named(question)
        if named and not any(h.passage.lang == named for h in hits) and not (filters and filters.langs):
            hits = self.search(question, filters=replace(filters or Filters(), langs=[named]))
        entries = [e for d in documents_in_order([h.passage for h in hits], named)[:3]
                   if (e := self._manifest_entry(d)) and opening_passage(e.passages)]
        if not entries:
            return None
        openings = self.retriever.store.get_with_vectors([opening_passage(e.passages) for e in entries])
        closeness = {p.doc_id: float(np.asarray(v) @ qvec) for p, v in openings}
        entry = max(entries, key=lambda e: closeness.get(e.doc_id, -1.0))
        if not entry.metadata.get("source"):
            return None
        for passage in self.retriever.store.get(list(dict.fromkeys([entry.passages[0], entry.passages[-1]]))):
            if line := source_line(passage):
                return {"answer": render_extractive([Quote(n=1, sentence=line, score=1.0)], lang),
                        "abstained": False, "mode": "extractive", "cited": [1], "numbered": [passage],
                        "quotes": [line], "checks": {"answered_from": "the document's source line"}}
        return None

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
        return [{"doc": doc, "doc_id": e.doc_id, **e.metadata, "passages": len(e.passages)}
                for doc, e in sorted(self.retriever.manifest.docs.items())]

    def document(self, doc_id: str) -> dict[str, Any]:
        entry = self._manifest_entry(doc_id)
        if entry is None:
            raise CitationNotFound(f"no document with ID {doc_id!r}")
        return {"doc_id": doc_id, **entry.metadata,
                "passages": [passage_json(p) for p in self.retriever.store.get(entry.passages)]}
