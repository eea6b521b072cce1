"""`rag eval`: run an eval set through the app's own pipeline and report its metrics.

The set's corpus is indexed into its own cached index under ``<data_dir>/eval/`` (never the
user's), by the same incremental sync as `rag ingest`. Every question goes through
``RagService.ask`` exactly as in the chat; evidence quotes are located in the documents'
decoded text, and a passage supports an item when its span overlaps a quote's span. An item
whose quotes cannot be located (the document holds no such text, or is missing or unreadable)
is named before the first question is asked and left out of the retrieval and citation
figures; its answer still counts.
Output: a Markdown table on stdout, and optionally a JSON file with every figure and, per
item, the full `rag ask --json` result so anyone can re-grade the run.
"""

from __future__ import annotations

import glob
import hashlib
import json
import shutil
import statistics
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from tqdm import tqdm

from eval import splits
from eval.evalset import EvalItem, load_eval_set, normalize_answer, quote_span
from eval.metrics import (ItemOutcome, by_group, first_support_rank, lang_pairs, outcome_kind, question_lang,
                          summarize, supports)
from index.ingest import sync
from index.language import in_language
from index.readers import ReaderError, read_document
from index.store import describe_unreachable
from rag.extractive import own_words

RETRIEVAL_KEYS = ("recall@1", "recall@5", "recall@20", "mrr@10")
ANSWER_KEYS = ("answer_accuracy", "citation_precision", "citation_recall", "list_completeness", "abstention",
               "wrong_abstention", "answer_language", "quote_only", "quotes_per_answer", "right_when_sure",
               "right_when_unsure")
# what the answers look like, neither better nor worse (how often the unsure mark is right is a
# calibration figure: it moves with ``sure_threshold``)
DESCRIPTIVE_KEYS = ("quote_only", "quotes_per_answer", "right_when_sure", "right_when_unsure")


def merged_corpus(base, folders: list[Path]) -> Path:
    """One folder holding the files of several corpus folders (copied under ``<data_dir>/eval/``,
    refreshed when a source file changes), so that an eval set can run over, say, the seed
    documents and a dev set's documents together. Files keep their paths below their folder
    (an item's ``doc`` names it so, as in a single corpus folder); paths must not clash."""
    folders = [f.resolve() for f in folders]
    if len(folders) == 1:
        return folders[0]
    digest = hashlib.sha256("\n".join(map(str, folders)).encode()).hexdigest()[:10]
    target = base.data_dir.resolve() / "eval" / f"merged-{digest}"
    target.mkdir(parents=True, exist_ok=True)
    wanted: dict[str, Path] = {}
    for folder in folders:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                name = f.relative_to(folder).as_posix()
                if name in wanted:
                    raise ValueError(f"{name} is in more than one corpus folder: {wanted[name]}, {f}")
                wanted[name] = f
    for f in sorted(target.rglob("*"), reverse=True):  # files before the folders that held them
        name = f.relative_to(target).as_posix()
        if f.is_file() and name not in wanted:
            f.unlink()
        elif f.is_dir() and not any(f.iterdir()):
            f.rmdir()
    for name, src in wanted.items():
        dst = target / name
        if not dst.is_file() or dst.read_bytes() != src.read_bytes():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
    return target


def eval_settings(base, corpus: Path, llm: str):
    """Settings whose index for ``corpus`` is cached apart from the user's."""
    corpus = corpus.resolve()
    digest = hashlib.sha256(str(corpus).encode()).hexdigest()[:10]
    data_dir = base.data_dir / "eval" / f"{corpus.name}-{digest}"
    return base.model_copy(update={"corpus_dir": corpus, "data_dir": data_dir, "llm": llm})


