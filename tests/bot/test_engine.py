"""The answering engine on the bundled documents, with the real local model."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from bot.answer import defuse_mentions
from bot.app import build_engine, close_engine, index_if_needed
from bot.engine import AnswerEngine, Conversation, QuestionRejected
from bot.evaluate import DEV_SET, TEST_SET, evaluate, load_cases, summarise
from bot.question import analyse
from bot.settings import BotSettings
from bot.structured import publication_answer
from ingest import open_store, sync_index
from ingest.locks import writer_lock


@pytest.fixture(scope="module")
def bundled(bundled_index):
    settings, store = bundled_index
    return settings, build_engine(settings)


def test_answer_quotes_the_document_and_cites_it(bundled):
    _, engine = bundled
    answer = engine.answer("How many people attended the roundtable?")
    assert answer.grounded and "32 participants" in answer.answer and answer.mode == "extractive"
    citation = answer.citations[0]
    assert citation.source == "us-cluster-mission-to-the-eu-2018.txt" and "[1]" in answer.answer
    chunk = engine.store.get([citation.chunk_id])[0]
    assert citation.quote in chunk.text


@pytest.mark.parametrize("question", ["What is the capital of France?", "Which hotel did the delegation stay in?"])
def test_questions_the_documents_cannot_answer_are_refused(bundled, question):
    _, engine = bundled
    answer = engine.answer(question)
    assert not answer.grounded and answer.citations == [] and "/agenda" in answer.answer


def test_did_they_visit_any_x_in_a_place_names_them_from_their_sheets(bundled):
    _, engine = bundled
    answer = engine.answer("Did they meet any Swedish cluster?")
    assert answer.answer.startswith("Yes: Sustainable Business Hub [1]") and answer.citations
    assert answer.citations[0].source == "related/sustainable-business-hub.md"
    # No visited organisation is German: naming the clusters of other countries would be no answer.
    assert not engine.answer("Did the delegation visit any German clusters?").answer.startswith("Yes")


@pytest.mark.parametrize(("question", "countries"), [
    ("Did the delegation also visit clusters in Germany?", ["Belgium", "Denmark", "Netherlands", "Sweden"]),
    ("Was any member of the US delegation from Canada?", ["United States"]),
])
def test_a_country_where_none_of_a_role_is_gets_a_no_and_where_they_are(bundled, question, countries):
    _, engine = bundled
    answer = engine.answer(question)
    assert answer.grounded and answer.answer.startswith("No:")
    assert all(c in answer.answer for c in countries)
    assert answer.citations and all(c.source.startswith("related/") for c in answer.citations)  # the sheets
    # Where some are, it is not a no.
    assert not engine.answer("Did the delegation visit clusters in Sweden?").answer.startswith("No")


@pytest.mark.parametrize("question, day, first", [
    ("what happened on the first day?", "6 November 2018", "Roundtable for knowledge exchange"),
    ("What was on the programme for the first day in Copenhagen?", "6 November 2018", "Roundtable"),
    ("what did they do on the last day of the trip?", "9 November 2018", "Visits to EU clusters"),
])
def test_a_day_counted_within_the_programme_is_answered_from_its_entries(bundled, question, day, first):
    _, engine = bundled
    answer = engine.answer(question)
    assert answer.grounded and answer.answer.startswith(f"On {day}: {first}")
    assert answer.citations[0].source == "agenda.yaml"


@pytest.mark.parametrize("question, place, entries", [
    ("what did they do in Copenhagen?", "Copenhagen", "Roundtable for knowledge exchange [1]."),
    ("what did the delegation do in Denmark?", "Denmark",
     "Roundtable for knowledge exchange [1] and Visits to EU clusters and organisations in the green sector [2]."),
])
def test_what_was_done_in_a_place_is_the_programmes_entries_held_there(bundled, question, place, entries):
    _, engine = bundled
    answer = engine.answer(question)
    assert answer.grounded and answer.answer == f"In {place}: {entries}"
    assert all(c.source == "agenda.yaml" and place in c.quote for c in answer.citations)
    # Asked for names, or for something more, the question is read as before.
    assert not engine.answer("and which of them were in Belgium?").answer.startswith("In Belgium")
    assert not engine.answer("what did they learn in Copenhagen?").answer.startswith("In Copenhagen")


@pytest.mark.parametrize("question, refusal", [
    ("who's the CEO of JobsOhio?", "The documents name no CEO of JobsOhio."),  # not "Governor John Kasich"
    # "heads" is also how the documents call the mission's organiser: the office named is the subject.
    ("Who heads the Fort Collins Economic Health Office?", "The documents name no head of Fort Collins Economic"),
    # Who runs it, when its sheet has no word of running anything but the one saying it does not know.
    ("Who runs the IC² Institute these days?", "The documents do not say who runs IC² Institute."),
    ("who is in charge of the California Technology Council?",
     "The documents do not say who runs California Technology Council."),
])
def test_who_heads_an_organisation_is_refused_saying_so_when_its_sheet_names_no_one(bundled, question, refusal):
    _, engine = bundled
    answer = engine.answer(question)
    assert not answer.grounded and answer.answer.startswith(refusal) and not answer.citations


@pytest.mark.parametrize("question, refusal", [
    # The front matter records every place a sheet's sources give: none for the Council, no city for the Hub.
    ("Where is the Smart Cities Council headquartered?", "The documents do not say where Smart Cities Council is"),
    ("Which Swedish city is Sustainable Business Hub headquartered in?",
     "The documents name no city for Sustainable Business Hub."),
    ("which city is the Sustainable Business Hub's office in?", "The documents name no city for Sustainable"),
])
def test_where_a_subject_is_at_a_level_its_sheet_does_not_record_is_refused_saying_so(bundled, question, refusal):
    _, engine = bundled
    answer = engine.answer(question)
    assert not answer.grounded and answer.answer.startswith(refusal) and not answer.citations
    # A name holding the noun asked with is no place question ("what state of green is").
    assert engine.answer("tell me what state of green is").grounded


@pytest.mark.parametrize("question, answer", [
    ("Is EnergyVille located in Genk?", "Yes, in Genk [1]"),
    ("Is imec based in the Netherlands?", "No, in Belgium [1]"),  # the country its sheet records
    ("Is Cluster Excellence Denmark headquartered in Copenhagen?", "The documents name no city for Cluster Excel"),
    ("Is The Vault based in California?", "The documents do not say where The Vault is based."),
])
def test_whether_a_subject_is_in_a_place_is_read_from_its_sheet(bundled, question, answer):
    _, engine = bundled
    result = engine.answer(question)
    assert result.answer.startswith(answer)
    assert result.grounded == bool(result.citations) == answer.endswith("[1]")


@pytest.mark.parametrize("question, listed", [
    ("Was anyone in the delegation from Washington state? Who?", "William Factory Small Business Incubator [1]."),
    ("of the Danish organisations on the visit list, which ones are in Copenhagen?", "CLEAN [1] and State of Green"),
])
def test_which_of_a_group_are_in_a_place_is_listed_from_the_sheets(bundled, question, listed):
    _, engine = bundled
    answer = engine.answer(question)
    assert answer.grounded and answer.answer.startswith(listed)


def test_who_heads_an_organisation_whose_sheet_names_its_director_is_read_as_before(bundled):
    _, engine = bundled
    answer = engine.answer("who's the director of clean tech delta")
    assert answer.grounded and "Fred van Beuningen" in answer.answer
    answer = engine.answer("who runs the Norwegian programme that Nordic Edge's cluster got into?")
    assert answer.grounded and "Innovation Norway" in answer.answer


def test_a_sentence_saying_no_time_is_given_settles_a_time_question_not_a_yes_no_one(bundled):
    _, engine = bundled
    # The workshop's sheet: "The announcement places it following the roundtable of 6 November and gives no time."
    assert not engine.answer("What time did the roundtable start on Nov 6?").grounded
    answer = engine.answer("Was the roundtable held on 11/6/2018?")
    assert answer.grounded and "6 November 2018" in answer.answer


@pytest.mark.parametrize("question, short", [
    ("what city did the mission kick off in?", "Copenhagen"),  # the programme's first entry: the roundtable
    ("when did the mission start?", "6 November 2018"),
    ("When did the whole trip wrap up?", "9 November 2018"),  # the entry that ends last: the visits
])
def test_where_and_when_the_whole_event_began_or_ended_is_its_first_or_last_entry(bundled, question, short):
    _, engine = bundled
    answer = engine.answer(question)
    assert answer.grounded and answer.short == short and answer.citations[0].source == "agenda.yaml"


def test_where_and_when_an_event_took_place_is_read_from_its_programme_entry(bundled):
    _, engine = bundled
    # "hosted" is a word no document uses of the roundtable; the programme says where it was held.
    answer = engine.answer("Which city hosted the roundtable?")
    assert answer.grounded and answer.short == "Copenhagen" and answer.citations[0].source == "agenda.yaml"
    assert engine.answer("At which venue did the 11/6/2018 roundtable take place?").short == "Danish Arkitektur Center"
    assert engine.answer("When did the visits end?").short == "9 November 2018"
    # The programme says the announcement does not give the place: no other sentence's place is the answer.
    answer = engine.answer("where was the networking session with the EU clusters held?")
    assert not answer.grounded and answer.citations == []
    assert answer.answer.startswith("The announcement does not say where the networking session was held.")
    # A question that asks something more than where the event was is read as any other.
    answer = engine.answer("How many people attended the roundtable?")
    assert "32 participants" in answer.answer and answer.citations[0].source != "agenda.yaml"


@pytest.mark.parametrize("question", [
    "which day did the americans visit energyville?",  # EnergyVille's sheet dates its building: no visit
    "What day were they in Belgium?",
    "what day did the group go to Flux50?",  # the programme writes "Flux 50"
])
def test_the_day_of_one_visit_is_what_the_programme_says_it_does_not_give(bundled, question):
    _, engine = bundled
    answer = engine.answer(question)
    assert not answer.grounded and answer.citations == []
    assert "The announcement does not give the day of any single visit." in answer.answer


def test_a_visit_a_document_dates_and_other_dates_of_a_stop_are_read_as_before(bundled):
    _, engine = bundled
    # Clean Tech Delta's own report gives the day it welcomed the delegation.
    answer = engine.answer("When did the delegation visit Clean Tech Delta?")
    assert answer.grounded and answer.short == "9 November"
    # Not a question about the visit: the stop's own dates.
    assert engine.answer("When did the EnergyVille building open?").short == "22 September 2016"
    assert engine.answer("When did DSP Valley start?").short == "1996"


def test_is_x_a_y_is_answered_by_the_sentence_that_says_what_x_is(bundled):
    _, engine = bundled
    # JobsOhio's sheet also says it took over work from "the state's Department of Development": a sentence
    # with the question's word in it, which does not say what JobsOhio is.
    answer = engine.answer("Is JobsOhio a government department?")
    assert answer.grounded and answer.answer.startswith("“JobsOhio is a private not-for-profit corporation")
    assert "Department of Development" not in answer.citations[0].quote  # at most a second quote, as context
    assert answer.citations[0].source == "related/jobsohio.md"


@pytest.mark.parametrize("question, quote", [
    ("How many people showed up at the roundtable?", "the 32 participants"),  # "showed up": took part
    ("What came right after the roundtable?", "Following the roundtable"),  # "after": following
    ("When did the mission wrap up?", "9 November 2018"),  # "wrap up": the programme's "date end"
])
def test_a_question_worded_unlike_the_document_still_finds_its_sentence(bundled, question, quote):
    _, engine = bundled
    answer = engine.answer(question)
    assert answer.grounded and quote in answer.citations[0].quote


@pytest.mark.parametrize("question, hosts", [
    ("Who co-hosted the Copenhagen roundtable together with inno TSD?",
     "Cluster Excellence Denmark and International Cleantech Network"),  # not inno TSD: the question names it
    ("Who organised the roundtable?", "inno TSD, Cluster Excellence Denmark and International Cleantech Network"),
])
def test_who_held_an_event_is_read_from_its_programme_entry(bundled, question, hosts):
    _, engine = bundled
    answer = engine.answer(question)
    assert answer.grounded and answer.short == hosts
    assert answer.citations[0].source == "agenda.yaml" and hosts.split(" and ")[-1] in answer.citations[0].quote


@pytest.mark.parametrize(("question", "long"), [
    ("The post keeps saying STI. What does that stand for?", "science, technology, and innovation"),
    ("what does eccp mean?", "European Cluster Collaboration Platform"),  # its document's title defines it
    ("What is MSET short for?", "Mississippi Enterprise for Technology"),
])
def test_what_an_abbreviation_stands_for_is_the_long_form_a_document_gives(bundled, question, long):
    _, engine = bundled
    answer = engine.answer(question)
    assert answer.grounded and answer.answer.startswith(f"{long} [1]")
    assert long.split()[-1] in answer.citations[0].quote

def test_the_documents_abbreviation_is_found_as_typed_without_superscripts(bundled):
    _, engine = bundled
    answer = engine.answer("What does IC2 stand for?")
    assert answer.answer.startswith("Innovation, Creativity, Capital [1]")
    # Asked with "mean" and a word after it; the sentence never writes "DSP".
    answer = engine.answer("What did the DSP in DSP Valley mean at first?")
    assert answer.answer.startswith("Digital Signal Processing [1]")
    assert answer.citations[0].source == "related/dsp-valley.md"



def test_which_of_them_narrows_every_subject_the_last_answer_listed(bundled):
    _, engine = bundled
    conversation = Conversation()
    listed = engine.answer("Which US organisations were in the delegation?", conversation)
    assert listed.answer.index("JobsOhio") > listed.answer.index("Fort Collins")  # not among the first three
    answer = engine.answer("Which of them is from Ohio?", conversation)
    assert answer.grounded and answer.short == "JobsOhio"


def test_a_short_question_naming_its_own_topic_is_not_about_the_last_answers_subject(bundled):
    _, engine = bundled
    conversation = Conversation()
    engine.answer("Did they meet any Swedish cluster?", conversation)  # about Sustainable Business Hub
    answer = engine.answer("Which year did the mission take place?", conversation)
    assert answer.grounded and "2018" in answer.answer


@pytest.mark.parametrize("question, fact", [
    ("When was the mission's American partner founded?", "1946"),
    # "organisation" names the kind asked for, not the delegation members' role ("member" is an organisation).
    ("What kind of organisation is the mission's US partner?", "nonprofit scientific research institute"),
])
def test_a_fact_about_a_described_subject_is_read_from_that_subjects_own_sheet(bundled, question, fact):
    _, engine = bundled
    # "the mission's US partner" is SRI International; the fact is in SRI's sheet, not in the announcement.
    answer = engine.answer(question)
    assert answer.grounded and fact in answer.answer
    assert answer.citations[0].source == "related/sri-international.md"


def test_follow_up_uses_the_conversation(bundled):
    _, engine = bundled
    conversation = Conversation()
    engine.answer("Who led the US cluster mission?", conversation)
    follow_up = engine.answer("And who was their US partner?", conversation)
    assert "SRI" in follow_up.answer and follow_up.standalone_question


def test_it_still_means_the_same_subject_after_a_question_the_documents_do_not_answer(bundled):
    _, engine = bundled
    conversation = Conversation()
    assert engine.answer("Who led the US cluster mission?", conversation).short == "inno TSD"
    assert not engine.answer("Who is its chief executive?", conversation).grounded  # no sheet names one
    answer = engine.answer("Where is it based?", conversation)
    assert answer.grounded and "Sophia Antipolis" in answer.answer
    assert answer.citations[0].source == "related/inno-tsd.md"


def test_it_is_the_event_the_last_turn_named(bundled):
    _, engine = bundled
    conversation = Conversation()
    assert "32" in engine.answer("How many people attended the roundtable?", conversation).answer
    where = engine.answer("and where was it held?", conversation)  # was "Netherlands", from the visits
    assert "Copenhagen" in where.answer and "Netherlands" not in where.answer
    assert "6 November 2018" in engine.answer("when was it?", conversation).answer
    hosts = engine.answer("and who co-organised it?", conversation)  # was "inno TSD", the mission's organiser
    assert "Cluster Excellence Denmark" in hosts.answer and "International Cleantech Network" in hosts.answer
    # A turn about a subject with a document keeps "it" for that subject, though "green" is in the visits' title.
    conversation = Conversation()
    engine.answer("What's the name of State of Green's visitor centre in Copenhagen?", conversation)
    assert "2013" in engine.answer("when did it first open?", conversation).answer


@pytest.mark.parametrize("question", ["Which organisations were visited in Belgium?",
                                      "Which Belgian organisations were visited?"])
def test_organisations_asked_for_are_not_the_hosts_of_an_event(bundled, question):
    # "organisations" is the noun asked with, not a word for holding the visits: the programme's visits
    # entry lists every visited organisation, the sheets say which are Belgian.
    _, engine = bundled
    answer = engine.answer(question)
    assert all(name in answer.answer for name in ("DSP Valley", "EnergyVille", "Flux50", "imec"))
    assert "House of Energy" not in answer.answer and "Clean Tech Delta" not in answer.answer


def test_the_places_of_a_roles_subjects_come_from_their_own_documents(bundled):
    _, engine = bundled
    states = engine.answer("Which states were the delegation members from?")  # was "European Union and EU"
    assert states.grounded and "Colorado" in states.answer and "North Carolina" in states.answer
    assert "European Union" not in states.answer and len(states.answer) <= 600
    assert "those of California Technology Council" in states.answer  # its sheet records no state
    assert {c.source for c in states.citations} >= {"related/fort-collins-economic-health-office.md"}
    countries = engine.answer("Which countries were the visited organisations in?")
    assert "Norway (Nordic Edge)" in countries.answer and "Belgium" in countries.answer


def test_it_is_the_last_turns_subject_even_when_the_verb_recalls_a_role(bundled):
    _, engine = bundled
    conversation = Conversation()
    assert engine.answer("which Swedish cluster was on the Americans' visit list?", conversation).short \
        == "Sustainable Business Hub"
    # "lead" is also how the documents call the mission's organiser (inno TSD); "it" is still the cluster.
    answer = engine.answer("what initiative did it lead in 2013?", conversation)
    assert answer.grounded and "urban supply systems" in answer.answer
    assert answer.citations[0].source == "related/sustainable-business-hub.md"


@pytest.mark.parametrize("question", [
    "Who was the US partner of the mission?",
    # Naming the mission's organiser, whose partner the role is, and asking with the role's noun or "who was".
    "Which American partner helped inno TSD lead the mission?",
    "who was inno tsd's american partner for bringing the delegation over?",
])
def test_a_question_that_only_describes_one_subject_by_its_role_is_answered_with_its_name(bundled, question):
    _, engine = bundled
    answer = engine.answer(question)
    assert answer.grounded and answer.answer.startswith("SRI International")
    assert "partner SRI" in answer.citations[0].quote  # the announcement says so


def test_who_was_in_a_role_of_many_names_them_all(bundled):
    _, engine = bundled
    answer = engine.answer("who was in the US delegation?")
    assert answer.grounded
    assert all(name in answer.answer for name in ("Austin Technology Incubator", "JobsOhio", "PureBlue", "The Vault"))


def test_which_places_of_a_role_are_in_a_place_the_question_gives_names_them(bundled):
    _, engine = bundled
    # "places" asks for a place, but the question gives it (Leuven): what it asks is which are there.
    answer = engine.answer("Which of the places the delegation visited are based in Leuven?")
    assert answer.grounded and answer.short == "DSP Valley and imec"
    # One subject a role and place pick: where it is within that place is what is asked.
    answer = engine.answer("where is the delegation member from Mississippi based?")
    assert answer.grounded and "Stennis" in answer.short


@pytest.mark.parametrize("question, kept, set_aside", [
    ("besides JobsOhio and the Smart Cities Council, who else was in the US delegation?",
     ["Austin Technology Incubator", "PureBlue", "Urban Future Lab"], ["JobsOhio", "Smart Cities Council"]),
    ("Other than CLEAN, which Danish organisations were visited?",
     ["House of Energy", "Lifestyle & Design Cluster", "State of Green"], ["CLEAN"]),
    ("Apart from imec, which organisations did the delegation visit in Belgium?",
     ["DSP Valley", "EnergyVille", "Flux50"], ["imec"]),
])
def test_subjects_set_aside_by_besides_or_other_than_are_left_out_of_the_list(bundled, question, kept, set_aside):
    _, engine = bundled
    answer = engine.answer(question)
    assert answer.grounded and all(name in answer.short for name in kept)
    assert not any(name in answer.short for name in set_aside)


@pytest.mark.parametrize("question, holder, source", [
    # Only the organisation's own sheet says it; the announcement's list of members is no answer.
    ("Which delegation member is a city government office?", "Fort Collins Economic Health Office",
     "related/fort-collins-economic-health-office.md"),
    ("Which visited research organisation is a co-founder of DSP Valley?", "imec", "related/imec.md"),
    ("One of the visited clusters is actually Norwegian. Which one?", "Nordic Edge", "related/nordic-edge.md"),
])
def test_one_of_a_roles_many_subjects_is_picked_by_what_its_own_document_says(bundled, question, holder, source):
    _, engine = bundled
    answer = engine.answer(question)
    assert answer.grounded and answer.answer.startswith(holder)
    assert answer.citations[0].source == source


@pytest.mark.parametrize("question, lead, source", [
    # The country, not the first place the best sentence names ("Stavanger"), from the subject's own sheet.
    ("Which country is Nordic Edge in?", "Norway [1]", "related/nordic-edge.md"),
    ("What country is the company that led the mission from?", "inno TSD: France [1]", "related/inno-tsd.md"),
    ("which state is SRI in?", "California [1]", "related/sri-international.md"),
    # Asked about something besides where the subject is, the question is read as any other.
    ("In which country had inno TSD been active by 2006?", "Russia [1]", "related/inno-tsd.md"),
])
def test_a_subjects_country_state_or_city_is_the_one_its_sheet_records(bundled, question, lead, source):
    _, engine = bundled
    answer = engine.answer(question)
    assert answer.answer.startswith(lead) and answer.citations[0].source == source


@pytest.mark.parametrize("question", ["Why is the Flemish energy cluster called Flux50?",
                                      "Where does the name Flux50 come from?"])
def test_where_a_name_comes_from_is_the_sentence_of_its_sheet_that_says(bundled, question):
    _, engine = bundled
    answer = engine.answer(question)
    assert "refers to flows of electricity" in answer.answer
    assert answer.citations[0].source == "related/flux50.md"


@pytest.mark.parametrize("question, former, source", [
    ("What was the original name of inno TSD's American partner on this trip?", "Stanford Research Institute",
     "related/sri-international.md"),  # not "SRI International", its name today
    ("what was the william factory small business incubator first called?",
     "Tacoma-Pierce County Small Business Incubator", "related/william-factory-small-business-incubator.md"),
    ("What was State of Green called before?", "Climate Consortium Denmark", "related/state-of-green.md"),
])
def test_a_former_name_is_the_one_its_sheet_writes_as_earlier(bundled, question, former, source):
    _, engine = bundled
    answer = engine.answer(question)
    assert answer.answer.startswith(f"{former} [1]") and answer.citations[0].source == source
    assert former in answer.citations[0].quote


def test_a_subject_whose_sheet_writes_no_earlier_name_is_read_as_before(bundled):
    _, engine = bundled
    # Nordic Edge's sheet writes "Arena Smart City", one of its aliases, as the cluster it runs, not an earlier name.
    assert not engine.answer("What was Nordic Edge originally called?").answer.startswith("Arena Smart City")


def test_when_a_subject_got_its_name_leads_with_the_date_of_the_naming(bundled):
    _, engine = bundled
    conversation = Conversation()
    engine.answer("Tell me about SRI", conversation)
    answer = engine.answer("when did it get its current name?", conversation)
    assert answer.answer.startswith("1977 [1]")  # not 1970, the other date of the sentence
    assert answer.citations[0].source == "related/sri-international.md"


def test_a_question_about_a_names_date_is_no_question_about_where_it_comes_from(bundled):
    _, engine = bundled
    assert engine.answer("When was the name Flux50 unveiled?").answer.startswith("10 May 2017 [1]")


@pytest.mark.parametrize("question, opening", [
    ("Did JobsOhio take part in the mission?",
     "Yes: the documents give JobsOhio the role “member of the US delegation”"),
    ("Was The Vault among the visitors from the States?", "Yes: the documents give The Vault the role"),
    ("Was imec part of the US delegation?",
     "No: the documents give imec the role “visited by the delegation”, not “member of the US delegation”"),
])
def test_whether_a_subject_took_part_is_a_yes_or_no_with_its_role(bundled, question, opening):
    _, engine = bundled
    answer = engine.answer(question)
    assert answer.answer.startswith(opening)
    assert not answer.citations[0].source.startswith("related/")  # the announcement or programme states roles
    assert len(answer.answer) <= 600


@pytest.mark.parametrize("question", ["Is inno TSD an American company?",
                                      "Does the International Cleantech Network have any US members?"])
def test_a_question_about_what_a_subject_is_or_has_is_no_question_about_its_role(bundled, question):
    _, engine = bundled
    assert "the documents give" not in engine.answer(question).answer


@pytest.mark.parametrize("question, fact", [("Is SRI still part of Stanford University?", "in 1970"),
                                            ("Does House of Energy still exist as a separate cluster?", "1 July 2020")])
def test_whether_a_state_lasts_is_answered_by_the_dated_change(bundled, question, fact):
    _, engine = bundled
    answer = engine.answer(question)
    assert fact in answer.citations[0].quote  # not the opening sentence saying what it is


def test_the_mission_partner_is_no_answer_about_another_organisations_partner(bundled):
    _, engine = bundled
    assert "SRI" not in engine.answer("Which American partner did ICN have?").answer


@pytest.mark.parametrize("question,message", [("   \u200b\x00 ", "type a question"),
                                              ("x" * 100_000, "100,000 characters")])
def test_bad_questions_get_a_clear_message(bundled, question, message):
    _, engine = bundled
    with pytest.raises(QuestionRejected, match=message):
        engine.answer(question)


def test_mentions_in_any_text_cannot_ping():
    text = defuse_mentions("hi @everyone and @here, <@123> <@&456>")
    assert not re.search(r"@(everyone|here)\b|<@[!&]?\d+>", text)


def test_lexical_index_follows_a_reindex(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The delegation met the mayor of Aarhus on Thursday.")
    settings = BotSettings(docs_dir=docs, index_dir=tmp_path / "idx", agenda_file=None, _env_file=None)
    store = open_store(settings)
    sync_index(settings, store)
    engine = AnswerEngine(store)
    assert "Aarhus" in engine.answer("Which mayor did the delegation meet?").answer
    (docs / "a.txt").write_text("The delegation met the mayor of Odense on Thursday.")
    sync_index(settings, store)
    answer = engine.answer("Which mayor did the delegation meet?")
    assert "Odense" in answer.answer and "Aarhus" not in answer.answer


def test_an_answer_quotes_a_whole_sentence_of_a_web_page_and_never_a_line_of_its_code(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "fees.html").write_text("""<html><body><main><h1>Workshop</h1>
    <p>The fee for the cluster
    workshop was 35 euros per person.</p>
    <pre>capitals = {'France': 'Paris', 'Italy': 'Rome'}</pre></main></body></html>""")
    settings = BotSettings(docs_dir=docs, index_dir=tmp_path / "idx", agenda_file=None, _env_file=None,
                           answer_mode="extractive")
    store = open_store(settings)
    sync_index(settings, store)
    answer = AnswerEngine(store).answer("How much was the fee for the workshop?")
    assert "The fee for the cluster workshop was 35 euros per person." in answer.answer
    assert "{" not in AnswerEngine(store).answer("What is the capital of France?").answer


def test_ask_cli_json_contract(bundled):
    settings, _ = bundled
    env = {**os.environ, "MISSIONBOT_INDEX_DIR": str(settings.index_dir), "MISSIONBOT_ANSWER_MODE": "extractive"}
    result = subprocess.run([sys.executable, "-m", "bot", "ask", "--json"], input="Where was the roundtable held?\n"
                            "What is the capital of France?\n", capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["grounded"] for r in rows] == [True, False]
    assert set(rows[0]) >= {"question", "answer", "grounded", "mode", "citations", "timings_ms"}
    assert set(rows[0]["timings_ms"]) == {"retrieve", "generate", "total"}
    assert set(rows[0]["citations"][0]) >= {"index", "source", "title", "url", "page", "section", "quote",
                                            "chunk_id", "score"}


@pytest.mark.parametrize("question_set, answers, refusals, leads", [
    # Never tuned on: written from the documents by a helper that had not seen the engine. The issue's
    # target is 0.90 / 0.90; these guard today's level (0.798 / 0.808, 101 of 125 refusals; leads 0.781)
    # with a margin.
    (TEST_SET, 0.74, 0.74, 0.72),
    # Tuned on (the reader's weights are fitted here, with the train splits): today 0.921 / 1.0, leads 0.901.
    # The threshold refuses 90% of the unanswerable questions of all three together, not of dev alone.
    (DEV_SET, 0.82, 0.85, 0.85),
])
def test_question_sets(bundled, question_set, answers: float, refusals: float, leads: float):
    _, engine = bundled
    results = evaluate(engine, load_cases(question_set))
    summary = summarise(results)
    lengths = sorted(len(r.answer.answer) for r in results if r.answer.grounded)
    assert lengths[-1] <= 600 and lengths[len(lengths) // 2] <= 250  # README: short answers, none over 600
    assert summary["citation_validity"] == 1.0
    assert summary["refusal_accuracy"] >= refusals
    assert summary["answer_accuracy"] >= answers
    assert summary["lead_accuracy"] >= leads  # "Clean Tech Delta [1]: …": the lead itself is right
    assert summary["hit_at_k"] >= 0.95


def test_a_list_question_reads_only_documents_that_can_name_its_subjects(tmp_path, monkeypatch):
    import shutil

    from ingest import PROJECT_ROOT

    docs = tmp_path / "docs"
    shutil.copytree(PROJECT_ROOT / "data" / "documents", docs)
    for n in range(30):  # documents about nothing in particular, as a large index has thousands of
        (docs / f"other-{n}.txt").write_text(f"Release {n} fixes a crash in the parser when a file is empty.")
    settings = BotSettings(docs_dir=docs, index_dir=tmp_path / "idx", _env_file=None, answer_mode="extractive")
    store = open_store(settings)
    sync_index(settings, store)
    read = []
    real = store.of_source
    monkeypatch.setattr(store, "of_source", lambda source: read.append(source) or real(source))
    answer = AnswerEngine(store).answer("Which organisations co-organised the roundtable?")
    assert "Cluster Excellence Denmark" in answer.answer
    assert not [s for s in read if s.startswith("other-")]


def test_a_start_while_another_process_indexes_answers_from_the_index_as_it_stands(tmp_path, caplog):
    # Two bot processes starting on one index (shards) both find it to index; the second must not exit.
    settings = BotSettings(index_dir=tmp_path / "index", agenda_file=None, answer_mode="extractive", _env_file=None)
    engine = build_engine(settings)
    try:
        with writer_lock(settings):  # another process is writing
            assert index_if_needed(engine, settings) is None
    finally:
        close_engine(engine)
    assert "not indexing at start: A re-index is already running" in caplog.text


def test_a_year_the_question_gives_picks_the_sentence_that_states_it(bundled):
    _, engine = bundled
    answer = engine.answer("Where did DSP Valley branch out to in 2005?")
    assert answer.grounded and "Eindhoven" in answer.answer
    # A year given as a bound is no fact to match: the founding year answers "before 2015?".
    answer = engine.answer("Was Cluster Excellence Denmark already around before 2015?")
    assert answer.grounded and "2014" in answer.answer


def test_who_did_something_is_not_answered_by_a_quoted_title(bundled):
    _, engine = bundled
    # The announcement names the co-creation workshop "Building New Transatlantic Cluster Collaborations", not
    # who ran it.
    answer = engine.answer("Who ran the co-creation workshop?")
    assert not answer.grounded and not answer.citations
    assert engine.answer("What was the co-creation workshop called?").grounded


def test_when_the_announcement_went_up_is_read_from_its_metadata_whatever_else_is_indexed(bundled):
    # With 100k chunks of other text, the line "Posted on … at 16:03" was no longer among the passages; the
    # publication date answers, though "time of day" are words of the answer's kind, not of the title's.
    _, engine = bundled
    answer = publication_answer(engine.store, analyse("what time of day did the announcement go up?"))
    assert answer is not None and answer.short == "29 November 2018, 16:03"
    assert answer.citations[0].source == "us-cluster-mission-to-the-eu-2018.txt"


def test_when_the_announcement_went_up_is_quoted_from_its_own_dated_line(bundled):
    # A document's generic name ("write-up", "news item … on the website") is not a title word: these were refused
    # or answered from another sentence's year. The citation quotes the line that dates the document.
    _, engine = bundled
    for question in ("when was the write-up about the mission posted?",
                     "when was this news item put up on the website?"):
        answer = engine.answer(question)
        assert answer.grounded and answer.answer.startswith("29 November 2018, 16:03 [1]")
        assert answer.citations[0].quote == "Posted on 29/11/2018 at 16:03"
    # Another subject's publication is not the announcement's.
    assert "29 November" not in engine.answer("When was the ECCP report published?").answer


def test_a_follow_up_is_not_answered_with_the_subject_it_asks_about(bundled):
    # "Under which programme was that one funded?" led with "BILAT USA 4.0", whose sheet held the sentence: the
    # subject the follow-up carries from the last turn is what it asks about, not its answer.
    _, engine = bundled
    conversation = Conversation()
    engine.answer("What came before BILAT USA 4.0?", conversation)
    answer = engine.answer("Under which programme was that one funded?", conversation)
    assert answer.grounded and answer.short in ("FP7", "Seventh Framework Programme")
    conversation = Conversation()
    engine.answer("Tell me about EnergyVille.", conversation)
    answer = engine.answer("Which institutions are in it?", conversation)
    assert answer.grounded and "EnergyVille" not in answer.short and "KU Leuven" in answer.short


def test_a_yes_no_question_giving_a_wrong_year_is_answered_by_a_sentence_that_gives_the_year(bundled):
    # No sentence says 2019; at 100k chunks the sentences about the mission without a year answered alone.
    _, engine = bundled
    answer = engine.answer("The US cluster mission to Europe happened in 2019, correct?")
    assert answer.grounded and "November 2018" in answer.citations[0].quote


def test_a_count_is_read_from_a_sentence_as_likely_that_states_it(bundled):
    # The best sentence named the visitors but gave no count, so the question was refused; another one,
    # as likely, says "nine U.S. states". (At 100k chunks the same held "How many people took part in the
    # Copenhagen roundtable?": the roundtable's opening sentence outranked "the 32 participants".)
    _, engine = bundled
    answer = engine.answer("From how many states did the visitors come?")
    assert answer.grounded and answer.short == "nine"
    # A count of something else, or of another subject, is still no answer: refused.
    assert not engine.answer("how many member companies does the Lifestyle & Design Cluster have?").grounded


def test_a_short_question_on_a_new_topic_is_answered_as_itself_when_the_earlier_turn_finds_nothing(bundled):
    # Short questions were read with the earlier turn's words, and this one was refused after the last.
    _, engine = bundled
    conversation = Conversation()
    engine.answer("What time of day was the announcement posted?", conversation)
    answer = engine.answer("What did the presentations cover?", conversation)
    assert answer.grounded and "Presentations included an overview" in answer.citations[0].quote
    # A short follow-up that the earlier turn answers keeps it: not "It started with 70 people."
    engine.answer("where did the roundtable happen?", conversation)
    assert "32 participants" in engine.answer("how many people showed up?", conversation).citations[0].quote
