"""Follow-up questions: the question as asked, or with the previous question after it.

A follow-up often leaves its subject to the conversation. The service retrieves and scores
evidence for both phrasings and answers from the one that the question scorer
(``rag.evidence``) finds the corpus more likely to answer, the question as asked on a tie: a
follow-up that stands on its own is answered as asked, one that leans on the conversation gets
its subject back. No list of pronouns or phrasings decides, in any language, and no LLM call is
spent on rewriting (the LLM, when on, reads the chosen phrasing).

The history's questions are the phrasings the answers came from (``standalone_question``), so
a chain of follow-ups keeps its subject ("Tell me about the treaty." / "Who signed it?" / "When
did it enter into force?"); they follow the question as sentences of their own, not nested in
brackets however long the chain.
"""

from __future__ import annotations


def follow_up_queries(question: str, history: list[tuple[str, str]]) -> list[str]:
    """The phrasings to try for ``question`` after the (question as answered, answer) ``history``."""
    if not history:
        return [question]
    return [question, f"{question} {history[-1][0]}"]
