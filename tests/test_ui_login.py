"""The optional login: with `auth` set, the app and its API need the credentials."""

from __future__ import annotations

import pytest
from gradio_client import Client

from tests.ui_server import running_app


def test_login_required_when_auth_is_set(tmp_path, seed_settings):
    with running_app(tmp_path, seed_settings, auth="staff:s3cret") as url:
        with pytest.raises(Exception):
            Client(url, verbose=False).predict(api_name="/documents")
        docs = Client(url, auth=("staff", "s3cret"), verbose=False).predict(api_name="/documents")
        assert len(docs) == 3
