"""`rag embed-server`: the project's embedding model behind an OpenAI-compatible HTTP API.

``POST /v1/embeddings`` takes ``{"input": str | [str], "model": ..., "encoding_format":
"float" | "base64"}`` and answers as OpenAI, Text Embeddings Inference and Infinity do, so a
machine with a GPU can run it (or one of those servers) and ingest elsewhere points
``embed_url`` at it. Like those servers it embeds the raw texts: clients put the model's prompts
in front themselves (index/embed.py). One request is encoded at a time (the model's threads
would oversubscribe the cores otherwise); the rest wait their turn.
"""

from __future__ import annotations

import base64
import threading

import numpy as np
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from index.embed import PassageEmbedding

MAX_INPUTS = 2048  # texts per request, as OpenAI's endpoint allows


class EmbeddingsRequest(BaseModel):
    input: str | list[str]
    model: str | None = None
    encoding_format: str = "float"


def create_app(embedding: PassageEmbedding) -> FastAPI:
    """The HTTP app over an in-process embedding (its model loads on the first request if not yet)."""
    app = FastAPI(title="rag embed-server")
    busy = threading.Lock()

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "model": embedding.model_name}

    @app.get("/v1/models")
    def models() -> dict:
        return {"object": "list", "data": [{"id": embedding.model_name, "object": "model", "owned_by": "rag-chat"}]}

    @app.post("/v1/embeddings")
    def embeddings(request: EmbeddingsRequest) -> dict:
        texts = [request.input] if isinstance(request.input, str) else request.input
        if not texts or len(texts) > MAX_INPUTS:
            raise HTTPException(400, f"input: 1 to {MAX_INPUTS} texts, got {len(texts)}")
        if request.model and request.model != embedding.model_name:
            raise HTTPException(404, f"model {request.model!r} is not served here ({embedding.model_name} is)")
        if request.encoding_format not in ("float", "base64"):
            raise HTTPException(400, "encoding_format: float or base64")
        with busy:
            vectors = embedding.encode_texts(texts)
            tokens = embedding.count_tokens(texts)
        data = [{"object": "embedding", "index": i, "embedding": _encoded(row, request.encoding_format)}
                for i, row in enumerate(vectors)]
        return {"object": "list", "data": data, "model": embedding.model_name,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}

    return app


def _encoded(row: np.ndarray, encoding_format: str) -> list[float] | str:
    if encoding_format == "base64":
        return base64.b64encode(row.astype("<f4").tobytes()).decode("ascii")
    return row.tolist()


def serve(settings, host: str, port: int) -> None:
    """Load the configured model in-process and serve it until interrupted."""
    import uvicorn

    from index.embed import make_embedding

    if settings.embed_url:
        settings = settings.model_copy(update={"embed_url": None})  # this process is the server
    embedding = make_embedding(settings).load()
    uvicorn.run(create_app(embedding), host=host, port=port, log_level="warning")
