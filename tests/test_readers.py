"""Readers on the seed corpus and on small files of every supported format and encoding."""

from __future__ import annotations

import difflib
import hashlib
import io
import re
import shutil
import zipfile
import zlib
from pathlib import Path

import docx
import pytest

from eval.formats import scan_of as scanned
from index.document import date_number
from index.paragraphs import split_paragraphs
from index.dates import parse_date, parse_month
from index.readers import SUPPORTED_EXTENSIONS, Limits, ReaderError, first_sentence, read_document

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
JA = CORPUS / "000_6f479204fdb56844.txt"
RU = CORPUS / "003_223ee8f423a3e31d.txt"


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def body(doc) -> str:
    return doc.text[doc.body_start:doc.body_end]


# --- the seed corpus ---------------------------------------------------------------------------

def test_database_header_fields_become_metadata():
    doc = read_document(JA, CORPUS)
    assert doc.title.startswith("高市早苗日本国総理大臣") and doc.title.endswith("共同プレスリリース")
    assert (doc.date, doc.place, doc.source, doc.note, doc.lang) == ("2025-12-20", "東京", "外務省", "仮訳", "ja")
    assert body(doc).lstrip().startswith("2025年12月20日、")
    assert "[全文]" not in body(doc) and "データベース" not in body(doc)
    assert doc.text == JA.read_text(encoding="utf-8")
    assert doc.sha256 == hashlib.sha256(JA.read_bytes()).hexdigest()
    assert (doc.doc_id, doc.doc) == ("000_6f479204fdb56844", "000_6f479204fdb56844.txt")


def test_dated_news_text_has_date_source_and_derived_title():
    doc = read_document(RU, CORPUS)
    assert (doc.date, doc.source, doc.lang) == ("2025-09-17", "nCa", "ru")
    assert body(doc).startswith("16 сентября 2025 года в Токио")
    assert body(doc).rstrip().endswith("глобальных климатических целей.")
    assert "///" not in body(doc)
    assert doc.title.startswith("16 сентября 2025 года в Токио") and doc.title.endswith("…")
    assert len(doc.title) <= 91 and not doc.title[:-1].endswith(" ")


def test_header_fields_may_be_missing(tmp_path):
    path = write(tmp_path, "c/a.txt", "前文\n\n[文書名] 会談の成果\n[出典] 外務省\n[全文]\n本文です。\n")
    doc = read_document(path, tmp_path / "c")
    assert (doc.title, doc.source, doc.date, doc.place) == ("会談の成果", "外務省", "", "")
    assert body(doc).strip() == "本文です。"


def test_trailing_source_line_gives_date_when_no_leading_date(tmp_path):
    path = write(tmp_path, "n.txt", "Talks were held in Tokyo. Both sides agreed. ///Agency X, September 3, 2024")
    doc = read_document(path, tmp_path)
    assert (doc.source, doc.date) == ("Agency X", "2024-09-03")
    assert body(doc).strip() == "Talks were held in Tokyo. Both sides agreed."
    assert doc.title == "Talks were held in Tokyo."


# --- plain text --------------------------------------------------------------------------------

def test_short_first_line_followed_by_blank_line_is_the_title(tmp_path):
    path = write(tmp_path, "sub/report.txt", "Annual report\n\nFirst paragraph.\n\nSecond one.\n")
    doc = read_document(path, tmp_path)
    assert (doc.doc_id, doc.doc) == ("sub/report", "sub/report.txt")
    assert doc.title == "Annual report"
    assert body(doc).strip().startswith("First paragraph.")
    assert doc.lang == "en"


@pytest.mark.parametrize("first_line, date", [
    ("May 27, 2024", "2024-05-27"),
    ("平成27年11月2日", "2015-11-02"),
    ("平成13年5月", "2001-05"),  # a month of a year: dated by the month
    ("May 2001", "2001-05"),
    ("Seoul, May 27, 2024", "2024-05-27"),  # more than a date: the title line, whose date dates it
])
def test_a_first_line_that_is_only_a_date_dates_the_document(tmp_path, first_line, date):
    path = write(tmp_path, "d.txt", f"{first_line}\n\nThe summit was held in Seoul. It lasted an hour.\n\nMore.\n")
    doc = read_document(path, tmp_path)
    assert (doc.date, doc.title) == (date, first_line)
    assert body(doc).strip().startswith("The summit was held")


@pytest.mark.parametrize("name, text, title, date", [
    ("a.txt", "Japan-Kazakhstan Meeting\n\nMay 1, 2017\n\nOn May 1 the ministers met.\n", "Japan-Kazakhstan Meeting",
     "2017-05-01"),
    ("b.md", "# 日・キルギス首脳会談\n\n令和5年11月20日\n\n11月20日、首脳会談を行いました。\n", "日・キルギス首脳会談",
     "2023-11-20"),
    ("c.md", "# Выступление министра, Улан-Батор, 5 июля 2022 года\n\nУважаемые дамы и господа!\n",
     "Выступление министра, Улан-Батор, 5 июля 2022 года", "2022-07-05"),  # no dateline: the title's date
    ("d.md", "# Talks of 3 May 2001\n\nJune 9, 2024\n\nText.\n", "Talks of 3 May 2001", "2024-06-09"),
    ("e.txt", "Japan-Mongolia Summit\n\nSeoul, June 9, 2000\n\nText.\n", "Japan-Mongolia Summit", "2000-06-09"),
    ("f.txt", "Заявление МИД\n\nМосква, 14 марта 2024 года\n\nТекст.\n", "Заявление МИД", "2024-03-14"),
    ("g.txt", "Саммит ШОС\n\n9 июня 2017 года, Астана\n\nТекст.\n", "Саммит ШОС", "2017-06-09"),
    ("h.txt", "Talks\n\n2 October 2024, 14:00, Ashgabat\n\nText.\n", "Talks", "2024-10-02"),
    ("i.txt", "Talks\n\nWashington, D.C., March 3, 2021\n\nText.\n", "Talks", "2021-03-03"),
    # no dateline: words run into the date, or more than a place beside it; nothing dates these
    ("j.txt", "Talks\n\nThe talks were held on 3 March 2021\n\nText.\n", "Talks", ""),
    ("k.txt", "Talks\n\nUpdated: 3 March 2021\n\nText.\n", "Talks", ""),
    ("l.txt", "Talks\n\nTokyo, 5 May 2023, talks on energy and trade\n\nText.\n", "Talks", ""),
])
def test_a_dateline_under_the_title_or_the_titles_own_date_dates_the_document(tmp_path, name, text, title, date):
    doc = read_document(write(tmp_path, name, text), tmp_path)
    assert (doc.title, doc.date) == (title, date)
    assert body(doc).strip() == text.split("\n", 1)[1].strip()  # the dateline stays in the text


def test_without_title_line_the_first_sentence_is_the_title(tmp_path):
    path = write(tmp_path, "t.txt", "This text starts right away. It has no title.\n\nMore text here.\n")
    doc = read_document(path, tmp_path)
    assert doc.title == "This text starts right away."
    assert doc.body_start == 0


def test_bench_article_title(tmp_path):
    bench = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "corpus" / "jsquad-valid"
    if not bench.is_dir():
        pytest.skip("shared bench corpus absent")
    path = sorted(bench.glob("*.txt"))[0]
    doc = read_document(path, bench)
    assert doc.title == path.read_text(encoding="utf-8").splitlines()[0]
    assert doc.lang == "ja" and doc.body_start == len(doc.title) + 1


def test_cp1251_is_decoded(tmp_path):
    text = "Заголовок\n\nМинистр энергетики Кыргызстана принял участие во встрече.\n\nВторой абзац о сотрудничестве.\n"
    doc = read_document(write(tmp_path, "ru.txt", text, "cp1251"), tmp_path)
    assert doc.text == text and doc.lang == "ru" and doc.title == "Заголовок"


