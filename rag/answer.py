"""Generated answers: prompt the LLM, stream its text, then check it before it counts.

Checks, in order: the model may decline (NO_ANSWER); the answer must be in the question's
language (or copied word for word from a passage written in it); every sentence must carry a
valid [n] marker (markers that point nowhere are removed) and no word that mixes scripts unless
its source has it ("этапフェазе":
``index.language.garbled_words``); every number, date and name in a sentence must appear in
the passages it cites (a name transliterated from another script gets the source's spelling
beside it; a day and month, the year the source gives them; the "1." of a numbered list is the
list's, not a number the sentence states), and the sentence must state one
such fact that the question does not and that the quoted evidence sentence holds (the sentence
the evidence step found to answer the question: a 1.5B model reading a whole passage sometimes
answers from its neighbour sentence, or gives the year where an anniversary was asked), and
its new facts must not all be of a kind the question does not ask for (a date where a place
was asked: the answer-type model of ``rag/evidence.py`` reads that from the question).
Sentences that fail are dropped; when none survives or the language is wrong, the answer falls
back to the extractive one; when the model declines, the answer is an abstention. The result
says which happened. A generation caught in a loop (``repeating_tail``) is stopped as it
streams and checked as far as it went.
"""

from __future__ import annotations

import logging
import time
import unicodedata
from dataclasses import replace
from typing import Any, Callable, Generator

from llama_index.core.llms import ChatMessage

from index.document import Passage
from index.language import garbled_words, in_language
from index.paragraphs import without_list_marker
from rag.chat import Phrasing
from rag.citations import map_markers, render_answer
from rag.claims import check_sentence, fold, is_katakana, new_to
from rag.llm import make_llm, stop_stream
from rag.llm_queue import llm_queue
from rag.messages import message
from rag.prompts import NO_ANSWER, system_prompt, user_prompt

log = logging.getLogger(__name__)


# a generation whose last LOOP_REPEATS pieces of one of LOOP_PERIODS lengths are one text is
# stopped there: the model is in a loop (it once wrote «Вот ответ на ваш вопрос:» until its token
# limit, 32 s on 2 cores, each repeat shown to the user as it streamed)
LOOP_REPEATS = 3
LOOP_PERIODS = range(8, 201)


def repeating_tail(text: str) -> int:
    """The length of the piece (with a letter in it: a rule of dashes is no loop) that ``text``
    ends with ``LOOP_REPEATS`` times in a row, or 0."""
    end = len(text)
    for period in LOOP_PERIODS:
        if period * LOOP_REPEATS > end:
            break
        piece = text[end - period:]
        if any(ch.isalpha() for ch in piece) and all(
                text[end - k * period:end - (k - 1) * period] == piece for k in range(2, LOOP_REPEATS + 1)):
            return period
    return 0


def generate_answer(
    phrasing: Phrasing, lang: str, passages: list[Passage], llm_spec: str, settings,
    *, fallback: Callable[[str], dict], timings: dict, started: float, evidence: list[str] | None = None,
    unasked: frozenset[str] = frozenset(),
) -> Generator[dict[str, Any], None, dict[str, Any]]:
    """Yield ``waiting`` events while the LLM is busy with other requests, ``token`` events while
    it writes; return the checked outcome (checked against the whole ``phrasing``: what the
    earlier question gave is no new fact either)."""
    llm = make_llm(llm_spec, settings)
    messages = [ChatMessage(role="system", content=system_prompt(lang)),
                ChatMessage(role="user", content=user_prompt(phrasing.asked, passages, lang, phrasing.earlier))]
    text, looped = "", False
    with llm_queue(llm_spec, settings).place() as place:
        yield from place.events()
        timings["llm_slot_s"] = round(time.perf_counter() - started, 3)
        stream, finished = None, False
        try:
            stream = llm.stream_chat(messages)
            for chunk in stream:
                delta = chunk.delta or ""
                if not delta:
                    continue
                if not text:
                    timings["first_token_s"] = round(time.perf_counter() - started, 3)
                text += delta
                yield {"type": "token", "text": delta}
                if period := repeating_tail(text):  # a small model caught in a loop writes nothing more
                    log.warning("the LLM repeats itself; its generation is stopped")
                    text, looped = text[:len(text) - (LOOP_REPEATS - 1) * period], True
                    break
            else:
                finished = True
        except Exception as exc:  # noqa: BLE001 — a failed or timed-out model still leaves the quotes
            log.warning("the LLM failed (%s); the answer quotes the sources instead", exc)
            return fallback(f"the LLM failed: {type(exc).__name__}")
        finally:
            if stream is not None and not finished:  # a loop, an error, or the user gone
                stop_stream(stream)
    timings["generation_s"] = round(time.perf_counter() - started, 3)
    outcome = check_answer(text, phrasing.text, lang, passages, fallback, evidence, unasked)
    if looped:
        outcome["checks"]["stopped"] = "the model repeated itself"
    return outcome


