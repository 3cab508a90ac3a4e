"""Short answers: the answer itself first, then only the part of the sentence that supports it."""

from __future__ import annotations

from bot.compose import compose, trim
from bot.extractive import Candidate, states_quantity
from bot.features import enumeration, focus, given, offers
from bot.question import analyse
from bot.retrieval import Passage
from bot.spans import Span, find_spans
from ingest import Chunk, term_set

ANNOUNCEMENT = ("From the 6th to the 9th of November 2018, inno TSD with U.S. project partner SRI, led a visiting "
                "delegation of 12 American business associations, research and innovation networks, and cluster "
                "organizations representing nine U.S. states to the European Union (EU), within the framework of "
                "BILAT USA 4.0 H2020 project funded by the European Commission.")


def candidate(text: str, score: float = 1.0, source: str = "a.txt", names=("inno TSD",)) -> Candidate:
    chunk = Chunk(f"id-{hash(text)}", text, {"source": source, "title": "T"})
    return Candidate(text, Passage(chunk, 0.5, 0.0, 0.1), 0, {"disclaims": 0.0}, find_spans(text, names=names), score)


def test_a_long_sentence_is_cut_to_the_clauses_around_the_answer():
    start = ANNOUNCEMENT.index("nine")
    quote = trim(ANNOUNCEMENT, (start, start + 4), budget=220)
    assert "nine U.S. states" in quote and len(quote) <= 260 and quote.startswith("…")
    assert quote.strip("…") in ANNOUNCEMENT  # verbatim
    assert trim("A short sentence.", (0, 1)) == "A short sentence."


def test_two_long_quotes_make_an_answer_of_at_most_600_characters():
    other = ("The Roundtable presented EU cluster support tools such as the European Cluster Collaboration Platform, "
             "ENRICH in the USA and the European Cluster Observatory, and it was followed by a co-creation workshop, "
             "Building New Transatlantic Cluster Collaborations, and by a networking session with some twenty EU "
             "clusters and networks that the participants had met in the previous months at events in Brussels.")
    _, text, citations = compose(analyse("What happened during the mission?"),
                                 [candidate(ANNOUNCEMENT, 1.0), candidate(other, 0.9)])
    assert len(text) <= 600 and citations[0].quote.rstrip("…") in ANNOUNCEMENT  # README: none over 600
    assert all(c.quote.strip("…") in (ANNOUNCEMENT + other) for c in citations)
    # Room the engine keeps for saying who "it" is ("SRI International: …") comes out of the same 600.
    _, kept, _ = compose(analyse("What happened during the mission?"),
                         [candidate(ANNOUNCEMENT, 1.0), candidate(other, 0.9)], reserve=100)
    assert len(kept) <= 500


def test_the_answer_leads_and_is_the_span_next_to_the_noun_asked_with():
    short, text, citations = compose(analyse("Which American partner worked with inno TSD?"), [candidate(ANNOUNCEMENT)],
                                     known=("inno TSD",))
    assert short == "SRI" and text.startswith("SRI [1]: “") and "partner SRI" in text
    assert citations[0].quote.rstrip("…") in ANNOUNCEMENT


def test_a_count_leads_with_the_number_that_counts_what_was_asked():
    short, _, _ = compose(analyse("How many US states were represented?"), [candidate(ANNOUNCEMENT)])
    assert short == "nine"


def test_a_question_without_a_kind_of_answer_gets_the_quote_alone():
    short, text, _ = compose(analyse("What is BILAT USA 4.0 trying to achieve?"),
                             [candidate("BILAT USA 4.0 aims to enhance STI partnerships between the U.S. and Europe.")])
    assert short == "" and text.startswith("“BILAT USA 4.0 aims")


def test_a_quote_that_starts_with_it_says_who_it_is():
    _, text, _ = compose(analyse("What else does it do?"), [candidate("It licenses its technologies.", source="s.md")],
                         subject_of=lambda source: "SRI International" if source == "s.md" else None)
    assert text.startswith("SRI International: “It licenses")