def test_shift_jis_is_decoded(tmp_path):
    text = "題名\n\n双方は、二国間投資協定の早期締結に向け、交渉を促進させることについて一致した。\n\n日本語の文章です。\n"
    doc = read_document(write(tmp_path, "ja.txt", text, "shift_jis"), tmp_path)
    assert doc.text == text and doc.lang == "ja" and doc.title == "題名"


def test_bom_is_dropped_and_newlines_normalised(tmp_path):
    path = write(tmp_path, "w.txt", b"\xef\xbb\xbfTitle\r\n\r\nLine one\r\nline two.\rEnd.\r\n")
    doc = read_document(path, tmp_path)
    assert doc.text == "Title\n\nLine one\nline two.\nEnd.\n"
    assert doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


# --- Markdown, HTML, DOCX, PDF ------------------------------------------------------------------

def test_markdown_title_and_front_matter(tmp_path):
    path = write(tmp_path, "m.md", "---\ndate: 2024-05-06\nsource: Lab notes\n---\n# Notes on tests\n\n"
                                   "## Setup\n\nWe prepared things.\n")
    doc = read_document(path, tmp_path)
    assert (doc.title, doc.date, doc.source) == ("Notes on tests", "2024-05-06", "Lab notes")
    assert body(doc).strip().startswith("## Setup")


def test_markdown_is_read_as_text_without_its_markup_or_a_saved_pages_links(tmp_path):
    path = write(tmp_path, "saved.md", "[Ministry](/)\n\n* [Press](/press)\n* [Policy](/policy)\n\n"
                 "[Top](/) > [Press](/press)\n\n# Talks in *Tokyo*\n\nThe ministers met on **5 May** "
                 "([details](https://example.org/a)).\nThey agreed:\n\n- on trade,\n- on visas.\n\n"
                 "3. third point\n4. fourth point\n\n| Agreement | Signed |\n|---|---|\n| Tax treaty | 1 May |\n\n"
                 "```\ncode line\n```\n\n![map](map.png)\n")
    doc = read_document(path, tmp_path)
    assert doc.title == "Talks in Tokyo"
    assert doc.text == ("# Talks in Tokyo\n\nThe ministers met on 5 May (details).\nThey agreed:\n\n• on trade,\n\n"
                        "• on visas.\n\n3. third point\n\n4. fourth point\n\nAgreement | Signed\n\n"
                        "Tax treaty | 1 May\n\ncode line")


def test_markdown_nested_deeper_than_the_parser_goes_is_kept_whole_as_plain_text(tmp_path):
    for name, deep in (("q.md", "> " * 150 + "quoted"), ("l.md", "- " * 150 + "listed"), ("e.md", "*" * 5000 + "x" + "*" * 5000)):
        source = f"Intro.\n\n{deep}\n\nAfter."
        assert read_document(write(tmp_path, name, source), tmp_path).text == source  # nothing dropped
    assert read_document(write(tmp_path, "n.md", "Intro.\n\n" + "> " * 40 + "quoted\n"), tmp_path).text == "Intro.\n\nquoted"


def test_html_paragraphs_parted_only_by_a_blank_line_of_br_are_paragraphs(tmp_path):
    path = write(tmp_path, "old.html", "<html><body><table><tr><td>First paragraph.<br><br>Second one,<br>over two "
                 "lines.<br> <br>\nThird.</td></tr></table><h2>A<br><br>heading</h2></body></html>")
    doc = read_document(path, tmp_path)
    assert doc.text == "First paragraph.\n\nSecond one,\nover two lines.\n\nThird.\n\n## A heading"


def test_html_preformatted_text_keeps_its_lines_and_paragraphs(tmp_path):
    path = write(tmp_path, "pre.html", "<html><body><p>Intro  text\nwraps.</p><pre>First line\r\ngoes <b>on</b>."
                 "\r\n\r\nSecond paragraph.\n</pre></body></html>")
    assert read_document(path, tmp_path).text == "Intro text wraps.\n\nFirst line\ngoes on.\n\nSecond paragraph."


def test_html_lists_keep_their_markers_and_a_data_rows_cells_are_one_line(tmp_path):
    path = write(tmp_path, "l.html", "<html><body><p>Items:</p><ul><li><p>first</p></li><li>second</li></ul>"
                 "<ol start='7'><li>seventh</li><li>eighth</li></ol><table><tr><th>Year</th><th>Event</th></tr>"
                 "<tr><td>2001</td><td>Visit</td></tr></table><table><tr><td><p>Layout cell.</p><p>Its second "
                 "paragraph.</p></td></tr></table></body></html>")
    assert read_document(path, tmp_path).text == (
        "Items:\n\n• first\n\n• second\n\n7. seventh\n\n8. eighth\n\nYear | Event\n\n2001 | Visit\n\n"
        "Layout cell.\n\nIts second paragraph.")


def test_html_text_title_headings_and_no_script(tmp_path):
    html = """<!doctype html><html><head><title>Page title</title>
    <meta property="article:published_time" content="2024-03-05T10:00:00Z">
    <meta property="og:site_name" content="Example News">
    <style>p { color: red }</style><script>var secret = "do not index";</script></head>
    <body><h1>Main heading</h1><p>First <b>bold</b> paragraph
    over two lines.</p><script>alert("also hidden")</script>
    <h2>Details</h2><ul><li>Item one</li><li>Item two</li></ul>
    <div>Loose text<p>Nested paragraph.</p></div><!-- a comment --></body></html>"""
    doc = read_document(write(tmp_path, "p.html", html), tmp_path)
    # the page's <h1> is the document's title; <title> is the tab's label (a site name, cut short)
    assert (doc.title, doc.date, doc.source) == ("Main heading", "2024-03-05", "Example News")
    assert read_document(write(tmp_path, "t.html", html.replace("<h1>Main heading</h1>", "")), tmp_path).title == "Page title"
    assert "secret" not in doc.text and "alert" not in doc.text and "color" not in doc.text
    assert "comment" not in doc.text
    assert doc.text == ("# Main heading\n\nFirst bold paragraph over two lines.\n\n## Details\n\n"
                        "• Item one\n\n• Item two\n\nLoose text\n\nNested paragraph.")
    assert body(doc).strip().startswith("First bold paragraph")


def test_html_page_furniture_is_dropped_and_a_first_line_its_title_holds_is_the_title_line(tmp_path):
    html = """<html><head><title>Foreign Ministers' Meeting | Ministry of Foreign Affairs</title></head><body>
    <header>Ministry<div class="menu"><a href="/">Home</a> <a href="/press">Press</a> <a href="/about">About us</a></div></header>
    <nav><a href="/">Home</a> | <a href="/press">Press releases</a></nav>
    <div role="navigation">Breadcrumbs: Home &gt; Press</div>
    <main><p>Foreign Ministers' Meeting</p><p>May 1, 2017</p>
    <p>On May 1 the ministers met.</p>
    <article><p>The talks went well.</p><footer>///Ministry press service, 2 May 2017</footer></article></main>
    <aside>Related: other meetings</aside><div role="search">Search</div>
    <footer>Copyright Ministry. All rights reserved.</footer></body></html>"""
    doc = read_document(write(tmp_path, "m.html", html), tmp_path)
    for furniture in ("Home", "Breadcrumbs", "Related", "Search", "Copyright", "About us"):
        assert furniture not in doc.text, furniture  # the header's menu: links, nothing else
    assert doc.text.startswith("Ministry\n\nForeign Ministers' Meeting\n\nMay 1, 2017")  # a header's text is kept
    assert "///Ministry press service" in doc.text and doc.source == "Ministry press service"  # the article's own
    # the first line is the site's name, not the title: no title line, so no dateline under it
    assert doc.date == "2017-05-02"  # ... the source line dates it
    plain = html.replace("<header>Ministry<", "<header><").replace("///Ministry press service, 2 May 2017", "")
    doc = read_document(write(tmp_path, "n.html", plain), tmp_path)
    assert doc.title == "Foreign Ministers' Meeting"  # the line, without the site's name <title> adds
    assert doc.date == "2017-05-01" and body(doc).lstrip().startswith("May 1, 2017")


