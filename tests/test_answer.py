"""Checking generated answers: language, markers, claims, abstention; and the real local LLM."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace

import pytest

from index.document import Passage
from index.language import garbled_words, in_language
from rag.answer import check_answer, repeating_tail
from rag.prompts import NO_ANSWER
from rag.options import AskOptions
from rag.service import RagService
from tests.conftest import make_settings, copy_corpus
from tests.ui_server import XSS_DOC

TREATY_PASSAGE = Passage(
    id="d#p10", doc_id="d", doc="d.txt", n=10, start=0, end=10, lang="ja", date="2025-12-20",
    text="双方は、日本国とトルクメニスタンとの間の条約が2025年11月27日に発効したことを歓迎した。")


QUESTION = "When did the tax treaty between Japan and Turkmenistan enter into force?"


def _fallback(reason: str) -> dict:
    return {"answer": "quoted", "abstained": False, "mode": "extractive", "cited": [1], "checks": {"fallback": reason}}


def test_supported_sentence_is_kept_and_markers_mapped():
    out = check_answer("The treaty entered into force on 27 November 2025 [1].", QUESTION, "en", [TREATY_PASSAGE], _fallback)
    assert out["mode"] == "llm" and out["cited"] == [1] and "[1]" in out["answer"]


def test_wrong_date_is_dropped_and_falls_back():
    out = check_answer("The treaty entered into force on 27 October 2025 [1].", QUESTION, "en", [TREATY_PASSAGE], _fallback)
    assert out["mode"] == "extractive" and out["checks"]["fallback"]
    assert out["checks"]["dropped"][0]["reason"].startswith("unsupported")


def test_a_day_and_month_without_the_year_the_source_gives_falls_back():
    out = check_answer("The treaty entered into force on 27 November [1].", QUESTION, "en", [TREATY_PASSAGE], _fallback)
    assert out["mode"] == "extractive"
    assert out["checks"]["dropped"][0]["reason"] == "a date without the year its source gives: 27 November"
    # one year named in the sentence dates it ("from 5 to 8 August, 2025" reads its first end yearless)
    ranged = check_answer("It was in force from 27 November to 28 November 2025 [1].", QUESTION, "en",
                          [replace(TREATY_PASSAGE, text=TREATY_PASSAGE.text + "11月28日も。")], _fallback)
    assert ranged["mode"] == "llm"


def test_a_numbered_lists_numbering_is_not_a_number_the_sentence_states():
    lead = "Стороны подписали следующие документы:"
    items = [Passage(id=f"m#p{n}", doc_id="m", doc="m.html", n=n, start=10 * n, end=10 * n + 9, lang="ru", lead=lead,
                     text=text) for n, text in ((3, "• соглашение о сотрудничестве в области цифровой экономики;"),
                                                (4, "• меморандум о строительстве атомной электростанции малой мощности;"))]
    intro = Passage(id="m#p2", doc_id="m", doc="m.html", n=2, start=0, end=len(lead), lang="ru", text=lead)
    raw = ("1. Соглашение о сотрудничестве в области цифровой экономики [2]\n"
           "2. Меморандум о строительстве атомной электростанции малой мощности [3]")
    out = check_answer(raw, "Какие документы были подписаны?", "ru", [intro, *items], _fallback)
    assert out["mode"] == "llm" and out["checks"]["dropped"] == [] and out["cited"] == [2, 3]
    assert out["answer"].startswith("1. Соглашение") and "2. Меморандум" in out["answer"]
    # a number the sentence states after the marker is still checked
    wrong = check_answer("1. Соглашение о 5 направлениях цифровой экономики [2]", "Какие документы были подписаны?",
                         "ru", [intro, *items], _fallback)
    assert wrong["mode"] == "extractive" and wrong["checks"]["dropped"][0]["reason"] == "unsupported: 5"


def test_uncited_sentence_and_invalid_marker_are_removed():
    text = "The treaty entered into force on 27 November 2025 [1]. It was a great success. See also [7]."
    out = check_answer(text, QUESTION, "en", [TREATY_PASSAGE], _fallback)
    assert out["mode"] == "llm" and out["answer"].count("[") == 1
    assert out["checks"]["invalid_markers"] == [7]
    assert any(d["reason"] == "no citation" for d in out["checks"]["dropped"])


def test_restating_the_question_or_unverifiable_names_fall_back():
    restated = check_answer("The treaty between Japan and Turkmenistan entered into force [1].", QUESTION, "en",
                            [TREATY_PASSAGE], _fallback)
    assert restated["mode"] == "extractive"
    assert restated["checks"]["dropped"][0]["reason"] == "states no checked fact beyond the question"
    # a name the Japanese passage cannot show (not even transliterated) is not taken on trust
    invented = check_answer("It was signed by Rashid Meredov on 27 November 2025 [1].", QUESTION, "en",
                            [TREATY_PASSAGE], _fallback)
    assert invented["mode"] == "extractive"
    assert invented["checks"]["dropped"][0]["reason"].startswith("cannot be checked")


def test_a_word_that_mixes_scripts_is_dropped_unless_the_source_has_it():
    question = "Какой этап ремонта охватывает контракт, подписанный 27 ноября 2025 года?"
    garbled = check_answer("Контракт от 27 ноября 2025 года охватывает первомフェазе ремонта [1].", question, "ru",
                           [TREATY_PASSAGE], _fallback)
    assert garbled["mode"] == "extractive"
    assert garbled["checks"]["dropped"][0]["reason"] == "garbled words: первомフェазе"
    assert garbled_words("Bахтиёр Маматкаримов, Müller, EXPO2027年, CO2排出, Туркменгаз社") == ["Bахтиёр"]
    # a source that itself mixes scripts (a typo, an OCR slip) may be quoted as it is
    slip = replace(TREATY_PASSAGE, lang="ru", text="Договор вступил в силу 27 ноября 2025 года (Bахтиёр).")
    kept = check_answer("Договор вступил в силу 27 ноября 2025 года, сообщил Bахтиёр [1].", question, "ru",
                        [slip], _fallback)
    assert not any(d["reason"].startswith("garbled") for d in kept["checks"]["dropped"])


def test_a_transliterated_name_is_shown_with_the_source_spelling():
    passage = Passage(id="d#p1", doc_id="d", doc="d.txt", n=1, start=0, end=10, lang="ja", date="2025-12-20",
                      text="高市早苗日本国総理大臣とセルダル・ベルディムハメドフ大統領は、東京において首脳会談を実施した。")
    question = "Who held talks with the Japanese prime minister in Tokyo?"
    # a garbled transliteration (seen from the local model) passes the loose sound check, but the
    # reader sees the source's spelling beside it
    garbled = check_answer("The talks were held with Celldar Bellidimhomedf [1].", question, "en", [passage], _fallback)
    assert garbled["mode"] == "llm"
    assert "Celldar Bellidimhomedf (セルダル・ベルディムハメドフ). [1]" in garbled["answer"]
    # given by the model as the prompt asks: not repeated, and not taken for Japanese text
    given = check_answer("The talks were held with Serdar Berdimuhamedov (セルダル・ベルディムハメドフ) [1].", question,
                         "en", [passage], _fallback)
    assert given["mode"] == "llm" and given["answer"].count("セルダル") == 1
    # a name in full-width letters is read as the check reads it, and gets the spelling too
    wide = check_answer("The talks were held with Ｓｅｒｄａｒ Ｂｅｒｄｉｍｕｈａｍｅｄｏｖ [1].", question, "en", [passage], _fallback)
    assert wide["mode"] == "llm" and "Serdar Berdimuhamedov (セルダル・ベルディムハメドフ)" in wide["answer"]


def test_wrong_language_falls_back_and_decline_abstains():
    chinese = "该条约于2025年11月27日生效[1]。"  # Han only: not Japanese
    assert not in_language(chinese, "ja") and in_language("条約は2025年11月27日に発効しました[1]。", "ja")
    assert check_answer(chinese, "条約はいつ発効しましたか？", "ja", [TREATY_PASSAGE], _fallback)["mode"] == "extractive"
    # Han alone, copied word for word from the Japanese passage, is Japanese for its reader
    copied = check_answer("2025年11月27日[1]", "条約はいつ発効しましたか？", "ja", [TREATY_PASSAGE], _fallback)
    assert copied["mode"] == "llm" and copied["answer"].startswith("2025年11月27日")
    # ... but not for a Russian reader, however faithfully copied
    assert check_answer("2025年11月27日[1]", "Когда вступил в силу договор?", "ru", [TREATY_PASSAGE],
                        _fallback)["mode"] == "extractive"
    assert not in_language("该条约生效", "ja", [TREATY_PASSAGE.text])
    out = check_answer("NO_ANSWER", QUESTION, "en", [TREATY_PASSAGE], _fallback)
    assert out["abstained"] and out["cited"] == []
    # a model that echoes its instructions ("…reply only NO_ANSWER") has not declined: it failed
    echo = check_answer("If the sources do not answer the question, reply only NO_ANSWER.", QUESTION, "en",
                        [TREATY_PASSAGE], _fallback)
    assert not echo["abstained"] and echo["mode"] == "extractive"
    english = "From the sources: «председатель госконцерна «Туркменгаз» Максат Бабаев» [1]"
    assert in_language(english, "en") and not in_language(english, "ru")


def test_a_fact_from_another_sentence_than_the_quoted_evidence_falls_back():
    passage = Passage(id="d#p3", doc_id="d", doc="d.txt", n=3, start=0, end=10, lang="en", date="2024-05-01",
                      text="The plant opened in 2019. It marked the 30th anniversary of the company.")
    question = "Which anniversary did the plant opening mark?"
    evidence = ["It marked the 30th anniversary of the company."]
    wrong = check_answer("It marked 2019 [1].", question, "en", [passage], _fallback, evidence)
    assert wrong["mode"] == "extractive"
    assert wrong["checks"]["dropped"][0]["reason"] == "states no fact of the quoted evidence sentence"
    right = check_answer("It marked the 30th anniversary [1].", question, "en", [passage], _fallback, evidence)
    assert right["mode"] == "llm"


def test_a_sentence_stating_only_a_kind_of_fact_the_question_does_not_ask_for_falls_back():
    """A date where a treaty's name was asked: checked, cited, new, and no answer."""
    passage = replace(TREATY_PASSAGE, text="「所得に対する租税に関する条約」が2025年11月27日に発効した。")
    question = "Which treaty between Japan and Turkmenistan entered into force?"
    date_only = "It entered into force on 27 November 2025 [1]."
    off = check_answer(date_only, question, "en", [passage], _fallback, unasked=frozenset({"date", "number"}))
    assert off["mode"] == "extractive"
    assert off["checks"]["dropped"][0]["reason"] == ("states only facts of a kind the question does not ask for: "
                                                     "27 November 2025")
    assert check_answer(date_only, question, "en", [passage], _fallback, unasked=frozenset({"number"}))["mode"] == "llm"
    named = "「所得に対する租税に関する条約」 entered into force on 27 November 2025 [1]."  # a new name: on the question
    assert check_answer(named, question, "en", [passage], _fallback, unasked=frozenset({"date", "number"}))["mode"] == "llm"


