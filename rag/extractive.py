"""Extractive answers: the source sentences that best answer the question, quoted and cited.

Used when no LLM is configured (``--llm none``) and as the fallback when a generated answer
fails its checks. Sentences of the top passages are scored against the question with the
same embedding model as retrieval (so an English question finds a Japanese sentence), and
the best one or two are quoted verbatim with their [n] markers. Nothing is paraphrased, so
nothing can be invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.messages import message

_SENTENCE_END = re.compile(r"(?<=[。！？])|(?<=[.!?])\s+(?=[A-ZА-ЯЁ\"«(])")


def split_source_sentences(text: str) -> list[str]:
    """Sentences of a source passage (Japanese and European punctuation)."""
    parts = [s.strip() for s in _SENTENCE_END.split(text)]
    return [s for s in parts if len(s) > 1]


@dataclass
class Quote:
    n: int  # 1-based number of the passage in the answer's source list
    sentence: str
    score: float


def best_quotes(question_vec: np.ndarray, passages: list, embedding, max_quotes: int = 2,
                min_ratio: float = 0.9) -> list[Quote]:
    """The best sentences across passages; a second one only if it scores near the first."""
    candidates: list[tuple[int, str]] = []
    for n, passage in enumerate(passages, 1):
        for sentence in split_source_sentences(passage.text):
            candidates.append((n, sentence))
    if not candidates:
        return []
    vectors = np.asarray(embedding.get_text_embedding_batch([s for _, s in candidates]))
    scores = vectors @ question_vec
    order = np.argsort(-scores)
    best = float(scores[order[0]])
    quotes: list[Quote] = []
    for i in order[:max_quotes]:
        if float(scores[i]) < best * min_ratio and quotes:
            break
        n, sentence = candidates[i]
        quotes.append(Quote(n=n, sentence=sentence, score=float(scores[i])))
    return sorted(quotes, key=lambda q: (q.n, -q.score))


def render_extractive(quotes: list[Quote], lang: str) -> str:
    """The answer text: a lead-in in the question's language, then the quotes with markers."""
    body = " ".join(f"«{q.sentence}» [{q.n}]" for q in quotes)
    return f"{message('extractive_lead', lang)} {body}"
