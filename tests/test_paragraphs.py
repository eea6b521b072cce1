"""Paragraph splitting: bench counts, the seeds' broken paragraphs and sections, source spans."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from index.paragraphs import source_offsets, split_paragraphs
from index.readers import read_document

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "fixtures" / "corpus"
BENCH = REPO.parent / "shared" / "bench" / "corpus"


def paragraphs_of(path: Path, root: Path):
    doc = read_document(path, root)
    return doc, split_paragraphs(doc)


def squash(text: str) -> str:
    return re.sub(r"\s", "", text)


def assert_well_formed(doc, paragraphs):
    assert [p.n for p in paragraphs] == list(range(1, len(paragraphs) + 1))
    for p in paragraphs:
        assert p.text.strip() == p.text and p.text
        assert doc.body_start <= p.start < p.end <= doc.body_end
        assert squash(p.text) == squash(doc.text[p.start:p.end])
    starts = [p.start for p in paragraphs]
    assert starts == sorted(starts)


@pytest.mark.parametrize("name, articles, expected", [("jsquad-valid", 59, 1145), ("xquad-ru-dev", 24, 120)])
def test_bench_paragraph_counts_match_the_readme(name, articles, expected):
    folder = BENCH / name
    if not folder.is_dir():
        pytest.skip("shared bench corpus absent")
    files = sorted(folder.glob("*.txt"))
    assert len(files) == articles
    total = 0
    for path in files:
        doc, paragraphs = paragraphs_of(path, folder)
        assert_well_formed(doc, paragraphs)
        assert all(p.section == "" for p in paragraphs)
        total += len(paragraphs)
    assert total == expected


def test_japanese_seed_joins_the_paragraph_broken_over_lines():
    doc, paragraphs = paragraphs_of(CORPUS / "000_6f479204fdb56844.txt", CORPUS)
    assert_well_formed(doc, paragraphs)
    broken = [p for p in paragraphs if "具体的なイニシア" in p.text]
    assert len(broken) == 1
    joined = broken[0]
    assert "具体的なイニシアティブを推進することで一致した。" in joined.text
    assert "協力を更に強化することで一致した。" in joined.text  # the next break, also repaired
    assert joined.text.endswith("国際フォーラムの開催の成功を高く評価した。")
    assert " " not in joined.text and "\n" not in joined.text
    assert doc.text[joined.start:joined.end].count("\n\n") == 3
    last = paragraphs[-1]
    assert "トルクメニスタンの国家観光地区アヴァザ" in last.text and "二国間及び国際機関" in last.text
    assert len(paragraphs) == 26


def test_japanese_seed_sections():
    _, paragraphs = paragraphs_of(CORPUS / "000_6f479204fdb56844.txt", CORPUS)
    sections = [p.section for p in paragraphs]
    assert sections[:2] == ["", ""]
    assert sections[2:16] == ["経済分野"] * 14
    assert set(sections[16:22]) == {"政治分野"} and set(sections[22:]) == {"その他の分野"}
    assert not any(p.text in ("経済分野", "政治分野", "その他の分野") for p in paragraphs)
    lead_in = next(p for p in paragraphs if p.text.endswith("重要性を強調した:"))
    following = paragraphs[lead_in.n]  # the item after a ':' lead-in stays its own paragraph
    assert following.text.startswith("2025年9月29日に署名された")


def test_russian_seed_list_items_are_paragraphs():
    doc, paragraphs = paragraphs_of(CORPUS / "003_223ee8f423a3e31d.txt", CORPUS)
    assert_well_formed(doc, paragraphs)
    assert len(paragraphs) == 13
    assert paragraphs[0].text.startswith("16 сентября 2025 года")
    assert paragraphs[1].text.endswith("Японии:")
    assert [p.text[-1] for p in paragraphs[2:8]] == [";"] * 5 + ["."]
    assert paragraphs[-1].text.endswith("климатических целей.")
    assert all("///" not in p.text and not p.text.startswith("date") for p in paragraphs)
    # the list items carry the sentence that introduces them; the paragraphs around them do not
    assert [bool(p.lead) for p in paragraphs[:9]] == [False, False] + [True] * 6 + [False]
    assert paragraphs[2].lead == paragraphs[1].text


def test_list_items_carry_their_lead_in(tmp_path):
    text = ("Report\n\nThe council met twice. It heard three speakers:\n\nAnna Berg, the mayor;\n\n"
            "Olav Lie, the treasurer;\n\nKari Dahl, a resident.\n\nThe meeting ended at noon.\n\n"
            "Decisions taken:\n\n- a new budget\n\n- a new park\n\nNothing else was decided.\n")
    doc, paragraphs = make(tmp_path, "l.txt", text)
    assert_well_formed(doc, paragraphs)
    assert [(p.text, p.lead) for p in paragraphs] == [
        ("The council met twice. It heard three speakers:", ""),
        ("Anna Berg, the mayor;", "It heard three speakers:"),
        ("Olav Lie, the treasurer;", "It heard three speakers:"),
        ("Kari Dahl, a resident.", "It heard three speakers:"),
        ("The meeting ended at noon.", ""),
        ("Decisions taken:", ""),
        ("- a new budget", "Decisions taken:"),  # marked items run on whatever they end with
        ("- a new park", "Decisions taken:"),
        ("Nothing else was decided.", ""),
    ]


def make(tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return paragraphs_of(path, tmp_path)


def test_markdown_headings_are_sections_not_paragraphs(tmp_path):
    doc, paragraphs = make(tmp_path, "a.md", "# Title\n\nIntro text.\n\n## Setup\nWe set up\nthe bench.\n\n"
                                             "### Deep *detail*\n\nMore detail.\n\n- item one\n\n- item two\n")
    assert_well_formed(doc, paragraphs)
    assert [(p.text, p.section) for p in paragraphs] == [
        ("Intro text.", ""), ("We set up the bench.", "Setup"), ("More detail.", "Deep detail"),
        ("• item one", "Deep detail"), ("• item two", "Deep detail")]


def test_short_unpunctuated_line_before_text_is_a_heading(tmp_path):
    _, paragraphs = make(tmp_path, "h.txt", "Report\n\nBackground\n\nIt began in May.\n\nOutlook\n\n"
                                            "It will go on.\n\nA last line without a stop\n")
    assert [(p.text, p.section) for p in paragraphs] == [
        ("It began in May.", "Background"), ("It will go on.", "Outlook"),
        ("A last line without a stop", "Outlook")]


@pytest.mark.parametrize("dateline", ["令和6年5月22日", "2024年5月22日", "Москва, 22 мая 2024 года"])
def test_a_dateline_is_a_paragraph_not_the_section_of_the_text_under_it(tmp_path, dateline):
    doc, paragraphs = make(tmp_path, "d.txt", f"日・ペルー外相会談\n\n{dateline}\n\n会談が行われた。\n\n1 概要\n\n協力を確認した。\n")
    assert doc.date == "2024-05-22"
    assert [(p.text, p.section) for p in paragraphs] == [
        (dateline, ""), ("会談が行われた。", ""), ("協力を確認した。", "1 概要")]


def test_numbered_lines_before_text_are_headings_even_indented(tmp_path):
    # a 『世界と日本』 file indents every line, its numbered headings too
    text = ("会談の概要\n\n 1 外相会談\n\n 本29日,両外相は会談を行いました。\n\n (1)二国間関係\n\n"
            " 両外相は協力で一致しました。\n\n (2)北朝鮮情勢\n\n 両外相は連携を確認しました。\n")
    doc, paragraphs = make(tmp_path, "w.txt", text)
    assert_well_formed(doc, paragraphs)
    assert [(p.text, p.section) for p in paragraphs] == [
        ("本29日,両外相は会談を行いました。", "1 外相会談"), ("両外相は協力で一致しました。", "(1)二国間関係"),
        ("両外相は連携を確認しました。", "(2)北朝鮮情勢")]
    _, paragraphs = make(tmp_path, "e.txt", "Meeting\n\nThey met.\n\n1. Opening remarks\n\nHe spoke first.\n")
    assert [(p.text, p.section) for p in paragraphs] == [("They met.", ""), ("He spoke first.", "1. Opening remarks")]


def test_numbered_short_lines_of_a_list_stay_items(tmp_path):
    text = ("Agenda\n\nThe ministers signed:\n\n1. A trade agreement\n\n2. A visa agreement\n\n"
            "They met again in May.\n\nTopics\n\n1) Energy\n\n2) Transport\n\nBoth were discussed.\n")
    doc, paragraphs = make(tmp_path, "n.txt", text)
    assert_well_formed(doc, paragraphs)
    assert [(p.text, p.section, p.lead) for p in paragraphs] == [
        ("The ministers signed:", "", ""), ("1. A trade agreement", "", "The ministers signed:"),
        ("2. A visa agreement", "", "The ministers signed:"), ("They met again in May.", "", ""),
        ("1) Energy", "Topics", ""), ("2) Transport", "Topics", ""), ("Both were discussed.", "Topics", "")]


def test_a_text_saved_with_a_line_per_paragraph_has_a_paragraph_per_line(tmp_path):
    text = ("Japan-Uzbekistan Foreign Ministers' Meeting\nMarch 4, 2024\n"
            "On March 4, the two ministers met in Tokyo.\nThey agreed on yen loans for a power plant.\n"
            "Outlook\nThe next committee meets in Samarkand.\n")
    doc, paragraphs = make(tmp_path, "l.txt", text)
    assert_well_formed(doc, paragraphs)
    assert (doc.title, doc.date) == ("Japan-Uzbekistan Foreign Ministers' Meeting", "2024-03-04")
    assert [(p.text, p.section) for p in paragraphs] == [
        ("March 4, 2024", ""), ("On March 4, the two ministers met in Tokyo.", ""),
        ("They agreed on yen loans for a power plant.", ""), ("The next committee meets in Samarkand.", "Outlook")]
    # a transcript's questions and answers, a block under a title
    doc, paragraphs = make(tmp_path, "q.txt", "Брифинг\n\nВопрос: Где прошла встреча?\nОтвет: В Москве. Стороны подписали соглашение.\n")
    assert [p.text for p in paragraphs] == ["Вопрос: Где прошла встреча?", "Ответ: В Москве. Стороны подписали соглашение."]
    # a list in such a text: its lead-in and items are paragraphs, the items led in
    doc, paragraphs = make(tmp_path, "i.txt", "Talks\n\nThe ministers met in Tokyo.\nThey agreed on the following:\n"
                                              "1. a trade agreement;\n2. a visa agreement.\nThey meet again in May.\n")
    assert [(p.text, p.lead) for p in paragraphs] == [
        ("The ministers met in Tokyo.", ""), ("They agreed on the following:", ""),
        ("1. a trade agreement;", "They agreed on the following:"), ("2. a visa agreement.", "They agreed on the following:"),
        ("They meet again in May.", "")]
    # a paragraph wrapped over lines breaks them mid-sentence: one paragraph, as before
    doc, paragraphs = make(tmp_path, "w.txt", "Title\n\nThe ministers met in Tokyo and agreed\non yen loans. They will meet\nagain in May.\n")
    assert [p.text for p in paragraphs] == ["The ministers met in Tokyo and agreed on yen loans. They will meet again in May."]


def test_blank_line_after_unfinished_sentence_is_kept_in_plain_text(tmp_path):
    text = ("Title\n\nThe energy at that point, after substitution, is\n\nThe next block starts anew here.\n\n"
            "This sentence is cut by a stray blank line and\n\ncontinues in lowercase here.\n")
    doc, paragraphs = make(tmp_path, "p.txt", text)
    assert_well_formed(doc, paragraphs)
    assert [p.text for p in paragraphs] == [
        "The energy at that point, after substitution, is", "The next block starts anew here.",
        "This sentence is cut by a stray blank line and continues in lowercase here."]


def test_indented_layout_text_is_rejoined(tmp_path):
    text = ("Heading\n\n  The first paragraph was wrapped by a layout\n\n  Engine into several lines, which\n\n"
            "  The splitter joins.\n\n  A second paragraph.\n\nNext part\n\n  Under the next part.\n")
    doc, paragraphs = make(tmp_path, "l.txt", text)
    assert_well_formed(doc, paragraphs)
    assert [(p.text, p.section) for p in paragraphs] == [
        ("The first paragraph was wrapped by a layout Engine into several lines, which The splitter joins.", ""),
        ("A second paragraph.", ""), ("Under the next part.", "Next part")]
    assert doc.title == "Heading"


def test_source_offsets_map_every_character(tmp_path):
    doc, paragraphs = make(tmp_path, "o.txt", "Title\n\n  Line one of a paragraph\n  and line two.\n\n日本語の\n段落です。\n")
    for p in paragraphs:
        offsets = source_offsets(doc.text, p)
        assert len(offsets) == len(p.text) and offsets[0] == p.start and offsets[-1] == p.end - 1
        for ch, at in zip(p.text, offsets):
            assert doc.text[at] == ch or (ch == " " and doc.text[at].isspace())
    assert [p.text for p in paragraphs] == ["Line one of a paragraph and line two.", "日本語の段落です。"]


def test_rules_and_symbol_lines_are_not_paragraphs(tmp_path):
    _, paragraphs = make(tmp_path, "r.txt", "Title\n\nFirst part.\n---\nSecond part.\n\n* * *\n\nThird.\n")
    assert [p.text for p in paragraphs] == ["First part.", "Second part.", "Third."]


def test_empty_body_gives_no_paragraphs(tmp_path):
    _, paragraphs = make(tmp_path, "e.txt", "[文書名] 題\n[出典] 省\n[全文]\n\n")
    assert paragraphs == []
