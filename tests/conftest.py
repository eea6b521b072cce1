"""Shared fixtures: indexes built with the real embedding model, Chroma and BM25 in temp folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.offline import set_offline_env

set_offline_env()

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
# the tests' own copy of the seed documents: the live corpus/ belongs to the user, who may add anything
CORPUS = REPO / "tests" / "fixtures" / "corpus"


def make_settings(root: Path, **overrides):
    """Settings whose corpus and index live under ``root`` (the models stay in the shared cache)."""
    from rag.settings import Settings

    return Settings(**{"corpus_dir": root / "corpus", "data_dir": root / "data", "llm": "none", **overrides})


def copy_corpus(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for f in CORPUS.iterdir():
        if f.is_file():
            shutil.copy2(f, dest / f.name)  # with its modification time, as ingest records it
    return dest


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory):
    """The seed corpus indexed once per test session (read-only for tests)."""
    from index.ingest import sync

    root = tmp_path_factory.mktemp("seed")
    copy_corpus(root / "corpus")
    settings = make_settings(root)
    sync(settings, progress=False, log=lambda _msg: None)
    return settings


@pytest.fixture(scope="session")
def seed_service(seed_settings):
    from rag.service import RagService

    return RagService(seed_settings)


@pytest.fixture
def fresh_settings(tmp_path):
    """A private copy of the seed corpus with an empty index, for tests that change things."""
    copy_corpus(tmp_path / "corpus")
    return make_settings(tmp_path)


def indexed_copy(root: Path, seed_settings, **overrides):
    """Settings over a private copy of the seed corpus and of the session's index of it under
    ``root`` (as if synced once there), without embedding anything again."""
    copy_corpus(root / "corpus")
    shutil.copytree(seed_settings.data_dir, root / "data")
    return make_settings(root, **overrides)


@pytest.fixture
def indexed_settings(seed_settings, tmp_path):
    """The seeds indexed in a private folder, for tests of what later syncs do."""
    return indexed_copy(tmp_path, seed_settings)
