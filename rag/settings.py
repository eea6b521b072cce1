"""The one typed settings object: environment variables (prefix ``RAG_``) over an optional TOML file.

The TOML file is ``rag.toml`` in the working directory, or the path in ``RAG_CONFIG``.
Every tunable of the app lives here; modules receive a ``Settings`` instead of reading constants.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def _default_models_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag-chat" / "models"


class Settings(BaseSettings):
    """All configuration of the app. Field names map to ``RAG_<NAME>`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    # where things live
    corpus_dir: Path = Path("corpus")
    data_dir: Path = Path("data")
    models_dir: Path = Field(default_factory=_default_models_dir)

    # languages the app serves (ISO 639-1): questions, passages and answers are identified among them
    languages: list[str] = ["ja", "ru", "en"]

    # embedding model: a hub ID resolved to a provisioned folder, or a local path
    embed_model: str = "google/embeddinggemma-300m"
    embed_dtype: str = "auto"  # bfloat16 where the CPU has AMX, else float32 (faster there)
    embed_batch_size: int = 16
    # sentence vectors pooled from their passage's own forward pass ("late chunking": ingest about
    # twice as fast, but en→ru retrieval lost 2.8 points of R@1, README "Speed"); off (the
    # default), or with embed_url, each sentence is encoded on its own (index/sentences.py)
    late_chunking: bool = False
    # an OpenAI-compatible embeddings server (base URL ending in /v1: TEI, Infinity, vLLM or
    # `rag embed-server`) serving the same model; unset: the model runs in-process
    embed_url: str | None = None
    embed_api_key: str = "not-needed"
    embed_url_batch: int = 64  # texts per request
    embed_url_timeout_s: float = 120.0
    # ingest commits its work in batches of about this many passages (memory holds one batch;
    # a killed sync loses at most the batch in flight)
    ingest_batch_passages: int = 256
    # what one file may cost before ingest refuses it (index.readers.Limits): its size as stored,
    # a DOCX's members once decompressed (checked before any is),
    max_file_mb: float = 16
    max_unpacked_mb: float = 128
    # reading and splitting one file runs in a child process (index/reader_process.py), stopped
    # past this time (or this time for OCR of one of its pages) or this address space, whatever a
    # parser inflates
    max_parse_s: float = 120
    max_parse_mb: float = 2048
    # a PDF page without text (a scan) is read by OCR with these Tesseract packs ("" reads none)
    ocr_languages: str = "jpn+rus+eng"
    max_ocr_pages: int = 200  # a PDF with more such pages is refused

    # vector store: embedded PersistentClient under data_dir, or a `chroma run` server by URL
    chroma_url: str | None = None
    collection: str = "passages"
    # the HNSW graph of a collection when it is created (fixed for its life): with Chroma's
    # defaults (16 / 100), 8.7 % of 100,000 random vectors were not found by their own vector
    hnsw_max_neighbors: int = Field(default=32, ge=4)
    hnsw_ef_construction: int = Field(default=200, ge=10)

    # language model: "local" (GGUF in-process), "none" (extractive), or an OpenAI-compatible URL
    llm: str = "local"
    llm_model: str = "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF"
    llm_api_key: str = "not-needed"
    llm_context: int = 4096
    llm_threads: int = 2
    llm_max_tokens: int = 320
    llm_temperature: float = 0.0
    # requests sent at once to an OpenAI-compatible server (the local model takes one at a time);
    # more wait in line in the app, and the chat says the model is busy
    llm_server_slots: int = Field(default=4, ge=1)

    # retrieval and answering
    top_k: int = 20
    candidate_pool: int = 50  # candidates taken from each side before fusion
    lexical_weight: float = 0.3  # BM25 bonus (normalised to [0, 1]) added to the dense cosine
    # the bonus is scaled by (share of the query's IDF mass the lexical index knows) ** this power
    lexical_coverage_power: float = 2.0
    sentence_weight: float = 0.5  # times the best sentence's cosine, added too (0 turns it off)
    # evidence selection (rag/evidence.py): sentences of the best evidence_k passages are scored
    evidence_k: int = 5
    answer_threshold: float = 0.32  # the question scorer's probability that the corpus answers; below it, abstain
    # below this probability (and at least answer_threshold) an answer is marked unsure: on the dev
    # sets fewer than half of such answers held the gold answer (README, "Quality")
    sure_threshold: float = 0.6
    quote_ratio: float = 0.9  # further quotes from other passages need this share of the best sentence's probability
    same_passage_ratio: float = 0.3  # ... from the best sentence's own passage (no further citation), this share
    max_quotes: int = 3  # sentences quoted (and given to the LLM) at most
    max_list_items: int = 10  # items of a list quoted with its lead-in (rag.evidence.with_listed_items)

    # chat UI
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str | None = None  # "username:password" turns on login
    # requests the app works on at once; more wait in Gradio's queue, shown with their place (LLM
    # generations also wait in the LLM's own line, and the chat says the model is busy)
    serve_concurrency: int = Field(default=4, ge=1)
    # what the app keeps of each browser session's chat: the last chat_max_turns turns, for at
    # most serve_max_sessions sessions (the least recently used one is forgotten first)
    chat_max_turns: int = Field(default=50, ge=1)
    serve_max_sessions: int = Field(default=1000, ge=1)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("RAG_CONFIG", "rag.toml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def lexical_dir(self) -> Path:
        return self.data_dir / "bm25"

    @property
    def sentences_dir(self) -> Path:
        return self.data_dir / "sentences"

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "manifest.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
