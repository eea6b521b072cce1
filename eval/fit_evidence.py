"""Fit the evidence scorer (``rag/evidence.py``) on the dev halves of the eval sets.

    python -m eval.fit_evidence [--per-set N] [--out rag/evidence_model.json]

First the answer-type model: every answerable dev-half question's embedding, labelled by the
kinds of fact (``rag.evidence.ANSWER_TYPES``: date, number) its gold answers state, with a
floor per kind (``answer_type_floors``: a generated answer that states only facts of kinds
below their floors is off the question, ``rag/answer.py``). Then, for
every dev-half question of the bench sets (XQuAD ru, XQuAD en→ru, JSQuAD), the fresh-dev
set and the known-facts set, the app's own retrieval runs and every sentence of the context
passages becomes a training pair: positive when the sentence lies in an evidence document and
holds one of the gold answers. Each answerable question is asked a second time, over the
corpus less its evidence documents (a silent corpus): every candidate of that is a negative,
as are those of the sets' own unanswerable questions. (Also building near misses, the question
over the corpus less only the passages that hold its answer, was tried: it taught nothing that
carried to the real near misses of the dev sets and cost answers; measured in the README.)
The sentence scorer is fitted on every pair, the question scorer on each question's best
candidates (``rag/evidence.py``); both go, with the counts they were fitted on, to the model
file, and a table of what each ``answer_threshold`` would give per set is printed for
calibration. The held-out halves are never read here.

    python -m eval.fit_evidence --cache FILE --folds 5

estimates instead how the scorers do on dev questions they were not fitted on (what a feature
or scorer experiment should be judged by; earlier stops wrote a probe each time): the documents
are split into folds (``--by question``: the questions, a question and its silent twin always
together, which lets a fitted part learn a document's sentences from its other questions), the
scorers fitted on all folds but one and the table printed from each question's out-of-fold
outcome; nothing is written. (The answer-type model, whose outputs are features, is fitted on
every dev question once.)
"""

from __future__ import annotations

import argparse
import pickle
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.evalset import answer_matches, load_eval_set
from eval.runner import eval_settings, merged_corpus
from eval.splits import select
from index.ingest import sync
from rag.evidence import (ANSWER_TYPES, FEATURES, MODEL_PATH, QUESTION_FEATURES, AnswerTypes, Candidate,
                          EvidenceModel, Scorers, answerable_probability, candidates, fact_kinds,
                          question_features, score)
from rag.evidence import select as select_quotes
from rag.options import Filters
from rag.service import RagService
from rag.settings import Settings

SHARED = Path(__file__).resolve().parents[2] / "shared"
REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "tests" / "fixtures" / "corpus"  # the seed documents, as the tests own them
SETS = (  # (name, eval set, corpus folders, the half that may be tuned on)
    ("xquad-ru", SHARED / "bench/xquad-ru-dev.jsonl", [SHARED / "bench/corpus/xquad-ru-dev"], "dev"),
    ("xquad-en2ru", SHARED / "bench/xquad-en2ru-dev.jsonl", [SHARED / "bench/corpus/xquad-ru-dev"], "dev"),
    ("jsquad", SHARED / "bench/jsquad-valid.jsonl", [SHARED / "bench/corpus/jsquad-valid"], "dev"),
    ("fresh-dev", SHARED / "fresh-dev/eval.jsonl", [SEEDS, SHARED / "fresh-dev/corpus"], "dev"),
    ("known-facts", REPO / "eval/sets/known_facts.jsonl", [SEEDS], "all"),  # all of it is dev
)


# the share of questions asking for a kind of fact whose probability may fall below its floor
# (their generated answers that state only such facts are then checked as off the question)
TYPE_FLOOR_QUANTILE = 0.05


@dataclass
class Question:
    """The candidates of one question as the scorer sees them."""

    set: str
    kind: str  # answerable | unanswerable | silent (answerable, its documents filtered out)
    x: np.ndarray
    y: np.ndarray
    passages: list | None = None  # the passages the candidates' ``n`` number (a list is one text with its lead-in)
    id: str = ""  # the eval item's ID, shared by a question and its silent twin (caches before stop 34: none)


