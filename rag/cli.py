"""The `rag` command line: models fetch, ingest, ask, cite, serve, embed-server, eval."""

from __future__ import annotations

import argparse
import json
import sys
from enum import IntEnum
from pathlib import Path

from rag.offline import set_offline_env
from rag.references import known_facts, reference

set_offline_env()


class Exit(IntEnum):
    """The command's exit status (README, "Using it")."""

    OK = 0
    ERROR = 2  # nothing done: no corpus folder, an index built with another model, a bad ID, …
    INCOMPLETE = 3  # `rag ingest` indexed, but some files were not (each named on standard error)
    INDEX_PROBLEM = 4  # `rag ingest --check` found a store disagreeing with the manifest
    # (`rag eval` returns its own: 1 when its run is not clean, eval/runner.py)


def _settings(args: argparse.Namespace):
    from rag.settings import Settings

    overrides = {}
    if getattr(args, "llm", None):
        overrides["llm"] = args.llm
    return Settings(**overrides)


def _show(text: str, **kwargs) -> None:
    """Print document-derived text for a terminal: no control or bidi characters (rag/display.py)."""
    from rag.display import plain

    print(plain(text), **kwargs)


def _print_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _cmd_models(args: argparse.Namespace) -> int:
    from rag import models

    settings = _settings(args)
    try:
        for folder in models.fetch_all(settings.models_dir, with_llm=not args.embedding_only):
            print(f"ready: {folder}")
    except models.ProvisionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return Exit.ERROR
    return Exit.OK


def _sync(settings, paths: list[Path] | None, progress: bool, out=sys.stdout) -> int:
    from index.ingest import sync
    from index.store import StoreError

    try:
        report = sync(settings, paths, progress=progress, log=lambda line: print(line, file=sys.stderr))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return Exit.ERROR
    print(report.summary(), file=out)
    for doc, reason in report.failed:
        _show(f"  failed: {doc}: {reason}", file=sys.stderr)
    for doc, reason in report.skipped:
        _show(f"  skipped: {doc}: {reason}", file=sys.stderr)
    for doc, pieces in report.hidden:
        _show(f"  hidden text left out: {doc}: {pieces} piece{'s' if pieces > 1 else ''} no reader of the file sees",
              file=sys.stderr)
    for doc, other in report.suffixed:
        _show(f"  document ID {doc}: {other} holds the name without its suffix (citations read {doc}#pN)",
              file=sys.stderr)
    for doc, other in report.copies:
        _show(f"  same bytes as another file: {doc} = {other} (answers show the text once, naming both)",
              file=sys.stderr)
    return Exit.OK if report.complete else Exit.INCOMPLETE


def _cmd_ingest(args: argparse.Namespace) -> int:
    settings = _settings(args)
    status = _sync(settings, [Path(p) for p in args.paths] or None, progress=not args.quiet)
    if not args.check or status == Exit.ERROR:  # nothing done: the stores may not even open
        return status
    from index.writer import consistency_problems

    problems = consistency_problems(settings)
    for problem in problems:
        print(f"index check: {problem}", file=sys.stderr)
    print(f"index check: {'problems found' if problems else 'every store agrees with the manifest'}",
          file=sys.stderr)
    return status or (Exit.INDEX_PROBLEM if problems else Exit.OK)


def _ensure_index(settings) -> bool:
    """Index the corpus first when nothing is indexed yet (as `rag ingest` does, with its progress
    bar, on standard error); False, with a message naming `rag ingest`, when nothing could be."""
    from index.manifest import Manifest

    if Manifest.load(settings.manifest_path).docs:
        return True
    print(f"nothing is indexed yet: indexing {settings.corpus_dir} first (as `rag ingest` does)", file=sys.stderr)
    _sync(settings, None, progress=True, out=sys.stderr)
    if Manifest.load(settings.manifest_path).docs:
        return True
    from index.readers import SUPPORTED_EXTENSIONS

    print(f"error: no document could be indexed from {settings.corpus_dir}: put documents "
          f"({', '.join(sorted(SUPPORTED_EXTENSIONS))}) there, then run `rag ingest`", file=sys.stderr)
    return False


def _filters(args: argparse.Namespace):
    from rag.options import Filters

    return Filters(docs=args.doc or [], since=args.since or "", until=args.until or "", langs=args.lang or [])


