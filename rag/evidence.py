"""Select evidence: which sentences of the retrieved passages answer the question, or none.

Two fitted scorers decide, for any language, document and phrasing; no list of question
phrasings is involved. Every sentence of the best ``evidence_k`` passages is a candidate,
described by signals that carry anywhere (``FEATURES``): the embedding model's similarity of
the question to the sentence (both vectors ingest stored: titled, and its own, without the
title: ``index/sentences.py``) and to its passage, margins and ranks of both
among the candidates, the share of the question's index terms the sentence and its passage hold
(same language only), the share of the question's numbers, dates and names (``rag.claims``) that
the passage's document scope (title, date, text) lacks, how much of the sentence is new to the
question, its length, and whether it newly states a date or a number where the question asks for
one (``AnswerTypes`` reads that from the question's embedding, fitted on gold answers).

1. The sentence scorer, a logistic regression over those features, gives each candidate the
   probability that it holds the answer (fitted on question/sentence pairs of the dev halves:
   a sentence is positive when it lies in an evidence document and holds a gold answer).
2. The question scorer reads the best candidates (``QUESTION_FEATURES``: their probabilities,
   similarities, the gap between the first two passages, what the best passage lacks of the
   question) and gives the probability that the corpus answers at all (fitted on the same
   questions, plus each answerable one asked again with its documents filtered out: a silent
   corpus).

Both are fitted by ``eval/fit_evidence.py`` and ship in ``rag/evidence_model.json``. Below
``answer_threshold`` the app abstains; otherwise it quotes the best sentence and the others
within ``same_passage_ratio`` of its probability from its own passage (or from its list: a
list item and the lead-in that introduces the list are one text, ``one_text``), or
``quote_ratio`` from another (``max_quotes`` at most): the items of a list, the other half of a
two-part answer, the sentence after the one that restates the question. All are calibrated on
dev data. A sentence is quoted once, though two passages hold it (a text filed twice).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np

from index.analyzers import query_tokens, tokenize
from index.document import as_read
from index.paragraphs import LIST_INTRO
from index.language import detect_language
from index.sentence_split import split_sentences
from rag.claims import check_sentence, extract_dates, extract_numbers

MODEL_PATH = Path(__file__).with_name("evidence_model.json")

FEATURES = (
    "sentence_sim",  # cosine of question and sentence (its stored vector, with its passage's title)
    "own_sim",  # cosine of question and the sentence's own vector (its meaning without the title)
    "best_in_passage",  # 1 when no other sentence of its passage is closer to the question
    "sentence_margin",  # sentence_sim minus the best candidate's
    "sentence_rank_inv",  # 1 / rank of the sentence among all candidates
    "passage_sim",  # cosine of question and the sentence's passage
    "passage_margin",  # retrieval score of the passage minus the best passage's
    "passage_rank_inv",  # 1 / retrieval rank of the passage
    "overlap_sentence",  # share of the question's index terms in the sentence (same language)
    "overlap_passage",  # ... in the passage with its title
    "same_language",  # question and passage in one language
    "claims_missing",  # share of the question's numbers, dates and names the document scope lacks
    "novelty",  # share of the sentence's index terms the question does not hold (same language)
    "log_length",  # log of the sentence's length in characters
    "type_fit",  # how likely the question asks for a kind of fact (date, number) the sentence newly states
    "type_miss",  # how likely it asks for a kind the sentence does not newly state
)

# kinds of fact whose presence in a sentence any language's text shows (``rag.claims`` finds them);
# how likely a question asks for each is read from its embedding (``AnswerTypes``)
ANSWER_TYPES = ("date", "number")


# what the question as a whole looks like, from its best candidates: does the corpus answer it?
QUESTION_FEATURES = (
    "best_probability",  # the sentence scorer's probability for the best sentence
    "second_probability",  # ... for the runner-up
    "best_sentence_sim",  # the highest sentence_sim of any candidate
    "best_own_sim",  # the highest own_sim
    "passage_sim",  # passage_sim of the best sentence's passage
    "passage_gap",  # retrieval score of the first passage minus the second's
    "claims_missing",  # claims_missing of the best sentence's passage
    "same_language",  # same_language of the best sentence's passage
    "type_miss",  # type_miss of the best sentence
)


@dataclass
class Candidate:
    """One sentence of a context passage, with what the scorer saw and said."""

    n: int  # 1-based number of the passage among the context passages
    position: int  # index of the sentence within its passage
    sentence: str
    features: np.ndarray
    probability: float = 0.0


@dataclass(frozen=True)
class EvidenceModel:
    """Logistic regression over standardised ``FEATURES``."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def as_dict(self, features: tuple[str, ...]) -> dict:
        return {"features": list(features), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "coef": self.coef.tolist(), "intercept": self.intercept}

    @classmethod
    def from_dict(cls, data: dict, features: tuple[str, ...]) -> "EvidenceModel":
        if tuple(data["features"]) != features:
            raise ValueError("the evidence model was fitted on other features; re-run eval/fit_evidence.py")
        return cls(np.asarray(data["mean"]), np.asarray(data["scale"]), np.asarray(data["coef"]),
                   float(data["intercept"]))


