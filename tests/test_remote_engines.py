"""The app on servers instead of in-process engines, reached over loopback HTTP: a real `chroma run`
server process, and OpenAI-compatible embeddings servers — Infinity (a third-party server process,
installed by `make infinity` in its own virtualenv) and the project's `rag embed-server` app."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from rag.options import AskOptions
from tests.conftest import CORPUS, REPO, copy_corpus, make_settings
from bench.processes import free_port

BIN = Path(sys.executable).parent
# the shorter seed document (14 passages) and a question it answers: embedding over HTTP costs as
# much as in-process, so the round trip is tested on one document
DOCUMENT = "003_223ee8f423a3e31d.txt"
CHAIR = "Кто председательствовал на втором министерском диалоге по экономике и энергетике?"


def _start(cmd: list[str], ready_url: str, log: Path, timeout: float = 180.0,
           env: dict[str, str] | None = None) -> subprocess.Popen:
    """A server process (``env`` added to this one's environment), returned once ``ready_url`` answers 200."""
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=REPO,
                            env={**os.environ, **(env or {})})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{cmd[0]} exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(ready_url, timeout=2) as response:
                if response.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"{cmd[0]} not ready after {timeout:.0f} s: {log.read_text(errors='replace')[-2000:]}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def embed_url():
    """`rag embed-server`'s app on a real HTTP port, in a thread of this process (its model is the
    one the other tests have loaded; Infinity below is the separate server process)."""
    import uvicorn

    from index.embed import make_embedding
    from index.embed_server import create_app

    port = free_port()
    embedding = make_embedding(make_settings(Path("/nonexistent"))).load()
    server = uvicorn.Server(uvicorn.Config(create_app(embedding), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/v1"
    server.should_exit = True
    thread.join(30)


INFINITY = REPO / ".venv-infinity" / "bin" / "infinity_emb"


@pytest.fixture(scope="module")
def infinity_url(tmp_path_factory):
    if not INFINITY.exists():
        pytest.skip("Infinity is not installed: run `make infinity` (`make test` does)")
    from index.embed import resolve_dtype
    from rag.models import resolve_embedding
    from rag.settings import Settings

    settings, port = Settings(), free_port()
    log = tmp_path_factory.mktemp("infinity") / "server.log"
    proc = _start([str(INFINITY), "v2", "--model-id", resolve_embedding(settings.embed_model, settings.models_dir),
                   "--served-model-name", settings.embed_model, "--engine", "torch", "--device", "cpu",
                   "--dtype", resolve_dtype(settings.embed_dtype), "--no-bettertransformer", "--no-model-warmup",
                   "--url-prefix", "/v1", "--host", "127.0.0.1", "--port", str(port)],
                  f"http://127.0.0.1:{port}/health", log, env={"INFINITY_ANONYMOUS_USAGE_STATS": "0"})
    yield f"http://127.0.0.1:{port}/v1"
    _stop(proc)


@pytest.fixture(scope="module", params=["infinity", "embed-server"])
def any_embed_url(request):
    return request.getfixturevalue("infinity_url" if request.param == "infinity" else "embed_url")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    port = free_port()
    root = tmp_path_factory.mktemp("chroma-server")
    proc = _start([str(BIN / "chroma"), "run", "--path", str(root / "db"), "--host", "127.0.0.1", "--port", str(port)],
                  f"http://127.0.0.1:{port}/api/v2/heartbeat", root / "server.log")
    yield f"http://127.0.0.1:{port}"
    _stop(proc)


def test_server_vectors_match_the_in_process_model(any_embed_url):
    from index.embed import make_embedding, resolve_dtype

    texts = ["Когда вступила в силу конвенция?", "二重課税防止条約", "the treaty entered into force"]
    remote = make_embedding(make_settings(Path("/nonexistent"), embed_url=any_embed_url)).load()
    settings = make_settings(Path("/nonexistent"))
    local = make_embedding(settings).load()
    # both run the machine's dtype; bfloat16 (CPUs with AMX) keeps about 3 significant digits, and
    # two implementations of it round differently (seen: cosines 0.998-1.003 against Infinity)
    least = 0.995 if resolve_dtype(settings.embed_dtype) == "bfloat16" else 0.999
    for remote_vectors, local_vectors in (
        ([remote.get_query_embedding(t) for t in texts], [local.get_query_embedding(t) for t in texts]),
        (remote.get_text_embedding_batch(texts), local.get_text_embedding_batch(texts)),
    ):
        cosines = np.sum(np.asarray(remote_vectors) * np.asarray(local_vectors), axis=1)
        assert cosines.min() > least, cosines
    assert remote._model is None, "with embed_url the model is never loaded in-process"


def test_server_speaks_the_openai_embeddings_api(embed_url):
    import openai

    client = openai.OpenAI(base_url=embed_url, api_key="x", max_retries=0)
    floats = client.embeddings.create(model="google/embeddinggemma-300m", input=["a", "b"], encoding_format="float")
    # the client's default asks for base64 and decodes it
    decoded = client.embeddings.create(model="google/embeddinggemma-300m", input="a")
    assert [d.index for d in floats.data] == [0, 1]
    assert np.allclose(floats.data[0].embedding, decoded.data[0].embedding, atol=1e-6)
    assert floats.usage.prompt_tokens > 0
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="another-model", input="a")
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="google/embeddinggemma-300m", input=[])


