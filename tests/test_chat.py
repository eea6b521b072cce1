"""Follow-up questions: condensed into standalone ones before retrieval."""

from __future__ import annotations

from rag.chat import condense_by_rule, needs_context
from rag.options import AskOptions

TREATY_Q = "Tell me about the double taxation treaty between Japan and Turkmenistan."


def test_rule_adds_the_previous_question_only_when_needed():
    history = [(TREATY_Q, "…")]
    assert needs_context("When did it enter into force?")
    assert condense_by_rule("When did it enter into force?", history) == f"When did it enter into force? ({TREATY_Q})"
    standalone = "Who chaired the second ministerial dialogue on economy and energy in Tokyo?"
    assert condense_by_rule(standalone, history) == standalone
    assert condense_by_rule("Когда он вступил в силу?", [("Расскажи о налоговом соглашении", "…")]).endswith(
        "(Расскажи о налоговом соглашении)")
    assert needs_context("それはいつ発効しましたか？")
    assert condense_by_rule("When did it enter into force?", []) == "When did it enter into force?"


def test_follow_up_is_answered_from_the_history(seed_service):
    result = seed_service.ask("When did it enter into force?",
                              AskOptions(llm="none", history=[(TREATY_Q, "It is a treaty on income tax.")]))
    assert result["standalone_question"] != result["question"]
    assert "2025年11月27日" in result["answer"]
