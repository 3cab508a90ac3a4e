"""The mission's programme: a validated YAML file and forgiving look-ups by day, country and organisation."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ingest import DEMONYMS, MONTHS, fold, terms


class AgendaError(Exception):
    """The agenda file is missing or malformed; the message names the entry."""


class AgendaEntry(BaseModel):
    """One item of the programme; unknown facts stay None with a note saying so."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    date: dt.date | None = None
    date_end: dt.date | None = None
    date_note: str | None = None
    venue: str | None = None
    city: str | None = None
    countries: list[str] = []
    organisations: list[str] = []
    place_note: str | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> AgendaEntry:
        if self.date_end and (self.date is None or self.date_end < self.date):
            raise ValueError("date_end needs a date on or before it")
        return self

    def covers(self, day: dt.date) -> bool:
        """Say whether the entry takes place on (or spans) the day."""
        return self.date is not None and self.date <= day <= (self.date_end or self.date)

    def days(self) -> list[dt.date]:
        """Return every day the entry takes place on, in order ([] when it is undated)."""
        if self.date is None:
            return []
        return [self.date + dt.timedelta(n) for n in range(((self.date_end or self.date) - self.date).days + 1)]

    def when(self) -> str:
        """Describe the date or date range in words."""
        if self.date is None:
            return "date not stated"
        if self.date_end and self.date_end != self.date:
            return f"{self.date.day}–{self.date_end.day} {self.date_end:%B %Y}"
        return f"{self.date.day} {self.date:%B %Y}"

    def where(self) -> str:
        """Describe the place, or say that the announcement does not give it."""
        parts = [p for p in (self.venue, self.city) if p]
        if parts:
            return ", ".join(parts + [c for c in self.countries if c not in parts])
        if self.countries:
            return ", ".join(self.countries) + " (which organisation where is not stated)"
        return "place not stated"


class Agenda(BaseModel):
    """The whole programme."""

    model_config = ConfigDict(extra="forbid")

    title: str
    source: str
    entries: list[AgendaEntry]

    def days(self) -> list[dt.date]:
        """Return every day the programme covers, in order."""
        return sorted({day for e in self.entries for day in e.days()})

    def countries(self) -> list[str]:
        """Return every country the programme names, in order of appearance."""
        return list(dict.fromkeys(c for e in self.entries for c in e.countries))

    def organisations(self) -> list[str]:
        """Return every organisation the programme names, in order of appearance."""
        return list(dict.fromkeys(o for e in self.entries for o in e.organisations))

    def lookup(self, day: dt.date | None = None, country: str | None = None,
               organisation: str | None = None) -> list[AgendaEntry]:
        """Return the entries matching every given filter."""
        found = self.entries
        if day:
            found = [e for e in found if e.covers(day)]
        if country:
            found = [e for e in found if any(_same_country(country, c) for c in e.countries)]
        if organisation:
            found = [e for e in found if _names_match(organisation, e)]
        return found

    def search(self, day: str | None = None, country: str | None = None,
               organisation: str | None = None) -> tuple[list[AgendaEntry], str | None]:
        """Look up the entries matching filters as a person typed them; also return how an ambiguous day
        was read (None when it was not). Raise ValueError when the day cannot be read."""
        when = read_day(day, self) if day else None
        return self.lookup(when and when.date, country, organisation), when and when.reading


_ALIASES = {alias: canon for canon, group in DEMONYMS.items() for alias in group}


def _norm(name: str) -> str:
    words = re.findall(r"\w+", fold(name))
    return " ".join(_ALIASES.get(w, w) for w in words if w not in {"the", "of", "and"})


def _same_country(query: str, country: str) -> bool:
    return _norm(query) == _norm(country) or _norm(country).startswith(_norm(query)) and len(_norm(query)) >= 3


def _names_match(query: str, entry: AgendaEntry) -> bool:
    """Match partial, case- and accent-insensitive names, with small typos forgiven."""
    wanted = _norm(query)
    if not wanted:
        return False
    for name in [*entry.organisations, entry.venue or "", entry.title]:
        have = _norm(name)
        if not have:
            continue
        if wanted in have or difflib.SequenceMatcher(None, wanted, have).ratio() >= 0.85:
            return True
        have_words = have.split()
        if all(any(difflib.SequenceMatcher(None, w, h).ratio() >= 0.8 for h in have_words) for w in wanted.split()):
            return True
    return False