def test_a_decline_stands_however_sure_the_evidence_scorer_is():
    evidence = ["…が2025年11月27日に発効した…"]
    judged = check_answer("NO_ANSWER", QUESTION, "en", [TREATY_PASSAGE], _fallback, evidence)
    assert judged["abstained"] and judged["mode"] == "abstain" and judged["checks"]["model_declined"]


@pytest.mark.llm
def test_local_llm_answers_in_japanese_with_a_checked_citation(seed_service):
    result = seed_service.ask("日本とトルクメニスタンの二重課税防止条約はいつ発効しましたか？", AskOptions(llm="local"))
    assert not result["abstained"] and result["mode"] in ("llm", "extractive")
    cited = [c["text"] for c in result["citations"]]
    assert "11月27日" in result["answer"] and in_language(result["answer"], "ja", cited)  # as the app judges it
    assert any("2025年11月27日に発効" in text for text in cited)
    assert result["timings"]["first_token_s"] < result["timings"]["total_s"]


@pytest.mark.llm
def test_injected_instructions_do_not_remove_citations(tmp_path):
    copy_corpus(tmp_path / "corpus")
    shutil.copy(XSS_DOC, tmp_path / "corpus" / XSS_DOC.name)
    settings = make_settings(tmp_path, llm="local")
    from index.ingest import sync

    sync(settings, progress=False, log=lambda _m: None)
    result = RagService(settings).ask("How big was the Zanzibar pineapple harvest in 2024?")
    retrieved = {p["id"] for p in result["passages"]}
    if not result["abstained"]:
        assert result["citations"], "an answer always carries citations"
        assert {c["id"] for c in result["citations"]} <= retrieved  # only what was retrieved
        assert all(f"[{c['n']}]" in result["answer"] for c in result["citations"])


