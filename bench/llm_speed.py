"""Speed of the local LLM on a RAG-like prompt: load time, prompt and generation speed, first token.

The prompt is the app's own (``rag.prompts``): the fixed system prompt, then numbered passages
taken from the corpus (Japanese, Russian, …) and a question, about 1,200 tokens. Three asks show
what the prompt cache does:

1. cold: nothing cached;
2. new sources: same system prompt, other passages, other question (only the prefix is reused);
3. follow-up: the passages of ask 1 with another question (everything but the question is reused).

Run: ``.venv/bin/python bench/llm_speed.py [--max-tokens 64] [--chars 1300]``
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rag.offline import set_offline_env  # noqa: E402

set_offline_env()

from llama_index.core.llms import ChatMessage  # noqa: E402

from index.document import Passage  # noqa: E402
from rag.llm import LocalGGUF, local_gguf  # noqa: E402
from rag.prompts import system_prompt, user_prompt  # noqa: E402
from rag.settings import Settings  # noqa: E402

QUESTIONS = (
    "双方はエネルギー分野で何に合意しましたか？",
    "ロードマップは誰が発表しましたか？",
    "首脳会談はいつ、どこで行われましたか？",
)


def corpus_paragraphs(corpus: Path) -> list[Passage]:
    """Paragraphs of every text file of the corpus, interleaved across files (so languages mix)."""
    per_file = []
    for path in sorted(corpus.glob("*.txt")):
        blocks = re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))
        texts = [b.strip() for b in blocks if len(b.strip()) > 60]
        per_file.append([Passage(id=f"{path.stem}#p{n}", doc_id=path.stem, doc=path.name, n=n, text=t,
                                 start=0, end=0, title=path.stem) for n, t in enumerate(texts, 1)])
    longest = max(map(len, per_file), default=0)
    return [ps[i] for i in range(longest) for ps in per_file if i < len(ps)]


def take(paragraphs: list[Passage], chars: int) -> tuple[list[Passage], list[Passage]]:
    """The first paragraphs up to ``chars`` characters, and the rest."""
    total = 0
    for i, p in enumerate(paragraphs):
        total += len(p.text)
        if total >= chars:
            return paragraphs[: i + 1], paragraphs[i + 1:]
    return paragraphs, []


def ask(llm: LocalGGUF, passages: list[Passage], question: str, max_tokens: int) -> dict:
    messages = [ChatMessage(role="system", content=system_prompt("ja")),
                ChatMessage(role="user", content=user_prompt(question, passages, "ja"))]
    start = time.perf_counter()
    first, raw = None, {}
    for chunk in llm.stream_chat(messages, max_tokens=max_tokens):
        if chunk.delta and first is None:
            first = time.perf_counter() - start
        raw = chunk.raw
    t = raw["timings"]
    return {"prompt": t["cache_n"] + t["prompt_n"], "cached": t["cache_n"],
            "prompt_tps": t["prompt_per_second"], "ttft_s": first, "generated": t["predicted_n"],
            "gen_tps": t["predicted_per_second"], "total_s": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--chars", type=int, default=1300, help="characters of passages per prompt")
    args = parser.parse_args()

    settings = Settings()
    llm = local_gguf(settings)
    start = time.perf_counter()
    llm.load()
    print(f"model load: {time.perf_counter() - start:.2f} s  ({llm.model_path.name}, "
          f"n_ctx={llm.context_window}, threads={llm.threads})")

    first, rest = take(corpus_paragraphs(settings.corpus_dir), args.chars)
    second, _ = take(rest, args.chars)
    runs = [("1 cold", first, QUESTIONS[0]), ("2 new sources", second, QUESTIONS[1]),
            ("3 follow-up", first, QUESTIONS[2])]
    print(f"{'ask':15} {'prompt':>6} {'cached':>6} {'prompt/s':>8} {'TTFT s':>7} {'gen':>4} "
          f"{'gen/s':>6} {'total s':>7}")
    for label, passages, question in runs:
        r = ask(llm, passages, question, args.max_tokens)
        print(f"{label:15} {r['prompt']:6d} {r['cached']:6d} {r['prompt_tps']:8.1f} {r['ttft_s']:7.2f} "
              f"{r['generated']:4d} {r['gen_tps']:6.1f} {r['total_s']:7.2f}")


if __name__ == "__main__":
    main()
