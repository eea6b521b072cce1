"""What a caller asks for: the filters, the options of one question, the error for an unknown ID.

Kept apart from the pipeline so that the UI and the CLI can build requests without importing
llama-index, Chroma or torch (the page is up before they are loaded).
"""

from __future__ import annotations

from dataclasses import dataclass, field


class CitationNotFound(KeyError):
    """No passage has the asked ID."""


@dataclass
class Filters:
    """Restrictions on what may be retrieved; empty means everything."""

    docs: list[str] = field(default_factory=list)  # doc IDs or file names
    since: str = ""  # ISO date, inclusive
    until: str = ""
    langs: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.docs or self.since or self.until or self.langs)


@dataclass
class AskOptions:
    llm: str | None = None  # "local" | "none" | URL; None = the settings' choice
    filters: Filters | None = None
    top_k: int | None = None  # passages returned as sources
    history: list[tuple[str, str]] = field(default_factory=list)  # (question as typed, answer) turns