def question_for(name: str, service, item, types: AnswerTypes, docs_filter=None,
                 silent: bool = False) -> Question | None:
    """The question's candidates and their labels; ``silent``: asked over ``docs_filter``, the
    corpus less the question's evidence documents."""
    settings = service.settings
    filters = Filters(docs=docs_filter) if docs_filter is not None else None
    hits = service.search(item.question, k=settings.top_k, filters=filters)[: settings.evidence_k]
    qvec = np.asarray(service.retriever.embedding.get_query_embedding(item.question))
    cands = candidates(item.question, qvec, hits, service.retriever.sentences, service.retriever.embedding,
                       types.probabilities(qvec))
    gold = {ev.doc for ev in item.evidence}
    labels = [int(not silent and item.answerable and hits[c.n - 1].passage.doc in gold
                  and answer_matches(c.sentence, item.answers)) for c in cands]
    if not cands:
        return None
    kind = "silent" if silent else ("answerable" if item.answerable else "unanswerable")
    return Question(name, kind, np.stack([c.features for c in cands]), np.asarray(labels),
                    [h.passage for h in hits], item.id)


def fit_answer_types(embedding) -> AnswerTypes:
    """Per kind of fact, a logistic regression from the question's embedding to whether its gold
    answers state such a fact; every answerable question of the sets' tunable halves."""
    from sklearn.linear_model import LogisticRegression

    items = [i for _, set_path, _, half in SETS for i in select(load_eval_set(set_path), half) if i.answerable]
    x = np.asarray(embedding.embed_queries([i.question for i in items]))
    y = np.stack([np.max([fact_kinds(a) for a in i.answers], axis=0) for i in items])
    fitted = [LogisticRegression(C=1.0, max_iter=2000).fit(x, y[:, k]) for k in range(len(ANSWER_TYPES))]
    floor = answer_type_floors(x, y)
    print(f"answer types: {len(items)} questions, " + ", ".join(
        f"{kind} {int(y[:, k].sum())} (floor {floor[k]:.3f})" for k, kind in enumerate(ANSWER_TYPES)),
        file=sys.stderr)
    return AnswerTypes(np.stack([f.coef_[0] for f in fitted]), np.asarray([f.intercept_[0] for f in fitted]), floor)


