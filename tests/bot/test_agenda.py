"""Agenda look-ups a participant would make, and a malformed file named clearly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.agenda import AgendaError, load_agenda, parse_day, read_day
from tests.conftest import REPO


@pytest.fixture(scope="module")
def agenda():
    return load_agenda(REPO / "data" / "agenda.yaml")


def test_roundtable_facts_come_from_the_announcement(agenda):
    (roundtable,) = agenda.lookup(organisation="Danish Architecture Centre")
    assert roundtable.date == dt.date(2018, 11, 6) and roundtable.city == "Copenhagen"
    assert roundtable.venue == "Danish Arkitektur Center" and "Cluster Excellence Denmark" in roundtable.organisations


@pytest.mark.parametrize("query", ["energyville", "Energy Ville", "IMEC", "flux50", "Clean-Tech Delta", "nordic edge"])
def test_organisation_lookup_is_forgiving(agenda, query):
    assert [e.id for e in agenda.lookup(organisation=query)] == ["visits"]


def test_unknown_organisation_finds_nothing(agenda):
    assert agenda.lookup(organisation="Google") == []


@pytest.mark.parametrize("day,ids", [("2018-11-06", ["roundtable", "workshop", "networking", "visits"]),
                                     ("Nov 8", ["visits"]), ("10 November 2018", [])])
def test_lookup_by_day(agenda, day, ids):
    assert [e.id for e in agenda.lookup(day=parse_day(day, agenda))] == ids


@pytest.mark.parametrize("typed,reading", [("06/11/2018", "day/month"), ("11/06/2018", "month/day"),
                                            ("11/6", "month/day"), ("6.11.18", "day/month")])
def test_a_numeric_day_is_read_the_way_that_falls_in_the_programme_and_says_so(agenda, typed, reading):
    day = read_day(typed, agenda)
    assert day.date == dt.date(2018, 11, 6)
    assert day.reading == f"{typed} read as {reading}: 6 November 2018"


@pytest.mark.parametrize("typed", ["2018-11-06", "Nov 6", "13/11/2018", "11/13/2018"])
def test_a_day_with_one_reading_needs_no_note(agenda, typed):
    assert read_day(typed, agenda).reading is None


@pytest.mark.parametrize("typed,date,n", [("the first day", dt.date(2018, 11, 6), 1),
                                           ("day 2", dt.date(2018, 11, 7), 2), ("Last day", dt.date(2018, 11, 9), 4)])
def test_a_day_counted_within_the_programme_is_its_nth_day_and_says_so(agenda, typed, date, n):
    day = read_day(typed, agenda)
    assert day.date == date
    assert day.reading == f"{typed} read as the programme's day {n} of 4: {date.day} November 2018"


def test_a_counted_day_past_the_programme_is_refused(agenda):
    with pytest.raises(ValueError, match="the programme has 4 days, not 5"):
        read_day("the fifth day", agenda)


def test_an_impossible_day_is_refused(agenda):
    with pytest.raises(ValueError, match="cannot read a day from '31/02'"):
        read_day("31/02", agenda)


def test_country_lookup_says_the_visit_day_and_place_are_not_stated(agenda):
    (visits,) = agenda.lookup(country="Holland")
    assert "does not give the day" in visits.date_note
    assert "does not say which organisation" in visits.place_note


def test_malformed_agenda_names_the_entry(tmp_path: Path):
    bad = tmp_path / "agenda.yaml"
    bad.write_text("title: t\nsource: s\nentries:\n  - id: ok\n    title: Fine\n  - id: broken\n    title: X\n"
                   "    date: 6th of Novembre\n")
    with pytest.raises(AgendaError, match=r"entry 2 \(broken\), field date"):
        load_agenda(bad)