def check_answer(text: str, question: str, lang: str, passages: list[Passage],
                 fallback: Callable[[str], dict], evidence: list[str] | None = None,
                 unasked: frozenset[str] = frozenset()) -> dict:
    """Turn the raw model text into an outcome: checked answer, abstention, or fallback.

    A sentence is kept when it cites a passage, every date, number and name in it appears in
    what it cites (names in another script must at least transliterate, unless the question
    names them too), and it states at
    least one such checked fact that the question did not already hold: a small model's
    answers that merely restate the question ("the two sides met [1]") go. With ``evidence``
    (the quoted sentences that answer the question), that fact must also be one they state.
    With ``unasked`` (kinds of fact, "date" or "number", the question does not ask for), the
    sentence's new facts must not all be of those kinds: "in November 2018" does not answer
    "which summit?".
    The model is also the judge of whether the sources answer at all: when it declines, the
    answer is an abstention, however sure the evidence scorer was (overruling it when the scorer
    was 0.8 sure or more answered no question right on the dev sets: see the README).
    """
    raw = text.strip()
    if not raw or raw.strip(" .。").upper().startswith(NO_ANSWER):  # not an echo of the instructions
        return {"answer": message("abstain", lang), "abstained": True, "mode": "abstain", "cited": [],
                "checks": {"model_declined": True, "raw": raw}}
    if not in_language(raw, lang, [p.text for p in passages if p.lang == lang]):
        out = fallback(f"answer not in the question's language ({lang})")
        out["checks"]["raw"] = raw
        return out
    sentences, invalid = map_markers(raw, len(passages))
    kept, dropped = [], []
    for sentence in sentences:
        if not sentence.markers:
            dropped.append({"sentence": sentence.text, "reason": "no citation"})
            continue
        cited_text = " ".join(passages[n - 1].text for n in sentence.markers)
        stated = without_list_marker(sentence.text)  # "1. The agreement on …": the 1 is the list's
        garbled = [w for w in garbled_words(stated) if w not in cited_text]  # a source's own slips pass
        if garbled:
            dropped.append({"sentence": sentence.text, "reason": "garbled words: " + ", ".join(garbled)})
            continue
        check = check_sentence(stated, [passages[n - 1] for n in sentence.markers])
        unchecked = [name for name in check.unverifiable if new_to(name, question)]  # the question's own are given
        if not check.ok:
            dropped.append({"sentence": sentence.text, "reason": "unsupported: " + ", ".join(check.unsupported)})
        elif check.yearless:
            dropped.append({"sentence": sentence.text, "reason": "a date without the year its source gives: "
                            + ", ".join(check.yearless)})
        elif unchecked:
            dropped.append({"sentence": sentence.text, "reason": "cannot be checked against the cited source: "
                            + ", ".join(unchecked)})
        elif not (new := [claim for claim in check.supported if new_to(claim, question)]):
            dropped.append({"sentence": sentence.text, "reason": "states no checked fact beyond the question"})
        elif all(check.kinds[claim] in unasked for claim in new):
            dropped.append({"sentence": sentence.text, "reason": "states only facts of a kind the question does "
                            "not ask for: " + ", ".join(new)})
        elif evidence and not _restates_evidence(stated, check.supported, question, evidence, passages):
            dropped.append({"sentence": sentence.text, "reason": "states no fact of the quoted evidence sentence"})
        else:
            kept.append(replace(sentence, text=with_source_spellings(sentence.text, check.spellings)))
    checks: dict[str, Any] = {"invalid_markers": invalid, "dropped": dropped}
    if not kept:
        out = fallback("no sentence of the generated answer passed the citation and claim checks")
        out["checks"] = {**checks, **out.get("checks", {}), "raw": raw}
        return out
    cited = sorted({n for s in kept for n in s.markers})
    return {"answer": render_answer(kept), "abstained": False, "mode": "llm", "cited": cited, "checks": checks,
            "numbered": passages}


def with_source_spellings(text: str, spellings: dict[str, str]) -> str:
    """``text`` with the source's spelling after each name it transliterates from another script
    ("Anna Schmidt (アンナ・シュミット)"), unless the text already gives it: a
    garbled transliteration cannot pass as the name, and a reader can search the source for it."""
    for surface, shown in spellings.items():
        if surface not in text:  # the check read the NFKC form: "Ｓｍｉｔｈ" was "Smith" to it
            text = unicodedata.normalize("NFKC", text)
        at = text.find(surface)
        if at < 0 or fold(shown) in fold(text):
            continue
        end = at + len(surface)
        aside = f"（{shown}）" if is_katakana(surface) else f" ({shown})"
        text = text[:end] + aside + text[end:]
    return text


def _restates_evidence(sentence: str, supported: list[str], question: str, evidence: list[str],
                       passages: list[Passage]) -> bool:
    """Does the sentence state a fact beyond the question that the evidence sentences hold?"""
    quoted = [replace(passages[0], text=" ".join(evidence))] if passages else []
    held = check_sentence(sentence, quoted).supported if quoted else []
    return any(claim in held and new_to(claim, question) for claim in supported)