def answer_type_floors(x: np.ndarray, y: np.ndarray, folds: int = 5) -> np.ndarray:
    """Per kind, the probability that all but ``TYPE_FLOOR_QUANTILE`` of the questions whose
    answers state such a fact reach when scored by a model fitted without them (``folds``-fold):
    below it, a question is taken not to ask for that kind."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold

    oof = np.zeros(y.shape)
    for train, test in KFold(folds, shuffle=True, random_state=0).split(x):
        for k in range(y.shape[1]):
            oof[test, k] = LogisticRegression(C=1.0, max_iter=2000).fit(x[train], y[train, k]).predict_proba(x[test])[:, 1]
    return np.asarray([np.quantile(oof[y[:, k] == 1, k], TYPE_FLOOR_QUANTILE) for k in range(y.shape[1])])


def collect(per_set: int, only: str = "", seed: int = 0) -> tuple[AnswerTypes, list[Question]]:
    questions: list[Question] = []
    base = Settings()
    types = None
    for name, set_path, folders, half in SETS:
        if only and name not in only.split(","):
            continue
        settings = eval_settings(base, merged_corpus(base, folders), "none")
        sync(settings, progress=False, log=lambda m: print(m, file=sys.stderr))
        service = RagService(settings)
        types = types or fit_answer_types(service.retriever.embedding)
        all_docs = [e.doc_id for e in service.retriever.manifest.docs.values()]
        doc_id_of = {doc: e.doc_id for doc, e in service.retriever.manifest.docs.items()}
        items = select(load_eval_set(set_path), half)
        random.Random(seed).shuffle(items)
        before = len(questions)
        for item in items[:per_set]:
            found = [question_for(name, service, item, types)]
            if item.answerable:  # the same question over the corpus without its documents
                gold = {doc_id_of.get(ev.doc) for ev in item.evidence}
                found.append(question_for(name, service, item, types, [d for d in all_docs if d not in gold],
                                          silent=True))
            questions += [q for q in found if q is not None]
        mine = questions[before:]
        print(f"{name}: {len(mine)} questions ({sum(q.kind == 'silent' for q in mine)} silent), "
              f"{sum(len(q.y) for q in mine)} pairs, {sum(int(q.y.sum()) for q in mine)} positive", file=sys.stderr)
    return types, questions


def _logistic(x: np.ndarray, y: np.ndarray) -> EvidenceModel:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    clf = LogisticRegression(C=1.0, max_iter=2000).fit((x - mean) / scale, y)
    return EvidenceModel(mean, scale, clf.coef_[0], float(clf.intercept_[0]))


def ranked_candidates(q: Question, model: EvidenceModel) -> tuple[list[Candidate], list[int]]:
    """The question's candidates scored by ``model``, most probable first, with their labels.
    The cache keeps no sentence texts: each candidate stands for a sentence of its own (``select``
    quotes a sentence once, however many passages hold it)."""
    cands = [Candidate(n=int(round(1 / f[FEATURES.index("passage_rank_inv")])), position=i,
                       sentence=f"candidate {i}", features=f) for i, f in enumerate(q.x)]
    labels = dict(zip(map(id, cands), q.y.tolist()))
    ranked = score(cands, model)
    return ranked, [labels[id(c)] for c in ranked]


def fit(types: AnswerTypes, questions: list[Question]) -> Scorers:
    """The sentence scorer on every pair, then the question scorer on each question's best
    candidates: positive when the question is answerable and a sentence that holds the answer
    is among its candidates."""
    sentence = _logistic(np.concatenate([q.x for q in questions]), np.concatenate([q.y for q in questions]))
    qx, qy = [], []
    for q in questions:
        ranked, _ = ranked_candidates(q, sentence)
        qx.append(question_features(ranked))
        qy.append(int(q.kind == "answerable" and q.y.any()))
    return Scorers(types, sentence, _logistic(np.stack(qx), np.asarray(qy)))


def outcomes(questions: list[Question], scorers: Scorers, settings) -> list[tuple[str, str, float, bool]]:
    """(set, kind, answerable probability, whether a quoted sentence holds the answer) per
    question, the quotes chosen as the app chooses them (``rag.evidence.select``)."""
    out = []
    for q in questions:
        ranked, labels = ranked_candidates(q, scorers.sentence)
        label_of = dict(zip(map(id, ranked), labels))
        quoted = select_quotes(ranked, answerable=1.0, threshold=0.0, ratio=settings.quote_ratio,
                               same_passage_ratio=settings.same_passage_ratio, max_quotes=settings.max_quotes,
                               passages=getattr(q, "passages", None))  # caches from before stop 30 hold none
        out.append((q.set, q.kind, answerable_probability(ranked, scorers.question),
                    any(label_of[id(c)] for c in quoted)))
    return out


def document_of(questions: list[Question]) -> dict[tuple[str, str], str]:
    """Each question's document, by set and ID: its eval item's first evidence document, or, for
    an item with none (unanswerable), the document of its best passage: the one it would be
    answered from."""
    evidence = {(name, item.id): item.evidence[0].doc for name, set_path, *_ in SETS
                if any(q.set == name for q in questions)
                for item in load_eval_set(set_path) if item.evidence}
    best = {(q.set, q.id): q.passages[0].doc for q in questions if q.passages}
    return {(q.set, q.id): evidence.get((q.set, q.id)) or best.get((q.set, q.id), q.id) for q in questions}


def cross_validate(types: AnswerTypes, questions: list[Question], folds: int, settings,
                   by: str = "document", seed: int = 0) -> list[tuple[str, str, float, bool]]:
    """Each question's outcome (as ``outcomes``) under scorers fitted on the other folds. ``by``
    "document": the folds split the documents (``document_of``), so a question is scored by
    scorers that never saw a sentence of its document: a dev article's sentences are candidates
    for many of its questions, and a fitted part can learn them (stop 38's reader did); "question":
    a question and its silent twin (the same set and ID) fall in one fold."""
    if folds < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    if not all(q.id for q in questions):
        raise ValueError("these candidates carry no question IDs (a cache from before stop 34): collect them again")
    group = document_of(questions) if by == "document" else {(q.set, q.id): q.id for q in questions}
    keys = sorted({(q.set, group[(q.set, q.id)]) for q in questions})
    order = np.random.RandomState(seed).permutation(len(keys))
    fold_of = {keys[i]: rank % folds for rank, i in enumerate(order)}
    results = []
    for fold in range(folds):
        train = [q for q in questions if fold_of[(q.set, group[(q.set, q.id)])] != fold]
        test = [q for q in questions if fold_of[(q.set, group[(q.set, q.id)])] == fold]
        results += outcomes(test, fit(types, train), settings)
    return results


def calibrate(results: list[tuple[str, str, float, bool]]) -> None:
    """Print, per threshold and set: answerable questions answered with a quote that holds the
    answer, answerable questions abstained on, silent questions abstained on, and the set's own
    unanswerable questions (near misses) abstained on."""
    sets = sorted({r[0] for r in results})
    print("threshold | " + " | ".join(f"{s}: right/wrong-abst/abst-silent/abst-near" for s in sets))
    for t in np.arange(0.05, 0.95, 0.05):
        cells = []
        for name in sets:
            mine = [r for r in results if r[0] == name]
            shares = []
            for kinds in (("answerable",), ("silent",), ("unanswerable",)):
                group = [r for r in mine if r[1] in kinds]
                abstained = sum(r[2] < t for r in group) / max(1, len(group))
                if kinds == ("answerable",):
                    shares.append(sum(r[2] >= t and r[3] for r in group) / max(1, len(group)))
                shares.append(abstained)
            cells.append("/".join(f"{v:.2f}" for v in shares))
        print(f"{t:.2f} | " + " | ".join(cells))


def main(argv: list[str] | None = None) -> int:
    from rag.offline import set_offline_env

    set_offline_env()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-set", type=int, default=250, help="dev questions per eval set (sampled)")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--cache", type=Path, help="keep the collected candidates in this file and reuse them "
                        "(refit without re-running retrieval; delete it when the features or the index change)")
    parser.add_argument("--folds", type=int, default=0, help="cross-validate over this many folds and print "
                        "the out-of-fold table instead of writing the model")
    parser.add_argument("--by", choices=("document", "question"), default="document",
                        help="what the folds split (default: documents, so no question's document is fitted on)")
    parser.add_argument("--sets", default="", help="only these sets (comma-separated names: xquad-ru, xquad-en2ru, jsquad, fresh-dev, known-facts)")
    args = parser.parse_args(argv)
    if args.cache and args.cache.is_file():
        with args.cache.open("rb") as fh:
            types, questions = pickle.load(fh)
    else:
        types, questions = collect(args.per_set, args.sets)
        if args.cache:
            with args.cache.open("wb") as fh:
                pickle.dump((types, questions), fh)
    if args.folds:
        print(f"out of fold ({args.folds}-fold by {args.by}, {len(questions)} questions with their silent twins):")
        calibrate(cross_validate(types, questions, args.folds, Settings(), args.by))
        return 0
    scorers = fit(types, questions)
    counts = {name: sum(q.set == name for q in questions) for name, *_ in SETS}
    pairs, positives = sum(len(q.y) for q in questions), sum(int(q.y.sum()) for q in questions)
    args.out.write_text(scorers.to_json(questions_per_set=counts, pairs=pairs, positives=positives) + "\n",
                        encoding="utf-8")
    for names, model in ((FEATURES, scorers.sentence), (QUESTION_FEATURES, scorers.question)):
        for name, c in sorted(zip(names, model.coef), key=lambda t: -abs(t[1])):
            print(f"{name:20s} {c:+.3f}")
        print()
    print(f"wrote {args.out} ({pairs} pairs, {positives} positive)")
    calibrate(outcomes(questions, scorers, Settings()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
