"""Scale benchmark: an index of N passages, then query latency, serve start-up, memory and a
one-document update. Prints figures and writes them as JSON; asserts nothing.

    python bench/scale.py --passages 100000 --json eval/reports/scale.json [--work DIR]

The corpus is the shared bench text (JSQuAD and XQuAD articles) copied under other folder
names until it holds N passages. Passages and sentences get random unit vectors (embedding
100,000 passages takes a day on 2 cores; the model's own cost is measured by
``bench/retrieval_speed.py``), so ingest here times and sizes everything but the model:
reading, analysing, Chroma, BM25, sentence vectors, manifest. Questions are embedded by the
real model: query latency includes it. Figures:

- ``ingest_s``, ``ingest_rss_mb``: the ingest, run in a child process, and its peak RSS;
- ``query_p50_s``/``query_p90_s``: hybrid retrieval of bench questions (query embedding
  included); ``filtered_query_p50_s``: the same restricted to Russian passages;
- ``update_one_doc_s``: adding one document to the big index (embedding excluded);
- ``index_check_s``, ``index_problems``: ``rag ingest --check``'s work on the big index (every
  store against the manifest, vector search asked for every passage by its own vector);
- ``warm_up_s``: loading the model and opening the index (BM25 matrix built) in-process;
- ``serve_ready_s``/``serve_first_answer_s``/``serve_rss_mb``: ``rag serve`` over the index
  until its page answers (it warms up in the background meanwhile), until it has answered a
  first question through the API, and its RSS then.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.processes import free_port, rss_mb  # noqa: E402
from rag.offline import set_offline_env  # noqa: E402

set_offline_env()

BENCH = REPO.parent / "shared" / "bench"
SOURCES = [BENCH / "corpus" / "jsquad-valid", BENCH / "corpus" / "xquad-ru-dev"]
QUESTION_SETS = [BENCH / "jsquad-valid.jsonl", BENCH / "xquad-ru-dev.jsonl", BENCH / "xquad-en2ru-dev.jsonl"]


class RandomEmbedding:
    """Stands in for the model at ingest: a random unit vector per passage or sentence."""

    dim = 768  # EmbeddingGemma's

    def __init__(self, _settings=None) -> None:
        import numpy as np

        self._rng = np.random.default_rng(0)

    def load(self) -> "RandomEmbedding":
        return self

    def _vectors(self, n: int):
        import numpy as np

        v = self._rng.standard_normal((n, self.dim), dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def embed_passages(self, passages, progress: bool = False):
        return self._vectors(len(passages))

    def embed_sentences(self, sentences, progress: bool = False):
        return self._vectors(len(sentences))

    def document_text(self, passage) -> str:
        return passage.text

    def vector_key(self, passage, sentences, pooling: str) -> str:
        """A key no other passage has: every passage counts as embedded (the copies' texts repeat)."""
        return f"random-{self._rng.integers(1 << 62)}"

    def sentence_text(self, passage, sentence: str) -> str:
        return sentence

    def embed_alone(self, sentences):
        return self._vectors(len(sentences))

    def embed_late(self, passages, sentences, progress: bool = False):
        return self._vectors(len(passages)), [self._vectors(len(s)) for s in sentences], \
            [self._vectors(len(s)) for s in sentences]


def _settings(corpus: Path, data: Path):
    from rag.settings import Settings

    return Settings(corpus_dir=corpus, data_dir=data, llm="none")


def build_corpus(target: Path, passages: int) -> tuple[int, int]:
    """Copy the bench articles into ``target/copy-NNNN/`` until they hold ``passages`` passages."""
    from index.passages import ingest_file

    sources = [(f, len(ingest_file(f, f.parent)[1])) for folder in SOURCES for f in sorted(folder.iterdir())]
    total = files = copy = 0
    while total < passages:
        folder = target / f"copy-{copy:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        for f, n in sources:
            if total >= passages:
                break
            shutil.copyfile(f, folder / f.name)
            total, files = total + n, files + 1
        copy += 1
    return files, total


def ingest(corpus: Path, data: Path) -> None:
    """The ingest, as the child process runs it."""
    from index.ingest import sync

    report = sync(_settings(corpus, data), progress=True, embedding_factory=RandomEmbedding, log=lambda _m: None)
    print(report.summary(), file=sys.stderr)


def _questions(n: int) -> list[str]:
    out: list[str] = []
    for path in QUESTION_SETS:
        with path.open(encoding="utf-8") as fh:
            out += [json.loads(line)["question"] for line in fh][: n // len(QUESTION_SETS) + 1]
    return out[:n]


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * (len(values) - 1)))]


