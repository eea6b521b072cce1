"""A real app on 127.0.0.1 for UI tests: seed corpus plus the XSS document, extractive mode."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

from bench.processes import free_port
from tests.conftest import indexed_copy

XSS_DOC = Path(__file__).parent / "data" / "xss" / "evil.txt"


@contextmanager
def running_app(root: Path, seed_settings, **overrides):
    """The app over the seeds and the XSS document: the session's index of the seeds copied in,
    then synced (which indexes the XSS document only)."""
    from index.ingest import sync
    from rag.service import RagService
    from ui.app import launch

    settings = indexed_copy(root, seed_settings, **overrides)
    shutil.copy(XSS_DOC, settings.corpus_dir / XSS_DOC.name)
    sync(settings, progress=False, log=lambda _m: None)
    port = free_port()
    app = launch(RagService(settings), settings, host="127.0.0.1", port=port)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()
