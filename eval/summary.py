"""One report of every eval run: ``python -m eval.summary eval/reports/*.json > summary.md``.

Each row names its set, the half it ran on and whether the code was tuned on it, so that no
figure is read as held-out when it is not. A share of questions shows its counts and its 95 %
interval (``eval.metrics.Ratio.interval``): a target inside the interval of a figure that misses
it is missed by an amount the set is too small to tell from chance.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

COLUMNS = ("answer_accuracy", "citation_precision", "citation_recall", "list_completeness", "abstention",
           "wrong_abstention", "answer_language", "quote_only", "quotes_per_answer", "right_when_sure",
           "right_when_unsure")


def _value(summary: dict, key: str) -> str:
    entry = summary.get(key) or {}
    if entry.get("value") is None:
        return "–"
    counts = f"{entry['num']:g}/{entry['den']}"
    if "low" in entry:
        counts += f", {entry['low']:.2f}–{entry['high']:.2f}"
    return f"{entry['value']:.3f} ({counts})"


def rows(paths: list[Path]) -> list[str]:
    out = []
    for path in paths:
        run = json.loads(path.read_text(encoding="utf-8"))
        if "answers" not in run:
            continue
        overall = run["answers"]["overall"]
        half = run.get("split", "all") + (" − withheld docs" if run.get("withheld_documents") else "")
        tuned = "dev (tuned on)" if run.get("tuned_on", True) else "**held out**"
        timing = run.get("timings", {})
        speed = f"{timing.get('p50_total_s', '–')} / {timing.get('p50_first_token_s', '–')}"
        name = "/".join(Path(run["set"]).parts[-2:])
        n = str(overall["n"])
        if unlocated := run.get("evidence_not_located"):  # retrieval and citations not judged on these
            n += f" ({len(unlocated)} without located evidence)"
        if unreachable := run.get("unreachable_passages"):  # measured on an index with holes
            n += f" (index: {len(unreachable)} passages unreachable)"
        out.append(f"| {name} | {half} | {tuned} | {run['llm']} | {n} | "
                   + " | ".join(_value(overall, k) for k in COLUMNS) + f" | {speed} |")
    return out


def main(argv: list[str] | None = None) -> int:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])]
    print("| set | half | tuned? | llm | n | " + " | ".join(COLUMNS) + " | p50 total / first token s |")
    print("|" + "---|" * (len(COLUMNS) + 6))
    print("\n".join(rows(sorted(paths))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
