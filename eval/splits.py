"""Dev and held-out halves of an eval set, by document: what may be tuned on and what may not.

A document falls in one half by a stable hash of its file name, so the halves never change as
code changes, and a question follows its evidence: it is ``dev`` only when every document it
cites is (an unanswerable question, citing none, by the hash of its ID). Tuning (fitting the
evidence scorer, choosing thresholds) reads the ``dev`` half only; the README reports the
``heldout`` half apart, and nobody looks at its items while tuning.

Withheld documents turn answerable questions into unanswerable ones without building another
index: the eval runs the questions over the corpus less a quarter of the documents (a retrieval
filter), and the questions about those documents must be abstained on.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from eval.evalset import EvalItem

SPLITS = ("all", "dev", "heldout")


def _bucket(name: str, buckets: int) -> int:
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16) % buckets


def document_half(doc: str) -> str:
    return "dev" if _bucket(doc, 2) == 0 else "heldout"


def item_half(item: EvalItem) -> str:
    docs = {ev.doc for ev in item.evidence}
    if not docs:
        return "dev" if _bucket(item.id, 2) == 0 else "heldout"
    return "dev" if all(document_half(d) == "dev" for d in docs) else "heldout"


def select(items: list[EvalItem], split: str) -> list[EvalItem]:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    return items if split == "all" else [i for i in items if item_half(i) == split]


def withheld(doc: str) -> bool:
    """One document in four is left out of the corpus when an eval withholds documents."""
    return _bucket("withhold:" + doc, 4) == 0


def withhold(items: list[EvalItem]) -> list[EvalItem]:
    """The items as they stand over the corpus less its withheld documents: a question whose
    evidence lies in a withheld document has no answer there."""
    out = []
    for item in items:
        if item.answerable and any(withheld(ev.doc) for ev in item.evidence):
            item = replace(item, answerable=False, answers=(), evidence=())
        out.append(item)
    return out