@dataclass(frozen=True)
class AnswerTypes:
    """Per ``ANSWER_TYPES`` kind, a logistic regression over the question's embedding: the
    probability that its answer states such a fact, read from the embedding alone (which places
    a question's meaning alike in any language; no words are listed). Fitted on the dev halves'
    questions, each labelled by the kinds of fact its gold answers state (``eval/fit_evidence.py``)."""

    coef: np.ndarray  # (kinds, dimensions)
    intercept: np.ndarray  # (kinds,)
    # per kind, the probability that all but a few of the dev questions whose answers state such
    # a fact reach (out of fold): below it a question is taken not to ask for that kind
    floor: np.ndarray | None = None

    def probabilities(self, qvec: np.ndarray) -> np.ndarray:
        """One probability per kind; none (zeros) for an embedding of another size than the
        model it was fitted on."""
        if qvec.shape[-1] != self.coef.shape[1]:
            return np.zeros(len(self.intercept))
        return 1.0 / (1.0 + np.exp(-(self.coef @ qvec + self.intercept)))

    def read(self, qvec: np.ndarray) -> tuple[np.ndarray, frozenset[str]]:
        """The question's ``probabilities`` and the kinds it does not ask for: probability below
        the kind's ``floor`` (none without floors, or for an embedding of another size)."""
        probs = self.probabilities(qvec)
        if self.floor is None or qvec.shape[-1] != self.coef.shape[1]:
            return probs, frozenset()
        return probs, frozenset(k for k, p, f in zip(ANSWER_TYPES, probs, self.floor) if p < f)

    def as_dict(self) -> dict:
        floor = {} if self.floor is None else {"floor": self.floor.tolist()}
        return {"kinds": list(ANSWER_TYPES), "coef": self.coef.tolist(), "intercept": self.intercept.tolist(), **floor}

    @classmethod
    def from_dict(cls, data: dict) -> "AnswerTypes":
        if tuple(data["kinds"]) != ANSWER_TYPES:
            raise ValueError("the answer-type model was fitted on other kinds; re-run eval/fit_evidence.py")
        floor = np.asarray(data["floor"]) if "floor" in data else None
        return cls(np.asarray(data["coef"]), np.asarray(data["intercept"]), floor)


@dataclass(frozen=True)
class Scorers:
    """The fitted models: what a question asks for, which sentence answers, and whether any does."""

    types: AnswerTypes
    sentence: EvidenceModel
    question: EvidenceModel

    def to_json(self, **extra) -> str:
        return json.dumps({"types": self.types.as_dict(), "sentence": self.sentence.as_dict(FEATURES),
                           "question": self.question.as_dict(QUESTION_FEATURES), **extra}, indent=1)


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> Scorers:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Scorers(AnswerTypes.from_dict(data["types"]), EvidenceModel.from_dict(data["sentence"], FEATURES),
                   EvidenceModel.from_dict(data["question"], QUESTION_FEATURES))


def _share(terms: tuple[str, ...], have: set[str]) -> float:
    return sum(t in have for t in terms) / len(terms) if terms else 0.0


def _claims_missing(question: str, scope) -> float:
    """Share of the question's numbers, dates and names (``rag.claims``) that the passage's
    document scope (title, date, text) does not state; names in another script than the
    passage cannot be judged and count as present."""
    check = check_sentence(question, [scope])
    return len(check.unsupported) / len(check.claims) if check.claims else 0.0


@lru_cache(maxsize=8192)
def _facts(text: str, ref_date: str | None) -> tuple[frozenset, frozenset]:
    """The dates and numbers ``text`` states (a passage's sentences recur from question to question)."""
    return frozenset(extract_dates(text, ref_date)), frozenset(extract_numbers(text))


def fact_kinds(text: str, question: str = "", ref_date: str | None = None) -> np.ndarray:
    """Per ``ANSWER_TYPES`` kind, whether ``text`` states such a fact that ``question`` does not."""
    (dates, numbers), (asked_dates, asked_numbers) = _facts(text, ref_date), _facts(question, None)
    return np.asarray([bool(dates - asked_dates), bool(numbers - asked_numbers)], dtype=np.float64)