def measure_serve(corpus: Path, data: Path, question: str) -> tuple[float, float, float]:
    """(seconds until the page answers, until the first answer, RSS in MB then)."""
    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "RAG_CORPUS_DIR": str(corpus), "RAG_DATA_DIR": str(data), "RAG_LLM": "none"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError("rag serve exited")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        ready = time.perf_counter() - t0
        Client(f"http://127.0.0.1:{port}/", verbose=False).predict(question, "none", api_name="/ask")
        return ready, time.perf_counter() - t0, rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--work", type=Path, help="folder for the corpus and index (default: a temporary one)")
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--reuse", action="store_true",
                        help="measure the index already in --work (built by an earlier run) instead of building one")
    parser.add_argument("--ingest-child", nargs=2, metavar=("CORPUS", "DATA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ingest_child:
        ingest(Path(args.ingest_child[0]), Path(args.ingest_child[1]))
        return

    work = args.work or Path(tempfile.mkdtemp(prefix="rag-scale-"))
    corpus, data = work / "corpus", work / "data"
    figures: dict[str, float | int] = {}
    if args.reuse and args.work:
        from index.manifest import Manifest

        manifest = Manifest.load(data / "manifest.json")
        figures |= {"passages": sum(len(e.passages) for e in manifest.docs.values()), "files": len(manifest.docs)}
        shutil.rmtree(corpus / "update", ignore_errors=True)
        print(f"index reused: {figures['files']} files, {figures['passages']} passages, in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
        files, passages = build_corpus(corpus, args.passages)
        print(f"corpus: {files} files, {passages} passages, in {corpus}")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--ingest-child", str(corpus), str(data)], check=True)
        figures |= {"passages": passages, "files": files, "ingest_s": round(time.perf_counter() - t0, 1),
                    "ingest_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}
        print(f"ingest: {figures['ingest_s']} s, peak RSS {figures['ingest_rss_mb']} MB (random vectors)")

    from rag.options import Filters
    from rag.service import RagService

    service = RagService(_settings(corpus, data))
    t0 = time.perf_counter()
    service.warm_up()
    figures["warm_up_s"] = round(time.perf_counter() - t0, 2)
    questions = _questions(2 * args.questions)  # each question once: its embedding is not cached
    timed: dict[str, list[float]] = {"query": [], "filtered_query": []}
    narrow = Filters(langs=["ru"])  # the bench articles carry no dates
    for i, q in enumerate(questions):
        name, filters = ("query", None) if i % 2 == 0 else ("filtered_query", narrow)
        t = time.perf_counter()
        service.search(q, filters=filters)
        timed[name].append(time.perf_counter() - t)
    for name, values in timed.items():
        figures[f"{name}_p50_s"] = round(statistics.median(values), 3)
        figures[f"{name}_p90_s"] = round(_percentile(values, 0.9), 3)
    print(f"query p50 {figures['query_p50_s']} s, p90 {figures['query_p90_s']} s; "
          f"filtered p50 {figures['filtered_query_p50_s']} s ({args.questions} questions each)")
    del service

    from index.ingest import sync

    extra = corpus / "update" / "one-more.txt"
    extra.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(next(SOURCES[1].iterdir()), extra)
    t0 = time.perf_counter()
    report = sync(_settings(corpus, data), progress=False, embedding_factory=RandomEmbedding, log=lambda _m: None)
    figures["update_one_doc_s"] = round(time.perf_counter() - t0, 2)
    print(f"one document added in {figures['update_one_doc_s']} s ({report.summary()})")

    from index.writer import consistency_problems

    t0 = time.perf_counter()
    problems = consistency_problems(_settings(corpus, data))
    figures["index_check_s"], figures["index_problems"] = round(time.perf_counter() - t0, 1), len(problems)
    print(f"index check (`rag ingest --check`, vector search asked for every passage): "
          f"{figures['index_check_s']} s, {'; '.join(problems) or 'no problems'}")

    ready, answered, rss = measure_serve(corpus, data, questions[0])
    figures["serve_ready_s"], figures["serve_first_answer_s"] = round(ready, 1), round(answered, 1)
    figures["serve_rss_mb"] = round(rss, 1)
    print(f"rag serve: page up in {figures['serve_ready_s']} s, first answer at {figures['serve_first_answer_s']} s, "
          f"RSS {figures['serve_rss_mb']} MB")

    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