def _cmd_ask(args: argparse.Namespace) -> int:
    from rag.options import AskOptions
    from rag.service import RagService

    settings = _settings(args)
    if not _ensure_index(settings):
        return Exit.ERROR
    service = RagService(settings)
    options = AskOptions(llm=settings.llm, filters=_filters(args), top_k=args.k)
    counter = sys.stderr if not args.json and sys.stderr.isatty() else None
    result = final_result(service.ask_stream(args.question, options), counter)
    if args.json:
        _print_json(result)
        return Exit.OK
    _show(result["answer"], end="")
    print("\n")
    for note in answer_notes(result):
        print(f"({note})")
    for c in result["citations"]:
        _show(f"[{c['n']}] {_reference(c)}")
        if c.get("copies"):  # the same text filed elsewhere too (rag.retrieve)
            _show(f"    same text also in: {', '.join(copy['id'] for copy in c['copies'])}")
    if result["mode"] == "abstain":  # the message says the closest passages are listed: list them
        for p in result["passages"][: settings.evidence_k]:
            _show(f"- {_reference(p)}")
    return Exit.OK


def final_result(events, counter=None) -> dict:
    """The checked result at the end of an answer's ``events``. The model's text is not printed
    as it streams: the checks may drop sentences of it, add a name's source spelling, or replace
    it with the quotes, and a terminal cannot take back what it printed (until stop 55 the draft
    stayed on screen with the quotes printed after it). ``counter``, a terminal's standard error,
    shows meanwhile how many pieces the model has written, on one line it clears at the end."""
    from rag.service import final_result as checked_result

    pieces = 0

    def count(_text: str) -> None:
        nonlocal pieces
        pieces += 1
        print(f"\rwriting the answer … {pieces}", end="", file=counter, flush=True)

    result = checked_result(events, count if counter is not None else None)
    if pieces:
        print("\r\x1b[K", end="", file=counter, flush=True)
    return result


def _reference(p: dict) -> str:
    """A passage as the plain output names it: ID, then title, date, paragraph number."""
    return f"{p['id']} — {reference(p)}"


def answer_notes(result: dict) -> list[str]:
    """What the plain output says under a generated answer: that the evidence scorer doubts the
    sources answer (a quoted answer's lead-in says it itself), and how many sentences the
    checks dropped."""
    from rag.messages import message, note_keys

    return [message("unsure_note", result["lang"]) if key == "unsure"
            else f"sentences dropped by the checks: {len(result['checks']['dropped'])}" for key in note_keys(result)]


def _cmd_cite(args: argparse.Namespace) -> int:
    from rag.options import CitationNotFound
    from rag.service import RagService

    service = RagService(_settings(args))
    try:
        data = service.cite(args.id)
    except CitationNotFound as exc:
        _show(f"error: {exc.args[0]}", file=sys.stderr)
        return Exit.ERROR
    if args.json:
        _print_json(data)
        return Exit.OK
    doc = data["document"]
    known = ", ".join(known_facts(doc))
    _show(f"{data['id']} — {doc.get('title', '')}{f' ({known})' if known else ''} chars {data['start']}–{data['end']}")
    if data.get("section"):
        _show(f"section: {data['section']}")
    print()
    _show(data["text"])
    for nb in data["neighbours"]:
        _show(f"\n  neighbour {nb['id']}: {nb['text'][:160]}")
    return Exit.OK


def _cmd_docs(args: argparse.Namespace) -> int:
    from index.manifest import Manifest

    rows = Manifest.load(_settings(args).manifest_path).listing()
    if args.json:
        _print_json(rows)
        return Exit.OK
    for row in rows:
        _show(f"{row['doc_id']}\t{row['doc']}\t{row.get('date') or 'n.d.'}\t{row.get('lang', '')}\t"
              f"{row['passages']} passages\t{row.get('title', '')}")
    print(f"{len(rows)} documents, {sum(row['passages'] for row in rows)} passages"
          + ("" if rows else ": nothing is indexed yet (rag ingest)"), file=sys.stderr)
    return Exit.OK


def _cmd_serve(args: argparse.Namespace) -> int:
    from ui.app import serve

    settings = _settings(args)
    if not _ensure_index(settings):
        return Exit.ERROR
    serve(settings, host=args.host or settings.host, port=args.port or settings.port)
    return Exit.OK


def _cmd_embed_server(args: argparse.Namespace) -> int:
    from index.embed_server import serve

    serve(_settings(args), host=args.host, port=args.port)
    return Exit.OK


def _cmd_eval(args: argparse.Namespace) -> int:
    from eval.runner import run_from_args

    return run_from_args(args)


