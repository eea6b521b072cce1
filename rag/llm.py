"""Language-model backends behind one llama-index interface (``chat``, ``stream_chat``, ``complete``).

``make_llm(spec, settings)`` picks the backend from a spec string:

- ``"local"``: ``LocalGGUF``, the provisioned GGUF run in-process by llama.cpp (xllamacpp), one
  instance (and one loaded model) per process and configuration;
- ``"none"``: no LLM at all (the app answers extractively);
- ``"http://…"`` / ``"https://…"``: the API base (``…/v1``) of any OpenAI-compatible server
  (vLLM, llama.cpp server, Ollama), through llama-index's ``OpenAILike``.

``LocalGGUF`` drives llama.cpp's own server engine through its OpenAI chat-completions API, so
the chat template (Qwen ChatML) comes from the GGUF, requests from several threads queue on one
slot, and the prompt cache reuses the KV state of the longest prefix shared with an earlier
prompt: the fixed per-language system prompt always, the whole sources block when a follow-up
is asked over the same passages (earlier prompts are kept in RAM, so languages can alternate).
Engine choices, measured on 2 cores with ``bench/llm_speed.py``: flash attention on (about 20 %
faster prompt processing than off), F16 KV cache (q8_0 was 30 % slower), no n-gram speculative
decoding (it slowed generation from 25 to 17 tokens/s), default batch sizes (256…2048 made no
difference), mmap without mlock (no difference in load time).

Keyword arguments of a call are request options of the OpenAI API and override the defaults for
that call only, on both backends: ``llm.stream_chat(messages, max_tokens=64, stop=["\\n\\n"])``.
"""

from __future__ import annotations

import gc
import queue
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import xllamacpp as xlc
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.llms import (
    LLM,
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    CustomLLM,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback

from rag.models import ProvisionError, resolve_gguf

# seconds an OpenAI-compatible server may stay silent: a CPU server needs ~20 s for a long
# prompt, more when requests queue
HTTP_TIMEOUT_S = 180.0


class LLMError(RuntimeError):
    """The language model could not be loaded or could not answer; the message says why."""


def engine_params(model_path: Path, context: int, threads: int) -> xlc.CommonParams:
    """llama.cpp server parameters for a GGUF on CPU; the same for in-process use and HTTP serving."""
    params = xlc.CommonParams()
    params.model.path = str(model_path)
    params.n_ctx = context
    params.fit_params = False  # take n_ctx as given instead of fitting it to device memory
    params.n_parallel = 1  # one slot owns the whole context; concurrent requests queue
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.flash_attn_type = xlc.llama_flash_attn_type.LLAMA_FLASH_ATTN_TYPE_ENABLED
    # no repacked weight copies: prompts are faster and the logits no longer depend on how many
    # tokens one batch holds, so a prompt served from the cache gives the same greedy answer
    params.no_extra_bufts = True
    params.cache_prompt = True
    params.verbosity = 1  # errors only
    return params


def _load_engine(model_path: Path, context: int, threads: int) -> xlc.Server:
    params = engine_params(model_path, context, threads)
    # the engine also listens on a random port of 127.0.0.1: a key nobody knows keeps it private
    params.api_keys = [secrets.token_urlsafe(24)]
    try:
        return xlc.Server(params)
    except (RuntimeError, ValueError) as exc:
        raise LLMError(f"cannot load the GGUF model {model_path}: llama.cpp logged why above; a "
                       "damaged provisioned model is replaced by deleting its folder and running "
                       "`rag models fetch`") from exc


def _openai_messages(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    return [{"role": m.role.value, "content": m.content or ""} for m in messages]


def _choice_text(response: dict[str, Any]) -> str:
    """The text of a response or stream chunk, from chat and plain completions alike."""
    choices = response.get("choices") or [{}]
    choice = choices[0]
    if "text" in choice:
        return choice["text"] or ""
    return (choice.get("message") or choice.get("delta") or {}).get("content") or ""


def _check(response: dict[str, Any]) -> dict[str, Any]:
    if "error" in response:
        error = response["error"]
        raise LLMError(f"the local LLM failed: {error.get('message', error)}")
    return response


class LocalGGUF(CustomLLM):
    """A GGUF chat model run in-process by llama.cpp; the model loads on first use (or ``load()``)."""

    model_path: Path
    model_name: str = ""
    context_window: int = 4096
    threads: int = 2
    max_tokens: int = 320
    temperature: float = 0.0  # 0 = greedy: the same prompt gives the same answer

    _engine: xlc.Server | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def class_name(cls) -> str:
        return "LocalGGUF"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=self.context_window, num_output=self.max_tokens,
                           is_chat_model=True, model_name=self.model_name or self.model_path.name)

    def load(self) -> None:
        """Load the model now rather than on the first request."""
        self._server()

    def _server(self) -> xlc.Server:
        with self._lock:
            if self._engine is None:
                self._engine = _load_engine(self.model_path, self.context_window, self.threads)
            return self._engine

    def _handler(self, chat: bool) -> Callable[..., Any]:
        server = self._server()
        return server.handle_chat_completions if chat else server.handle_completions

    def _body(self, request: dict[str, Any], options: dict[str, Any], stream: bool) -> dict[str, Any]:
        return {"max_tokens": self.max_tokens, "temperature": self.temperature,
                **request, **options, "stream": stream}

    def _call(self, chat: bool, request: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        handler = self._handler(chat)
        try:
            return _check(handler(self._body(request, options, stream=False)))
        except ValueError as exc:
            raise LLMError(f"the local LLM rejected the request: {exc}") from exc

    def _stream(self, chat: bool, request: dict[str, Any],
                options: dict[str, Any]) -> Iterator[tuple[str, dict]]:
        """(text delta, raw chunk) as the engine generates; the last chunk carries ``timings``.

        The engine calls back on a worker thread; a queue hands chunks to this generator, and
        closing the generator early stops generation at the next token.
        """
        handler = self._handler(chat)
        body = self._body(request, options, stream=True)
        chunks: queue.SimpleQueue[dict | Exception | None] = queue.SimpleQueue()
        stop = threading.Event()

        def on_chunk(chunk: dict) -> bool:
            chunks.put(chunk)
            return stop.is_set()

        def produce() -> None:
            try:
                handler(body, on_chunk)
            except Exception as exc:  # handed to the consumer, raised there
                chunks.put(exc)
            chunks.put(None)

        threading.Thread(target=produce, name="llm-stream", daemon=True).start()
        try:
            while (item := chunks.get()) is not None:
                if isinstance(item, Exception):
                    raise LLMError(f"the local LLM rejected the request: {item}") from item
                delta = _choice_text(_check(item))
                if delta or "timings" in item:
                    yield delta, item
        finally:
            stop.set()

    @staticmethod
    def _prompt_request(prompt: str, formatted: bool) -> tuple[bool, dict[str, Any]]:
        """A plain prompt goes through the chat template as a user turn; a formatted one as is."""
        if formatted:
            return False, {"prompt": prompt}
        return True, {"messages": [{"role": "user", "content": prompt}]}

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        raw = self._call(True, {"messages": _openai_messages(messages)}, kwargs)
        message = ChatMessage(role=MessageRole.ASSISTANT, content=_choice_text(raw))
        return ChatResponse(message=message, raw=raw)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        request = {"messages": _openai_messages(messages)}

        def gen() -> ChatResponseGen:
            text = ""
            for delta, raw in self._stream(True, request, kwargs):
                text += delta
                yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text),
                                   delta=delta, raw=raw)

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        raw = self._call(*self._prompt_request(prompt, formatted), kwargs)
        return CompletionResponse(text=_choice_text(raw), raw=raw)

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        chat, request = self._prompt_request(prompt, formatted)

        def gen() -> CompletionResponseGen:
            text = ""
            for delta, raw in self._stream(chat, request, kwargs):
                text += delta
                yield CompletionResponse(text=text, delta=delta, raw=raw)

        return gen()


