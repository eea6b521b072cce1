"""LLM backends: spec parsing (no model needed); the provisioned GGUF in-process and behind a real
OpenAI-compatible HTTP server (llama.cpp's, started here on a free port of 127.0.0.1)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import xllamacpp as xlc
from llama_index.core.llms import ChatMessage

from rag.llm import LLMError, engine_params, make_llm
from rag.models import resolve_gguf
from rag.settings import Settings
from bench.processes import free_port

REPEAT = [
    ChatMessage(role="system", content="You repeat words exactly."),
    ChatMessage(role="user", content="Repeat this word three times: pineapple"),
]


def test_none_and_bad_specs(tmp_path):
    settings = Settings(models_dir=tmp_path)
    assert make_llm("none", settings) is None
    with pytest.raises(ValueError, match=r"unknown LLM 'gpt-4'.*'local'.*'none'.*OpenAI-compatible"):
        make_llm("gpt-4", settings)
    with pytest.raises(LLMError, match="rag models fetch"):
        make_llm("local", settings)  # nothing is provisioned in an empty models dir


@pytest.mark.llm
def test_local_streams_tokens_deterministically():
    settings = Settings()
    llm = make_llm("local", settings)
    assert make_llm("local", settings) is llm  # one instance, one loaded model per process
    deltas = [r.delta for r in llm.stream_chat(REPEAT, max_tokens=12) if r.delta]
    text = "".join(deltas)
    assert len(deltas) > 1 and "pineapple" in text.lower()
    # greedy: the same prompt again, now served from the prompt cache, gives the same text
    assert llm.chat(REPEAT, max_tokens=12).message.content == text


@contextmanager
def openai_server(model: Path, api_key: str) -> Iterator[int]:
    """llama.cpp's HTTP server on 127.0.0.1 for the duration of the block; yields its port."""
    params = engine_params(model, context=2048, threads=2)
    params.hostnames = ["127.0.0.1"]
    params.port = free_port()
    params.api_keys = [api_key]
    server = xlc.Server(params)
    try:
        yield params.port
    finally:
        del server  # the engine stops and the port closes when the object goes


@pytest.mark.llm
def test_openai_compatible_server_streams():
    settings = Settings(llm_api_key="test-key")
    with openai_server(resolve_gguf(settings.llm_model, settings.models_dir), "test-key") as port:
        llm = make_llm(f"http://127.0.0.1:{port}/v1", settings)
        deltas = [r.delta for r in llm.stream_chat(REPEAT, max_tokens=12) if r.delta]
    assert len(deltas) > 1 and "pineapple" in "".join(deltas).lower()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
