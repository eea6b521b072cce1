"""Extractive answers: the source sentences that best answer the question, quoted and cited.

Used when no LLM is configured (``--llm none``) and as the fallback when a generated answer
fails its checks. Sentences of the top passages are scored against the question with the
same embedding model as retrieval (so an English question finds a Japanese sentence), and
the best one or two are quoted verbatim with their [n] markers. Nothing is paraphrased, so
nothing can be invented.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.sentences import split_sentences
from rag.answerability import lacks_answer, names_missing, passage_mismatch
from rag.messages import message

@dataclass
class Quote:
    n: int  # 1-based number of the passage in the answer's source list
    sentence: str
    score: float


def rank_sentences(question_vec: np.ndarray, passages: list, embedding,
                   passage_scores: list[float] | None = None, passage_weight: float = 0.0) -> list[Quote]:
    """Every sentence of the passages, scored against the question, best first.

    A sentence's score is its own similarity plus ``passage_weight`` times its passage's
    retrieval score: a sentence that echoes the question's words in a passage retrieval ranks
    low should not outrank the answer in the passage it ranks first.
    The sentences are embedded bare, not with the passage title that retrieval's stored
    sentence vectors carry: the title lifts every sentence of a passage alike, and the quote
    must be the sentence that itself answers (measured on the known-facts set: 0.914 answer
    accuracy bare, 0.908 with titles). The embedding caches them across questions.
    """
    quotes: list[Quote] = []
    for n, passage in enumerate(passages, 1):
        sentences = split_sentences(passage.text)
        vectors = np.asarray(embedding.get_text_embedding_batch(sentences)) if sentences else []
        bonus = passage_weight * passage_scores[n - 1] if passage_scores else 0.0
        quotes += [Quote(n=n, sentence=s, score=float(v @ question_vec) + bonus) for s, v in zip(sentences, vectors)]
    return sorted(quotes, key=lambda q: q.score, reverse=True)


def choose_quotes(question: str, ranked: list[Quote], passages: list, *, window: float = 0.9,
                  max_quotes: int = 1, openings: dict[str, str] | None = None) -> tuple[list[Quote], str | None]:
    """The quotes that answer the question, or none and the reason.

    Among the sentences scoring within ``window`` of the best, the first ``max_quotes`` that
    pass the answerability check are quoted; when none passes, the corpus is taken not to
    answer the question. The best is the best sentence of a passage that names what the
    question names: a sentence on the Swedish minister, however close to "who came from
    Canada?", is about someone else and does not set the bar for the line on the Canadian
    one. (A passage lacking the question's numbers or dates does set it: "the third dialogue"
    near the second one's report is a near miss, and the answer is to abstain.) One quote by
    default: a second one, measured on the known-facts set, added more unsupported citations
    than answers. ``openings``: each document's opening paragraph by ``doc_id``, which says
    what instance ("the third forum") the whole document is about.
    """
    if not ranked:
        return [], "no source sentence"
    checked: dict[int, tuple[str | None, str | None]] = {}  # per passage, checked once
    bar: float | None = None
    chosen: list[Quote] = []
    first_reason: str | None = None
    for quote in ranked:
        if bar is not None and quote.score < bar * window:
            break
        passage = passages[quote.n - 1]
        if quote.n not in checked:
            checked[quote.n] = (names_missing(question, passage),
                                passage_mismatch(question, passage, (openings or {}).get(passage.doc_id, "")))
        other_names, other_instance = checked[quote.n]
        if other_names is None and bar is None:
            bar = quote.score
        reason = other_names or other_instance or lacks_answer(question, quote.sentence, passage)
        if reason is None:
            chosen.append(quote)
            if len(chosen) == max_quotes:
                break
        elif first_reason is None:
            first_reason = reason
    if not chosen:
        return [], first_reason
    return sorted(chosen, key=lambda q: q.n), None


def render_extractive(quotes: list[Quote], lang: str) -> str:
    """The answer text: a lead-in in the question's language, then the quotes with markers."""
    body = " ".join(f"«{q.sentence}» [{q.n}]" for q in quotes)
    return f"{message('extractive_lead', lang)} {body}"