def test_a_page_titled_by_its_h2_has_it_as_title_and_the_dateline_under_it_dates_it(tmp_path):
    html = ("<html><head><title>Statement</title></head><body><div class='content'>"
            "<h2>Joint Statement on Cultural Exchange</h2><p>Tokyo, 1 April 2024<br>"
            "The governments of Japan and Mongolia affirmed the importance of cultural exchange.</p></div></body></html>")
    doc = read_document(write(tmp_path, "s.html", html), tmp_path)
    assert (doc.title, doc.date) == ("Joint Statement on Cultural Exchange", "2024-04-01")
    assert body(doc).lstrip().startswith("Tokyo, 1 April 2024")
    # with an <h1> further on, that is the title (until stop 53 only a first heading of level 1 titled a text)
    doc = read_document(write(tmp_path, "t.html", html.replace("</p>", "</p><h1>Cultural Exchange</h1><p>More.</p>")), tmp_path)
    assert doc.title == "Cultural Exchange"


def test_html_furniture_marked_only_by_class_and_id_names_or_made_of_links_is_dropped(tmp_path):
    html = """<html><head><title>Talks | Ministry</title></head><body>
    <div id="header"><div class="logo"><a href="/">Ministry of Foreign Affairs</a></div>
    <ul><li><a href="/press">Press</a></li><li><a href="/policy">Policy</a></li></ul>
    <form action="/search"><input name="q"><button>Search the site</button></form></div>
    <div class="breadcrumbs">You are here: <a href="/">Top</a> &gt; <a href="/press">Press</a></div>
    <div id="contents"><h1><a href="/talks">Talks with Kazakhstan</a></h1><div class="post-meta">May 1, 2017</div>
    <p>The ministers met in Astana and signed <a href="/a.pdf">an agreement on energy</a> and two memoranda.</p>
    <div class="sidebar"><p>Most read this week: the minister's speech on the economy.</p></div></div>
    <div class="pagetop"><a href="#top">Back to the top of this page</a></div>
    <div id="footer"><p>Copyright Ministry of Foreign Affairs. All rights reserved.</p></div></body></html>"""
    doc = read_document(write(tmp_path, "d.html", html), tmp_path)
    # the dateline stays, although its class names metadata that trafilatura's rules discard
    assert doc.text == ("# Talks with Kazakhstan\n\nMay 1, 2017\n\nThe ministers met in Astana and signed "
                        "an agreement on energy and two memoranda.")
    assert (doc.title, doc.date) == ("Talks with Kazakhstan", "2017-05-01")
    # inside <main> a list of links is the text's own (the documents a page links to)
    main = ('<html><body><div class="menu"><a href="/">Home</a> <a href="/news">News</a></div><main><h1>Visit</h1>'
            '<p>Documents signed:</p><ul><li><a href="/1.pdf">Energy agreement</a></li>'
            '<li><a href="/2.pdf">Joint statement</a></li></ul></main></body></html>')
    doc = read_document(write(tmp_path, "m.html", main), tmp_path)
    assert doc.text == "# Visit\n\nDocuments signed:\n\n• Energy agreement\n\n• Joint statement"
    # a page whose whole body is one <form> (ASP.NET) keeps its text; the form's controls go
    asp = html.replace("<body>", '<body><form id="form1"><select><option>English</option></select>').replace(
        "</body>", "</form></body>")
    assert read_document(write(tmp_path, "a.html", asp), tmp_path).text == read_document(
        write(tmp_path, "d2.html", html), tmp_path).text


def test_an_html_page_nested_deeper_than_lxml_reads_is_not_pruned_by_it():
    """lxml stops at 255 levels: the class and id rules, which run on its tree, are skipped then
    (the page is read whole, as before), never applied to a page that lost text."""
    from index.readers import _without_marked_furniture
    from bs4 import BeautifulSoup

    deep = "<html><body><div id='footer'>Copyright</div>" + "<div>" * 300 + "deep text" + "</div>" * 300 + "</body></html>"
    assert _without_marked_furniture(deep, BeautifulSoup(deep, "html.parser")) is None
    shallow = deep.replace("<div>" * 300, "<div>").replace("</div>" * 300, "</div>")
    pruned = _without_marked_furniture(shallow, BeautifulSoup(shallow, "html.parser"))
    assert pruned is not None and "deep text" in pruned.get_text() and "Copyright" not in pruned.get_text()


def test_a_docx_short_first_paragraph_is_its_title_line_and_the_date_under_it_dates_it(tmp_path):
    document = docx.Document()
    for text in ("Japan-Kazakhstan Foreign Ministers' Meeting", "May 1, 2017", "On May 1 the two ministers met."):
        document.add_paragraph(text)
    path = tmp_path / "k.docx"
    document.save(path)
    doc = read_document(path, tmp_path)
    assert (doc.title, doc.date) == ("Japan-Kazakhstan Foreign Ministers' Meeting", "2017-05-01")
    assert body(doc).lstrip().startswith("May 1, 2017")


def test_a_docx_opening_with_a_heading_has_it_as_title_without_the_heading_marker(tmp_path):
    document = docx.Document()
    document.core_properties.title = "Normal template"
    document.add_heading("Заявление по итогам консультаций", 1)  # Heading 1, read as "## …"
    document.add_paragraph("Москва, 14 марта 2024 года")
    document.add_paragraph("13 марта в Москве состоялись консультации.")
    path = tmp_path / "s.docx"
    document.save(path)
    doc = read_document(path, tmp_path)
    assert (doc.title, doc.date) == ("Заявление по итогам консультаций", "2024-03-14")
    assert body(doc).lstrip().startswith("Москва, 14 марта 2024 года")


def test_html_declared_charset_and_h1_title(tmp_path):
    html = '<html><head><meta charset="shift_jis"></head><body><h1>見出し</h1><p>日本語の本文です。</p></body></html>'
    doc = read_document(write(tmp_path, "j.htm", html, "shift_jis"), tmp_path)
    assert doc.title == "見出し" and "日本語の本文です。" in body(doc) and doc.lang == "ja"


def test_docx_paragraphs_headings_and_tables(tmp_path):
    document = docx.Document()
    document.add_heading("Project report", 0)
    document.add_paragraph("The project started in spring.")
    document.add_heading("Results", 1)
    document.add_paragraph("  Results were good.  ")
    document.add_paragraph("")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Cost", "12 yen"
    path = tmp_path / "r.docx"
    document.save(path)
    doc = read_document(path, tmp_path)
    assert doc.title == "Project report"
    assert doc.text == ("# Project report\n\nThe project started in spring.\n\n## Results\n\n"
                        "Results were good.\n\nCost | 12 yen")
    assert body(doc).strip().startswith("The project started")