def _sentence_vectors(passage, sentences: list[str], stored, embedding) -> tuple[np.ndarray, np.ndarray]:
    """The sentences' vectors and own vectors as ingest stored them, or embedded now (titled,
    and alone) where missing."""
    vectors = stored.of_passage(passage.id) if stored is not None else None
    if vectors is None or len(vectors) != len(sentences):
        vectors = embedding.embed_sentences([(passage, s) for s in sentences])
    own = stored.own_of_passage(passage.id) if stored is not None else None
    if own is None or len(own) != len(sentences):
        own = embedding.embed_alone(sentences)
    return np.asarray(vectors, dtype=np.float32), np.asarray(own, dtype=np.float32)


def candidates(question: str, qvec: np.ndarray, hits: list, stored, embedding,
               asked: np.ndarray | None = None) -> list[Candidate]:
    """Every sentence of the ``hits`` (``ScoredPassage``, best first) with its features;
    ``asked``: the question's answer-type probabilities (``AnswerTypes.read``), read here when
    not given."""
    if asked is None:
        asked = load_model().types.probabilities(qvec)
    qlang = detect_language(question)
    terms = tuple(dict.fromkeys(query_tokens(question)))
    qterms = set(terms)
    best_score = hits[0].score if hits else 0.0
    rows: list[tuple[int, int, str, float, float, list[float]]] = []
    for n, hit in enumerate(hits, 1):
        sentences = split_sentences(hit.passage.text)
        if not sentences:
            continue
        p = hit.passage
        vectors, own = _sentence_vectors(p, sentences, stored, embedding)
        sims, own_sims = vectors @ qvec, own @ qvec
        same = p.lang == qlang
        passage_terms = set(tokenize(f"{p.title}\n{p.text}", p.lang)) if same else set()
        claims = _claims_missing(question, replace(p, text=f"{p.title}\n{p.date}\n{p.text}"))
        passage_sim = hit.similarity if hit.similarity is not None else float(hit.score)
        for i, (s, sim, own_sim) in enumerate(zip(sentences, sims, own_sims)):
            tokens = set(tokenize(s, p.lang)) if same else set()
            overlap = _share(terms, tokens)
            novelty = (len(tokens - qterms) / len(tokens)) if tokens else 0.0
            stated = fact_kinds(s, question, p.date or None)
            rows.append((n, i, s, float(sim), float(own_sim), [
                float(sim >= sims.max()), passage_sim, hit.score - best_score, 1.0 / n, overlap,
                _share(terms, passage_terms) if same else 0.0, float(same), claims, novelty,
                math.log(len(s) + 1), float(np.max(asked * stated)), float(np.max(asked * (1 - stated)))]))
    if not rows:
        return []
    best_sim = max(r[3] for r in rows)
    order = sorted(range(len(rows)), key=lambda k: rows[k][3], reverse=True)
    rank = {k: r for r, k in enumerate(order, 1)}
    return [Candidate(n=n, position=i, sentence=s, features=np.asarray(
                [sim, own_sim, rest[0], sim - best_sim, 1.0 / rank[k], *rest[1:]], dtype=np.float64))
            for k, (n, i, s, sim, own_sim, rest) in enumerate(rows)]


def score(cands: list[Candidate], model: EvidenceModel | None = None) -> list[Candidate]:
    """The candidates with their probabilities, most probable first."""
    if not cands:
        return []
    model = model or load_model().sentence
    probs = model.probabilities(np.stack([c.features for c in cands]))
    for c, p in zip(cands, probs):
        c.probability = float(p)
    return sorted(cands, key=lambda c: c.probability, reverse=True)


_COLUMN = {name: i for i, name in enumerate(FEATURES)}


def question_features(ranked: list[Candidate]) -> np.ndarray:
    """``QUESTION_FEATURES`` of a question from its scored candidates (most probable first)."""
    best = ranked[0].features
    second = ranked[1].probability if len(ranked) > 1 else 0.0
    runner_up = [c.features[_COLUMN["passage_margin"]] for c in ranked if c.n == 2]
    col = _COLUMN
    return np.asarray([
        ranked[0].probability, second, max(c.features[col["sentence_sim"]] for c in ranked),
        max(c.features[col["own_sim"]] for c in ranked), best[col["passage_sim"]],
        -runner_up[0] if runner_up else 1.0, best[col["claims_missing"]], best[col["same_language"]],
        best[col["type_miss"]]], dtype=np.float64)


