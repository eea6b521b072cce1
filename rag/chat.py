"""Follow-up questions: the question as asked, or with the previous question after it.

A follow-up often leaves its subject to the conversation. The service retrieves and scores
evidence for both phrasings and answers from the one that the question scorer
(``rag.evidence``) finds the corpus more likely to answer, the question as asked on a tie: a
follow-up that stands on its own is answered as asked, one that leans on the conversation gets
its subject back. No list of pronouns or phrasings decides, in any language, and no LLM call is
spent on rewriting (the LLM, when on, is shown the question and the earlier one it leans on).

The history's questions are the words typed, so a follow-up is read with the one question
before it, never with a chain that grows with the chat: kept whole, a chain of four or five
questions about one subject weighs more than the words asked, and every late follow-up was
answered, sure, with the subject's sentence (README, Quality, stop 52: over the follow-up set
26 of 44 right with the words typed against 24 with the chain kept, near misses abstained on 4
of 11 against 2; 3 of 11 since index format 38; 25 of 44 since stop 54's retrieval change).
The price: a question that leans on one two turns back ("Tell me about the treaty." / "What is
it for?" / "When did it enter into force?") is read without it.
"""

from __future__ import annotations

from dataclasses import dataclass


_SENTENCE_ENDS = (".", "?", "!", "。", "？", "！", "…")


@dataclass(frozen=True)
class Phrasing:
    """A question as the service tries it: the words ``asked``, and the ``earlier`` question (as
    typed) when it is read together with it. Retrieval, the evidence scorers and the claim
    checks read ``text``; the LLM is shown the two apart, so that it answers what was asked."""

    asked: str
    earlier: str = ""

    @property
    def text(self) -> str:
        """``asked`` then ``earlier`` as a sentence of its own: after a line break when ``asked``
        does not end its sentence ("when did it enter into force" typed without a mark), so that
        the earlier question's first word opens a sentence (``rag.claims`` reads no name in it)."""
        if not self.earlier:
            return self.asked
        between = " " if self.asked.rstrip().endswith(_SENTENCE_ENDS) else "\n"
        return f"{self.asked}{between}{self.earlier}"


def follow_up_queries(question: str, history: list[tuple[str, str]]) -> list[Phrasing]:
    """The phrasings to try for ``question`` after the (question as typed, answer) ``history``."""
    if not history:
        return [Phrasing(question)]
    return [Phrasing(question), Phrasing(question, history[-1][0])]


def turn(result: dict) -> tuple[str, str]:
    """What a chat keeps of an answered question for the next one: the words typed (not the
    phrasing its answer came from, so that no chain grows) and the answer."""
    return result["question"], result["answer"]
