"""The running app driven through its named API endpoints with gradio_client."""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
from gradio_client import Client

from tests.ui_server import running_app

TREATY = "When did the double taxation treaty between Japan and Turkmenistan enter into force?"


@pytest.fixture(scope="module")
def url(tmp_path_factory, seed_settings):
    with running_app(tmp_path_factory.mktemp("ui"), seed_settings) as address:
        yield address


def client(url) -> Client:
    return Client(url, verbose=False)


def test_ask_returns_the_cli_json(url):
    result = client(url).predict(TREATY, "none", api_name="/ask")
    assert "2025年11月27日" in result["answer"] and not result["abstained"]
    assert result["citations"] and {"n", "id", "doc", "title", "date", "start", "end", "text"} <= set(result["citations"][0])


def test_cite_and_unknown_id(url):
    c = client(url)
    pid = c.predict(TREATY, "none", api_name="/ask")["citations"][0]["id"]
    data = c.predict(pid, api_name="/cite")
    assert "2025年11月27日に発効" in data["text"] and data["document"]["title"]
    with pytest.raises(Exception, match="no passage"):
        c.predict("nope#p1", api_name="/cite")


def test_documents_lists_the_index(url):
    docs = client(url).predict(api_name="/documents")
    assert {d["doc"] for d in docs} == {"000_6f479204fdb56844.txt", "003_223ee8f423a3e31d.txt", "evil.txt"}
    assert all(d["passages"] > 0 for d in docs)


def _texts(messages) -> list[str]:
    out = []
    for m in messages:
        content = m["content"]
        out.append(content if isinstance(content, str) else " ".join(p.get("text", "") for p in content))
    return out


def test_answers_and_documents_are_escaped_in_the_chat(url):
    messages, sources, *_ = client(url).predict("How big was the Zanzibar pineapple harvest? Any images?",
                                                False, 5, [], "", "", [], api_name="/chat")
    answer = _texts(messages)[-1]
    # the injected "answer without citations" is ignored: the quote carries its marker link
    assert "42 tonnes" in answer and 'class="cite-marker" href="?cite=evil%23p' in answer
    assert "onerror" in sources  # the hostile paragraph is shown…
    assert "<img" not in sources and "<script" not in sources  # …as text
    assert "&lt;img src=x onerror=" in sources
    assert "](javascript:" not in sources and "](javascript:" not in answer  # markdown links neutralised


def test_a_follow_up_is_read_with_the_question_typed_before_it(url):
    c = client(url)  # one session: its history carries the turns
    for question in ("Tell me about the double taxation treaty between Japan and Turkmenistan.",
                     "When did it enter into force?"):
        messages, *_ = c.predict(question, False, 5, [], "", "", [], api_name="/chat")
    answer = _texts(messages)[-1]
    assert "2025年11月27日" in answer  # the follow-up asks about the treaty
    # and the chat says how it read the question
    assert "Read together with the previous question: «When did it enter into force? Tell me about" in answer
    messages, *_ = c.predict("What is it meant to promote?", False, 5, [], "", "", [], api_name="/chat")
    answer = _texts(messages)[-1]
    # the third is read with the second as typed, not with the chain the second was read as
    assert "«What is it meant to promote? When did it enter into force?»" in answer, answer


@contextmanager
def _served(settings):
    """The app over ``settings`` on a free port, for a test that needs its own settings: its URL."""
    from rag.service import RagService
    from bench.processes import free_port
    from ui.app import launch

    port = free_port()
    app = launch(RagService(settings), settings, host="127.0.0.1", port=port)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


@pytest.mark.llm
def test_the_chat_says_the_model_is_busy_while_a_question_waits_for_it(seed_settings):
    """Another request holds the local model: the chat shows the wait, then the cited answer."""
    from rag.llm_queue import llm_queue
    from ui.labels import busy_note_start

    settings = seed_settings.model_copy(update={"llm": "local"})
    busy = busy_note_start()
    with _served(settings) as address:
        with llm_queue("local", settings).place() as other:
            assert list(other.waiting()) == []  # this test holds the model's one slot
            job = Client(address, verbose=False).submit(TREATY, True, 5, [], "", "", [], api_name="/chat")
            deadline = time.monotonic() + 120
            shown: list[str] = []
            while time.monotonic() < deadline and not any(busy in t for t in shown):
                shown = [_texts(out[0])[-1] for out in job.outputs() if out[0]]
                time.sleep(0.2)
            assert any(busy in t and "1" in t for t in shown), shown
            assert not job.done()  # still waiting for the slot
        messages, *_ = job.result(timeout=300)
    answer = _texts(messages)[-1]
    assert busy not in answer and "2025" in answer and 'class="cite-marker"' in answer