def _add_filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--doc", action="append", help="only this document (doc ID or file name); repeatable")
    p.add_argument("--since", help="only documents dated on or after YYYY-MM-DD")
    p.add_argument("--until", help="only documents dated on or before YYYY-MM-DD")
    p.add_argument("--lang", action="append", help="only passages in this language (ja, ru, en…); repeatable")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Cited question answering over the corpus.")
    sub = parser.add_subparsers(dest="command", required=True)

    p_models = sub.add_parser("models", help="provision model weights")
    msub = p_models.add_subparsers(dest="models_command", required=True)
    p_fetch = msub.add_parser("fetch", help="assemble and verify the models (idempotent)")
    p_fetch.add_argument("--embedding-only", action="store_true", help="skip the LLM")
    p_fetch.set_defaults(func=_cmd_models)

    p_ingest = sub.add_parser("ingest", help="sync the corpus folder (or some files in it) into the index")
    p_ingest.add_argument("paths", nargs="*", help="files or folders inside the corpus folder")
    p_ingest.add_argument("--quiet", action="store_true", help="no progress bars")
    p_ingest.add_argument("--check", action="store_true",
                          help="then check that every store holds the manifest's passages and that vector "
                               "search reaches each of them (exit 4 when not)")
    p_ingest.set_defaults(func=_cmd_ingest)

    p_ask = sub.add_parser("ask", help="answer a question with citations")
    p_ask.add_argument("question")
    p_ask.add_argument("--json", action="store_true", help="print the full result as JSON")
    p_ask.add_argument("--llm", help="local | none | URL of an OpenAI-compatible server")
    p_ask.add_argument("--k", type=int, help="number of passages returned as sources")
    _add_filter_args(p_ask)
    p_ask.set_defaults(func=_cmd_ask)

    p_cite = sub.add_parser("cite", help="show a cited paragraph, its document and neighbours")
    p_cite.add_argument("id", help="passage ID, e.g. 000_6f479204fdb56844#p12")
    p_cite.add_argument("--json", action="store_true")
    p_cite.set_defaults(func=_cmd_cite)

    p_docs = sub.add_parser("docs", help="list the indexed documents: ID, file, date, language, passages, title")
    p_docs.add_argument("--json", action="store_true")
    p_docs.set_defaults(func=_cmd_docs)

    p_serve = sub.add_parser("serve", help="serve the chat UI")
    p_serve.add_argument("--host")
    p_serve.add_argument("--port", type=int)
    p_serve.add_argument("--llm", help="local | none | URL")
    p_serve.set_defaults(func=_cmd_serve)

    p_embed = sub.add_parser("embed-server", help="serve the embedding model as an OpenAI-compatible "
                             "/v1/embeddings endpoint (for `embed_url` elsewhere)")
    p_embed.add_argument("--host", default="127.0.0.1")
    p_embed.add_argument("--port", type=int, default=7997)
    p_embed.set_defaults(func=_cmd_embed_server)

    p_eval = sub.add_parser("eval", help="run an eval set and report metrics")
    p_eval.add_argument("--set", dest="set_path", required=True, help="eval set (JSONL)")
    p_eval.add_argument("--corpus", help="corpus folder the set refers to (default: the app's corpus); "
                        "several folders, comma-separated, are indexed together")
    p_eval.add_argument("--split", default="all", choices=("all", "dev", "heldout"),
                        help="only the questions of this half (eval/splits.py; default all)")
    p_eval.add_argument("--withhold", action="store_true",
                        help="leave a quarter of the documents out: their questions must be abstained on")
    p_eval.add_argument("--llm", default="none", help="local | none | URL (default none)")
    p_eval.add_argument("--json", dest="json_out", help="write all figures and items to this file")
    p_eval.add_argument("--limit", type=int, help="only the first N questions")
    p_eval.add_argument("--retrieval-only", action="store_true", help="skip answering; retrieval metrics only")
    p_eval.add_argument("--modes", default="hybrid", help="retrieval modes to compare, comma-separated")
    p_eval.add_argument("--gate", help="fail when a metric falls below this baseline JSON by more than its margin")
    p_eval.add_argument("--write-baseline", help="write this run's counts as a gate baseline to this file")
    p_eval.add_argument("--margin", type=int, default=2, help="baseline margin, in questions (default 2)")
    p_eval.set_defaults(func=_cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except RuntimeError as exc:
        from index.embed import EmbeddingError  # imported late: `rag models` needs no torch

        if not isinstance(exc, EmbeddingError):
            raise
        _show(f"error: {exc}", file=sys.stderr)
        return Exit.ERROR


if __name__ == "__main__":
    sys.exit(main())
