"""The format probe's corpora: one half's documents rewritten as HTML, Markdown, DOCX and PDF, still findable."""

from __future__ import annotations

import json

import pytest

import eval.formats as formats
from eval.evalset import load_eval_set
from eval.runner import EvidenceLocator
from eval.splits import select
from index.readers import read_document

DOCS = {
    "a_meeting.txt": "Foreign Ministers' Meeting\n\nMay 1, 2017\n\nThe ministers agreed to meet again in Tokyo.\n",
    "b_visit.txt": "State visit\n\nThe president arrived on 3 June 2019 & left on 5 June.\n",
}


@pytest.fixture()
def fresh(tmp_path, monkeypatch):
    """A fresh-dev of two documents, with a question on each and an unanswerable one."""
    root = tmp_path / "fresh-dev"
    (root / "corpus").mkdir(parents=True)
    for name, text in DOCS.items():
        (root / "corpus" / name).write_text(text, encoding="utf-8")
    rows = [
        {"id": "f1", "lang": "en", "question": "Where will the ministers meet again?", "answers": ["Tokyo"],
         "evidence": [{"doc": "a_meeting.txt", "quote": "meet again in Tokyo"}], "answerable": True},
        {"id": "f2", "lang": "en", "question": "When did the president leave?", "answers": ["5 June"],
         "evidence": [{"doc": "b_visit.txt", "quote": "3 June 2019 & left on 5 June"}], "answerable": True},
        {"id": "f3", "lang": "en", "question": "Who hosted the dinner?", "answers": [], "evidence": [],
         "answerable": False},
    ]
    (root / "eval.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(formats, "FRESH", root)
    return root


def _chromium():
    from pathlib import Path

    return pytest.mark.skipif(not Path(formats.CHROMIUM).exists(), reason="Debian's chromium is not installed "
                              "(make test installs it)")


def _soffice():
    from pathlib import Path

    return pytest.mark.skipif(not Path(formats.SOFFICE).exists(), reason="Debian's libreoffice-writer-nogui is not "
                              "installed (make test installs it)")


def _tesseract():
    import shutil

    return pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed "
                              "(make test installs it)")


@pytest.mark.parametrize("fmt", ["html", "html-div", "html-br", "md", "docx", pytest.param("pdf", marks=[pytest.mark.browser, _chromium()]),
                                 pytest.param("pdf-indent", marks=[pytest.mark.browser, _chromium()]),
                                 pytest.param("pdf-writer", marks=_soffice()),
                                 pytest.param("pdf-scan", marks=[pytest.mark.browser, _chromium(), _tesseract()])])
def test_a_halfs_documents_are_rewritten_in_the_format_and_its_questions_name_them(fresh, tmp_path, fmt):
    corpus, set_path = formats.build(fmt, "all", tmp_path / "out")
    ext = fmt.split("-")[0]
    assert sorted(p.name for p in corpus.iterdir()) == [f"a_meeting.{ext}", f"b_visit.{ext}"]
    items = load_eval_set(set_path)
    assert [i.id for i in items] == ["f1", "f2", "f3"]
    locator = EvidenceLocator(corpus, {})
    for item in items[:2]:
        assert item.evidence[0].doc.endswith(f".{ext}")
        spans, why = locator.locate(item)
        assert spans and not why  # the quote is in the text the reader makes of the new file
    page = read_document(corpus / f"a_meeting.{ext}", corpus)
    # (a one-page PDF's running header and footer cannot be told by repeating: they stay; in
    # Markdown and an older page, nothing marks a copyright line or a links panel's caption as the page's)
    unmarked = {"md": ("Copyright", "Related links"), "html-br": ("Copyright",)}.get(fmt, ())
    for furniture in ("Home", "Copyright", "Press releases", "Top page", "Related links", "Back to the top"):
        assert (furniture in page.text) == (furniture in unmarked), furniture  # the page's, not the document's
    assert (page.title, page.date) == ("Foreign Ministers' Meeting", "2017-05-01")


@_soffice()
def test_a_word_processor_s_pdf_reads_as_written(tmp_path):
    # LibreOffice sets a gap between Asian and Latin text, which pypdf writes as a space ("5 月14 日"),
    # writes a line's runs font by font, out of the line's order ("1 –か月2か月"), and fills a justified
    # line of long words with wide spaces: the reader gets the text as written
    text = ("日・タジキスタン首脳会談\n\n"
            "ラフモノフ大統領は平成13年5月14日より18日まで我が国を実務訪問し、総額25億円規模の支援が表明された。\n\n"
            "梅雨の期間は各地域で1か月–2か月にもなる。\n\nグスタフ・マーラー（1860年7月7日 - 1911年5月18日）\n\n"
            "Между 1402 и 1405 годами экспедиция под руководством норманнского дворянина Жана де Бетанкура "
            "и Гадифера де ла Салья завоевала канарские острова Лансароте, Фуэртевентура и Эль Йерро.\n")
    formats.write_writer_pdfs({tmp_path / "a.pdf": text}, tmp_path)
    assert read_document(tmp_path / "a.pdf", tmp_path).text == text.strip()


def test_only_the_chosen_half_is_rewritten(fresh, tmp_path):
    half = select(load_eval_set(fresh / "eval.jsonl"), "dev")
    corpus, set_path = formats.build("html", "dev", tmp_path / "out")
    converted = {ev.doc for i in half for ev in i.evidence}
    names = sorted(p.name for p in corpus.iterdir())
    assert names == sorted(n.replace(".txt", ".html") if n in converted else n for n in DOCS)
    assert [i.id for i in load_eval_set(set_path)] == [i.id for i in half]


def test_paragraphs_as_written_count_what_the_reader_gets_of_a_converted_text(fresh, tmp_path):
    corpus, _ = formats.build("docx", "all", tmp_path / "out")
    found, total = formats.paragraphs_as_written(corpus, tmp_path / "out" / "docx")
    assert (found, total) == (3, 3)  # a date line and a paragraph; a paragraph (the titles are the documents')
    # a text whose two last paragraphs were read as one
    (corpus / "a_meeting.docx").unlink()
    formats.write_docx("Foreign Ministers' Meeting\n\nMay 1, 2017 The ministers agreed to meet again in Tokyo.\n",
                       corpus / "a_meeting.docx")
    assert formats.paragraphs_as_written(corpus, tmp_path / "out" / "docx") == (1, 3)
