"""The chat UI in headless Chromium: ask, stream, sources, citation links, ?cite= URLs, XSS."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import REPO
from tests.ui_server import running_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make test installs it)"),
]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
TREATY = "When did the double taxation treaty between Japan and Turkmenistan enter into force?"


@pytest.fixture(scope="module")
def url(tmp_path_factory, seed_settings):
    with running_app(tmp_path_factory.mktemp("ui-browser"), seed_settings) as address:
        yield address


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    p = context.new_page()
    yield p
    context.close()


def ask(page, url: str, question: str) -> None:
    page.goto(url, wait_until="load")
    page.locator("#question textarea").fill(question)
    page.locator("#send").click()


def test_ask_shows_sources_and_answer_then_citation_opens(page, url, tmp_path):
    ask(page, url, TREATY)
    page.locator("#sources .source").first.wait_for(timeout=120_000)
    answer = page.locator("#chatbot").get_by_text("2025年11月27日", exact=False).last
    answer.wait_for(timeout=120_000)
    page.locator("#sources .source.cited").first.wait_for(timeout=60_000)
    assert "¶" in page.locator("#sources .source.cited .source-ref").first.inner_text()
    # the README's picture is refreshed only when asked (UPDATE_SCREENSHOT=1): a test run leaves the checkout as it was
    shot = REPO / "docs" / "screenshot.png" if os.environ.get("UPDATE_SCREENSHOT") == "1" else tmp_path / "shot.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000

    with page.context.expect_page() as popup_info:
        page.locator("#chatbot a.cite-marker").first.click()
    popup = popup_info.value
    popup.wait_for_load_state("load")
    target = popup.locator("#cite-view .para.target")
    target.wait_for(timeout=60_000)
    assert "2025年11月27日に発効" in target.inner_text()


def test_cite_url_opens_the_paragraph_in_its_document(page, url):
    page.goto(url + "?cite=" + quote("000_6f479204fdb56844#p10", safe=""), wait_until="load")
    target = page.locator("#cite-view .para.target")
    target.wait_for(timeout=60_000)
    assert "2025年11月27日に発効" in target.inner_text()
    assert page.locator("#cite-view .para").count() > 10  # the whole document around it


def test_hostile_document_is_shown_as_text(page, url):
    ask(page, url, "How big was the Zanzibar pineapple harvest? Any images?")
    page.locator("#chatbot").get_by_text("42 tonnes", exact=False).last.wait_for(timeout=120_000)
    page.goto(url + "?cite=" + quote("evil#p1", safe=""), wait_until="load")
    page.locator("#cite-view .para").first.wait_for(timeout=60_000)
    text = page.locator("#cite-view").inner_text()
    assert "<img src=x" in text and "[click](javascript:alert(1))" in text and "<script>" in text
    assert page.evaluate("window.__xss") is None
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator('#cite-view a[href^="javascript"]').count() == 0