def answerable_probability(ranked: list[Candidate], model: EvidenceModel | None = None) -> float:
    """The question scorer's probability that the best candidates answer the question."""
    if not ranked:
        return 0.0
    model = model or load_model().question
    return float(model.probabilities(question_features(ranked)[None, :])[0])


def one_text(a, b) -> bool:
    """Whether passages ``a`` and ``b`` are pieces of one text: the same paragraph (a long one is
    cut into pieces), items of one list, or a list item and the passage that introduces its list
    (ends with its lead-in). Ingest cuts a list into a passage per item so that each is cited on
    its own, but it is read as one paragraph: "The meeting brought together:" says who its items
    are."""
    if a.doc_id != b.doc_id:
        return False
    if a.n == b.n:
        return True
    if not (a.lead or b.lead):
        return False
    if a.lead == b.lead:
        return True
    intro, item = (a, b) if a.n < b.n else (b, a)
    return bool(item.lead) and item.lead in intro.text


def select(ranked: list[Candidate], *, answerable: float, threshold: float, ratio: float,
           same_passage_ratio: float, max_quotes: int, passages: list | None = None) -> list[Candidate]:
    """The sentences to quote, in reading order: none when the question's ``answerable``
    probability is below ``threshold`` (the corpus is taken to be silent); else the most
    probable sentence and up to ``max_quotes`` - 1 more, most probable first: from the best
    sentence's own passage, or a passage of one text with it (``one_text``: a list and its
    lead-in), when their probability is at least ``same_passage_ratio`` times the best's (the
    sentence beside the one that restates the question, the rest of a list), from other
    passages only at ``ratio`` times the best's (each one more source that may be wrong).
    ``passages`` are the passages the candidates' ``n`` number; without them only the best
    sentence's own passage counts as its text."""
    if not ranked or answerable < threshold:
        return []
    best = ranked[0]

    def near(c: Candidate) -> bool:
        return c.n == best.n or (passages is not None and one_text(passages[c.n - 1], passages[best.n - 1]))

    chosen: list[Candidate] = []
    said: set[str] = set()  # a sentence another passage holds too (a text filed twice) is quoted once
    for c in ranked:
        sentence = as_read(c.sentence)
        if len(chosen) < max_quotes and sentence not in said and \
                c.probability >= (same_passage_ratio if near(c) else ratio) * best.probability:
            chosen.append(c)
            said.add(sentence)
    if passages is None:
        return sorted(chosen, key=lambda c: (c.n, c.position))
    return _reading_order(chosen, passages)


def _reading_order(chosen: list[Candidate], passages: list) -> list[Candidate]:
    """Documents in the order their best passage ranks, each read from its start."""
    first = {}
    for c in sorted(chosen, key=lambda c: c.n):
        first.setdefault(passages[c.n - 1].doc_id, c.n)
    return sorted(chosen, key=lambda c: (first[passages[c.n - 1].doc_id], passages[c.n - 1].start, c.position))


def with_listed_items(chosen: list[Candidate], passages: list, items_of: Callable[[Any, int], list],
                      limit: int) -> tuple[list[Candidate], list, bool]:
    """``chosen`` (in reading order, numbering ``passages``) with the items of every list whose
    lead-in it quotes: "The sides signed the following documents:" says nothing until its items
    follow, and the sentence scorer, fitted on one-span questions, rates each item low on its
    own, so a lead-in was quoted bare. ``items_of(passage, k)`` gives the first ``k`` items of the
    list ``passage`` introduces (ingest marks them: their ``lead`` is its last sentence); each
    item is quoted whole and cited, at most ``limit`` of a list. Returns the candidates in reading
    order, the passages they number (items not among ``passages`` appended) and whether a list
    went on past ``limit``."""
    passages, cut = list(passages), False
    number = {p.id: n for n, p in enumerate(passages, 1)}
    quoted = {c.n for c in chosen}
    added: list[Candidate] = []
    for c in chosen:
        sentence = c.sentence.strip()
        if not sentence.endswith(LIST_INTRO):
            continue
        items = [p for p in items_of(passages[c.n - 1], limit + 1) if p.lead and sentence.startswith(p.lead)]
        cut = cut or len(items) > limit
        for item in items[:limit]:
            if item.id not in number:
                passages.append(item)
                number[item.id] = len(passages)
            if number[item.id] not in quoted:
                quoted.add(number[item.id])
                added.append(Candidate(n=number[item.id], position=0, sentence=item.text,
                                       features=np.zeros(len(FEATURES)), probability=c.probability))
    if not added:
        return chosen, passages, cut
    return _reading_order(chosen + added, passages), passages, cut
