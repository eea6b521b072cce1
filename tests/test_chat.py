"""Follow-up questions: tried as asked and with the previous question; the more answerable wins."""

from __future__ import annotations

from rag.chat import Phrasing, follow_up_queries, turn
from rag.claims import check_sentence
from rag.options import AskOptions

TREATY_Q = "Tell me about the double taxation treaty between Japan and Turkmenistan."


def test_a_follow_up_is_tried_as_asked_and_with_the_previous_question():
    assert [p.text for p in follow_up_queries("When did it enter into force?", [])] == [
        "When did it enter into force?"]
    history = [("Расскажи о налоговом соглашении", "…"), (TREATY_Q, "…")]
    assert [p.text for p in follow_up_queries("Когда он вступил в силу?", history)] == [
        "Когда он вступил в силу?", f"Когда он вступил в силу? {TREATY_Q}"]
    assert follow_up_queries("Когда он вступил в силу?", history)[1].earlier == TREATY_Q


def test_a_chat_keeps_the_words_typed_not_the_phrasing_answered():
    """The next question is read with this one as typed: a chain never grows (README, stop 52)."""
    result = {"question": "Who signed it?", "standalone_question": f"Who signed it? {TREATY_Q}", "answer": "…"}
    assert turn(result) == ("Who signed it?", "…")


def test_follow_up_is_answered_from_the_history(seed_service):
    result = seed_service.ask("When did it enter into force?",
                              AskOptions(llm="none", history=[(TREATY_Q, "It is a treaty on income tax.")]))
    assert result["standalone_question"] == f"When did it enter into force? {TREATY_Q}"
    assert "2025年11月27日" in result["answer"]
    assert not result["abstained"]


def test_a_follow_up_that_stands_on_its_own_is_answered_as_asked(seed_service):
    question = "Who chaired the second Central Asia + Japan ministerial dialogue on economy and energy?"
    result = seed_service.ask(question, AskOptions(llm="none", history=[(TREATY_Q, "It is a treaty on income tax.")]))
    assert result["standalone_question"] == question
    assert "Муто" in result["answer"]


def test_the_earlier_question_opens_a_sentence_however_the_follow_up_was_typed(seed_service):
    treaty = seed_service.search(TREATY_Q, k=1)[0].passage
    for asked in ("when did it enter into force", "When did it enter into force?"):
        text = Phrasing(asked, TREATY_Q).text
        assert text.startswith(asked) and text.endswith(TREATY_Q)
        assert "Tell" not in check_sentence(text, [treaty]).claims  # the earlier question's first word is no name