@dataclass
class EvidenceLocator:
    """Finds evidence quotes in the decoded documents (the texts passages' offsets point into)."""

    corpus: Path
    languages: dict[str, str]

    def __post_init__(self) -> None:
        self._texts: dict[str, str | ReaderError | OSError] = {}
        self._names: dict[str, str] = {}
        self._located: dict[tuple, tuple[list[tuple[str, int, int]], str]] = {}  # asked up front, then per outcome

    def name(self, doc: str) -> str:
        """The corpus path ``doc`` names: itself, or, when no file lies there, the one file of
        that name anywhere below the corpus folder (a set may name a file in a subfolder by its
        bare name)."""
        if doc not in self._names:
            found = [] if (self.corpus / doc).is_file() else [
                p for p in self.corpus.rglob(glob.escape(Path(doc).name)) if p.is_file()]
            self._names[doc] = found[0].relative_to(self.corpus).as_posix() if len(found) == 1 else doc
        return self._names[doc]

    def text(self, doc: str) -> str | None:
        """The document's decoded text; None when it is not in the corpus or cannot be read."""
        doc = self.name(doc)
        if doc not in self._texts:
            try:
                self._texts[doc] = read_document(self.corpus / doc, self.corpus).text
            except (ReaderError, OSError) as exc:
                self._texts[doc] = exc
        found = self._texts[doc]
        return found if isinstance(found, str) else None

    def locate(self, item: EvalItem) -> tuple[list[tuple[str, int, int]], str]:
        """The item's evidence spans, or none and why one of its quotes cannot be found (a
        quote its document does not hold, a document missing or unreadable): a set written
        against other copies of the documents still runs, and says which items it cannot judge."""
        key = item.evidence
        if key not in self._located:
            self._located[key] = self._locate(item.evidence)
        spans, why = self._located[key]
        return list(spans), why

    def _locate(self, evidence) -> tuple[list[tuple[str, int, int]], str]:
        out = []
        for ev in evidence:
            doc, text = self.name(ev.doc), self.text(ev.doc)
            if text is None:
                error = self._texts[doc]
                missing = not (self.corpus / doc).exists()
                return [], f"{ev.doc}: " + ("not in the corpus" if missing else getattr(error, "reason", str(error)))
            span = quote_span(text, ev.quote)
            if span is None:
                return [], f"quote not found in {ev.doc}: {ev.quote[:60]!r}"
            out.append((doc, *span))
        return out, ""

    def list_items(self, item: EvalItem) -> list[str]:
        """A list question's items as its evidence documents write them (normalised; a form
        inside another such form is not counted twice); none for other questions."""
        if item.kind != "list" or not item.answerable:
            return []
        texts = [normalize_answer(t) for doc in dict.fromkeys(ev.doc for ev in item.evidence)
                 if (t := self.text(doc)) is not None]
        forms = {a for a in map(normalize_answer, item.answers) if a and any(a in t for t in texts)}
        return sorted(a for a in forms if not any(a != b and a in b for b in forms))


def _spans(rows: list[dict], evidence: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Each passage's span; for a passage retrieval folded copies into (the same text filed
    elsewhere: ``rag.retrieve``), the first of its own and its copies' spans that supports the item."""
    spans = []
    for r in rows:
        every = [(c["doc"], c["start"], c["end"]) for c in (r, *r.get("copies", ()))]
        spans.append(next((span for span in every if supports(span, evidence)), every[0]))
    return spans


def outcome_for(item: EvalItem, result: dict, locator: EvidenceLocator) -> ItemOutcome:
    evidence, unlocated = locator.locate(item)
    own = own_words(result.get("answer", "")) if not result.get("abstained") else ""
    items = locator.list_items(item)
    answer = normalize_answer(result.get("answer", "")) if not result.get("abstained") else ""
    return ItemOutcome(
        id=item.id, qlang=item.lang,
        source_langs={locator.languages.get(doc, "") for doc, _, _ in evidence},
        answerable=item.answerable, ranked_spans=_spans(result.get("passages", []), evidence),
        cited_spans=_spans(result.get("citations", []), evidence), answer=result.get("answer", ""),
        abstained=bool(result.get("abstained", False)), answers=list(item.answers), evidence_spans=evidence,
        in_question_language=bool(own) and in_language(
            own, item.lang, [c["text"] for c in result.get("citations", []) if c.get("lang") == item.lang]),
        quote_only=not own,
        quotes=len(result.get("quotes", [])),
        list_items=len(items), list_found=sum(i in answer for i in items),
        unsure=bool(result.get("unsure")), evidence_located=not unlocated,
    )


