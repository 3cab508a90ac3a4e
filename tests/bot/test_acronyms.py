"""What an abbreviation stands for, read from the sentence that defines it (Schwartz and Hearst)."""

import pytest

from bot.acronyms import define, stands_for


@pytest.mark.parametrize(("short", "sentence", "long"), [
    ("STI", "It aims to develop science, technology, and innovation (STI) partnerships.",
     "science, technology, and innovation"),
    ("MSET", "The Mississippi Enterprise for Technology (MsET or MSET) is a nonprofit.",
     "Mississippi Enterprise for Technology"),
    ("IC²", "The IC² (Innovation, Creativity, Capital) Institute is a research unit.",
     "Innovation, Creativity, Capital"),
    ("ENRICH", "ENRICH, the European Network of Research and Innovation Centres and Hubs, is an initiative.",
     "European Network of Research and Innovation Centres and Hubs"),
    ("ATI", "In 1989 IC² launched the Austin Technology Incubator (ATI), the university's incubator.",
     "Austin Technology Incubator"),
])
def test_the_long_form_is_read_in_each_order_a_sentence_writes_it(short, sentence, long):
    assert define(short, sentence) == long


@pytest.mark.parametrize(("short", "sentence"), [
    # The letters are there, but the words are not the abbreviation's: more words than letters.
    ("EASME", "It ran the platform for the European Commission's DG Growth and its SME agency (EASME)."),
    # A parenthesis that is no abbreviation's.
    ("EU", "The delegation (12 organisations from the US) visited the EU."),
    ("SRI", "SRI, a nonprofit institute, was the partner."),
    # One word in capitals is that word, not an abbreviation of it: at 100k chunks, Python's grammar answered
    # "what does the name mean these days?" (after DSP Valley) with "names".
    ("NAME", "Upper case names (NAME) denote tokens in the Grammar/Tokens file."),
])
def test_a_sentence_that_does_not_spell_it_out_gives_nothing(short, sentence):
    assert define(short, sentence) is None


def test_a_sentence_may_say_what_it_stands_for_without_writing_it():
    sentence = "The name first stood for Digital Signal Processing; around 2013 it was redefined."
    assert stands_for("DSP", sentence) == "Digital Signal Processing"
    assert stands_for("SRI", sentence) is None  # the letters must spell all of what follows "stood for"

