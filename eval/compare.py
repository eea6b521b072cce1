"""Which questions two runs of one eval set answered differently: ``python -m eval.compare BEFORE.json AFTER.json``.

A change is judged by counts (``rag eval``'s report), but read by the questions it moved: this
lists every item whose outcome changed (right, wrong, wrong_abstention for answerable items;
abstained, answered for unanswerable ones), how many moved each way, and the answerable items
whose first supporting passage moved in retrieval (``retrieval_ranks``; ``--retrieval-only``
runs give only those). Both files are ``rag eval --json`` outputs of the same set; items present
in only one are named, and where the runs differ in set, corpus, split or LLM the listing says so
first (comparing the LLM with the quotes is a use; two sets by mistake is not).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path


class CompareError(ValueError):
    """The two files cannot be compared item by item."""


def _outcomes(run: dict, name: str) -> dict[str, str]:
    """Each answered item's outcome; none for a ``--retrieval-only`` run."""
    items = run.get("items") or []
    if any("outcome" not in i for i in items):
        raise CompareError(f"{name} was written before runs recorded each item's outcome (stop 51): run it again")
    return {i["id"]: i["outcome"] for i in items}


def compare(before: dict, after: dict) -> dict:
    """The items whose outcome changed, the count of each change, the items whose retrieval rank
    changed (per mode both runs have), and the items only one run has."""
    was, now = _outcomes(before, "the first run"), _outcomes(after, "the second run")
    questions = {i["id"]: i.get("question", "") for i in (after.get("items") or [])}
    changed = [(k, was[k], now[k], questions.get(k, "")) for k in was if k in now and was[k] != now[k]]
    ranks = {}
    for mode, old in (before.get("retrieval_ranks") or {}).items():
        new = (after.get("retrieval_ranks") or {}).get(mode)
        if new is not None:
            ranks[mode] = [(k, old[k], new[k]) for k in old if k in new and old[k] != new[k]]
    if not (was and now) and not ranks:
        raise CompareError("the two runs share neither answered items nor a retrieval mode: nothing to compare")
    return {"changed": changed, "moves": Counter((a, b) for _, a, b, _ in changed), "ranks": ranks,
            "only_before": sorted(set(was) - set(now)), "only_after": sorted(set(now) - set(was)),
            "differ": [(k, before.get(k), after.get(k)) for k in _RUN_KEYS if _made_of(before, k) != _made_of(after, k)]}


_RUN_KEYS = ("set", "corpus", "split", "withheld_documents", "llm")  # what a run was made of (``rag eval --json``)


def _made_of(run: dict, key: str):
    """A run's ``key``; a set or corpus by its files' names ("../shared/x.jsonl" run from one
    folder is "/work/shared/x.jsonl" run from another)."""
    value = run.get(key)
    if key in ("set", "corpus") and isinstance(value, str):
        return tuple(Path(part).name for part in value.split(","))
    return value


def render(result: dict) -> str:
    lines = [f"note: the runs differ in {key}: {a} → {b}" for key, a, b in result["differ"]]
    lines.append(f"{len(result['changed'])} item(s) changed outcome")
    lines += [f"  {a} → {b}: {n}" for (a, b), n in sorted(result["moves"].items())]
    lines += [f"  {k}: {a} → {b}  {q}" for k, a, b, q in result["changed"]]
    for mode, moved in result["ranks"].items():
        lines.append(f"{len(moved)} item(s) moved in retrieval ({mode}; rank of the first supporting passage)")
        lines += [f"  {k}: {a} → {b}" for k, a, b in moved]
    for key, label in (("only_before", "only in the first run"), ("only_after", "only in the second run")):
        if result[key]:
            lines.append(f"{label}: {', '.join(result[key])}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    try:
        runs = [json.loads(p.read_text(encoding="utf-8")) for p in (args.before, args.after)]
        print(render(compare(*runs)))
    except (OSError, json.JSONDecodeError, CompareError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
