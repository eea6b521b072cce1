"""The Gradio app: chat with streamed, cited answers; sources; citation lookup; documents; API.

Everything goes through ``RagService`` (the same pipeline as the CLI and the eval). Each
browser session keeps its own chat in ``gr.State``; nothing is shared between users but the
index and the models. Named API endpoints: ``/ask``, ``/cite``, ``/documents`` (JSON, as the
CLI's ``--json``) and ``/chat`` (one turn of a session's conversation).

``rag serve`` puts the page up first: this module imports Gradio and the request types only,
and the pipeline (llama-index, Chroma, torch, the models, the index) loads in the background
once the server listens (``LoadingService``).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import gradio as gr

from index.manifest import Manifest
from rag.chat import turn
from rag.options import AskOptions, CitationNotFound, Filters
from rag.references import reference
from ui import render
from ui.labels import I18N, labels_for

if TYPE_CHECKING:
    from rag.service import RagService

LANG_CHOICES = ["ja", "ru", "en"]


def _filters(docs: list[str] | None, since: str, until: str, langs: list[str] | None) -> Filters:
    return Filters(docs=list(docs or []), since=(since or "").strip(), until=(until or "").strip(),
                   langs=list(langs or []))


def build_app(service: "RagService | LoadingService", settings) -> gr.Blocks:
    documents = Manifest.load(settings.manifest_path).listing()
    doc_choices = [(f"{d.get('title') or d['doc']} ({d['doc']})", d["doc_id"]) for d in documents]

    def chat(message: str, llm_on: bool, k: int, docs, since: str, until: str, langs,
             messages: list, history: list, request: gr.Request):
        labels = labels_for(request)
        message = (message or "").strip()
        if not message:
            yield messages, gr.skip(), messages, history, ""
            return
        options = AskOptions(llm=settings.llm if llm_on else "none", top_k=int(k),
                             filters=_filters(docs, since, until, langs), history=[tuple(h) for h in history])
        messages = messages + [{"role": "user", "content": render.esc(message)},
                               {"role": "assistant", "content": render.esc(labels["searching"])}]
        streamed = ""
        for event in service.ask_stream(message, options):
            if event["type"] == "sources":
                messages[-1]["content"] = render.esc(labels["answering"])
                yield messages, render.retrieved_html(event["passages"], labels), messages, history, ""
            elif event["type"] == "waiting":
                messages[-1]["content"] = render.esc(labels["busy"].format(ahead=event["ahead"]))
                yield messages, gr.skip(), messages, history, ""
            elif event["type"] == "token":
                streamed += event["text"]  # shown as a draft: the checks may drop or replace it
                messages[-1]["content"] = render.draft_html(streamed, labels)
                yield messages, gr.skip(), messages, history, ""
            elif event["type"] == "final":
                result = event["result"]
                messages[-1]["content"] = (render.answer_html(result["answer"], result["citations"])
                                           + render.reading_note(result, labels) + render.status_note(result, labels))
                keep = settings.chat_max_turns  # a session's state stays bounded, however long it chats
                messages, history = messages[-2 * keep:], (history + [list(turn(result))])[-keep:]
                yield messages, render.sources_html(result, labels), messages, history, ""

    def new_chat():
        return [], "", [], []

    def cite_view(passage_id: str, request: gr.Request) -> str:
        labels = labels_for(request)
        passage_id = (passage_id or "").strip()
        if not passage_id:
            return ""
        try:
            data = service.cite(passage_id)
        except CitationNotFound as exc:
            return f'<div class="note abstain">{render.esc(labels["unknown_id"])}: {render.esc(exc.args[0])}</div>'
        doc = service.document(data["doc_id"])
        return (f'<div class="source-ref">{render.esc(labels["reference"])}: '
                f'<code>{render.esc(reference(data))}</code></div>'
                + render.document_html(doc, highlight_id=passage_id))

    def read_document(doc_id: str) -> str:
        if not doc_id:
            return ""
        try:
            return render.document_html(service.document(doc_id))
        except CitationNotFound as exc:
            return f'<div class="note abstain">{render.esc(exc.args[0])}</div>'

    def on_load(request: gr.Request):
        cite = request.query_params.get("cite", "") if request else ""
        if cite:
            return gr.Tabs(selected="cite"), cite, cite_view(cite, request)
        return gr.Tabs(), gr.skip(), gr.skip()

    # JSON endpoints for gradio_client, the same shapes as the CLI's --json
    def ask(question: str, llm: str = "", docs: list[str] | None = None, since: str = "", until: str = "",
            langs: list[str] | None = None) -> dict[str, Any]:
        return service.ask(question, AskOptions(llm=llm or settings.llm, filters=_filters(docs, since, until, langs)))

    def cite(passage_id: str) -> dict[str, Any]:
        try:
            return service.cite(passage_id)
        except CitationNotFound as exc:
            raise gr.Error(exc.args[0]) from exc

    def list_documents() -> list[dict[str, Any]]:
        return service.documents()

    with gr.Blocks(title="rag-chat") as app:
        messages_state = gr.State([])
        history_state = gr.State([])
        with gr.Tabs() as tabs:
            with gr.Tab(I18N("chat"), id="chat"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(label=I18N("chat"), height=520, sanitize_html=True,
                                             elem_id="chatbot")
                        with gr.Row():
                            box = gr.Textbox(show_label=False, placeholder=I18N("ask_placeholder"),
                                             scale=5, elem_id="question")
                            send = gr.Button(I18N("send"), variant="primary", scale=1, elem_id="send")
                        clear = gr.Button(I18N("new_chat"), elem_id="new-chat")
                    with gr.Column(scale=2):
                        sources = gr.HTML(label=I18N("sources"), elem_id="sources")
                with gr.Accordion(I18N("options"), open=False):
                    with gr.Row():
                        llm_on = gr.Checkbox(value=settings.llm != "none", label=I18N("use_llm"))
                        k = gr.Slider(1, 20, value=min(8, settings.top_k), step=1, label=I18N("n_sources"))
                    with gr.Row():
                        doc_filter = gr.Dropdown(choices=doc_choices, multiselect=True, label=I18N("documents"))
                        since = gr.Textbox(label=I18N("since"), placeholder="YYYY-MM-DD")
                        until = gr.Textbox(label=I18N("until"), placeholder="YYYY-MM-DD")
                        lang_filter = gr.Dropdown(choices=LANG_CHOICES, multiselect=True, label=I18N("language"))
            with gr.Tab(I18N("citation"), id="cite"):
                with gr.Row():
                    cite_id = gr.Textbox(label=I18N("passage_id"), placeholder="doc_id#p12", scale=5, elem_id="cite-id")
                    cite_btn = gr.Button(I18N("open"), scale=1, elem_id="cite-open")
                cite_out = gr.HTML(elem_id="cite-view")
            with gr.Tab(I18N("documents"), id="docs"):
                gr.Dataframe(
                    value=[[d["doc"], d.get("title", ""), d.get("date", ""), d.get("lang", ""), d["passages"]]
                           for d in documents],
                    headers=["file", "title", "date", "language", "paragraphs"], interactive=False)
                doc_pick = gr.Dropdown(choices=doc_choices, label=I18N("read_document"), elem_id="doc-pick")
                reader = gr.HTML(elem_id="reader")

        inputs = [box, llm_on, k, doc_filter, since, until, lang_filter, messages_state, history_state]
        outputs = [chatbot, sources, messages_state, history_state, box]
        box.submit(chat, inputs, outputs, api_name="chat")
        send.click(chat, inputs, outputs, api_visibility="private")
        clear.click(new_chat, None, [chatbot, sources, messages_state, history_state], api_name="new_chat")
        cite_btn.click(cite_view, cite_id, cite_out, api_visibility="private")
        cite_id.submit(cite_view, cite_id, cite_out, api_visibility="private")
        doc_pick.change(read_document, doc_pick, reader, api_visibility="private")
        app.load(on_load, None, [tabs, cite_id, cite_out], api_visibility="private")
        gr.api(ask, api_name="ask")
        gr.api(cite, api_name="cite")
        gr.api(list_documents, api_name="documents")
    return app


def launch(service: "RagService | LoadingService", settings, *, host: str, port: int,
           quiet: bool = True) -> gr.Blocks:
    """Start the app's server and return once it listens."""
    app = build_app(service, settings)
    auth = tuple(settings.auth.split(":", 1)) if settings.auth else None
    app.queue(default_concurrency_limit=settings.serve_concurrency)
    app.launch(server_name=host, server_port=port, auth=auth, i18n=I18N, css=render.CSS, js=render.SCROLL_JS,
               prevent_thread_lock=True, show_error=True, quiet=quiet,
               state_session_capacity=settings.serve_max_sessions)
    return app


class LoadingService:
    """Stands for a ``RagService`` that is imported, built and warmed up in a background thread;
    any use of it waits until that is done. If the pipeline cannot even be imported or built,
    every use raises an error saying so (the server log holds the traceback)."""

    def __init__(self, settings) -> None:
        self._settings = settings
        self._service: RagService | None = None
        self._loaded = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._load, name="warm-up", daemon=True).start()

    def _load(self) -> None:
        try:
            from rag.service import RagService

            self._service = RagService(self._settings)
            self._service.warm_up()  # a failure here is met again, and reported, by the first request
        finally:
            self._loaded.set()

    def __getattr__(self, name: str):
        self._loaded.wait()
        if self._service is None:
            raise RuntimeError("the answering pipeline failed to load; see the server log")
        return getattr(self._service, name)


def serve(settings, host: str, port: int) -> None:
    """Serve until interrupted. The page is up as soon as Gradio listens; the pipeline loads
    after that, in the background (a question asked before it is ready waits for it)."""
    service = LoadingService(settings)
    app = launch(service, settings, host=host, port=port, quiet=False)
    service.start()
    app.block_thread()