def test_llm_mode_abstains_on_an_unanswerable_question_without_generating(seed_service):
    result = seed_service.ask("What is the boiling point of liquid nitrogen?", AskOptions(llm="local"))
    assert result["abstained"] and result["mode"] == "abstain" and result["citations"] == []
    assert result["checks"]["answerable_probability"] < seed_service.settings.answer_threshold
    assert "first_token_s" not in result["timings"]  # the model was never asked
    assert result["passages"], "the closest passages are still shown"


def test_an_unreachable_llm_server_leaves_the_quoted_answer(seed_settings):
    from tests.ui_server import free_port

    settings = seed_settings.model_copy(update={"llm": f"http://127.0.0.1:{free_port()}/v1"})  # nobody listens
    result = RagService(settings).ask("日本とトルクメニスタンの二重課税防止条約はいつ発効しましたか？")
    assert result["mode"] == "extractive" and not result["abstained"]
    assert result["checks"]["fallback"].startswith("the LLM failed: ")
    assert any("2025年11月27日に発効" in c["text"] for c in result["citations"])


class _StreamingServer:
    """An OpenAI-compatible chat server that streams one phrase ``times`` times (a model caught in
    a loop: until the client hangs up), counts what it sent and keeps the requests' bodies."""

    def __init__(self, phrase: str = "Вот ответ на ваш вопрос: ", times: int = 2000) -> None:
        import http.server
        import threading

        outer = self
        self.sent = 0
        self.requests: list[dict] = []
        self.hung_up = threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                outer.requests.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0)))))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                try:
                    for _ in range(times):
                        chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
                                 "choices": [{"index": 0, "delta": {"content": phrase}, "finish_reason": None}]}
                        self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                        self.wfile.flush()
                        outer.sent += 1
                        time.sleep(0.005)
                    self.wfile.write(b"data: [DONE]\n\n")
                except (BrokenPipeError, ConnectionResetError):
                    outer.hung_up.set()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"