def test_ingest_and_ask_on_a_chroma_server_and_an_embeddings_server(tmp_path, infinity_url, chroma_url):
    import chromadb

    from index.ingest import sync
    from index.manifest import Manifest
    from rag.service import RagService

    (tmp_path / "corpus").mkdir()
    shutil.copy(CORPUS / DOCUMENT, tmp_path / "corpus" / DOCUMENT)
    settings = make_settings(tmp_path, embed_url=infinity_url, chroma_url=chroma_url)
    report = sync(settings, progress=False, log=lambda _msg: None)
    assert report.complete and report.added == [DOCUMENT]
    assert not (tmp_path / "data" / "chroma").exists(), "vectors went to the server, not a local store"
    passages = sum(len(e.passages) for e in Manifest.load(settings.manifest_path).docs.values())
    port = int(chroma_url.rsplit(":", 1)[1])
    assert chromadb.HttpClient(host="127.0.0.1", port=port).get_collection(settings.collection).count() == passages

    # one paragraph edited: the others keep the vectors the server made (looked up on the Chroma server)
    path = tmp_path / "corpus" / DOCUMENT
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Также на встрече присутствовали послы всех стран-участниц.",
        "На встрече присутствовали послы всех стран-участниц и наблюдатели."), encoding="utf-8")
    again = sync(settings, progress=False, log=lambda _msg: None)
    assert again.updated == [DOCUMENT] and (again.passages_embedded, again.passages_reused) == (1, passages - 1)

    service = RagService(settings)
    result = service.ask(CHAIR, AskOptions(llm="none"))
    assert not result["abstained"] and "Муто" in result["answer"]
    assert "Муто" in service.cite(result["citations"][0]["id"])["text"]
    assert service.retriever.embedding._model is None


def test_unreachable_embeddings_server_is_a_clear_error_and_indexes_nothing(tmp_path, monkeypatch, capsys):
    from index.manifest import Manifest
    from rag.cli import main

    copy_corpus(tmp_path / "corpus")
    url = f"http://127.0.0.1:{free_port()}/v1"
    for name, value in {"RAG_CORPUS_DIR": str(tmp_path / "corpus"), "RAG_DATA_DIR": str(tmp_path / "data"),
                        "RAG_EMBED_URL": url, "RAG_EMBED_URL_TIMEOUT_S": "5"}.items():
        monkeypatch.setenv(name, value)
    assert main(["ingest", "--quiet"]) == 2
    stderr = capsys.readouterr().err
    assert f"error: embeddings server {url}" in stderr and "Traceback" not in stderr
    assert Manifest.load(tmp_path / "data" / "manifest.json").docs == {}
