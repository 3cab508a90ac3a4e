"""Normalise text to comparable terms: stems, synonyms, demonyms, number words and dates.

The lexical index (written by ingest) and sentence scoring (bot) use `terms`, so "American" finds "U.S.",
"twelve" finds "12" and "6 Nov" finds "6th of November" on either side.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import Stemmer

STOPWORDS = frozenset("""
a an and are as at be been but by can could did do does for from had has have he her his how i if in
into is it its me my no not of on or our she so such than that the their them then there these they
this those to us was we were what when where which while who whom whose why will with would you your
about also any both each few more most other some very just only own same too tell know please
happen happened happens take took taken takes get got make made give gave come came part held hold
like anyone anything something thing things kind sort many much along around one co
under within without during between among across through via per against toward towards onto upon beyond
above below
""".split()) - {"us"}

# Words that ask about the same thing. Each group maps to its first member.
SYNONYM_GROUPS = [
    ["participant", "attendee", "attendees", "people", "person", "attend", "attended", "participate",
     "participated", "delegate", "delegates", "joined", "audience", "crowd", "guest", "guests", "visitor",
     "visitors"],
    ["organisation", "organization", "organizations", "organisations", "association", "body", "bodies",
     "entity", "entities", "institution", "company", "companies", "firm", "firms", "group", "groups",
     "member", "members", "outfit", "outfits", "agency", "agencies"],
    ["visit", "visited", "visiting", "tour", "toured", "trip", "went", "go", "stop", "stops", "itinerary",
     "route", "journey", "travel", "travelled", "traveled"],
    ["mission", "delegation", "expedition"],
    # Not "event" or "session": at 20k chunks of other text they made "roundtable" a common word.
    ["roundtable", "round-table", "panel", "meeting", "conference"],
    ["lead", "led", "leader", "head", "headed", "organise", "organize", "organised", "organized",
     "organiser", "organizer", "organisers", "organizers", "responsible", "role", "roles", "charge",
     "coordinate", "coordinated", "coordinator"],
    ["fund", "funded", "funding", "finance", "financed", "sponsor", "sponsored", "paid", "pay"],
    ["aim", "goal", "objective", "purpose", "intend", "enhance"],
    ["place", "venue", "location", "site"],
    ["include", "included", "includes", "including", "cover", "covered", "covers", "contain", "contained"],
    ["workshop", "co-creation"],
    ["cleantech", "clean-tech"],
    ["field", "sector", "area", "domain", "industry", "industries"],
    ["collaboration", "cooperation", "partnership", "collaborate", "cooperate", "partner", "partners"],
    ["start", "began", "begin", "kick", "kicked", "took", "off", "opened", "first"],
    ["day", "date", "days"],
    ["learn", "understand", "insight", "knowledge"],
    ["city", "town"],
    ["post", "posted", "announcement", "announcements", "announced", "publish", "published", "publication",
     "news", "article"],
    ["country", "countries", "nation", "nations"],
    ["end", "ended", "ends", "ending", "finish", "finished", "finishes", "conclude", "concluded", "until", "till"],
    ["after", "following", "afterwards", "afterward", "subsequently", "later"],
    ["focus", "subject", "subjects", "topic", "topics", "theme", "themes", "discuss", "discussed"],
]
DEMONYMS = {
    "us": ["american", "americans", "u.s", "u.s.", "usa", "united states", "america"],
    "europe": ["european", "europeans", "eu", "e.u", "e.u."],
    "denmark": ["danish", "dane", "danes"],
    "sweden": ["swedish", "swede", "swedes"],
    "belgium": ["belgian", "belgians"],
    "netherlands": ["dutch", "holland"],
    "norway": ["norwegian", "norwegians"],
    "finland": ["finnish", "finn", "finns"],
    "iceland": ["icelandic", "icelander", "icelanders"],
    "germany": ["german", "germans"],
    "france": ["french"],
    "uk": ["british", "briton", "britons", "u.k", "u.k.", "britain"],
    "ireland": ["irish"],
    "spain": ["spanish", "spaniard", "spaniards"],
    "italy": ["italian", "italians"],
    "austria": ["austrian", "austrians"],
    "switzerland": ["swiss"],
    "luxembourg": ["luxembourgish", "luxembourger", "luxembourgers"],
    "canada": ["canadian", "canadians"],
    "copenhagen": ["københavn", "kobenhavn", "copenhague", "kopenhagen"],
    "arkitektur": ["architecture", "architektur", "architect"],
    "center": ["centre", "centrum"],
}
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
}
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
MONTH_ALIASES = {m[:3]: m for m in MONTHS} | {"sept": "september"} | {m: m for m in MONTHS}
WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

# English irregular past forms, which no stemmer maps to their verb ("met" → "meet", "began" → "begin").
IRREGULAR = dict(pair.split(":") for pair in """
arose:arise awoke:awake bore:bear beat:beat became:become began:begin begun:begin bent:bend bet:bet bound:bind
bit:bite bled:bleed blew:blow blown:blow broke:break broken:break bred:breed brought:bring built:build
burnt:burn bought:buy caught:catch chose:choose chosen:choose clung:cling cost:cost crept:creep dealt:deal
dug:dig drew:draw drawn:draw dreamt:dream drank:drink drunk:drink drove:drive driven:drive ate:eat eaten:eat
fell:fall fallen:fall fed:feed felt:feel fought:fight fled:flee flung:fling flew:fly flown:fly forbade:forbid
forgot:forget forgotten:forget forgave:forgive froze:freeze frozen:freeze grew:grow grown:grow hung:hang
hid:hide hidden:hide hit:hit hurt:hurt kept:keep knelt:kneel knew:know known:know laid:lay led:lead
leant:lean leapt:leap learnt:learn left:leave lent:lend lit:light lost:lose meant:mean met:meet paid:pay
proved:prove quit:quit rode:ride ridden:ride rang:ring rung:ring rose:rise risen:rise ran:run said:say
saw:see seen:see sought:seek sold:sell sent:send shook:shake shaken:shake shone:shine shot:shoot showed:show
shown:show shrank:shrink shut:shut sang:sing sung:sing sank:sink sat:sit slept:sleep slid:slide spoke:speak
spoken:speak spent:spend spun:spin split:split spread:spread sprang:spring stood:stand stole:steal
stolen:steal stuck:stick stung:sting struck:strike strove:strive swore:swear sworn:swear swept:sweep
swam:swim swung:swing taught:teach tore:tear torn:tear told:tell thought:think threw:throw thrown:throw
understood:understand woke:wake wore:wear worn:wear won:win wound:wind wrote:write written:write
""".split())
_STEMMER = Stemmer.Stemmer("english")
# An identifier ("sb_bread") is one word, not its parts; "U.S." is one; so are numbers and ordinals.
_WORD = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+|(?:[A-Za-z]\.){2,}|"
                   r"\d+(?:[.,:]\d+)*(?:st|nd|rd|th)?|[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_NUMERIC_DATE = re.compile(r"\b(\d{1,4})[/.-](\d{1,2})[/.-](\d{2,4})\b")


def fold(text: str) -> str:
    """Lower-case and strip accents, so "København" and "kobenhavn" compare equal."""
    text = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O").replace("æ", "ae"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


def _build_canon() -> dict[str, str]:
    # Exact words first; stems only where no earlier group claimed them ("organised" leads,
    # while "organisations", whose stem is also "organis", stays an organisation).
    canon: dict[str, str] = {}
    for group in SYNONYM_GROUPS:
        for word in group:
            canon[word] = _STEMMER.stemWord(group[0])
    for group in SYNONYM_GROUPS:
        for word in group:
            canon.setdefault(_STEMMER.stemWord(word), _STEMMER.stemWord(group[0]))
    for name, aliases in DEMONYMS.items():
        # The place's own name maps to itself, not to its stem ("netherlands", not "netherland"), so
        # that "Dutch" in a question meets "the Netherlands" in a document.
        for alias in (name, *aliases):
            canon[alias.rstrip(".")] = name
    return canon


_CANON = _build_canon()
GROUPS = frozenset(_STEMMER.stemWord(group[0]) for group in SYNONYM_GROUPS)
_PHRASES = {"united states": "us", "united kingdom": "uk", "took part": "participant", "take part": "participant",
            "in charge of": "lead", "in charge": "lead", "team up": "collaboration", "teamed up": "collaboration",
            "worked with": "collaboration", "work with": "collaboration",
            "showed up": "participant", "show up": "participant", "shows up": "participant",
            "wrap up": "end", "wrapped up": "end", "wraps up": "end",
            "turned up": "participant", "turn up": "participant", "turnout": "participant",
            "took place": "", "take place": "", "taken place": "", "takes place": "",
            "head office": "headquarters", "head offices": "headquarters",  # not the "lead" group's "head"
            "the netherlands": "netherlands", "thirty-two": "32", "thirty two": "32"}


_PHRASE = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, _PHRASES), key=len, reverse=True)) + r")\b")


def _expand_numeric_dates(text: str) -> str:
    """Spell numeric dates out ("29/11/2018" → "29 november 2018"); one that reads both ways
    ("11/6/2018": 11 June, or 6 November in the US) is spelled both ways."""
    def replace(match: re.Match) -> str:
        a, b, c = (int(g) for g in match.groups())
        year, day, month = (a, c, b) if a > 31 else (c, a, b)
        if month > 12 and day <= 12:
            day, month = month, day
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return match.group(0)
        year = year + 2000 if year < 100 else year
        other = f" {month} {MONTHS[day - 1]}" if a <= 31 and day <= 12 and day != month else ""
        return f"{day} {MONTHS[month - 1]}{other} {year}"

    return _NUMERIC_DATE.sub(replace, text)


@functools.lru_cache(maxsize=65536)
def _term(token: str) -> str | None:
    if token in STOPWORDS:
        return None
    token = IRREGULAR.get(token, token)
    if token in _CANON:
        return _CANON[token]
    if token in NUMBER_WORDS:
        return str(NUMBER_WORDS[token])
    if token in MONTH_ALIASES:
        return MONTH_ALIASES[token]
    ordinal = re.fullmatch(r"0*(\d+)(?:st|nd|rd|th)?", token)
    if ordinal:
        return ordinal.group(1)
    stem = _STEMMER.stemWord(token)
    return _CANON.get(stem, stem)


def tokens(text: str) -> list[str]:
    """Return the folded word tokens of text ("U.S." stays one token)."""
    return list(_tokens(text))


# Sentences and names recur from question to question; 16,384 texts hold a few dozen questions' candidates
# (65,536 held some 15 MB more in a long-running bot: BENCHMARKS.md, "Scale").
@functools.lru_cache(maxsize=16384)
def _tokens(text: str) -> tuple[str, ...]:
    text = fold(_expand_numeric_dates(text))
    text = _PHRASE.sub(lambda m: _PHRASES[m.group(0)], text)
    found = (t.replace(".", "") if re.fullmatch(r"(?:[a-z]\.){2,}", t) else re.sub(r"['’]s$", "", t)
             for t in _WORD.findall(text))
    return tuple(t for t in found if len(t) > 1 or t.isdigit())


def terms(text: str) -> list[str]:
    """Return the normalised content terms of text, in order, stopwords removed."""
    return list(_terms(text))


@functools.lru_cache(maxsize=8192)  # titles, sections, names and chunks recur from question to question
def term_set(text: str) -> frozenset[str]:
    """Return the set of a text's terms."""
    return frozenset(_terms(text))


