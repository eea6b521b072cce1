"""Extractive answers: the selected source sentences, quoted verbatim and cited.

Used when no LLM is configured (``--llm none``) and as the fallback when a generated answer
fails its checks. The sentences come from the evidence step (``rag/evidence.py``); they are
quoted in reading order, each with the [n] marker of its passage, and a quote in another
language than the question's is labelled with its language ("(Japanese)"), so a reader knows
why the answer is not in their language. Nothing is paraphrased, so nothing can be invented.
When the evidence scorer is unsure (``sure_threshold``), the lead-in says so.
"""

from __future__ import annotations

import re

from rag.messages import LANGUAGE_NAMES, MESSAGES, language_name, message


def quoted_answer(chosen: list, passages: list, lang: str, *, sure: bool = True, list_cut: bool = False) -> dict:
    """The extractive outcome for the ``chosen`` evidence candidates (``rag.evidence.Candidate``,
    whose ``n`` numbers ``passages``): only the quoted passages are numbered, [1]..[m]. Not
    ``sure``: the lead-in says the sources may not answer the question directly. ``list_cut``: a
    quoted list goes on in its source past the items quoted, which the answer says."""
    order = list(dict.fromkeys(c.n for c in chosen))
    numbered = [passages[n - 1] for n in order]
    parts = []
    for c in chosen:
        n = order.index(c.n) + 1
        source_lang = numbered[n - 1].lang
        label = f" ({language_name(source_lang, lang)})" if source_lang and source_lang != lang else ""
        parts.append(f"«{c.sentence}» [{n}]{label}")
    if list_cut:
        parts.append(message("list_cut", lang))
    lead = message("extractive_lead" if sure else "unsure_lead", lang)
    return {"answer": f"{lead} " + " ".join(parts), "abstained": False,
            "mode": "extractive", "cited": list(range(1, len(numbered) + 1)), "numbered": numbered,
            "quotes": [c.sentence for c in chosen]}


_QUOTE = re.compile(r"«[^«»]*(?:«[^«»]*»[^«»]*)*»|「[^「」]*(?:「[^「」]*」[^「」]*)*」|\[\d+(?:,\s*\d+)*\]")


def own_words(answer: str) -> str:
    """What an answer says in its own words: without quotes, [n] markers, the extractive
    lead-in and the quotes' language labels (the answer-language metric reads only this)."""
    text = _QUOTE.sub(" ", answer)
    for lead in (*MESSAGES["extractive_lead"].values(), *MESSAGES["unsure_lead"].values(),
                 *MESSAGES["list_cut"].values()):
        text = text.replace(lead, " ")
    for names in LANGUAGE_NAMES.values():
        for name in names.values():
            text = text.replace(f"({name})", " ")
    return re.sub(r"\s+", " ", text).strip(" .,;:。、")