def test_docx_list_items_keep_a_marker_and_stay_items(tmp_path):
    document = docx.Document()
    document.add_heading("Talks", 1)
    document.add_paragraph("The parties agreed on:")
    for text in ("energy cooperation", "visa facilitation"):
        document.add_paragraph(text, style="List Bullet")
    document.add_paragraph("student exchanges", style="List Number")
    document.add_paragraph("They will meet again.")
    path = tmp_path / "l.docx"
    document.save(path)
    doc = read_document(path, tmp_path)
    assert doc.text == ("## Talks\n\nThe parties agreed on:\n\n• energy cooperation\n\n• visa facilitation\n\n"
                        "1. student exchanges\n\nThey will meet again.")
    assert [p.text for p in split_paragraphs(doc)][1:4] == ["• energy cooperation", "• visa facilitation",
                                                            "1. student exchanges"]


def test_docx_tracked_insertions_content_controls_and_link_paragraphs_are_text(tmp_path):
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    document = docx.Document()
    signed = document.add_paragraph("Signed in ")
    signed._p.append(parse_xml(f'<w:ins {w} w:id="1" w:author="a"><w:r><w:t>Tokyo</w:t></w:r></w:ins>'))
    signed._p.append(parse_xml(f'<w:del {w} w:id="2" w:author="a"><w:r><w:delText>Osaka</w:delText></w:r></w:del>'))
    signed.add_run(".")
    body = document.element.body
    body.insert(len(body) - 1, parse_xml(f'<w:sdt {w}><w:sdtContent><w:p><w:r><w:t>Text in a content control.'
                                         '</w:t></w:r></w:p></w:sdtContent></w:sdt>'))
    link = document.add_paragraph()
    r_id = document.part.relate_to("https://example.org/a.pdf", "http://schemas.openxmlformats.org/officeDocument/"
                                   "2006/relationships/hyperlink", is_external=True)
    link._p.append(parse_xml(f'<w:hyperlink {w} xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                             f'relationships" r:id="{r_id}"><w:r><w:t>Joint statement (PDF)</w:t></w:r></w:hyperlink>'))
    path = tmp_path / "t.docx"
    document.save(path)
    # as Word shows it: the insertion in, the deletion out; a paragraph of links is the text's own
    assert read_document(path, tmp_path).text == "Signed in Tokyo.\n\nText in a content control.\n\nJoint statement (PDF)"


def test_docx_footnotes_are_read_after_the_text(tmp_path):
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    document = docx.Document()
    paragraph = document.add_paragraph("The treaty entered into force")
    paragraph._p.append(parse_xml(f'<w:r {w}><w:footnoteReference w:id="1"/></w:r>'))
    paragraph.add_run(" in 2025.")
    document.save(tmp_path / "plain.docx")
    # python-docx writes no footnotes part: add one, as Word does
    with zipfile.ZipFile(tmp_path / "plain.docx") as src, zipfile.ZipFile(tmp_path / "f.docx", "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/word/footnotes.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>')
            elif item.filename == "word/_rels/document.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdFn" Type="http://schemas.openxmlformats'
                                    b'.org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/>'
                                    b"</Relationships>")
            out.writestr(item, data)
        out.writestr("word/footnotes.xml", f'<w:footnotes {w}><w:footnote w:id="1"><w:p><w:r><w:t>Signed in Ashgabat.'
                                           '</w:t></w:r></w:p></w:footnote></w:footnotes>')
    text = read_document(tmp_path / "f.docx", tmp_path).text
    assert text == "The treaty entered into force[1] in 2025.\n\n1. Signed in Ashgabat."  # no "↑" back-link


def make_pdf(lines: list, title: str = "", more_pages: tuple[list, ...] = (), font_name: str = "Helvetica") -> bytes:
    """A PDF showing ``lines`` on its first page and each of ``more_pages`` on one more, in
    Helvetica or ``font_name`` (ASCII text only): a page's lines one under the other at 12 pt, 14 pt
    apart, or each piece where it says (a ``(text, height of its baseline, font size[, left edge])``),
    in that order; a page given as a string is its content stream as it is."""
    pages = [lines, *more_pages]
    n = len(pages)
    font, info = 3 + 2 * n, 4 + 2 * n  # objects: catalog, pages, (page, contents) per page, font, info
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (3 + 2 * k) for k in range(n)), n)]
    for k, page in enumerate(pages):
        if isinstance(page, str):
            ops = [page]
        elif page and isinstance(page[0], tuple):
            ops = [f"BT /F1 {size} Tf {x[0] if x else 72} {y} Td ({line}) Tj ET" for line, y, size, *x in page]
        else:
            ops = ["BT /F1 12 Tf 14 TL 72 720 Td", *(f"({line}) Tj T*" for line in page), "ET"]
        stream = zlib.compress("\n".join(ops).encode("latin-1"))
        objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                    b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + 2 * k, font),
                    b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    objects += [b"<< /Type /Font /Subtype /Type1 /BaseFont /%s >>" % font_name.encode(), f"<< /Title ({title}) >>".encode("latin-1")]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body_ in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body_ + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, info, xref)
    return bytes(out)


def test_pdf_text_is_extracted_in_blocks(tmp_path):
    lines = ["Quarterly Report",
             "The first paragraph explains the results of the quarter in quite some",
             "detail and then it ends.",
             "The second paragraph follows on its own line after the first one ends."]
    doc = read_document(write(tmp_path, "q.pdf", make_pdf(lines, "Report Q3")), tmp_path)
    assert doc.title == "Report Q3"
    assert doc.text == ("Quarterly Report\n\n" + lines[1] + " " + lines[2] + "\n\n" + lines[3])  # one line
    assert body(doc).strip().startswith("The first paragraph")


def test_a_pdf_s_running_header_footer_and_page_numbers_are_not_its_text(tmp_path):
    header = "Ministry of Foreign Affairs - Press Release"
    texts = ["The ministers met in Astana on 1 May 2017 and discussed energy.",
             "They agreed to hold the next round of talks in Tokyo in the autumn.",
             "Both sides welcomed the entry into force of the tax treaty."]
    pages = [[header, text, f"Page {k} of 3"] for k, text in enumerate(texts, 1)]
    pages[1][-1] = "- 2 -"
    doc = read_document(write(tmp_path, "r.pdf", make_pdf(pages[0], "Release", tuple(pages[1:]))), tmp_path)
    assert doc.text == "\n\n".join(texts)
    # a paragraph that runs to the foot of a page (no short line ends it) goes on at the next page's top
    long_ = ["The ministers met in Astana on 1 May 2017 and discussed energy, trade and the",
             "transport routes between Central Asia and Japan, and they agreed that the next"]
    cont = ["round would be held in Tokyo.", "A new paragraph starts on the second page and runs on."]
    split = make_pdf([header, *long_, "Page 1 of 2"], "Split", ([header, *cont, "Page 2 of 2"],))
    assert read_document(write(tmp_path, "s.pdf", split), tmp_path).text == " ".join([*long_, cont[0]]) + "\n\n" + cont[1]
    # a short line ending mid-sentence goes on over the break only into a lower-case line; a
    # heading at a page's foot stays a block of its own
    short = make_pdf([header, texts[0], "They also discussed the", "Page 1 of 2"], "Short",
                     ([header, "routes of Central Asian trade.", "Results", "Page 2 of 2"],
                      [header, "Both sides welcomed the entry into force of the tax treaty.", "Page 3 of 3"]))
    assert read_document(write(tmp_path, "h.pdf", short), tmp_path).text == "\n\n".join(
        [f"{texts[0]} They also discussed the routes of Central Asian trade.", "Results", texts[2]])
    # on one page nothing repeats: only a page number at its edge goes
    one = read_document(write(tmp_path, "o.pdf", make_pdf([header, texts[0], "1"], "One")), tmp_path)
    assert one.text == f"{header}\n\n{texts[0]}"