def openai_compatible(url: str, settings) -> LLM:
    """A client of the OpenAI-compatible server whose API base is ``url`` (e.g. ``http://host:8080/v1``)."""
    from llama_index.llms.openai_like import OpenAILike

    return OpenAILike(
        model=settings.llm_model, api_base=url, api_key=settings.llm_api_key, is_chat_model=True,
        context_window=settings.llm_context, max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature, timeout=HTTP_TIMEOUT_S, max_retries=1,
    )


def local_gguf(settings) -> LocalGGUF:
    """The settings' provisioned GGUF model; raises ``LLMError`` when it is not provisioned."""
    try:
        path = resolve_gguf(settings.llm_model, settings.models_dir)
    except ProvisionError as exc:
        raise LLMError(str(exc)) from exc
    return LocalGGUF(model_path=path, model_name=settings.llm_model, context_window=settings.llm_context,
                     threads=settings.llm_threads, max_tokens=settings.llm_max_tokens,
                     temperature=settings.llm_temperature)


def stop_stream(stream: Iterator) -> None:
    """End a generation left before its end (``stream_chat``'s stream): the local engine stops at
    its next token. An OpenAI client's stream keeps its HTTP response in a reference cycle, which
    only the cycle collector frees: collected now, the connection closes and the server stops
    generating too, instead of writing to the token limit for nobody."""
    stream.close()
    gc.collect()


_instances: dict[tuple, LLM] = {}
_instances_lock = threading.Lock()


def make_llm(spec: str, settings) -> LLM | None:
    """The LLM named by ``spec`` ("local", "none" or a URL), one instance per process and settings."""
    if spec == "none":
        return None
    if spec == "local":
        build: Callable[[], LLM] = partial(local_gguf, settings)
    elif spec.startswith(("http://", "https://")):
        build = partial(openai_compatible, spec, settings)
    else:
        raise ValueError(f"unknown LLM {spec!r}: use 'local' (the provisioned GGUF, in-process), 'none' "
                         "(extractive answers, no LLM) or the URL of an OpenAI-compatible server "
                         "such as http://127.0.0.1:8080/v1")
    key = (spec, settings.llm_model, settings.models_dir, settings.llm_api_key, settings.llm_context,
           settings.llm_threads, settings.llm_max_tokens, settings.llm_temperature)
    with _instances_lock:
        if key not in _instances:
            _instances[key] = build()
        return _instances[key]
