"""The Gradio chat app and its API endpoints."""