_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}|\d{2}))?$")
# A day counted within the programme: "the first day", "day 2", "the last day".
_ORDINALS = {"first": 1, "opening": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1, "final": -1,
             "closing": -1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
PROGRAMME_DAY = re.compile(r"\b(?:(?:the\s+)?(first|opening|second|third|fourth|fifth|last|final|closing)\s+day"
                           r"|day\s+(one|two|three|four|five|\d))\b", re.I)


@dataclass(frozen=True)
class Day:
    """A day read from what someone typed, and how it was read when the text allowed two readings."""

    date: dt.date
    reading: str | None = None  # e.g. "11/06/2018 read as month/day: 6 November 2018"


def read_day(text: str, agenda: Agenda | None = None) -> Day:
    """Read a day given as 2018-11-06, 6 November, Nov 6, 06/11/2018, 11/6, 6, or counted within the programme
    ("the first day", "day 2", "the last day"); raise ValueError if unclear.

    A numeric date (06/11/2018) is read day/month or month/day, whichever falls in the programme;
    when both or neither do, day/month is used, and `reading` says so."""
    text = text.strip()
    try:
        return Day(dt.date.fromisoformat(text))
    except ValueError:
        pass
    counted = PROGRAMME_DAY.fullmatch(text)
    if counted and agenda and agenda.days():
        word = fold(counted[1] or counted[2])
        n = int(word) if word.isdigit() else _ORDINALS[word]
        days = agenda.days()
        if not (1 <= n <= len(days) or n == -1):
            raise ValueError(f"the programme has {len(days)} days, not {n}")
        day = days[n - 1 if n > 0 else -1]
        return Day(day, f"{text} read as the programme's day {days.index(day) + 1} of {len(days)}: "
                        f"{day.day} {day:%B %Y}")
    first = agenda.days()[0] if agenda and agenda.days() else None
    numeric = _NUMERIC_DATE.match(text)
    if numeric:
        return _read_numeric(text, numeric, agenda, first)
    parts = terms(text)
    numbers = [int(p) for p in parts if p.isdigit()]
    months = [MONTHS.index(p) + 1 for p in parts if p in MONTHS]
    year = next((n for n in numbers if n > 31), first.year if first else None)
    day = next((n for n in numbers if 1 <= n <= 31), None)
    month = months[0] if months else (first.month if first else None)
    if day is None or month is None or year is None:
        raise ValueError(f"cannot read a day from {text!r}; use a date such as 2018-11-06")
    return Day(_date(text, year, month, day))


def _read_numeric(text: str, match: re.Match, agenda: Agenda | None, first: dt.date | None) -> Day:
    a, b = int(match[1]), int(match[2])
    year = int(match[3]) if match[3] else (first.year if first else None)
    if year is None:
        raise ValueError(f"cannot read a day from {text!r}; use a date such as 2018-11-06")
    year += 2000 if year < 100 else 0
    readings = [(name, date) for name, (day, month) in (("day/month", (a, b)), ("month/day", (b, a)))
                if month <= 12 and (date := _date_or_none(year, month, day))]
    if not readings:
        raise ValueError(f"cannot read a day from {text!r}; use a date such as 2018-11-06")
    days = set(agenda.days()) if agenda else set()
    in_programme = [r for r in readings if r[1] in days]
    name, date = (in_programme or readings)[0]
    if len({d for _, d in readings}) == 1:
        return Day(date)
    return Day(date, f"{text} read as {name}: {date.day} {date:%B %Y}")


def _date_or_none(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _date(text: str, year: int, month: int, day: int) -> dt.date:
    date = _date_or_none(year, month, day)
    if date is None:
        raise ValueError(f"{text!r} is not a day of the calendar; use a date such as 2018-11-06")
    return date


def parse_day(text: str, agenda: Agenda | None = None) -> dt.date:
    """Read a day (see read_day) and return only the date."""
    return read_day(text, agenda).date


def load_agenda(path: Path) -> Agenda:
    """Load and validate the agenda file, naming the entry at fault when it is malformed."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AgendaError(f"the agenda file {path} does not exist") from exc
    except yaml.YAMLError as exc:
        raise AgendaError(f"the agenda file {path} is not valid YAML: {exc}") from exc
    try:
        return Agenda.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = list(error["loc"])
            if len(loc) >= 2 and loc[0] == "entries" and isinstance(loc[1], int):
                entries = (raw or {}).get("entries") or []
                entry = entries[loc[1]] if loc[1] < len(entries) else {}
                name = entry.get("id") or entry.get("title") if isinstance(entry, dict) else None
                field = f", field {'.'.join(map(str, loc[2:]))}" if loc[2:] else ""
                where = f"entry {loc[1] + 1} ({name or 'no id'}){field}"
            else:
                where = ".".join(map(str, loc)) or "top level"
            problems.append(f"{where}: {error['msg']}")
        raise AgendaError(f"the agenda file {path} is invalid: " + "; ".join(problems)) from exc