def run_items(items: list[EvalItem], ask: Callable[[EvalItem], dict], locator: EvidenceLocator,
              progress: bool = True, desc: str = "eval") -> tuple[list[ItemOutcome], list[dict]]:
    """Ask every item. A question that raises is recorded as a wrong answer with its error
    (``"error"`` in its record, the traceback on stderr) and the run goes on: one bad item
    costs its own figure, not the hour of figures around it."""
    outcomes, records = [], []
    for item in tqdm(items, desc=desc, unit="q", disable=not progress):
        try:
            result = ask(item)
        except Exception as exc:  # noqa: BLE001 — reported per item and in the run's summary
            traceback.print_exc(file=sys.stderr)
            result = {"answer": "", "abstained": False, "mode": "error", "error": f"{type(exc).__name__}: {exc}",
                      "citations": [], "passages": []}
        outcomes.append(outcome_for(item, result, locator))
        records.append({"id": item.id, "lang": item.lang, "answerable": item.answerable, **result})
    return outcomes, records


def _errors(records: list[dict]) -> dict[str, str]:
    return {r["id"]: r["error"] for r in records if "error" in r}


def report(outcomes: list[ItemOutcome]) -> dict[str, Any]:
    return {
        "overall": summarize(outcomes),
        "by_question_lang": dict(by_group(outcomes, question_lang)),
        "by_lang_pair": {f"{q}->{s}": v for (q, s), v in by_group(outcomes, lang_pairs).items()},
    }


def support_ranks(outcomes: list[ItemOutcome]) -> dict[str, int | None]:
    """Per answerable question whose evidence was found, the rank of its first supporting passage
    (None: no retrieved passage supports it): which questions a change moved, not only how many."""
    return {o.id: first_support_rank(o) for o in outcomes if o.answerable and o.evidence_located}


def timing_summary(records: list[dict]) -> dict[str, float]:
    out = {}
    for key in ("sources_s", "first_token_s", "total_s"):
        values = [r["timings"][key] for r in records if key in r.get("timings", {})]
        if values:
            out[f"p50_{key}"] = round(statistics.median(values), 3)
            out[f"p90_{key}"] = round(sorted(values)[int(0.9 * (len(values) - 1))], 3)
    return out


def _fmt(entry: Any) -> str:
    if isinstance(entry, dict) and "value" in entry:
        return "–" if entry["value"] is None else f"{entry['value']:.3f}"
    return str(entry)


def markdown_table(rep: dict[str, Any], keys: tuple[str, ...]) -> str:
    rows = [("overall", rep["overall"])]
    rows += [(f"q={k}", v) for k, v in rep["by_question_lang"].items()]
    rows += [(k, v) for k, v in rep["by_lang_pair"].items()]
    head = "| group | n | " + " | ".join(keys) + " |"
    sep = "|" + "---|" * (len(keys) + 2)
    lines = [head, sep]
    for name, summary in rows:
        lines.append(f"| {name} | {summary['n']} | " + " | ".join(_fmt(summary.get(k)) for k in keys) + " |")
    return "\n".join(lines)


