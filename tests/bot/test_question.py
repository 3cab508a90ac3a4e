"""Question analysis: the kind of answer asked for, lists, yes/no, the noun asked with and the focus."""

from __future__ import annotations

import pytest

from bot.question import analyse


@pytest.mark.parametrize("question, wants", [
    ("When was imec founded?", "date"),
    ("what year was MSET established", "date"),
    ("At what time did the workshop start?", "time"),
    ("How many US states were represented?", "number"),
    ("How big was the audience at the roundtable?", "number"),
    ("How much did the mission cost?", "money"),
    ("How long was BILAT USA 4.0 planned to run?", "duration"),
    ("Where is EnergyVille located?", "place"),
    ("In which building did the opening event take place?", "place"),
    ("Which Norwegian city is Nordic Edge based in?", "place"),
    ("Who is the CEO of inno TSD?", "person"),
    ("Which governor was in charge when JobsOhio got created?", "person"),
    ("Who led the US cluster mission?", "name"),
    ("Which American partner worked with inno TSD?", "name"),
    ("What does ENRICH stand for?", "name"),
    ("What is EnergyVille?", None),
    ("Why does Fort Collins talk about economic health?", None),
])
def test_the_kind_of_answer_asked_for(question, wants):
    assert analyse(question).wants == wants


def test_a_name_after_what_is_is_no_kind_of_answer():
    # "State" is part of a name here, not a question about a state.
    assert analyse("Tell me what State of Green is.").wants is None


def test_lists_and_yes_no_questions():
    assert analyse("Which countries did the delegation visit?").wants_list
    assert analyse("List the research institutions behind EnergyVille.").wants_list
    assert analyse("who were DSP Valley's co-founders?").wants_list
    assert not analyse("Which city hosted the roundtable?").wants_list
    assert analyse("Did the delegation visit imec?").yes_no
    assert analyse("SRI International is a for-profit company, right?").yes_no


def test_the_noun_asked_with_and_its_modifiers():
    question = analyse("How many US cluster organisations did Clean Tech Delta welcome?")
    assert question.head == ("organis",) and "us" in question.modifiers
    # A pronoun ends the noun phrase: "which agency backs it?" asks for an agency, and "it" is no answer to look for.
    assert "it" not in analyse("which agency backs it?").focus


def test_a_polite_request_is_read_as_the_request():
    # "Can you list …?" asks for the list, not whether the bot can.
    asked = analyse("Can you list the US organisations that were part of the delegation?")
    assert (asked.yes_no, asked.wants, asked.wants_list, asked.head) == (False, "name", True, ("organis",))
    assert analyse("Can you tell me when the roundtable was?").wants == "date"
    assert analyse("Can the bot answer in Danish?").yes_no


def test_nouns_joined_by_and_ask_for_both_kinds():
    # The last noun is the one asked with, so "clusters" does not narrow "clusters and organisations".
    assert analyse("Name the EU clusters and organisations the delegation visited.").head == ("organis",)
    # A preposition ends the noun phrase: "behind EnergyVille" names no kind.
    assert analyse("List the research institutions behind EnergyVille.").head == ("organis",)


@pytest.mark.parametrize("question, head, modifiers", [
    # A participle before the noun modifies it; after the noun it is the question's verb (focus, above).
    ("Which visited cluster is Norwegian?", ("cluster",), ("visit",)),
    ("Which visited research organisation co-founded DSP Valley?", ("organis",), ("visit", "research")),
    # "Which one?" asks for one of what "one of" names: one cluster, not a list of them.
    ("One of the visited clusters is actually Norwegian. Which one?", ("cluster",), ("visit",)),
])
def test_the_noun_a_question_asks_for_one_of(question, head, modifiers):
    asked = analyse(question)
    assert (asked.head, asked.modifiers, asked.wants, asked.wants_list) == (head, modifiers, "name", False)


@pytest.mark.parametrize("question, focus", [
    ("Who moderated the co-creation workshop?", ("moderated",)),
    ("Which hotel did the delegation stay in?", ("hotel",)),
    ("Who is the CEO of inno TSD?", ("ceo",)),
    ("Which body formed the Research Triangle Cleantech Cluster?", ("formed",)),
    ("How many US states were represented?", ()),  # the kind of answer is what to find in the sentence
])
def test_the_focus_an_answer_must_address(question, focus):
    assert analyse(question).focus == focus


@pytest.mark.parametrize("question, founding", [
    ("When was CLEAN formed?", True),
    ("What year did the International Cleantech Network get started?", True),
    ("When did EnergyVille's building open?", True),
    ("In what year was Clean Tech Delta set up?", True),
    ("When did Stanford Research Institute start calling itself SRI International?", False),  # a change of name
    ("When did imec join EnergyVille?", False),
    ("Who founded State of Green?", False),  # a name, not a date
])
def test_a_date_asked_for_is_when_something_came_to_be(question, founding):
    assert analyse(question).asks_founding == founding


def test_which_ones_of_a_group_the_question_opens_with_asks_for_that_group():
    asked = analyse("Of the Danish organisations on the visit list, which ones are in Copenhagen?")
    assert asked.head == analyse("Which organisations are in Copenhagen?").head and asked.wants_list
    assert asked.wants == "name"


def test_a_yes_no_question_followed_by_who_asks_who():
    asked = analyse("Was anyone in the delegation from Washington state? Who?")
    assert not asked.yes_no and asked.wants == "name"
    assert analyse("Was anyone in the delegation from Washington state?").yes_no
