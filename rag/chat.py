"""Follow-up questions: condense a question that leans on the chat history into a standalone one.

With an LLM, the model rewrites the follow-up in the user's language. Without one, a rule
does it: a short question, or one that refers back ("it", "это", "それ"…), is retrieved
together with the previous question, which restores the subject it leaves out.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Generator

from llama_index.core.llms import ChatMessage

from index.language import detect_language

log = logging.getLogger(__name__)

_REFERS_BACK = re.compile(
    r"\b(it|its|this|that|they|them|their|he|she|his|her|there|then)\b"
    r"|\b(он|она|оно|они|его|её|ее|их|это|этот|эта|этого|этом|там|тогда|него|неё|нем|нём)\b"
    r"|それ|その|これ|この|あれ|同|彼|彼女|そこ",
    re.IGNORECASE,
)

CONDENSE = {
    "en": "Rewrite the last question so that it can be understood without the conversation. "
          "Keep its language. Reply with the rewritten question only.",
    "ja": "最後の質問を、会話を読まなくても分かる独立した質問に書き直してください。"
          "日本語のまま、書き直した質問だけを答えてください。",
    "ru": "Перепиши последний вопрос так, чтобы он был понятен без разговора. "
          "Сохрани язык. Ответь только переписанным вопросом.",
}


def needs_context(question: str) -> bool:
    return bool(_REFERS_BACK.search(question)) or len(question.split()) <= 3 and len(question) < 25


def condense_by_rule(question: str, history: list[tuple[str, str]]) -> str:
    if not history or not needs_context(question):
        return question
    previous = history[-1][0]
    return f"{question} ({previous})"


def condense_question(question: str, history: list[tuple[str, str]], llm_spec: str,
                      settings) -> Generator[dict[str, Any], None, str]:
    """A standalone version of ``question`` given the (user, assistant) history (the return
    value); yields ``waiting`` events while the LLM is busy with other requests."""
    if not history or not needs_context(question):
        return question
    if llm_spec == "none":
        return condense_by_rule(question, history)
    from rag.llm import make_llm
    from rag.llm_queue import llm_queue

    lang = detect_language(question)
    transcript = "\n".join(f"Q: {u}\nA: {a}" for u, a in history[-3:])
    messages = [ChatMessage(role="system", content=CONDENSE.get(lang, CONDENSE["en"])),
                ChatMessage(role="user", content=f"{transcript}\nQ: {question}")]
    with llm_queue(llm_spec, settings).place() as place:
        yield from place.events()
        try:
            rewritten = make_llm(llm_spec, settings).chat(messages).message.content or ""
        except Exception as exc:  # noqa: BLE001 — a failed model leaves the rule, which always works
            log.warning("condensing the question with the LLM failed (%s); the rule is used", exc)
            rewritten = ""
    rewritten = rewritten.strip().splitlines()[0].strip() if rewritten.strip() else ""
    if not rewritten or detect_language(rewritten) != lang:
        return condense_by_rule(question, history)
    return rewritten