def test_a_list_question_gets_the_items():
    short, _, _ = compose(analyse("Which countries did the delegation visit?"),
                          [candidate("They visited organisations in Denmark, Sweden, Belgium, and the Netherlands.")])
    assert short == "Denmark, Sweden, Belgium and Netherlands"


def test_what_the_question_gives_is_no_answer():
    assert given(Span(0, 4, "name", "imec"), {"imec", "found"})
    assert not given(Span(0, 9, "duration", "four days"), {"day", "spend"})  # "how many days?" → "four days"


def test_enumerations_are_split_into_items():
    assert enumeration("It focused on health, marine and Arctic research, transport, and NMP.") == [
        "It focused on health", "marine", "Arctic research", "transport", "NMP"]
    assert enumeration("No list here, really.") == []


def test_a_year_question_is_answered_by_a_date_that_has_a_year():
    day_only = candidate("On the 6th of November the visit took off with a roundtable.")
    short, _, _ = compose(analyse("In which year did the cluster visit happen?"), [day_only])
    assert short == ""  # "the 6th of November" names no year: no lead
    short, _, _ = compose(analyse("In which year did the cluster visit happen?"), [candidate(ANNOUNCEMENT)])
    assert "2018" in short
    short, _, _ = compose(analyse("When did the visit take off?"), [day_only])
    assert short == "the 6th of November"  # any date answers "when"


def test_a_founding_date_is_one_stated_beside_a_word_for_coming_to_be():
    asked = analyse("In what year was Clean Tech Delta founded?")
    goal = "Its founding members (15 at the time) set the ambition of leading in applied cleantech by 2020."
    for text, offered in ((goal, 0.0), ("It was set up in 2014 as part of a national strategy.", 1.0),
                          ("Its first building, EnergyVille I, was inaugurated on 22 September 2016.", 1.0)):
        assert offers(asked, find_spans(text), set(), text) == offered, text
    # Any date answers when something else happened.
    assert offers(analyse("By when did Clean Tech Delta want to lead?"), find_spans(goal), set(), goal) == 1.0


def test_who_set_it_up_is_addressed_by_any_word_for_coming_to_be():
    asked = analyse("Who set up the Research Triangle Cleantech Cluster?")
    formed = "It was formed by the Research Triangle Regional Partnership."
    assert asked.focus == ("set",) and focus(asked, frozenset(), term_set(formed), {}, formed) == 1.0
    other = "It is an initiative of business, government and academic leaders."
    assert focus(asked, frozenset(), term_set(other), {}, other) == 0.0


def test_a_date_or_number_asked_for_is_not_answered_by_a_sentence_without_one():
    funding = candidate("Its long-term funding comes from Ohio's wholesale liquor business.")
    funding.features["type"] = 0.0  # it states no sum
    assert not states_quantity([funding], analyse("How much money does JobsOhio get from liquor each year?"))
    assert states_quantity([funding], analyse("Where does JobsOhio get its money from?"))  # no quantity asked
    funding.features["type"] = 1.0
    assert states_quantity([funding], analyse("How much money does JobsOhio get from liquor each year?"))
    # Asked how many there are now, a figure the sentence dates is no answer.
    start = candidate("Work towards the cluster began in October 2015 with nine organisations.")
    start.features["type"] = 1.0
    assert states_quantity([start], analyse("How many organisations started the Flemish energy cluster?"))
    assert not states_quantity([start], analyse("How many members does the Flemish energy cluster have now?"))


def test_who_did_it_in_the_passive_is_the_agent_after_by():
    text = ("It was founded by the Danish government together with the country's leading business associations, "
            "which P4G lists as the Confederation of Danish Industry and the Danish Energy Association.")
    short, answer, _ = compose(analyse("Who founded State of Green?"), [candidate(text, names=("P4G",))])
    assert short == "the Danish government" and "business associations" in answer


def test_who_pays_finds_the_agent_after_an_adverb_and_by():
    text = ("An Interreg Europe description explains that it acts as a shared back office for regional clusters, "
            "funded jointly by the Danish regions and the national agency responsible for innovation networks.")
    short, _, _ = compose(analyse("Who pays for Cluster Excellence Denmark?"), [candidate(text, names=())])
    assert short == "the Danish regions"