@pytest.mark.llm
def test_the_chat_marks_the_streaming_text_as_a_draft_until_the_checked_answer_replaces_it(seed_settings):
    """The local model's text shows as it streams, under a note that it is not yet checked; the
    final message is the checked, cited answer without that note."""
    from ui.labels import TEXTS
    from ui.render import esc

    labels = TEXTS["en"]
    draft = f'<div class="note draft">{esc(labels["draft"])}</div>'
    with _served(seed_settings.model_copy(update={"llm": "local"})) as address:
        job = Client(address, verbose=False).submit(TREATY, True, 5, [], "", "", [], api_name="/chat")
        messages, *_ = job.result(timeout=300)
        shown = [_texts(out[0])[-1] for out in job.outputs() if out[0]]
    streamed = [t for t in shown[:-1] if t not in (esc(labels["searching"]), esc(labels["answering"]))]
    assert streamed and all(t.startswith(draft) for t in streamed)  # every piece of the model's text
    answer = _texts(messages)[-1]
    assert draft not in answer and "2025" in answer and 'class="cite-marker"' in answer


def test_a_session_keeps_only_its_last_turns(seed_settings):
    with _served(seed_settings.model_copy(update={"chat_max_turns": 2})) as address:
        c = Client(address, verbose=False)
        questions = [TREATY, "Когда был подписан договор?", "What did the two sides agree on?"]
        for q in questions:
            messages, *_ = c.predict(q, False, 5, [], "", "", [], api_name="/chat")
    users = _texts(messages)[0::2]
    assert len(messages) == 4 and questions[0] not in users[0] and "договор" in users[0]


def test_the_chat_notes_an_unsure_generated_answer_but_not_a_quoted_one():
    from ui.labels import TEXTS
    from ui.render import status_note

    labels = TEXTS["en"]
    assert labels["unsure"] in status_note({"mode": "llm", "unsure": True, "checks": {}}, labels)
    assert status_note({"mode": "llm", "unsure": False, "checks": {}}, labels) == ""
    # a quoted answer's lead-in already says so; an abstention says only that it abstained
    assert status_note({"mode": "extractive", "unsure": True, "checks": {}}, labels) == ""
    assert labels["unsure"] not in status_note({"mode": "abstain", "abstained": True, "checks": {}}, labels)


@pytest.mark.parametrize("lang", ["en", "ja", "ru"])
def test_a_source_filed_twice_names_its_copy_as_a_link_escaped(lang):
    from ui.labels import TEXTS
    from ui.render import sources_html

    copy_id = 'evil"><script>x</script>#p2'
    passage = {"id": "forum#p2", "doc": "forum.txt", "title": "Forum", "date": "2025-03-03", "n": 1,
               "text": "The ministers met in Bergen.", "copies": [{"id": copy_id, "doc": "evil.txt", "n": 2}]}
    html = sources_html({"citations": [passage], "passages": [passage], "answer": "«The ministers» [1]"}, TEXTS[lang])
    assert f'{TEXTS[lang]["copies"]}: <a href="?cite=evil%22%3E%3Cscript%3Ex%3C%2Fscript%3E%23p2"' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "copies" not in sources_html({"passages": [{**passage, "copies": []}]}, TEXTS[lang])


def test_the_document_view_shows_each_section_heading_once_escaped():
    from ui.labels import TEXTS
    from ui.render import document_html, esc, sources_html

    passages = [{"id": "talks#p0", "text": "Talks", "section": ""},
                {"id": "talks#p1", "text": "The ministers met.", "section": "(1)二国間関係"},
                {"id": "talks#p2.1", "text": "They agreed.", "section": "(1)二国間関係"},
                {"id": "talks#p3", "text": "They will meet again.", "section": "(2) <b>Next</b>"}]
    html = document_html({"doc_id": "talks", "title": "Talks", "passages": passages}, highlight_id="talks#p2.1")
    assert html.count('class="section-head"') == 2 and "<b>Next</b>" not in html
    heading = esc("(1)二国間関係")  # parentheses too are escaped (Markdown)
    assert html.index(heading) < html.index("The ministers met.") < html.index("&lt;b&gt;Next")
    card = sources_html({"passages": [{**passages[1], "doc": "talks.txt", "date": "2017-03-29"}]}, TEXTS["en"])
    assert f"2017-03-29 · {heading}" in card
