"""Reading and splitting files in a child process that can be stopped.

A parser that hangs (a pathological PDF, a regular expression on a hostile line) or swells
(a PDF stream that inflates without end) cannot be interrupted from inside Python, so ingest
hands each file to one long-lived child process: a fresh interpreter (``python -m
index.reader_process``: no copy of the parent's model threads, no re-import of the caller's main
script), its address space capped at ``max_parse_mb``, and killed when one file takes longer than
``max_parse_s`` (a scanned PDF's pages read by OCR each get that time: the child says when one
is done). That file is then reported as not indexed with the reason, a new
child starts for the next file, and the sync goes on. The parent keeps the embedding model; the
child imports the readers only.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
import os
import resource
import subprocess
import sys
from multiprocessing.connection import Connection
from pathlib import Path

from index.document import Document, Passage
from index.readers import Limits, ReaderError

_START_TIMEOUT_S = 120


def _serve(conn, limits: Limits) -> None:
    """The child's loop: (path, corpus root, document ID) in, ("ok", (document, passages)) or ("error", reason) out."""
    from index import ocr
    from index.language import detect_language
    from index.passages import ingest_file  # the child imports the readers only, no torch

    detect_language("warm up")  # the language model loads now, not inside the first file's time limit
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a broken PDF is reported once, as the file's reason

    if limits.max_parse_mb > 0:
        cap = int(limits.max_parse_mb * 2**20)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    ocr.on_page(lambda: conn.send(("page", None)))  # a page read by OCR: the time limit starts again
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except EOFError:  # the parent is gone (killed): nothing more to read
            return
        if job is None:
            return
        path, corpus_root, doc_id = job
        try:
            result = ("ok", ingest_file(path, corpus_root, limits=limits, doc_id=doc_id))
        except MemoryError:
            result = None  # answered below, once the traceback and the parser's objects are freed
        except Exception as exc:  # noqa: BLE001 — reported for this file; the child serves the next
            # a C parser whose allocation failed may say so as another error ("SystemError: error
            # return without exception set"): while the failed parse's objects still fill the address space
            result = None if _near_the_cap(limits) else ("error", failure_reason(exc))
        if result is None:
            gc.collect()
            result = ("error", f"parsing needed more than {limits.max_parse_mb:g} MB (max_parse_mb)")
        conn.send(result)


def _near_the_cap(limits: Limits) -> bool:
    """Whether the child's address space is within a tenth of ``max_parse_mb``."""
    if limits.max_parse_mb <= 0:
        return False
    with open("/proc/self/status", encoding="ascii") as status:
        size_kb = next((int(line.split()[1]) for line in status if line.startswith("VmSize:")), 0)
    return size_kb * 1024 >= 0.9 * limits.max_parse_mb * 2**20


def failure_reason(exc: BaseException) -> str:
    """One line saying why a file was not indexed: a ReaderError's reason, else the exception's
    type and the first line of its message."""
    if isinstance(exc, ReaderError):
        return exc.reason
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else 'no detail'}"


def _main(argv: list[str]) -> None:
    read_fd, write_fd, limits = int(argv[0]), int(argv[1]), Limits(**json.loads(argv[2]))
    with Connection(read_fd, writable=False) as jobs, Connection(write_fd, readable=False) as results:
        _serve(_Duplex(jobs, results), limits)


class _Duplex:
    """Two one-way pipe ends used as one connection."""

    def __init__(self, incoming: Connection, outgoing: Connection) -> None:
        self.incoming, self.outgoing = incoming, outgoing

    def recv(self):
        return self.incoming.recv()

    def send(self, obj) -> None:
        self.outgoing.send(obj)

    def poll(self, timeout: float) -> bool:
        return self.incoming.poll(timeout)

    def close(self) -> None:
        self.incoming.close()
        self.outgoing.close()


class ReaderProcess:
    """``read(path, corpus_root, doc_id)`` = ``index.passages.ingest_file`` in a child process, with a time limit."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._proc = None
        self._conn = None

    def read(self, path: Path, corpus_root: Path, doc_id: str | None = None) -> tuple[Document, list[Passage]]:
        if self._proc is None or self._proc.poll() is not None:
            self._start()
        self._conn.send((path, corpus_root, doc_id))
        status = "page"
        while status == "page":  # a page read by OCR, and more to read
            if not self._conn.poll(self.limits.max_parse_s):
                self._stop()
                raise ReaderError(path, f"parsing took longer than {self.limits.max_parse_s:g} s (max_parse_s)")
            try:
                status, payload = self._conn.recv()
            except (EOFError, OSError):
                code = self._proc.wait(5)
                self._stop()
                raise ReaderError(path, f"the reader process died while parsing it (exit code {code})") from None
        if status == "error":
            raise ReaderError(path, payload)
        return payload

    def _start(self) -> None:
        job_read, job_write = os.pipe()
        result_read, result_write = os.pipe()
        limits = json.dumps(dataclasses.asdict(self.limits))
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "index.reader_process", str(job_read), str(result_write), limits],
            pass_fds=(job_read, result_write), stdin=subprocess.DEVNULL,
            # one BLAS thread: the child does no algebra worth more, and each thread reserves memory
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
        )
        os.close(job_read)
        os.close(result_write)
        self._conn = _Duplex(Connection(result_read, writable=False), Connection(job_write, readable=False))
        # the time limit is for parsing, not for starting Python: wait for the child to be ready
        if not self._conn.poll(_START_TIMEOUT_S) or self._conn.recv()[0] != "ready":
            self._stop()
            raise RuntimeError(f"the reader process did not start within {_START_TIMEOUT_S} s")

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._conn.close()
        self._proc = self._conn = None

    def close(self) -> None:
        """Let the child finish and exit (killed if it does not within a few seconds)."""
        if self._proc is not None and self._proc.poll() is None:
            try:
                self._conn.send(None)
                self._proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._stop()

    def __enter__(self) -> "ReaderProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


if __name__ == "__main__":
    _main(sys.argv[1:])
