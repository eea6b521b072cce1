"""Passages: IDs, metadata, sentence-boundary pieces of long paragraphs and their source spans."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from index.paragraphs import split_paragraphs
from index.passages import build_passages, ingest_file
from index.readers import read_document

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "fixtures" / "corpus"
JA = CORPUS / "000_6f479204fdb56844.txt"
RU = CORPUS / "003_223ee8f423a3e31d.txt"
BENCH = REPO.parent / "shared" / "bench" / "corpus"


def squash(text: str) -> str:
    return re.sub(r"\s", "", text)


def assert_spans_hold(doc, passages, max_chars):
    ids = [p.id for p in passages]
    assert len(set(ids)) == len(ids)
    for p in passages:
        assert p.text and p.text == p.text.strip() and len(p.text) <= max_chars
        assert squash(p.text) == squash(doc.text[p.start:p.end]), p.id
        assert re.fullmatch(re.escape(doc.doc_id) + r"#p\d+(\.\d+)?", p.id)


def sample_files() -> list[tuple[Path, Path]]:
    files = [(JA, CORPUS), (RU, CORPUS)]
    for name in ("jsquad-valid", "xquad-ru-dev"):
        folder = BENCH / name
        files += [(path, folder) for path in sorted(folder.glob("*.txt"))[::6]]
    return files


@pytest.mark.parametrize("max_chars", [1200, 160])
def test_every_passage_points_at_its_source_text(max_chars):
    for path, root in sample_files():
        doc, passages = ingest_file(path, root, max_chars)
        assert passages, path
        assert_spans_hold(doc, passages, max_chars)


def test_one_passage_per_paragraph_with_metadata():
    doc, passages = ingest_file(JA, CORPUS)
    paragraphs = split_paragraphs(doc)
    header = passages.pop(0)  # the header block is paragraph 0
    assert header.id == "000_6f479204fdb56844#p0" and "[出典] 外務省" in header.text
    assert header.end <= paragraphs[0].start
    assert [p.id for p in passages] == [f"000_6f479204fdb56844#p{n}" for n in range(1, len(paragraphs) + 1)]
    for passage, paragraph in zip(passages, paragraphs):
        assert (passage.text, passage.start, passage.end, passage.n, passage.section) == (
            paragraph.text, paragraph.start, paragraph.end, paragraph.n, paragraph.section)
        assert passage.doc == "000_6f479204fdb56844.txt"
        assert {k: getattr(passage, k) for k in doc.metadata()} == doc.metadata()
    assert passages[2].section == "経済分野" and passages[2].date == "2025-12-20"


def test_long_joined_paragraph_is_cut_on_sentence_ends():
    doc, passages = ingest_file(JA, CORPUS, max_chars=120)
    assert_spans_hold(doc, passages, 120)
    paragraph = next(p for p in split_paragraphs(doc) if "具体的なイニシア" in p.text)
    pieces = [p for p in passages if p.n == paragraph.n]
    assert [p.id for p in pieces] == [f"{doc.doc_id}#p{paragraph.n}.{k}" for k in range(1, len(pieces) + 1)]
    assert len(pieces) >= 3 and "".join(p.text for p in pieces) == paragraph.text
    assert all(p.text.endswith("。") for p in pieces)
    assert pieces[0].start == paragraph.start and pieces[-1].end == paragraph.end
    across = next(p for p in pieces if "イニシアティブ" in p.text)  # spans a repaired line break
    assert "\n\n" in doc.text[across.start:across.end]
    assert all(a.end <= b.start for a, b in zip(pieces, pieces[1:]))


def test_russian_pieces_split_after_sentence_stops():
    doc, passages = ingest_file(RU, CORPUS, max_chars=300)
    assert_spans_hold(doc, passages, 300)
    pieces = [p for p in passages if "." in p.id]
    assert pieces and all(re.search(r"[.!?»]$", p.text) for p in pieces)
    assert all(p.source == "nCa" and p.lang == "ru" for p in passages)
    trailer = passages[-1]  # the trailing source line is the paragraph after the last
    assert trailer.text.startswith("///nCa") and trailer.n == split_paragraphs(doc)[-1].n + 1


def test_sentence_longer_than_the_limit_is_cut_at_spaces(tmp_path):
    words = " ".join(f"word{i}" for i in range(60))
    (tmp_path / "w.txt").write_text(f"Title\n\n{words} end.\n", encoding="utf-8")
    doc, passages = ingest_file(tmp_path / "w.txt", tmp_path, max_chars=100)
    assert_spans_hold(doc, passages, 100)
    assert passages.pop(0).id == "w#p0"  # the title line
    assert " ".join(p.text for p in passages) == f"{words} end."
    assert passages[0].id == "w#p1.1" and len(passages) > 3


@pytest.mark.parametrize("name, text, title", [
    ("a.md", "# Talks in Ulaanbaatar, 5 July 2022\n\nFirst paragraph.\n", "Talks in Ulaanbaatar, 5 July 2022"),
    ("b.txt", "Japan-Mongolia Summit\n\nJune 9, 2000\n\nOn June 7 the two met.\n", "Japan-Mongolia Summit"),
])
def test_the_title_line_is_paragraph_0_and_citable(tmp_path, name, text, title):
    (tmp_path / name).write_text(text, encoding="utf-8")
    doc, passages = ingest_file(tmp_path / name, tmp_path)
    head = passages[0]
    assert (head.n, head.text, doc.text[head.start:head.end]) == (0, title, title)  # no "# " marks
    assert [p.n for p in passages] == list(range(len(passages)))


def test_a_leading_date_token_is_not_a_title_paragraph(tmp_path):
    (tmp_path / "d.txt").write_text("date 2025-09-17 Talks were held. Both agreed.\n", encoding="utf-8")
    doc, passages = ingest_file(tmp_path / "d.txt", tmp_path)
    assert doc.date == "2025-09-17" and [p.n for p in passages] == [1]


def test_ids_are_stable_across_rereading(tmp_path):
    shutil.copy(JA, tmp_path / JA.name)
    first = ingest_file(tmp_path / JA.name, tmp_path, 150)[1]
    second = ingest_file(tmp_path / JA.name, tmp_path, 150)[1]
    assert [p.to_dict() for p in first] == [p.to_dict() for p in second]
    assert [p.id for p in first] == [p.id for p in ingest_file(JA, CORPUS, 150)[1]]


def test_build_passages_on_a_subfolder_document(tmp_path):
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "a.md").write_text("# Headline\n\n## Part\n\nOnly paragraph.\n", encoding="utf-8")
    doc = read_document(tmp_path / "news" / "a.md", tmp_path)
    [passage] = build_passages(doc, split_paragraphs(doc))
    assert (passage.id, passage.doc, passage.section, passage.title) == (
        "news/a#p1", "news/a.md", "Part", "Headline")
    assert passage.context_header() == "Headline | Part"