def test_a_pdf_s_layout_parts_paragraphs_its_text_does_not(tmp_path):
    # a paragraph's last line that runs to the measure and ends a sentence, then the next
    # paragraph after a paragraph's spacing; a page header and footer in a smaller size,
    # printed after the body (as a browser prints them), are not the text; a small date line
    # above the title and a note at the page's foot are
    paragraphs = [["The ministers met in Astana on 1 May 2017 and discussed energy, trade",
                   "and transport, and they signed three agreements on all of these areas."],
                  ["The next meeting will be held in Tokyo in the spring of the coming year",
                   "after the experts have prepared a plan for the new joint projects."],
                  ["Both sides welcomed the entry into force of the tax treaty in November."]]
    lines, y = [("Joint Statement", 740, 16)], 710
    for paragraph in paragraphs:
        for line in paragraph:
            lines.append((line, y, 12))
            y -= 14
        y -= 10  # the spacing after a paragraph
    lines += [("* The treaty on the avoidance of double taxation between the two", 570, 8),
              ("countries was signed in Tokyo in 2016.", 560, 8),
              ("Ministry of Foreign Affairs - Press Release", 770, 8), ("May 2, 2017", 755, 8), ("Page 1 of 1", 30, 8)]
    doc = read_document(write(tmp_path, "j.pdf", make_pdf(lines)), tmp_path)
    assert doc.text.split("\n\n") == ["Joint Statement", *(" ".join(p) for p in paragraphs),
                                       "* The treaty on the avoidance of double taxation between the two countries was "
                                       "signed in Tokyo in 2016.",
                                       "May 2, 2017"]
    # set as a word processor sets an official text: no spacing, a paragraph's first line indented
    indented, y = [], 710
    for paragraph in paragraphs:
        for i, line in enumerate(paragraph):
            indented.append((line, y, 12, 96 if i == 0 else 72))
            y -= 14
    doc = read_document(write(tmp_path, "i.pdf", make_pdf(indented)), tmp_path)
    assert doc.text.split("\n\n") == [" ".join(p) for p in paragraphs]
    # the same lines set evenly, with no spacing after paragraphs, run to the measure: nothing
    # parts them (as before), and a short line still ends a paragraph
    even = [(line, 710 - 14 * i, 12) for i, line in enumerate(line for p in paragraphs for line in p)]
    doc = read_document(write(tmp_path, "e.pdf", make_pdf(even + [("Signed.", 640, 12)])), tmp_path)
    assert doc.text.split("\n\n") == [" ".join(line for p in paragraphs for line in p) + " Signed."]
    assert read_document(write(tmp_path, "s.pdf", make_pdf(even[:1] + [("Signed.", 696, 12)] + even[2:])),
                         tmp_path).text.split("\n\n") == [f"{even[0][0]} Signed.", " ".join(line for line, *_ in even[2:])]
    # a title in the body's size that runs most of the measure and ends no sentence, then a
    # paragraph's spacing: two paragraphs; a line a little further down than the pitch (a
    # superscript's taller line) parts nothing
    title = "Joint Statement of the Ministers on Energy, Trade and Transport"
    titled = [(title, 734, 12)] + [(line, y - (2 if y < 710 else 0), size) for line, y, size in even]
    assert read_document(write(tmp_path, "t.pdf", make_pdf(titled)), tmp_path).text.split("\n\n") == [
        title, " ".join(line for p in paragraphs for line in p)]


def test_a_paragraph_of_an_indent_set_pdf_goes_on_over_a_page_break_after_a_sentence_s_end(tmp_path):
    first = ["The ministers met in Astana on 1 May 2017 and discussed energy and trade.",
             "They signed three agreements on all of these areas of their cooperation."]
    second = ["The next meeting will be held in Tokyo in the spring of the coming year,",
              "after the experts have prepared a plan for the new joint projects there.",
              "Both sides welcomed the entry into force of the tax treaty in November."]
    # the page breaks after "... cooperation.": the next page's first line is not indented
    page1 = [(first[0], 700, 12, 96), (first[1], 686, 12, 72), (second[0], 672, 12, 96), (second[1], 658, 12, 72)]
    page2 = [(second[2], 700, 12, 72), ("Signed in Astana.", 686, 12, 96)]
    doc = read_document(write(tmp_path, "i.pdf", make_pdf(page1, more_pages=(page2,))), tmp_path)
    assert doc.text.split("\n\n") == [" ".join(first), " ".join(second), "Signed in Astana."]
    # set with spacing after paragraphs instead, a page that opens on a sentence is a new paragraph
    page1 = [(first[0], 700, 12), (first[1], 686, 12), (second[0], 662, 12), (second[1], 648, 12)]
    doc = read_document(write(tmp_path, "s.pdf", make_pdf(page1, more_pages=([(second[2], 700, 12)],))), tmp_path)
    assert doc.text.split("\n\n") == [" ".join(first), " ".join(second[:2]), second[2]]


def test_a_justified_pdf_line_of_few_long_words_reaches_the_measure(tmp_path):
    def justified(words: list[str], y: int, size: int = 12, left: float = 72, right: float = 540) -> list[tuple]:
        """Each word and space placed as a browser sets a justified line in Courier (0.6 em a
        character): the spaces stretched so that the line runs from ``left`` to ``right``."""
        gap = (right - left - 0.6 * size * sum(map(len, words))) / (len(words) - 1)
        pieces, x = [], left
        for word in words:
            pieces += [(word, y, size, round(x, 2)), (" ", y, size, round(x + 0.6 * size * len(word), 2))]
            x += 0.6 * size * len(word) + gap
        return pieces[:-1]

    lines = [*justified("The ministers met in Astana on 1 May 2017 and discussed".split(), 710),
             *justified("transportation, infrastructure and".split(), 696),  # few characters, spaces stretched
             ("telecommunications.", 682, 12, 72), ("The next meeting will be held in Tokyo.", 668, 12, 72)]
    # a note in small print, set to the same measure in more characters a line
    note = [*justified("* The treaty on the avoidance of double taxation between the two countries was signed".split(), 640, 8),
            ("in Tokyo in 2016.", 630, 8, 72)]
    doc = read_document(write(tmp_path, "j.pdf", make_pdf(lines + note, font_name="Courier")), tmp_path)
    assert doc.text.split("\n\n") == ["The ministers met in Astana on 1 May 2017 and discussed transportation, "
                                       "infrastructure and telecommunications.", "The next meeting will be held in Tokyo.",
                                       "* The treaty on the avoidance of double taxation between the two countries was "
                                       "signed in Tokyo in 2016."]


def test_a_pdf_line_is_read_in_the_order_it_stands_without_the_spaces_pypdf_makes():
    from index.readers import _in_line_order, _made_space

    def read(pieces):
        line = _in_line_order(pieces)
        return "".join(line[k][0][0] for k in range(len(line)) if not _made_space(line, k))

    # pieces as pypdf's visitor shows a LibreOffice line, (text, x, y, size): the gap between 5 and 月
    # comes as a space piece where 月 starts; the text's own space is inside a piece
    assert read([("5", 143.7, 700, 11), ("", 143.7, 700, 12), (" ", 152.9, 700, 12), ("月", 152.9, 700, 11),
                 ("14", 163.9, 700, 11), (" ", 175.0, 700, 12), ("日", 175.0, 700, 11), ("1 ", 190.0, 700, 11),
                 ("日中韓協力", 200.5, 700, 11)]) == "5月14日1 日中韓協力"
    # the runs written font by font, out of the line's order, and the space pypdf made of the jump
    assert read([("1", 180.3, 700, 11), ("", 180.3, 700, 11), (" ", 211.5, 700, 11), ("–", 211.5, 700, 11),
                 ("か月", 189.5, 700, 11), ("2", 217.0, 700, 11)]) == "1か月–2"
    assert read([("7", 355.3, 700, 11), (" ", 375.5, 700, 11), (" ", 375.5, 700, 11), ("日", 364.5, 700, 11),
                 ("- 1911", 379.0, 700, 11)]) == "7日 - 1911"
    # a space that stands inside a run of CJK characters written as one piece cannot be placed
    assert read([("15%", 213.3, 700, 11), (" ", 358.8, 700, 12), (" ", 358.8, 700, 11), ("に", 237.8, 700, 11),
                 ("である。国", 314.8, 700, 11), ("際", 373.3, 700, 11)]) == "15%にである。国際"
    # a space with a width of its own (a browser's), or between two Latin words, stays
    assert read([("5", 100, 700, 11), (" ", 105.5, 700, 11), ("月", 110, 700, 11)]) == "5 月"
    assert read([("Tokyo", 100, 700, 11), (" ", 130, 700, 11), ("Astana", 130, 700, 11)]) == "Tokyo Astana"
    # right-to-left letters stay in the order pypdf gives them
    assert read([("שלום", 200, 700, 11), (" ", 180, 700, 11), ("עולם", 150, 700, 11)]) == "שלום עולם"


