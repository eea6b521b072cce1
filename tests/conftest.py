"""Shared fixtures: settings pointing at temporary data folders, the provisioned models dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.offline import set_offline_env

set_offline_env()

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
