"""Retrieval latency and embedding throughput on 2 cores: prints figures, asserts nothing.

    python bench/retrieval_speed.py [--set ../shared/bench/xquad-ru-dev.jsonl]
                                    [--corpus ../shared/bench/corpus/xquad-ru-dev] [--n 200]

Reports the raw model's encode rate (passages/s, texts as the index embeds them), the index
build rate of the eval index for that corpus (from a fresh build into a temp folder), p50 / p90
latency of one question through hybrid retrieval (query embedding included; model warm), and of
one whole extractive answer (retrieval, evidence scoring, quotes, checks) over ``--n`` other
questions, each asked for the first time (the model's caches emptied before each: the eval's p50
reuses sentences other questions about the same paragraph had embedded).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from rag.offline import set_offline_env

set_offline_env()


def main() -> None:
    from eval.evalset import load_eval_set
    from index.ingest import sync
    from index.sentences import sentence_pooling
    from rag.service import RagService
    from rag.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="../shared/bench/xquad-ru-dev.jsonl")
    parser.add_argument("--corpus", default="../shared/bench/corpus/xquad-ru-dev")
    parser.add_argument("--n", type=int, default=200, help="questions to time")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(corpus_dir=Path(args.corpus), data_dir=Path(tmp), llm="none")
        t0 = time.perf_counter()
        report = sync(settings, progress=False, log=lambda _m: None)
        build_s = time.perf_counter() - t0
        service = RagService(settings)
        embedding = service.retriever.embedding
        passages = service.retriever.store.get(
            [pid for e in service.retriever.manifest.docs.values() for pid in e.passages])
        t1 = time.perf_counter()
        embedding.embed_passages(passages)
        encode_s = time.perf_counter() - t1
        print(f"passages: {len(passages)}; model in {embedding.dtype}; sentence vectors: {sentence_pooling(settings)}")
        print(f"raw model encode rate: {len(passages) / encode_s:.1f} passages/s ({encode_s:.1f} s)")
        print(f"index build: {report.summary()}")
        embedded_s = report.embed_seconds + report.sentence_seconds
        print(f"ingest / passage encoding alone: {build_s / encode_s:.2f}x in all (model load and reading "
              f"included), {embedded_s / encode_s:.2f}x for the embedding work (passages and sentences)")

        questions = list(dict.fromkeys(i.question for i in load_eval_set(args.set)))
        service.search(questions[0])  # warm up
        for label, ask, asked in (("retrieval", service.search, questions[: args.n]),
                                  ("extractive answer", service.ask, questions[args.n: 2 * args.n])):
            times = []
            for q in asked:
                embedding.forget()
                t = time.perf_counter()
                ask(q)
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            print(f"{label} latency over {len(times)} questions: p50 {statistics.median(times):.1f} ms, "
                  f"p90 {times[int(0.9 * (len(times) - 1))]:.1f} ms")


if __name__ == "__main__":
    main()