def test_a_pdf_font_s_radicals_and_ligatures_are_read_as_the_characters_they_stand_for():
    from index.readers import _joined_lines, _pdf_characters

    assert _pdf_characters("⽇露⾸脳会談、ﬀ ①") == "日露首脳会談、ff ①"  # nothing else folded
    # radicals without a compatibility form (Unicode's equivalent ideographs), and the hyphenation
    # point a CJK font writes for its katakana middle dot, only beside CJK text
    assert _pdf_characters("韓国⼤統領(議⻑)、国⺠、サディル‧ジャパロフ、syl‧la‧ble") == \
        "韓国大統領(議長)、国民、サディル・ジャパロフ、syl‧la‧ble"
    assert _pdf_characters("‧ジャパロフ‧") == "・ジャパロフ・"  # at either end of the text too
    assert _pdf_characters("23‒16, 1402‒1405") == "23–16, 1402–1405"  # a figure dash for the en dash
    assert _joined_lines(["両首脳は、日露間の", "経済関係を", "develop the", "пресс-", "конференции", "150-",
                          "летие (1858–", "1940) –", "Гобсон"]) == \
        "両首脳は、日露間の経済関係をdevelop the пресс-конференции 150-летие (1858–1940) – Гобсон"


def test_pdf_file_name_as_title_is_ignored(tmp_path):
    path = write(tmp_path, "w.pdf", make_pdf(["Real title", "Some body text that is long enough to be a paragraph."],
                                             "Microsoft Word - draft.docx"))
    assert read_document(path, tmp_path).title == "Real title"


# --- scanned PDFs: OCR ---------------------------------------------------------------------------

def _tesseract():
    return pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed "
                              "(make test installs it)")


_SCAN_PAGES = (["Ministry of Foreign Affairs - Press Release", "Joint Statement on Energy",
                "The ministers met in Astana on 1 May 2017 and discussed energy, trade and the",
                "transport routes between Central Asia and Japan, and they agreed that the next",
                "Page 1 of 2"],
               ["Ministry of Foreign Affairs - Press Release", "round would be held in Tokyo.",
                "Both sides welcomed the entry into force of the tax treaty.", "Page 2 of 2"])


@_tesseract()
def test_a_scanned_pdf_is_read_by_ocr_as_its_printed_text_is(tmp_path):
    printed = make_pdf(_SCAN_PAGES[0], "", _SCAN_PAGES[1:])
    expected = read_document(write(tmp_path, "printed.pdf", printed), tmp_path)
    assert expected.text == ("Joint Statement on Energy\n\n" + " ".join([*_SCAN_PAGES[0][2:4], _SCAN_PAGES[1][1]])
                             + "\n\n" + _SCAN_PAGES[1][2])
    for turned in (0, 90, 180):  # upright, sideways, upside down
        doc = read_document(write(tmp_path, f"scan{turned}.pdf", scanned(printed, turned)), tmp_path)
        # the same paragraphs (over the page break), header, footer and page numbers left out
        assert (doc.text, doc.title, doc.lang) == (expected.text, "Joint Statement on Energy", "en"), turned


_SKEWED_PAGE = ["Joint Statement on Energy", *(
    f"The ministers agreed on point {n} of the plan for the region." for n in range(1, 21)),
    "Both sides welcomed the entry into force of the tax treaty."]


@_tesseract()
def test_a_scan_laid_askew_reads_as_its_printed_text(tmp_path):
    # a page laid a degree or so askew on the scanner: a lower line starts further left or right
    # than an upper one (1.5 degrees over 300 points: 8 points), which, read as it stands, is an
    # indent after a sentence's end, a new paragraph; straightened, it is one paragraph as printed
    from eval.formats import Scanner

    printed = make_pdf(_SKEWED_PAGE[:1] + [""] + _SKEWED_PAGE[1:])
    expected = read_document(write(tmp_path, "printed.pdf", printed), tmp_path)
    assert expected.text == _SKEWED_PAGE[0] + "\n\n" + " ".join(_SKEWED_PAGE[1:])
    for name in ("c", "e"):  # turned 1.4 degrees clockwise, 1.3 anticlockwise
        doc = read_document(write(tmp_path, f"{name}.pdf", scanned(printed, scanner=Scanner(skew=1.5), name=name)), tmp_path)
        assert doc.text == expected.text, name


_LAYERED_TEXT = (  # a text of our own, in Russian, that runs over two A5 pages
    "Совместное заявление министров иностранных дел\n\n"
    "date 2024-03-12\n\n"
    "Министры иностранных дел двух стран провели переговоры в Москве и обсудили широкий круг "
    "вопросов двустороннего сотрудничества. Стороны отметили, что торгово-экономические связи "
    "развиваются по целому ряду направлений, и договорились продолжить работу "
    "межправительственной комиссии.\n\n"
    "Особое внимание было уделено сотрудничеству в области энергетики, транспорта и сельского "
    "хозяйства. Министры приветствовали вступление в силу соглашения об избежании двойного "
    "налогообложения и выразили надежду на расширение взаимных инвестиций.\n\n"
    "Стороны обменялись мнениями по актуальным международным и региональным проблемам, включая "
    "ситуацию в Азиатско-Тихоокеанском регионе. Было подчёркнуто, что диалог на высшем уровне и"
    " контакты между парламентами играют важную роль в укреплении доверия.\n\n"
    "Министры договорились провести следующий раунд консультаций в Токио в первой половине "
    "будущего года и поручили своим ведомствам подготовить программу мероприятий на ближайшие "
    "два года, в том числе в области культуры, образования и молодёжных обменов.\n")


@_tesseract()
def test_a_scan_s_text_layer_is_read_as_ocr_s_words_are(tmp_path):
    # a "searchable PDF" (a scanner's, ocrmypdf's): the scan, and the words OCR read laid over it as
    # invisible text, each word placed and stretched to its width by itself, which pypdf hands over
    # as one run a line (a paragraph over the page break was cut at "роль в | укреплении доверия.").
    # Its words are read where they stand, as OCR's words are, by the same layout rules; no OCR
    # runs again (none is configured here)
    from eval.formats import CHROMIUM, with_text_layer, write_pdfs

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    write_pdfs({tmp_path / "printed.pdf": _LAYERED_TEXT})
    expected = read_document(tmp_path / "printed.pdf", tmp_path)
    layered = write(tmp_path, "layered.pdf", with_text_layer(scanned((tmp_path / "printed.pdf").read_bytes())))
    doc = read_document(layered, tmp_path, Limits(ocr_languages=""))
    assert (doc.text, doc.title) == (expected.text, "Совместное заявление министров иностранных дел")


