"""The question sets' judge: a right answer whose lead names the wrong thing is counted apart."""

from __future__ import annotations

from types import SimpleNamespace

from bot.answer import Answer
from bot.engine import Conversation
from bot.evaluate import Case, run_case, summarise
from ingest import Chunk

SENTENCE = "In the earlier BILAT USA 2.0 project, inno TSD led the work package on fostering innovation partnerships."


class _Engine:
    """Answers every question with the one answer it is given, from one chunk."""

    def __init__(self, answer: Answer) -> None:
        chunk = Chunk("c1", SENTENCE, {"source": "related/bilat-usa-4-0.md"})
        self._answer = answer
        self.store = SimpleNamespace(get=lambda ids: [chunk])
        self.retriever = SimpleNamespace(search=lambda question: [SimpleNamespace(chunk=chunk)])

    def answer(self, question: str, conversation: Conversation) -> Answer:
        return self._answer


def _judge(lead: str, expect: list) -> dict:
    chunk = Chunk("c1", SENTENCE, {"source": "related/bilat-usa-4-0.md"})
    answer = Answer.quoting("who led it?", chunk, SENTENCE, lead=lead, short=lead)
    case = Case("led", "who led its work package?", expect, sources=["related/bilat-usa-4-0.md"], kind="who")
    return summarise([run_case(_Engine(answer), case, Conversation(), k=5)])


def test_a_right_answer_with_a_wrong_lead_passes_the_set_but_not_its_lead():
    wrong = _judge("BILAT USA 2.0", ["inno TSD"])  # the quote holds inno TSD: right by the set's check
    assert wrong["answer_accuracy"] == 1.0 and wrong["lead_accuracy"] == 0.0
    right = _judge("inno TSD", ["inno TSD"])
    assert right["answer_accuracy"] == 1.0 and right["lead_accuracy"] == 1.0
    # A yes or no is a verdict, not a fact: such answers are not counted among leads.
    assert _judge("Yes", ["inno TSD"])["lead_accuracy"] == 1.0  # none counted: the share of nothing is 1.0
