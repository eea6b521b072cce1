"""Question answering over the indexed corpus: retrieval, answering, citations, chat, CLI."""
