"""Files are read in a child process: a parse past its time or memory limit is stopped, reported
for that file, and the next file is read by a fresh child."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from index.reader_process import ReaderProcess
from index.readers import Limits, ReaderError
from tests.conftest import CORPUS

RU = "003_223ee8f423a3e31d.txt"


def test_a_parse_past_the_time_limit_is_stopped_and_the_next_file_is_read(tmp_path):
    pipe = tmp_path / "never-written.txt"
    os.mkfifo(pipe)  # reading it blocks for ever: a parser that never returns
    with ReaderProcess(Limits(max_parse_s=1)) as reader:
        with pytest.raises(ReaderError, match=r"parsing took longer than 1 s \(max_parse_s\)"):
            reader.read(pipe, tmp_path)
        document, passages = reader.read(CORPUS / RU, CORPUS)
    assert document.lang == "ru" and len(passages) > 5


def test_a_parse_past_the_memory_limit_is_refused_and_the_next_file_is_read(tmp_path):
    # 100,000 elements: BeautifulSoup's tree outgrows a 300 MB address space (the child itself
    # needs about 240 MB); measured in the README
    page = tmp_path / "many.html"
    page.write_text("<html><body>" + "".join(f"<div><p>paragraph {i}.</p></div>" for i in range(100_000))
                    + "</body></html>", encoding="utf-8")
    with ReaderProcess(Limits(max_parse_mb=300, max_parse_s=120)) as reader:
        with pytest.raises(ReaderError, match=r"needed more than 300 MB \(max_parse_mb\)"):
            reader.read(page, tmp_path)
        _, passages = reader.read(CORPUS / RU, CORPUS)
    assert passages


def test_a_reader_error_in_the_child_keeps_its_reason(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with ReaderProcess(Limits()) as reader:
        with pytest.raises(ReaderError) as caught:
            reader.read(empty, tmp_path)
    assert caught.value.path == empty and "cannot read" not in caught.value.reason


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed (make test installs it)")
def test_each_page_a_scan_s_ocr_reads_gets_the_time_limit_anew(tmp_path):
    from tests.test_readers import make_pdf, scanned

    topics = ["Energy", "Trade", "Transport", "Customs"]
    pages = [[f"{topic}.", *[f"The ministers signed the joint statement on {topic.lower()} and its annex."] * 20]
             for topic in topics]
    (tmp_path / "one.pdf").write_bytes(scanned(make_pdf(pages[0], "")))
    (tmp_path / "scan.pdf").write_bytes(scanned(make_pdf(pages[0], "", tuple(pages[1:]))))
    # a page's OCR takes 4-9 s on the machines measured: the limit is set from this one's, a
    # fresh child reading one page (its start-up included, as the next read's first page has it)
    with ReaderProcess(Limits(max_parse_s=120)) as reader:
        started = time.perf_counter()
        reader.read(tmp_path / "one.pdf", tmp_path)
        limit = 1.5 * (time.perf_counter() - started)
    with ReaderProcess(Limits(max_parse_s=limit)) as reader:
        started = time.perf_counter()
        document, passages = reader.read(tmp_path / "scan.pdf", tmp_path)
        took = time.perf_counter() - started
    assert took > limit  # the file took longer than the limit, and was read: no page did
    assert all(f"{topic}." in document.text for topic in topics) and document.text.count("joint statement") == 80
