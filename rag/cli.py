"""The `rag` command line: models, ingest, ask, cite, serve, eval, bench."""

from __future__ import annotations

import argparse
import sys

from rag.offline import set_offline_env

set_offline_env()


def _cmd_models(args: argparse.Namespace) -> int:
    from rag import models
    from rag.settings import get_settings

    settings = get_settings()
    try:
        for folder in models.fetch_all(settings.models_dir, with_llm=not args.embedding_only):
            print(f"ready: {folder}")
    except models.ProvisionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p_models = sub.add_parser("models", help="provision model weights")
    msub = p_models.add_subparsers(dest="models_command", required=True)
    p_fetch = msub.add_parser("fetch", help="assemble and verify the models (idempotent)")
    p_fetch.add_argument("--embedding-only", action="store_true", help="skip the LLM")
    p_fetch.set_defaults(func=_cmd_models)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