@_tesseract()
def test_a_scan_s_text_layer_with_a_stamp_over_it_is_read_as_the_layer(tmp_path):
    # a file number stamped after the scan was OCR'd: the page's text is mostly its layer, and the
    # stamp, read with it, repeats at the foot as a running footer does
    from eval.formats import CHROMIUM, with_text_layer, write_pdfs

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    write_pdfs({tmp_path / "printed.pdf": _LAYERED_TEXT})
    layered = with_text_layer(scanned((tmp_path / "printed.pdf").read_bytes()))
    doc = read_document(write(tmp_path, "stamped.pdf", _stamped(layered, left=300)), tmp_path, Limits(ocr_languages=""))
    assert doc.text == read_document(tmp_path / "printed.pdf", tmp_path).text


def test_an_ocr_layer_s_words_are_placed_and_sized_as_the_page_shows_them():
    # Acrobat sets its layer's words in a 1-point font scaled by the text matrix, Tesseract in the
    # real size stretched sideways (Tz): both read as the size and place the page shows
    from index.ocr import text_layer_words

    page = ("BT 3 Tr /F1 1 Tf 12 0 0 12 72 720 Tm (Joint statement) Tj ET "
            "BT 3 Tr /F1 12 Tf 50 Tz 72 700 Td (on energy) Tj ET")
    (joint, statement), (on, energy) = text_layer_words(make_pdf(page), [0])[0]
    assert joint[0] == "Joint" and joint[1:4] == pytest.approx((72.0, 720.0, 12.0))
    assert statement[0] == "statement" and statement[1] > joint[4] > joint[1]
    assert on[1:4] == pytest.approx((72.0, 700.0, 12.0))
    # squeezed to half its width: "on energy" in Helvetica 12 is 53.4 points wide
    assert energy[4] - on[1] == pytest.approx(53.4 / 2, abs=1.0)


def test_a_skewed_page_s_words_are_placed_as_if_laid_straight():
    from index.ocr import hocr_lines

    slope = 0.03  # the page turned clockwise: its lines run 3 pixels down every 100 to the right
    cos, sin = 1 / (1 + slope**2) ** 0.5, slope / (1 + slope**2) ** 0.5

    def scanned_at(x, y):  # where a point of the upright page (pixels) lies on the skewed scan of 1000 by 1000
        x, y = x - 500, y - 500
        return x * cos - y * sin + 500, x * sin + y * cos + 500

    def line(words, baseline):  # words: (text, left, right) on the upright page
        placed = [(text, scanned_at(left, baseline), scanned_at(right, baseline)) for text, left, right in words]
        left, bottom = placed[0][1]
        spans = "".join(f"<span class='ocrx_word' title='bbox {a[0]:.0f} 0 {b[0]:.0f} 0'>{t}</span>" for t, a, b in placed)
        return (f"<span class='ocr_line' title=\"bbox {left:.0f} 0 {placed[-1][2][0]:.0f} {bottom:.0f}; "
                f"baseline {slope} 0; x_size 50\">{spans}</span>")

    hocr = ("<div class='ocr_page' title='image \"page.png\"; bbox 0 0 1000 1000'>"
            + line([("Joint", 100, 300), ("Statement", 350, 700)], 200)
            + line([("Energy", 100, 400)], 800) + "<span class='ocr_line' title='bbox 90 900 99 910'>"
            "<span class='ocrx_word' title='bbox 90 900 99 910'>·</span></span></div>")
    (joint, statement), (energy,), _ = hocr_lines(hocr, 240.0)
    # both lines start where they stand on the upright page, 600 pixels apart (144 points)
    assert joint[1] == pytest.approx(24.0, abs=0.5) and energy[1] == pytest.approx(24.0, abs=0.5)
    assert joint[2] - energy[2] == pytest.approx(144.0, abs=0.5)
    assert statement[2] == pytest.approx(joint[2], abs=0.5)  # one baseline for the line's words
    assert statement[4] == pytest.approx(168.0, abs=0.5)  # and its reach, 700 pixels in


@_tesseract()
def test_a_scan_s_japanese_and_russian_are_read_with_their_script_s_pack(tmp_path):
    # a page is read with the pack of the script Tesseract's OSD sees on it
    from eval.formats import CHROMIUM, write_pdfs

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    texts = {tmp_path / "ja.pdf": "日・タジキスタン首脳会談\n\n平成13年5月14日、両国首脳は共同声明に署名した。"
                                  "両首脳は、経済関係を着実に発展させることの重要性につき一致し、今後も緊密に連携していくことで合意した。\n",
             tmp_path / "ru.pdf": "Встреча с Премьер-министром Японии\n\n"
                                  "Президент России поздравил премьер-министра с победой на выборах и обсудил с ним "
                                  "вопросы двустороннего сотрудничества, в том числе в торгово-экономической сфере, "
                                  "и договорился о следующей встрече на саммите в Сингапуре.\n"}
    write_pdfs(texts)
    for path, text in texts.items():
        path.write_bytes(scanned(path.read_bytes()))
        doc = read_document(path, tmp_path)
        written = text.strip().split("\n\n")
        read = [doc.title, *(p.text for p in split_paragraphs(doc) if p.text != doc.title)]
        assert doc.lang == path.stem and len(read) == len(written)  # the page's header and footer left out
        for got, want in zip(read, written):  # OCR misreads a kanji now and then (脳 as 脱)
            assert difflib.SequenceMatcher(None, got, want).ratio() >= 0.9, (got, want)
        assert ("平成13年5月14日" if doc.lang == "ja" else "поздравил премьер-министра") in doc.text


def test_ocr_lines_are_placed_in_points_and_sized_by_how_far_apart_cjk_characters_stand():
    from index.ocr import hocr_lines

    def word(text, x0):
        return f"<span class='ocrx_word' title='bbox {x0} 100 {x0 + 40} 140; x_wconf 90'>{text}</span>"

    hocr = ("<div class='ocr_page'><p class='ocr_par'>"
            "<span class='ocr_line' title=\"bbox 300 100 900 150; baseline 0 -10; x_size 50\">"
            + word("Prime", 300) + word("Minister", 600) + "</span>"
            "<span class='ocr_line' title=\"bbox 300 200 500 240; baseline 0 -5; x_size 25\">"
            + word("な", 300) + word("っ", 350) + word("た", 400) + word("。", 450) + "</span></p></div>")
    (prime, minister), kana = hocr_lines(hocr, 800.0)
    assert prime == ("Prime", 72.0, 800.0 - 140 * 0.24, 12.0, 81.6)  # 300 dpi: 0.24 points a pixel; Tesseract's x_size
    assert minister[1] == 144.0
    assert [w[0] for w in kana] == ["な", "っ", "た", "。"] and kana[0][3] == 12.0  # 50 pixels an em, not the ink's 25
    from index.readers import _recognised_line

    line = _recognised_line([prime, minister])
    assert (line.text, line.x, line.size) == ("Prime Minister", 72.0, 12.0)
    assert line.last == (minister[4], "")  # it reaches as far as its last word's ink: no width to estimate
    assert _recognised_line(kana).text == "なった。"


