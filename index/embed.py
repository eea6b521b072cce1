"""Passage and query embeddings with a sentence-transformers model, behind llama-index's BaseEmbedding.

EmbeddingGemma is asymmetric: queries get the model's ``query`` prompt, documents the
``title: <title> | text: <text>`` form its model card gives (the document's title, the
passage's section and a list item's lead-in go in the title slot, so a paragraph that says
"both sides…" still carries what the document is about; so do the sentences retrieval matches
one by one). Other models without prompts get the plain texts. The model is
loaded once per process and per (model, dtype); weights load from the provisioned folder only.
The ``auto`` dtype is bfloat16 on CPUs with AMX tiles (bf16 matrix multiply in hardware) and
float32 elsewhere: without AMX, bf16 runs slower than float32 on CPU (README, "Speed").
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from index.document import Passage

_DTYPES = {"bfloat16": torch.bfloat16, "float32": torch.float32, "float16": torch.float16}
_LOCK = threading.Lock()


def resolve_dtype(name: str, cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The torch dtype to run the model in: ``auto`` picks by the CPU's flags, others stand."""
    if name != "auto":
        if name not in _DTYPES:
            raise ValueError(f"embed_dtype {name!r}: expected auto or one of {', '.join(_DTYPES)}")
        return name
    try:
        flags = cpuinfo.read_text(encoding="utf-8", errors="replace").split()
    except OSError:
        return "float32"
    return "bfloat16" if "amx_bf16" in flags else "float32"


@lru_cache(maxsize=2)
def _load_model(path: str, dtype: str) -> Any:
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(max(1, torch.get_num_threads()))
    model = SentenceTransformer(
        path, device="cpu", local_files_only=True, model_kwargs={"torch_dtype": _DTYPES[dtype]}
    )
    model.eval()
    return model


class PassageEmbedding(BaseEmbedding):
    """llama-index embedding over a sentence-transformers model, with query/document prompts."""

    model_path: str
    model_name: str = "google/embeddinggemma-300m"
    dtype: str = "float32"
    embed_batch_size: int = 16
    _model: Any = PrivateAttr(default=None)
    _query_cache: dict = PrivateAttr(default_factory=dict)
    _text_cache: dict = PrivateAttr(default_factory=dict)

    def _st(self) -> Any:
        if self._model is None:
            with _LOCK:
                self._model = _load_model(self.model_path, self.dtype)
        return self._model

    def load(self) -> "PassageEmbedding":
        """Load the model now (it loads lazily otherwise)."""
        self._st()
        return self

    @property
    def has_prompts(self) -> bool:
        return "query" in (self._st().prompts or {})

    def document_text(self, passage: Passage) -> str:
        """The text embedded for a passage: the document prompt with title, section and lead-in."""
        if not self.has_prompts:
            return passage.indexed_text()
        return f"title: {_title_slot(passage)} | text: {passage.text}"

    def sentence_text(self, passage: Passage, sentence: str) -> str:
        """The text embedded for one sentence of a passage: in the passage's title slot, so that
        "Minister X;" still says which meeting's list it is on."""
        if not self.has_prompts:
            return sentence
        return f"title: {_title_slot(passage)} | text: {sentence}"

    def _encode(self, texts: list[str], *, prompt: str | None, progress: bool = False) -> np.ndarray:
        """Encode with the model's named prompt (``query``/``document``), or none when the
        texts already carry theirs or the model has no prompts."""
        model = self._st()
        kwargs: dict[str, Any] = {"prompt_name": prompt} if prompt and self.has_prompts else {}
        with torch.inference_mode():
            vectors = model.encode(
                texts, batch_size=self.embed_batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=progress, **kwargs,
            )
        return vectors.astype(np.float32)

    def embed_passages(self, passages: list[Passage], progress: bool = False) -> np.ndarray:
        return self._encode_by_length([self.document_text(p) for p in passages], prompt=None, progress=progress)

    def embed_sentences(self, sentences: list[tuple[Passage, str]], progress: bool = False) -> np.ndarray:
        """(passage, sentence) pairs as documents in their passage's context (retrieval's
        sentence-level evidence; the extractive answer ranks bare sentences instead)."""
        return self._encode_by_length([self.sentence_text(p, s) for p, s in sentences], prompt=None,
                                      progress=progress)

    def _encode_by_length(self, texts: list[str], *, prompt: str | None, progress: bool) -> np.ndarray:
        """One float32 row per text, in order (encoded sorted by length, so each batch pads little)."""
        if not texts:
            return np.zeros((0, 0), np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        vectors = self._encode([texts[i] for i in order], prompt=prompt, progress=progress)
        out = np.empty_like(vectors)
        out[order] = vectors
        return out

    # llama-index interface
    def _get_query_embedding(self, query: str) -> list[float]:
        # retrieval and answering both embed the question: compute it once
        if query not in self._query_cache:
            if len(self._query_cache) > 512:
                self._query_cache.clear()
            self._query_cache[query] = self._encode([query], prompt="query")[0].tolist()
        return self._query_cache[query]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encode([text], prompt="document")[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        # the extractive answerer embeds the bare sentences of the passages it may quote; the
        # same passages come back across questions, so they are cached
        todo = [t for t in dict.fromkeys(texts) if t not in self._text_cache]
        if todo:
            if len(self._text_cache) > 20_000:
                self._text_cache.clear()
            self._text_cache.update(zip(todo, self._encode(todo, prompt="document").tolist()))
        return [self._text_cache[t] for t in texts]


def _title_slot(passage: Passage) -> str:
    return passage.context_header(with_date=False) or "none"


def make_embedding(settings) -> PassageEmbedding:
    """The configured embedding model, resolved to its provisioned folder."""
    from rag.models import resolve_embedding

    return PassageEmbedding(
        model_path=resolve_embedding(settings.embed_model, settings.models_dir),
        model_name=settings.embed_model,
        dtype=resolve_dtype(settings.embed_dtype),
        embed_batch_size=settings.embed_batch_size,
    )
