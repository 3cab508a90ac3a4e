"""Typed spans: the dates, numbers, places, persons and names a sentence states."""

from __future__ import annotations

from bot.features import offers
from bot.question import analyse
from bot.spans import find_spans
from ingest import terms


def kinds(sentence: str, **known) -> dict[str, str]:
    return {s.text: s.kind for s in find_spans(sentence, **known)}


def test_dates_numbers_durations_and_money():
    found = kinds("It began on 1 February 2016 and was planned to run for 36 months, with 16 partners "
                  "and a grant of US$748,244.")
    assert found["1 February 2016"] == "date" and found["36 months"] == "duration"
    assert found["16"] == "number" and found["US$748,244"] == "money"
    assert kinds("Posted on 29/11/2018 at 16:03")["16:03"] == "time"
    assert kinds("From the 6th to the 9th of November 2018, the delegation travelled.")[
        "the 6th to the 9th of November 2018"] == "date"
    assert kinds("a networking session with over a dozen EU clusters")["over a dozen"] == "number"


def test_places_by_country_list_by_known_place_and_after_in_or_at():
    found = kinds("It is located at Thor Park, the former coal-mining site of Waterschei in Genk, Belgium.")
    assert found["Thor Park"] == found["Genk"] == found["Belgium"] == "place"
    found = kinds("CLEAN hosts the secretariat in its Copenhagen offices.", places=["Copenhagen"])
    assert found["Copenhagen"] == "place"


def test_a_demonym_before_a_noun_is_no_place():
    assert "Danish" not in kinds("CLEAN is a Danish cleantech cluster.")


def test_persons_need_a_cue_and_names_are_kept_whole():
    found = kinds("It was created in 2011, under Governor John Kasich, to take over job-creation work.")
    assert found["Governor John Kasich"] == "person"
    found = kinds("It was founded by merging two clusters, Copenhagen Cleantech Cluster and Lean Energy Cluster.")
    assert found["Copenhagen Cleantech Cluster"] == found["Lean Energy Cluster"] == "name"
    assert kinds("BILAT USA 4.0 had 16 partners.")["BILAT USA 4.0"] == "name"
    # A middle initial does not split a name ("John C and Stennis Space Center" was answered).
    assert kinds("It is a nonprofit at NASA's John C. Stennis Space Center.")["John C. Stennis Space Center"] == "name"
    assert kinds("It was co-founded by community activist William M. Factory.")["William M. Factory"] == "person"


def test_someone_named_by_role_answers_who():
    sentence = "In October 2020 the Danish minister of higher education and science named it a national cluster."
    assert kinds(sentence)["the Danish minister of higher education and science"] == "person"
    question = analyse("Who picked the cluster as a national cluster in 2020?")
    assert offers(question, find_spans(sentence), set(terms(question.text)), sentence) == 1.0
    # The role the question itself asks about is no answer to it.
    asked = analyse("Who is its director?")
    assert offers(asked, find_spans("Its director spoke about the cluster."), set(terms(asked.text)), "") == 0.0


def test_names_written_in_lower_case_are_found_from_the_documents_names():
    assert kinds("It was led by inno TSD and imec.", names=["inno TSD", "imec"]) == {"inno TSD": "name", "imec": "name"}


def test_a_sentence_s_first_common_word_is_no_name():
    assert kinds("Research topics include solar energy and batteries.") == {}


def test_irregular_verbs_and_numeric_dates_normalise_both_ways():
    assert terms("met") == terms("meet") and terms("began") == terms("begin")
    # 11/6/2018 is 11 June, or 6 November as written in the US: both readings are kept.
    assert {"june", "november"} <= set(terms("11/6/2018"))


def test_an_amount_of_money_answers_how_big_a_grant_was():
    question = analyse("How big was the federal grant the cluster got in December 2018?")
    sentence = "In December 2018 it received a US$748,244 federal grant."
    spans = find_spans(sentence)
    assert question.wants == "number"
    assert offers(question, spans, set(terms(question.text)), sentence) == 1.0
    counted = analyse("How many people took part?")  # an amount of money counts no people
    assert offers(counted, spans, set(terms(counted.text)), sentence) == 0.5