def test_a_list_answer_quotes_the_part_of_the_sentence_that_holds_its_items():
    text = ("ENRICH, the European Network of Research and Innovation Centres and Hubs, launched as a pilot in 2015 "
            "and extended several times since then, with offices and hubs on three continents, is an initiative "
            "promoted by the European Commission through Horizon 2020 to help European research, technology and "
            "business organisations connect with three partner markets: Brazil, China and the United States "
            "of America.")
    short, answer, _ = compose(analyse("Which partner countries does ENRICH target?"), [candidate(text)])
    assert "Brazil" in short and "China" in short
    quote = answer.split("“", 1)[1].rsplit("”", 1)[0]
    assert "Brazil, China and the United States" in quote and quote.startswith("…") and quote[1:] in text


def test_a_close_second_sentence_is_quoted_from_the_best_ones_passage_when_no_other_passage_is_close():
    # "how did Nordic Edge get going originally?" was answered with what Nordic Edge is: the sentence after it,
    # as likely, was left out for coming from the same passage.
    first, then = ("Nordic Edge is a smart city organisation based in Stavanger, Norway.",
                   "It began with the Nordic Edge Expo, first held in Stavanger in September 2015.")
    chunk = Chunk("id-ne", f"{first} {then}", {"source": "ne.md", "title": "Nordic Edge"})
    same = [Candidate(t, Passage(chunk, 0.5, 0.0, 0.1), i, {"disclaims": 0.0}, find_spans(t), s)
            for i, (t, s) in enumerate(((first, 2.0), (then, 1.8)))]
    question = analyse("how did Nordic Edge get going originally?")
    _, text, citations = compose(question, same + [candidate("Stavanger hosts a smart city expo.", 0.5)])
    assert "Nordic Edge Expo" in text and [c.quote for c in citations] == [first, then]
    # A sentence of another passage as close adds more than the best one's neighbour: it is quoted instead.
    _, text, citations = compose(question, same + [candidate("Stavanger hosts a smart city expo.", 1.7)])
    assert [c.quote for c in citations] == [first, "Stavanger hosts a smart city expo."]


def test_who_did_it_is_not_a_name_in_the_sentences_opening_phrase():
    # "who led its work package …?" was answered "BILAT USA 2.0": the first name before "led", but in the
    # phrase that sets the scene, not the one that does the leading.
    sentence = ("In the earlier BILAT USA 2.0 project, inno TSD led the work package on fostering innovation "
                "partnerships.")
    short, _, _ = compose(analyse("who led its work package on innovation partnerships?"),
                          [candidate(sentence, names=("inno TSD", "BILAT USA 2.0"))])
    assert short == "inno TSD"
    short, _, _ = compose(analyse("Who led the delegation?"), [candidate(ANNOUNCEMENT)])
    assert short == "inno TSD"  # no opening phrase: the first name before the verb


def test_the_span_that_holds_the_noun_asked_with_leads():
    # "Which governor …?" led with "Department": the span "Governor John Kasich" holds the noun asked with.
    sentence = ("It was created in 2011, under Governor John Kasich, to take over job-creation work from the "
                "state's Department of Development.")
    short, _, _ = compose(analyse("Which governor was in charge when JobsOhio got created?"), [candidate(sentence)])
    assert short == "Governor John Kasich"


def test_a_role_right_before_a_name_is_said_of_the_name():
    # "who spoke for them?" led with "Its director", the role, not the person named after it.
    sentence = "Its director Fred van Beuningen spoke about CO2 reduction and circular economy models."
    short, _, _ = compose(analyse("who spoke for them?"), [candidate(sentence)])
    assert short == "Fred van Beuningen"


def test_a_name_after_a_possessive_leads_with_its_owner():
    # "Where is MSET located?" led with "NASA", the owner of the place the sentence names.
    sentence = ("The Mississippi Enterprise for Technology is a nonprofit organisation at NASA's John C. Stennis "
                "Space Center in Mississippi.")
    short, _, _ = compose(analyse("Where is the Mississippi Enterprise for Technology located?"), [candidate(sentence)],
                          known=("Mississippi Enterprise for Technology",))
    assert short == "NASA's John C. Stennis Space Center"
