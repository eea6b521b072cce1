"""Turning documents into the index: reading, paragraphs, passages, embeddings, storage."""