def _stamped(pdf: bytes, left: float = 450) -> bytes:
    """``pdf`` with a file number stamped as text at the foot of each page, ``left`` points in
    ("MOFA-000121", …)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    for k, page in enumerate(writer.pages, 1):
        page.merge_page(PdfReader(io.BytesIO(make_pdf([(f"MOFA-00012{k}", 20, 10, left)]))).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@_tesseract()
def test_a_scan_with_a_stamp_of_text_on_its_pages_is_read_by_ocr(tmp_path):
    # a file number stamped on each scanned page as text: the page is a scan all the same, and
    # the stamp, read with the page, repeats at its foot as a running footer does
    printed = make_pdf(_SCAN_PAGES[0], "", _SCAN_PAGES[1:])
    path = write(tmp_path, "stamped.pdf", _stamped(scanned(printed)))
    assert read_document(path, tmp_path).text == read_document(write(tmp_path, "p.pdf", printed), tmp_path).text
    # a text page with a small image, and a short text page, are read as pypdf reads them
    short = write(tmp_path, "short.pdf", make_pdf(["Annex", "See the table."]))
    assert read_document(short, tmp_path).text == "Annex\n\nSee the table."


@_tesseract()
def test_an_image_file_s_pages_are_read_by_ocr_as_a_scanned_pdf_s_are(tmp_path):
    import pypdfium2 as pdfium

    printed = make_pdf(_SCAN_PAGES[0], "", _SCAN_PAGES[1:])
    pages = [page.render(scale=300 / 72, grayscale=True).to_pil() for page in pdfium.PdfDocument(printed)]
    pages[0].save(tmp_path / "scan.tif", save_all=True, append_images=pages[1:], compression="tiff_lzw")
    pages[1].save(tmp_path / "page.png")
    expected = read_document(write(tmp_path, "printed.pdf", printed), tmp_path)
    assert read_document(tmp_path / "scan.tif", tmp_path).text == expected.text  # two pages, one paragraph over the break
    page = read_document(tmp_path / "page.png", tmp_path)  # one page, read as that page of the PDF is
    assert page.text == read_document(write(tmp_path, "page2.pdf", make_pdf(_SCAN_PAGES[1])), tmp_path).text
    with pytest.raises(ReaderError, match=re.escape("2 pages, more than the 1")):
        read_document(tmp_path / "scan.tif", tmp_path, Limits(max_ocr_pages=1))


@_tesseract()
def test_a_scan_that_cannot_be_read_by_ocr_is_refused_with_the_reason(tmp_path, monkeypatch):
    import pytesseract

    path = write(tmp_path, "scan.pdf", scanned(make_pdf(_SCAN_PAGES[0], "", _SCAN_PAGES[1:])))
    for limits, reason in ((Limits(ocr_languages=""), "scanned pages need OCR: setting ocr_languages"),
                           (Limits(max_ocr_pages=1), "2 scanned pages to read by OCR, more than the 1"),
                           (Limits(ocr_languages="eng+xyz"), "Tesseract has no language pack xyz")):
        with pytest.raises(ReaderError, match=re.escape(reason)):
            read_document(path, tmp_path, limits)
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-tesseract"))
    with pytest.raises(ReaderError, match="Tesseract is not installed"):
        read_document(path, tmp_path)


# --- failures ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name, content, reason", [
    ("empty.txt", b"", "empty file"),
    ("blank.md", b" \n\r\n\t", "empty file"),
    ("binary.txt", b"\x00\x01\x02text\x7f" * 50, "binary content"),
    ("garbage.txt", bytes(range(256)) * 4, "undecodable bytes"),
    ("bad.pdf", b"%PDF-1.4\nthis is not really a pdf", "corrupt or unreadable PDF"),
    ("bad.docx", b"PK\x03\x04 not a zip archive at all", "corrupt or unreadable DOCX"),
    ("bad.png", b"\x89PNG\r\n\x1a\n not really an image", "unreadable image"),
    ("data.xyz", b"text", "unsupported file type '.xyz'"),
])
def test_unreadable_files_raise_reader_error(tmp_path, name, content, reason):
    path = write(tmp_path, name, content)
    with pytest.raises(ReaderError) as info:
        read_document(path, tmp_path)
    assert reason in str(info.value) and name in str(info.value)


def test_missing_file_raises_reader_error(tmp_path):
    with pytest.raises(ReaderError, match="cannot be opened"):
        read_document(tmp_path / "gone.txt", tmp_path)


def test_supported_extensions_cover_the_formats():
    assert {".txt", ".md", ".html", ".htm", ".pdf", ".docx"} <= SUPPORTED_EXTENSIONS


def test_seed_copy_reads_the_same(tmp_path):
    shutil.copy(JA, tmp_path / JA.name)
    assert read_document(tmp_path / JA.name, tmp_path) == read_document(JA, CORPUS)


# --- helpers -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, iso", [
    ("2025年12月20日", "2025-12-20"),
    ("２０２５年１月２日", "2025-01-02"),
    ("2025-09-17", "2025-09-17"),
    ("nCa, 17 сентября 2025 г.", "2025-09-17"),
    ("3 мая 2024", "2024-05-03"),
    ("September 3, 2024", "2024-09-03"),
    ("17.09.2025", "2025-09-17"),
    ("no date here", ""),
    ("2025-13-40", ""),
    ("平成27年11月2日", "2015-11-02"),  # Japanese era years, converted by ja-timex
    ("令和元年5月1日", "2019-05-01"),
    ("平成13年5月", ""),  # no day
])
def test_parse_date(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize("text, month", [
    ("平成13年5月", "2001-05"), ("令和元年5月", "2019-05"), ("2001年5月", "2001-05"), ("May 2001", "2001-05"),
    ("май 2001 года", "2001-05"), ("Сентябрь 2025 г.", "2025-09"),
    ("平成27年11月2日", ""), ("May 27, 2024", ""),  # a day: parse_date's
    ("10.5", ""), ("11 20", ""), ("12/25", ""), ("5月", ""),  # no year written out: a section number, not a month
    ("Japan-Mongolia Summit", ""), ("Talks in May 2001", ""),  # more than a month
])
def test_parse_month(text, month):
    assert parse_month(text) == month


def test_a_header_field_that_is_a_month_dates_the_document_and_filters_take_its_first_day(tmp_path):
    doc = read_document(write(tmp_path, "h.txt", "[文書名] 首脳会談\n[年月日] 2001年5月\n[全文]\n会談を行った。\n"), tmp_path)
    assert doc.date == "2001-05"
    assert date_number(doc.date) == 20010501 and date_number("2001-05-17") == 20010517 and date_number("") == 0


def test_first_sentence_is_clipped_at_a_word_boundary():
    long = "word " * 40 + "end."
    title = first_sentence(long)
    assert title.endswith("…") and len(title) <= 91 and title[:-1].split() == ["word"] * len(title[:-1].split())
    assert first_sentence("日本語の文。次の文。") == "日本語の文。"
    assert len(first_sentence("あ" * 200)) == 91
    # a list number or an honorific's period does not end the title
    assert first_sentence("1. Expression of condolences\n\nThe Prime Minister said…") == "1. Expression of condolences"
    assert first_sentence("H.E. Mr. Sadyr Japarov visited Japan. He met the Prime Minister.") == \
        "H.E. Mr. Sadyr Japarov visited Japan."


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    path = write(tmp_path, "big.txt", "A sentence of the archive.\n" * 80_000)  # about 2 MB
    with pytest.raises(ReaderError, match=r"2\.1 MB, larger than the 1 MB a file may be \(setting max_file_mb\)"):
        read_document(path, tmp_path, Limits(max_file_mb=1))
    assert read_document(path, tmp_path).title  # the default limit (16 MB) lets it in


def test_a_zip_bomb_docx_is_refused_from_its_directory(tmp_path):
    import tracemalloc
    import zipfile

    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("word/document.xml", "w") as member:  # 600 MB of zeros, about 600 KB compressed
            for _ in range(600):
                member.write(bytes(2**20))
    assert path.stat().st_size < 2 * 2**20
    tracemalloc.start()
    try:
        with pytest.raises(ReaderError, match=r"unpacks to 600 MB, more than the 128 MB allowed"):
            read_document(path, tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20  # the file itself, read once; nothing was unpacked
