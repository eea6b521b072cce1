"""Passage and query embeddings with a sentence-transformers model, behind llama-index's BaseEmbedding.

EmbeddingGemma is asymmetric: queries get the model's ``query`` prompt, documents the
``title: <title> | text: <text>`` form its model card gives (the document's title, the
passage's section and a list item's lead-in go in the title slot, so a paragraph that says
"both sides…" still carries what the document is about; so do the sentences retrieval matches
one by one). Other models without prompts get the plain texts. The model is
loaded once per process and per (model, dtype); weights load from the provisioned folder only.
The ``auto`` dtype is bfloat16 on CPUs with AMX tiles (bf16 matrix multiply in hardware), on
CPUs with AVX-512 bf16 instructions where a measured linear layer runs faster in it (on some it
does not), and float32 elsewhere (README, "Speed").

With ``embed_url`` set, every text goes to an OpenAI-compatible ``/v1/embeddings`` server
(Text Embeddings Inference, Infinity, vLLM, or ``rag embed-server`` on a GPU machine) instead:
such servers embed the raw text, so the model's prompts (read from its provisioned folder) are
put in front of the texts here, and the vectors are normalised here as the local path does.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr
from tqdm.auto import tqdm

from index.document import Passage
from index.manifest import VECTORS_VERSION

_DTYPES = {"bfloat16": torch.bfloat16, "float32": torch.float32, "float16": torch.float16}
_LOCK = threading.Lock()
# Every forward pass of the in-process model runs on this one thread, whichever thread asks. A
# served app asks from many worker threads, and the model's memory grew with every pass made
# from many threads (10 threads: +44 KB per query embedding, without end; one thread: flat),
# while 10 threads embedded no faster than one on 2 cores (983 against 989 queries in 150 s).
_FORWARD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedding")


class EmbeddingError(RuntimeError):
    """The embeddings server cannot be reached or answered wrongly; the message says which and why."""


def resolve_dtype(name: str, cpuinfo: Path = Path("/proc/cpuinfo"),
                  bf16_speedup: Callable[[], float] | None = None) -> str:
    """The torch dtype to run the model in: ``auto`` picks by the CPU, others stand.

    With AMX tiles, bfloat16. With AVX-512 bf16 instructions but no AMX it depends on the CPU
    (2.0x faster than float32 on one machine here, slower on another), so it is measured:
    ``bf16_speedup`` (default: one of the model's linear layers timed in both dtypes, about
    0.1 s once per process) must be at least ``BF16_MIN_SPEEDUP``. Otherwise float32."""
    if name != "auto":
        if name not in _DTYPES:
            raise ValueError(f"embed_dtype {name!r}: expected auto or one of {', '.join(_DTYPES)}")
        return name
    try:
        flags = cpuinfo.read_text(encoding="utf-8", errors="replace").split()
    except OSError:
        return "float32"
    if "amx_bf16" in flags:
        return "bfloat16"
    if "avx512_bf16" in flags and (bf16_speedup or _bf16_linear_speedup)() >= BF16_MIN_SPEEDUP:
        return "bfloat16"
    return "float32"


BF16_MIN_SPEEDUP = 1.2
"""bfloat16 is taken without AMX only when it runs a linear layer this many times faster."""


@lru_cache(maxsize=1)
def _bf16_linear_speedup() -> float:
    """float32 time / bfloat16 time of a forward through a linear layer the size of the model's
    (768 -> 1152, 256 tokens), best of five runs each: the model's time is its linear layers
    (README, Design: a model encode was 2.0x faster where this gave 2.1x)."""
    def best(dtype) -> float:
        layer = torch.nn.Linear(768, 1152).to(dtype)
        x = torch.randn(256, 768, dtype=dtype)
        times = []
        with torch.inference_mode():
            layer(x)
            for _ in range(5):
                t = time.perf_counter()
                for _ in range(4):
                    layer(x)
                times.append(time.perf_counter() - t)
        return min(times)

    return best(torch.float32) / best(torch.bfloat16)


@lru_cache(maxsize=2)
def _load_model(path: str, dtype: str) -> Any:
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(max(1, torch.get_num_threads()))
    model = SentenceTransformer(
        path, device="cpu", local_files_only=True, model_kwargs={"torch_dtype": _DTYPES[dtype]}
    )
    model.eval()
    return model


def _folder_prompts(model_path: str) -> dict[str, str]:
    """A sentence-transformers model's named prompts, read from its folder without loading it."""
    config = Path(model_path) / "config_sentence_transformers.json"
    if not config.is_file():
        return {}
    return dict(json.loads(config.read_text(encoding="utf-8")).get("prompts") or {})