def check_gate(summary: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """Failures: each metric whose count of questions fell below baseline minus its margin."""
    failures = []
    for key, rule in baseline["metrics"].items():
        got = summary.get(key)
        if not isinstance(got, dict) or got.get("den") in (None, 0):
            failures.append(f"{key}: not measured")
            continue
        # compare counts, scaled to the baseline's denominator in case the set grew
        num = got["num"] * rule["den"] / got["den"]
        if num < rule["num"] - rule["margin"]:
            failures.append(f"{key}: {got['num']}/{got['den']} is below the baseline "
                            f"{rule['num']}/{rule['den']} minus a margin of {rule['margin']} questions")
    return failures


def baseline_from(summary: dict[str, Any], margin: int) -> dict[str, Any]:
    """A gate baseline from a run: every measured metric's counts, with a margin in questions."""
    metrics = {k: {"num": v["num"], "den": v["den"], "margin": margin}
               for k, v in summary.items() if isinstance(v, dict) and v.get("den") and k not in DESCRIPTIVE_KEYS}
    # wrong abstention is better when lower: gate its complement
    if "wrong_abstention" in metrics:
        w = metrics.pop("wrong_abstention")
        metrics["answered_when_answerable"] = {"num": w["den"] - w["num"], "den": w["den"], "margin": margin}
    return {"note": "counts of questions; a run fails when a count falls more than `margin` below `num`",
            "metrics": metrics}


def gate_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """The run's summary with the derived metrics that the baseline gates."""
    out = dict(summary)
    w = summary.get("wrong_abstention")
    if isinstance(w, dict) and w.get("den"):
        out["answered_when_answerable"] = {"num": w["den"] - w["num"], "den": w["den"]}
    return out


def run_eval(service_factory, settings, set_path: Path, *, llm: str = "none", limit: int | None = None,
             modes: tuple[str, ...] = ("hybrid",), retrieval_only: bool = False,
             progress: bool = True, split: str = "all", withhold_docs: bool = False) -> dict[str, Any]:
    """Index the corpus (cached), run the set, return all figures and item records.

    ``split``: only the dev or held-out half of the items (``eval/splits.py``). ``withhold_docs``:
    every question runs over the corpus less a quarter of its documents, and the questions
    those documents answer count as unanswerable.
    """
    from rag.chat import turn
    from rag.options import AskOptions, Filters

    items = splits.select(load_eval_set(set_path), split)
    items = items[:limit] if limit else items
    t0 = time.perf_counter()
    sync_report = sync(settings, progress=progress, log=lambda m: print(m, file=sys.stderr))
    service = service_factory(settings)
    languages = {doc: e.metadata.get("lang", "") for doc, e in service.retriever.manifest.docs.items()}
    locator = EvidenceLocator(settings.corpus_dir, languages)
    filters = None
    if withhold_docs:
        items = splits.withhold(items)
        kept = [e.doc_id for doc, e in service.retriever.manifest.docs.items() if not splits.withheld(doc)]
        filters = Filters(docs=kept)
    # said before the first question, not found out after an hour of them
    unlocated = {item.id: why for item in items if item.answerable and (why := locator.locate(item)[1])}
    if unlocated:
        print(f"warning: the evidence of {len(unlocated)} answerable item(s) cannot be located in the corpus; "
              "their answers count, their retrieval and citations are not judged:\n  "
              + "\n  ".join(f"{k}: {v}" for k, v in unlocated.items()), file=sys.stderr)
    # a passage vector search cannot reach is missing from every answer, silently: said up front
    unreachable = service.retriever.store.unreachable(settings.candidate_pool)
    if unreachable:
        print(f"warning: {describe_unreachable(unreachable)}: dense retrieval will miss them", file=sys.stderr)
    out: dict[str, Any] = {"set": str(set_path), "corpus": str(settings.corpus_dir), "llm": llm, "split": split,
                           "withheld_documents": withhold_docs, "tuned_on": split != "heldout",
                           "n_items": len(items), "index": sync_report.summary(),
                           "unreachable_passages": unreachable,
                           "evidence_not_located": unlocated, "retrieval": {},
                           "retrieval_ranks": {}}

    for mode in modes:
        if mode == "hybrid" and not retrieval_only:
            continue
        retriever = service.retriever_for_mode(mode)

        def search(item: EvalItem, retriever=retriever) -> dict:
            from rag.service import passage_json

            hits = retriever.search(item.question, k=20, filters=filters)
            return {"passages": [passage_json(h.passage, h.score, h.copies) for h in hits]}

        outcomes, records = run_items(items, search, locator, progress, desc=f"retrieve ({mode})")
        out["retrieval"][mode] = report(outcomes)
        out["retrieval_ranks"][mode] = support_ranks(outcomes)
        out["errors"] = {**out.get("errors", {}), **_errors(records)}

    if not retrieval_only:
        def ask(item: EvalItem) -> dict:
            history: list[tuple[str, str]] = []  # a follow-up: the chat before it, kept as the chat keeps it
            for question in (*item.history, item.question):
                result = service.ask(question, AskOptions(llm=llm, top_k=20, filters=filters, history=list(history)))
                history.append(turn(result))
            return result

        outcomes, records = run_items(items, ask, locator, progress, desc=f"answer (llm={llm})")
        for record, outcome in zip(records, outcomes):
            record["outcome"] = outcome_kind(outcome)  # for comparing runs item by item (eval/compare.py)
        out["retrieval"]["hybrid"] = out["answers"] = report(outcomes)  # one report: the answers' retrieval
        out["retrieval_ranks"]["hybrid"] = support_ranks(outcomes)
        out["timings"] = timing_summary(records)
        out["items"] = records
        out["errors"] = {**out.get("errors", {}), **_errors(records)}
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def print_report(out: dict[str, Any]) -> None:
    half = {"all": "all items", "dev": "dev half", "heldout": "held-out half"}[out["split"]]
    tuned = "TUNED ON (a dev figure)" if out["tuned_on"] else "held out: not tuned on"
    withheld = ", a quarter of the documents withheld" if out["withheld_documents"] else ""
    print(f"# eval: {out['set']} ({half}{withheld}; {tuned}; corpus {out['corpus']}, llm={out['llm']}, "
          f"{out['n_items']} questions)\n")
    if unreachable := out.get("unreachable_passages"):
        print(f"INDEX PROBLEM: {describe_unreachable(unreachable)}: every figure below was measured without them.\n")
    if unlocated := out.get("evidence_not_located"):
        print(f"Evidence not located for {len(unlocated)} answerable item(s) ({', '.join(unlocated)}): "
              "their answers count; retrieval and citation figures leave them out.\n")
    for mode, rep in out["retrieval"].items():
        print(f"## retrieval: {mode}\n")
        print(markdown_table(rep, RETRIEVAL_KEYS) + "\n")
    if "answers" in out:
        print("## answers\n")
        print(markdown_table(out["answers"], ANSWER_KEYS) + "\n")
        if out.get("timings"):
            print("timings: " + ", ".join(f"{k}={v}" for k, v in out["timings"].items()))
    if errors := out.get("errors"):
        print(f"\nERRORS: {len(errors)} question(s) raised (counted as wrong answers; tracebacks on stderr):\n"
              + "\n".join(f"  {k}: {v}" for k, v in errors.items()))
    print(f"\n{out['seconds']} s")


def write_json(out: dict[str, Any], path: Path) -> None:
    """A run's figures and items as the JSON file ``rag eval --json`` writes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


def run_from_args(args) -> int:
    from rag.service import RagService
    from rag.settings import Settings

    base = Settings()
    folders = [Path(f) for f in args.corpus.split(",")] if args.corpus else [base.corpus_dir]
    settings = eval_settings(base, merged_corpus(base, folders), args.llm)
    modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
    out = run_eval(RagService, settings, Path(args.set_path), llm=args.llm, limit=args.limit, modes=modes,
                   retrieval_only=args.retrieval_only, split=args.split, withhold_docs=args.withhold)
    print_report(out)
    if args.json_out:
        write_json(out, Path(args.json_out))
        print(f"wrote {args.json_out}")
    if out.get("errors"):
        print(f"{len(out['errors'])} question(s) raised an error: see the report", file=sys.stderr)
    if out.get("unreachable_passages"):
        print("the index has passages vector search cannot reach: see the report", file=sys.stderr)
    summary = gate_summary((out.get("answers") or out["retrieval"][modes[0]])["overall"])
    if args.write_baseline:
        Path(args.write_baseline).write_text(
            json.dumps(baseline_from(summary, args.margin), indent=1) + "\n", encoding="utf-8")
        print(f"wrote baseline {args.write_baseline}")
    if args.gate:
        baseline = json.loads(Path(args.gate).read_text(encoding="utf-8"))
        failures = check_gate(summary, baseline)
        if failures:
            print("EVAL GATE FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
            return 1
        print("eval gate passed")
    return 1 if out.get("errors") or out.get("unreachable_passages") else 0