def test_a_model_caught_in_a_loop_is_stopped_and_the_quoted_answer_stands(seed_settings):
    server = _StreamingServer()
    try:
        settings = seed_settings.model_copy(update={"llm": server.url})
        result = RagService(settings).ask("日本とトルクメニスタンの二重課税防止条約はいつ発効しましたか？")
        assert result["checks"]["stopped"] == "the model repeated itself"
        assert result["mode"] == "extractive" and not result["abstained"]  # the quotes, as for any failed answer
        assert any("2025年11月27日に発効" in c["text"] for c in result["citations"])
        assert server.hung_up.wait(10)  # the client hung up: the server stops generating
        assert server.sent < 100  # 2,000 phrases were on their way
    finally:
        server.server.shutdown()


def test_a_follow_up_shows_the_model_the_question_asked_and_the_earlier_one_apart(seed_settings):
    server = _StreamingServer(NO_ANSWER, times=1)
    treaty = "Tell me about the double taxation treaty between Japan and Turkmenistan."
    try:
        settings = seed_settings.model_copy(update={"llm": server.url})
        result = RagService(settings).ask("When did it enter into force?",
                                          AskOptions(history=[(treaty, "It is a treaty on income tax.")]))
    finally:
        server.server.shutdown()
    assert result["standalone_question"] == f"When did it enter into force? {treaty}"  # what was retrieved
    prompt = server.requests[-1]["messages"][-1]["content"]
    assert prompt.endswith(f"Earlier question: {treaty}\nQuestion: When did it enter into force?")


def test_a_loop_is_a_repeated_piece_with_letters_at_the_end():
    assert repeating_tail("Вот ответ на ваш вопрос: " * 3) == len("Вот ответ на ваш вопрос: ")
    assert repeating_tail("The answer is [1]. " + "and so on, " * 3) == len("and so on, ")
    assert repeating_tail("Вот ответ на ваш вопрос: " * 2) == 0  # twice may be an answer
    assert repeating_tail("-" * 80) == 0  # a rule, not words
    assert repeating_tail("条約は2025年11月27日に発効しました[1]。") == 0