class RemoteEncoder:
    """Texts → unit float32 vectors through an OpenAI-compatible ``/v1/embeddings`` endpoint."""

    def __init__(self, url: str, model: str, api_key: str, batch_size: int, timeout: float) -> None:
        from openai import OpenAI

        self.url, self.model, self.batch_size = url.rstrip("/"), model, max(1, batch_size)
        self._client = OpenAI(base_url=self.url, api_key=api_key, timeout=timeout, max_retries=2)

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        import openai

        rows: list[list[float]] = []
        starts = range(0, len(texts), self.batch_size)
        for start in tqdm(starts, desc="embedding (server)", unit="batch", disable=not progress):
            chunk = texts[start:start + self.batch_size]
            try:
                response = self._client.embeddings.create(model=self.model, input=chunk, encoding_format="float")
            except openai.OpenAIError as exc:
                raise EmbeddingError(f"embeddings server {self.url}: {type(exc).__name__}: {exc}") from exc
            data = sorted(response.data, key=lambda item: item.index)
            if len(data) != len(chunk):
                raise EmbeddingError(f"embeddings server {self.url} returned {len(data)} vectors for {len(chunk)} texts")
            rows.extend(item.embedding for item in data)
        vectors = np.asarray(rows, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


class PassageEmbedding(BaseEmbedding):
    """llama-index embedding over a sentence-transformers model, with query/document prompts;
    in-process, or on an embeddings server when ``embed_url`` is set."""

    model_path: str
    model_name: str = "google/embeddinggemma-300m"
    dtype: str = "float32"
    embed_batch_size: int = 16
    embed_url: str | None = None
    api_key: str = "not-needed"
    url_batch_size: int = 64
    url_timeout_s: float = 120.0
    _model: Any = PrivateAttr(default=None)
    _remote: Any = PrivateAttr(default=None)
    _prompts: Any = PrivateAttr(default=None)
    _query_cache: dict = PrivateAttr(default_factory=dict)

    def _st(self) -> Any:
        if self._model is None:
            with _LOCK:
                self._model = _load_model(self.model_path, self.dtype)
        return self._model

    def _server(self) -> RemoteEncoder:
        if self._remote is None:
            self._remote = RemoteEncoder(self.embed_url, self.model_name, self.api_key,
                                         self.url_batch_size, self.url_timeout_s)
        return self._remote

    def load(self) -> "PassageEmbedding":
        """Load the model now (it loads lazily otherwise); with a server, check that it answers."""
        if self.embed_url:
            self._server().encode(["ping"])
        else:
            self._st()
        return self

    @property
    def prompts(self) -> dict[str, str]:
        """The model's named prompts, read from its folder (the model need not be loaded to know
        what text it embeds); a local model's own if its folder names none."""
        if self._prompts is None:
            self._prompts = _folder_prompts(self.model_path)
            if not self._prompts and not self.embed_url:
                self._prompts = dict(self._st().prompts or {})
        return self._prompts

    @property
    def has_prompts(self) -> bool:
        return "query" in self.prompts

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

    def vector_key(self, passage: Passage, sentences: list[str], pooling: str) -> str:
        """What a passage's vectors and its sentences' are computed from, hashed: its embedded
        text, its sentences' and how they are made (``pooling``, server or local model, the
        model, ``VECTORS_VERSION``). Equal keys, equal vectors: ingest reuses stored ones."""
        made = [VECTORS_VERSION, self.model_name, pooling, "server" if self.embed_url else "local",
                self.document_text(passage), [self.sentence_text(passage, s) for s in sentences]]
        return hashlib.sha256(json.dumps(made, ensure_ascii=False).encode()).hexdigest()

    def _encode(self, texts: list[str], *, prompt: str | None, progress: bool = False) -> np.ndarray:
        """Encode with the model's named prompt (``query``/``document``), or none when the
        texts already carry theirs or the model has no prompts."""
        if self.embed_url:
            prefix = self.prompts.get(prompt, "") if prompt else ""
            return self._server().encode([prefix + t for t in texts], progress=progress)
        model = self._st()
        kwargs: dict[str, Any] = {"prompt_name": prompt} if prompt and self.has_prompts else {}

        def forward() -> np.ndarray:
            with torch.inference_mode():
                return model.encode(texts, batch_size=self.embed_batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=progress, **kwargs)

        return _FORWARD.submit(forward).result().astype(np.float32)

    def embed_passages(self, passages: list[Passage], progress: bool = False) -> np.ndarray:
        return self._encode_by_length([self.document_text(p) for p in passages], prompt=None, progress=progress)

    def embed_sentences(self, sentences: list[tuple[Passage, str]], progress: bool = False) -> np.ndarray:
        """(passage, sentence) pairs as documents in their passage's context (retrieval's
        sentence-level evidence; the extractive answer ranks bare sentences instead)."""
        return self._encode_by_length([self.sentence_text(p, s) for p, s in sentences], prompt=None,
                                      progress=progress)

    def embed_alone(self, sentences: list[str]) -> np.ndarray:
        """Sentences embedded alone, as documents without a title."""
        return self._encode_by_length(sentences, prompt="document", progress=False)

    def embed_late(self, passages: list[Passage], sentences: list[list[str]],
                   progress: bool = False) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """Passage vectors and, from the same forward pass, two vectors per sentence of each
        passage ("late chunking"): the mean of the sentence's tokens' contextual embeddings in
        the titled passage with the title slot's tokens, and without them (the sentence's own
        meaning, ``own``), each projected and normalised as the model does a whole text. The
        passage vectors are the same as ``embed_passages``'s. ``sentences[i]`` are substrings of
        ``passages[i].text`` in order; a sentence the passage's tokens do not cover (cut off at the
        model's length limit) is embedded on its own (``embed_sentences``, ``embed_alone``)."""
        model = self._st()
        pooling = next((i for i, m in enumerate(model) if type(m).__name__ == "Pooling"), None)
        if pooling is None or getattr(model[pooling], "pooling_mode", None) != "mean":
            raise ValueError(f"late chunking needs a mean-pooling model; {self.model_name} is not: "
                             "set late_chunking = false")
        texts = [self.document_text(p) for p in passages]
        order = np.argsort([len(t) for t in texts], kind="stable")
        passage_rows = np.zeros((len(texts), 0), np.float32)
        pooled: list[list[np.ndarray | None]] = [[] for _ in texts]
        own: list[list[np.ndarray | None]] = [[] for _ in texts]
        step = self.embed_batch_size
        for start in tqdm(range(0, len(order), step), desc="embedding", unit="batch", disable=not progress):
            batch = [int(i) for i in order[start:start + step]]
            outputs = _FORWARD.submit(_forward_outputs, model, [texts[i] for i in batch], step).result()
            for i, out in zip(batch, outputs):
                if not passage_rows.shape[1]:
                    passage_rows = np.zeros((len(texts), out["sentence_embedding"].shape[-1]), np.float32)
                passage_rows[i] = out["sentence_embedding"].float().numpy()
                pooled[i], own[i] = _pool_sentences(model, pooling, texts[i], passages[i].text, sentences[i], out)
        missing = [(i, k) for i, rows in enumerate(pooled) for k, row in enumerate(rows) if row is None]
        if missing:
            titled = self.embed_sentences([(passages[i], sentences[i][k]) for i, k in missing])
            alone = self.embed_alone([sentences[i][k] for i, k in missing])
            for (i, k), row, bare in zip(missing, titled, alone):
                pooled[i][k], own[i][k] = row, bare
        dim = passage_rows.shape[1]
        return passage_rows, *([np.asarray(rows, np.float32).reshape(len(rows), dim) for rows in vectors]
                               for vectors in (pooled, own))

    def embed_queries(self, queries: list[str]) -> np.ndarray:
        """Many questions at once, as ``get_query_embedding`` embeds one (fitting, not asking:
        a batch pads, so a vector may differ from the one-by-one one in the last digits)."""
        return self._encode_by_length(queries, prompt="query", progress=False)

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        """Raw texts, no prompt added (what an embeddings server is sent)."""
        return self._encode_by_length(texts, prompt=None, progress=False)

    def count_tokens(self, texts: list[str]) -> int:
        """Tokens the local model's tokenizer makes of the texts (an embeddings server's usage)."""
        return sum(len(ids) for ids in self._st().tokenizer(texts)["input_ids"])

    def _encode_by_length(self, texts: list[str], *, prompt: str | None, progress: bool) -> np.ndarray:
        """One float32 row per text, in order (encoded sorted by length, so each batch pads little)."""
        if not texts:
            return np.zeros((0, 0), np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        vectors = self._encode([texts[i] for i in order], prompt=prompt, progress=progress)
        out = np.empty_like(vectors)
        out[order] = vectors
        return out

    def forget(self) -> None:
        """Empty the question cache (a benchmark timing questions asked for the first time)."""
        self._query_cache.clear()

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
        return self._encode(texts, prompt="document").tolist()


def _forward_outputs(model, texts: list[str], batch_size: int) -> list[dict]:
    """Every output of the model for each text (token embeddings, attention mask, input IDs and
    the finished, normalised text vector)."""
    with torch.inference_mode():
        return model.encode(texts, batch_size=batch_size, output_value=None, normalize_embeddings=True)


def _pool_sentences(model, pooling: int, text: str, body: str, sentences: list[str],
                    out: dict) -> tuple[list[np.ndarray | None], list[np.ndarray | None]]:
    """Two vectors per sentence from one text's token embeddings (None where no token of the
    sentence is in them): the mean over the sentence's tokens and the tokens before the body (the
    title slot), and over the sentence's tokens alone, each through the model's modules after
    pooling."""
    nothing = ([None] * len(sentences), [None] * len(sentences))
    if "attention_mask" not in out or "input_ids" not in out:  # packed inputs: no per-text tokens to pool
        return nothing
    encoded = model.tokenizer(text, return_offsets_mapping=True, truncation=True,
                              max_length=model.max_seq_length)
    kept = out["attention_mask"].bool()
    ids, tokens = out["input_ids"][kept], out["token_embeddings"][kept]
    if ids.tolist() != encoded["input_ids"]:  # not the tokens the model saw: embed alone
        return nothing
    offsets = np.asarray(encoded["offset_mapping"]).reshape(-1, 2)
    body_at = text.rfind(body) if body else len(text)
    head = (offsets[:, 1] <= body_at) & (offsets[:, 1] > 0)  # the title slot's tokens, no specials
    spans, cursor = [], body_at
    for sentence in sentences:
        at = text.find(sentence, cursor)
        if at < 0:
            spans.append(None)
            continue
        cursor = at + len(sentence)
        inside = (offsets[:, 0] < cursor) & (offsets[:, 1] > at) & (offsets[:, 1] > offsets[:, 0])
        spans.append(inside if inside.any() else None)
    kept_spans = [m for m in spans if m is not None]
    if not kept_spans:
        return nothing
    masks = [torch.from_numpy(head | m) for m in kept_spans] + [torch.from_numpy(m) for m in kept_spans]
    means = torch.stack([tokens[m].float().mean(0) for m in masks]).to(tokens.dtype)
    features = {"sentence_embedding": means}
    with torch.inference_mode():
        for module in list(model)[pooling + 1:]:
            features = module(features)
    rows = torch.nn.functional.normalize(features["sentence_embedding"].float(), dim=-1).numpy()
    titled, alone = iter(rows[:len(kept_spans)]), iter(rows[len(kept_spans):])
    return ([next(titled) if m is not None else None for m in spans],
            [next(alone) if m is not None else None for m in spans])


def _title_slot(passage: Passage) -> str:
    return passage.context_header(with_date=False) or "none"


def make_embedding(settings) -> PassageEmbedding:
    """The configured embedding model, resolved to its provisioned folder."""
    from rag.models import resolve_embedding

    return PassageEmbedding(
        model_path=resolve_embedding(settings.embed_model, settings.models_dir),
        model_name=settings.embed_model,
        # a server embeds in its own dtype: nothing to pick (or time) here then
        dtype=settings.embed_dtype if settings.embed_url else resolve_dtype(settings.embed_dtype),
        embed_batch_size=settings.embed_batch_size,
        embed_url=settings.embed_url,
        api_key=settings.embed_api_key,
        url_batch_size=settings.embed_url_batch,
        url_timeout_s=settings.embed_url_timeout_s,
    )