@functools.lru_cache(maxsize=16384)
def _terms(text: str) -> tuple[str, ...]:
    out = []
    for token in tokens(text):
        term = _term(token)
        if term:
            out.append(term)
        if "-" in token:  # "co-creation" also matches "creation" ("co" alone means nothing)
            out.extend(t for t in (_term(p) for p in token.split("-") if len(p) > 2) if t)
    return tuple(out)


FORM_MARK = "~"  # between a form's group term and its own stem; no term holds it


def form(token: str, term: str) -> str:
    """Return how a synonym group's term was written: the group's term and the word's own stem
    ("particip~peopl" for "people"), so that each word of a group can be weighed by its own frequency."""
    return f"{term}{FORM_MARK}{_STEMMER.stemWord(IRREGULAR.get(token, token))}"


def forms(text: str) -> list[str]:
    """Return the forms (see `form`) of text's words that belong to a synonym group, in order."""
    return [form(token, term) for token in tokens(text) if (term := _term(token)) in GROUPS]


def has_number(text: str) -> bool:
    """Say whether text states a quantity (digits or a number word)."""
    return any(t.isdigit() or t in NUMBER_WORDS for t in tokens(text))


def has_date(text: str) -> bool:
    """Say whether text states a date or a time."""
    toks = tokens(text)
    return any(t in MONTH_ALIASES or t in WEEKDAYS or re.fullmatch(r"(?:19|20)\d\d|\d{1,2}:\d\d", t)
               for t in toks)


def has_proper_name(text: str) -> bool:
    """Say whether text names something (a capitalised word that does not start the sentence)."""
    words = re.findall(r"\b[^\W\d_][\w&.’'-]*", text)
    return any(w[0].isupper() or (len(w) > 1 and w[1:].isupper()) for w in words[1:])


def proper_names(text: str) -> set[str]:
    """Return the folded words of text written as names: capitalised, or in capitals, not first in a sentence."""
    names = set()
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        words = re.findall(r"\b[^\W\d_][\w&'’-]*|\b\d+\.\d+\b", sentence)[1:]
        names |= {t for w in words if w[0].isupper() or (len(w) > 1 and w[1:].isupper()) or w[0].isdigit()
                  for t in tokens(w)}
    return names
