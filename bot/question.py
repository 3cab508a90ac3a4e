"""What a question asks for, analysed once at the door and handed on: the kind of answer it wants (a
date, a number, a place, a person, a name…), whether it wants a list or a yes/no, the noun it asks with
("which *city*", "how many *states*"), and the earlier turn a follow-up leans on."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ingest import terms

WANTS = ("date", "time", "number", "money", "duration", "place", "person", "name")

# General English, not this corpus: nouns that say which kind of answer "which/what <noun>" wants.
_HEAD_KINDS = {
    "date": "year years date dates day days month months time times decade",
    "place": ("city cities country countries town towns region regions state states province venue venues "
              "building place places location locations site sites headquarters hq address "
              "nation nations continent neighbourhood neighborhood"),
    "person": ("director directors ceo founder founders president governor mayor minister professor chair "
               "chairman chairwoman manager head speaker moderator person people man woman guy activist "
               "executive chief"),
    "name": ("organisation organisations organization organizations company companies body bodies cluster "
             "clusters partner partners network networks institute institution institutions university "
             "universities project projects programme programmes program programs platform platforms agency "
             "agencies department departments group groups association associations firm firms initiative "
             "initiatives incubator incubators centre centres center centers consortium member members tool tools "
             "outfit outfits business businesses corporation foundation government ministry name names "
             "title brand entity entities"),
    "number": "number amount percentage share",
}
_HEAD_KIND = {word: kind for kind, words in _HEAD_KINDS.items() for word in words.split()}
# Words that end the noun phrase after "which"/"what"/"how many": verbs, auxiliaries, prepositions.
_PHRASE_END = frozenset("""
is are was were be been do does did has have had can could will would should may might shall of in at on for
from with by to into about as that who which whom whose when where why how than the a an this that these those
behind before after during among between near around within across over under
its their his her our your my there here not and or but if so then it they them he she him we you
took came went gave made got led ran began held met saw spent left brought set put kept won paid told found built
grew became joined helped started ended opened worked formed run take come go give make get lead begin hold
meet see spend leave bring keep win pay tell find build grow become join help start end open work form visit
""".split())
# "Is JobsOhio a government department?", "What kind of organisation is SRI?": what the subject is, which
# the sentence defining it says.
_CLASSIFIES = re.compile(r"^\s*(?:is|was|are|were)\b[^?]*?\b(?:an?|still)\s"
                         r"|\b(?:what|which)\s+(?:kind|type|sort)s?\s+of\b", re.I)
_YES_NO = re.compile(r"^\s*(?:did|do|does|was|were|is|are|has|have|had|can|could|will|would|should)\b", re.I)
_TAG = re.compile(r"(?:,\s*|\s+)(?:right|correct|true|isn'?t it|wasn'?t it|didn'?t they|yes or no)\s*\??\s*$", re.I)
_WH_TAIL = re.compile(r"[.?!]\s*(?:and\s+)?(?:if so,?\s*)?(?:who|which(?:\s+ones?)?|where|when)\s*\??\s*$", re.I)
_WHO = re.compile(r"^\s*(?:and\s+|but\s+|so\s+)?who\b", re.I)
_WHO_WERE = re.compile(r"^\s*who\s+(?:were|are)\b", re.I)
_REQUEST = re.compile(r"^\s*(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?|please\s+)"
                      r"(?=(?:list|name|enumerate|tell|give|show|say|explain|describe)\b)", re.I)
_LIST_VERB = re.compile(r"^\s*(?:please\s+)?(?:list|name|enumerate|give me (?:a list of|the))\b", re.I)
_PERSON_ROLE = frozenset(_HEAD_KINDS["person"].split()) - {"people", "person"}
_NAME_WORDS = frozenset(terms("name names title titles brand"))
# How English says that something came to be: "founded", "set it up", "got started", "opened"… General
# English, not this corpus. Asked "when was X founded?", a date answers only beside such a word.
FOUNDING = re.compile(r"\b(?:(?:co-?)?found(?:ed|ing|s)?|establish\w*|set(?:s|ting)?\s+(?:\w+\s+)?up|creat\w*|"
                      r"form(?:ed|s|ing|ation)?|start(?:ed|s)?|began|begin\w*|begun|launch\w*|open(?:ed|s)?|"
                      r"incorporat\w*|inaugurat\w*|born|inception|origins?)\b", re.I)
_ASPECT = re.compile(r"\b(?:start(?:ed|s)?|began|begin\w*|begun)\s+\w+ing\b", re.I)  # "start calling itself"
_YEAR_WORDS = frozenset(terms("year years decade"))  # "which year": a date without one does not answer
_SINGULAR_S = frozenset("news series headquarters business analysis basis status us gas campus process".split())


@dataclass(frozen=True)
class Question:
    """A question as the reader needs it."""

    text: str  # as asked, cleaned
    standalone: str  # what retrieval searches for: a follow-up carries its earlier turn
    previous: str | None = None  # the earlier question a follow-up leans on
    wants: str | None = None  # one of WANTS, or None for a description ("what is …", "why …")
    yes_no: bool = False
    wants_list: bool = False
    head: tuple[str, ...] = ()  # terms of the noun asked with ("which Norwegian *city*")
    modifiers: tuple[str, ...] = ()  # terms before it ("which *Norwegian* city")
    focus: tuple[str, ...] = ()  # words (folded) an answer must address: "who *moderated* …", "which *hotel* …"

    @property
    def wants_year(self) -> bool:
        """Say whether the date asked for is a year ("in which year …?"): "6 November" does not answer it."""
        return self.wants == "date" and bool(_YEAR_WORDS & set(self.head))

    # Read once per question, not once per sentence scored (the reader asks for each).
    @functools.cached_property
    def asks_founding(self) -> bool:
        """Say whether the date asked for is when something came to be ("when was CLEAN formed?"), not
        when it started doing something ("when did SRI start calling itself …?")."""
        return self.wants == "date" and bool(FOUNDING.search(self.text)) and not _ASPECT.search(self.text)

    @functools.cached_property
    def founding_words(self) -> frozenset[str]:
        """Return the words (folded) of the question's word for coming to be ("set up"), if it has one."""
        found = FOUNDING.search(self.text)
        return frozenset(found.group(0).casefold().split()) if found else frozenset()

    @functools.cached_property
    def asks_who(self) -> bool:
        """Say whether the question asks who ("who ran the workshop?", "and who bought it?")."""
        return bool(_WHO.match(self.text))

    @property
    def classifies(self) -> bool:
        """Say whether the question asks what its subject is ("is JobsOhio a state agency?")."""
        return bool(_CLASSIFIES.search(self.text))

    @property
    def wants_entity(self) -> bool:
        """Say whether the question asks for an organisation by a noun of its kind ("which delegation
        *member* …", "which *cluster* …"), not for a name or title ("what was its original *name*")."""
        return self.wants == "name" and bool(self.head) and self.head[-1] not in _NAME_WORDS

    @property
    def terms(self) -> list[str]:
        """Return the question's own content terms."""
        return terms(self.text)


def analyse(text: str, previous: str | None = None, standalone: str | None = None) -> Question:
    """Analyse a question once: the kind of answer it wants, list or yes/no, and its head noun."""
    # "Can you list …?" asks for a list, not whether the bot can: the request is read without its politeness.
    request = _REQUEST.match(text)
    asked = text[request.end():] if request else text
    words = [w.removesuffix("'s").removesuffix("’s") for w in re.findall(r"[^\W_][\w'’-]*", asked)]
    head_words, modifiers = _head(words)
    ones = [w.casefold() for w in head_words] == ["ones"]
    one = _one_of(words) if head_words in ([], ["one"]) else _among(words) if ones else None
    if one is not None:  # "One of the visited clusters is Norwegian. Which one?": one cluster
        head_words, modifiers = _head(["which", *words[one + 1:]])
    # "Was anyone in the delegation from Washington state? Who?" asks who.
    yes_no = bool(_YES_NO.match(asked) or _TAG.search(asked)) and not _WH_TAIL.search(asked)
    wants = None if yes_no else _wants(asked.casefold(), [w.casefold() for w in words], head_words)
    plural = bool(head_words) and _plural(head_words[-1]) and wants in ("name", "place", "person", None) \
        and (one is None or ones)
    wants_list = not yes_no and (plural or bool(_LIST_VERB.match(asked) or _WHO_WERE.match(asked)))
    return Question(text, standalone or text, previous, wants, yes_no, wants_list,
                    tuple(t for w in head_words for t in terms(w)), tuple(t for w in modifiers for t in terms(w)),
                    _focus(words, head_words))


_COPULA = frozenset("is are was were be been do does did has have had can could will would 's".split())


def _focus(words: list[str], head: list[str]) -> tuple[str, ...]:
    """Return the words an answer must address beyond the question's subject: a noun asked with that
    names no kind of answer ("which *hotel*"), the role asked about ("who is the *CEO* of …"), or the
    verb right after "who"/"what" ("who *moderated* the workshop?")."""
    if head and head[0] not in _HEAD_KIND:
        return (head[0],)
    folded = [w.casefold() for w in words]
    if head and head[0] in folded:  # "which body *formed* …": the verb right after the noun asked with
        after = folded.index(head[0]) + 1
        if after < len(folded) and words[after][:1].islower() and terms(folded[after]) and folded[after] not in _COPULA:
            return (folded[after],)
    for i, word in enumerate(folded[:-1]):
        if word not in ("who", "what"):
            continue
        j = i + 1
        if folded[j] in _COPULA:
            j += 1
            while j < len(folded) and folded[j] in ("the", "a", "an"):
                j += 1
            if j < len(folded) and folded[j] in _PERSON_ROLE:
                return (folded[j],)
        elif terms(folded[j]) and folded[j] not in head:  # "who *moderated* …", not "what *venue* …"
            return (folded[j],)
        return ()
    return ()


_SKIP = frozenset("is are was were 's the a an of".split())
_OF = frozenset("of the them these those".split())  # "which of the visited organisations …"


def _head(words: list[str]) -> tuple[list[str], list[str]]:
    """Return the noun after which/what/how many, and the words before it ("which *Norwegian* city").

    The phrase is read from the words as written, so that a name ("what is *State of Green*") is no head.
    """
    folded = [w.casefold().removesuffix("'s").removesuffix("’s") for w in words]
    for i, word in enumerate(folded):
        if word in ("which", "what", "whose") or (word in ("many", "much", "big", "large") and i
                                                   and folded[i - 1] == "how"):
            j = i + 1
            while j < len(words) and (folded[j] in _SKIP and word in ("what", "big", "large")
                                      or folded[j] in _OF and word == "which"):
                j += 1
            if word == "what" and j > i + 1 and j < len(words) and words[j][:1].isupper():
                return [], []  # "what is State of Green": a name, not a kind of answer
            phrase = []
            for k, (follower, original) in enumerate(zip(folded[j : j + 4], words[j : j + 4])):
                if follower in ("and", "or") and phrase and j + k + 1 < len(folded) \
                        and folded[j + k + 1] in _HEAD_KIND:
                    return _head(["which", *words[j + k + 1:]])  # "which clusters *and organisations*": both
                if follower in _PHRASE_END or (_participle(follower) and not _modifies(folded[j + k + 1 : j + 4])):
                    break
                phrase.append((follower, original[:1].isupper()))
            nouns = [w for w, capital in phrase if not capital]
            if nouns:
                last = max(k for k, (w, capital) in enumerate(phrase) if not capital)
                return [phrase[last][0]], [w for w, _ in phrase[:last]]
            if word == "what":
                return [], []
        if i == 0 and word in ("list", "name", "enumerate"):
            return _head(["which", *words[1:]])  # "list the visited clusters": as "which visited clusters"
    return [], []


def _among(words: list[str]) -> int | None:
    """Return where the group stands that a question asking "which ones?" opens with ("*Of* the Danish
    organisations on the visit list, which ones are in Copenhagen?"), as the word before it; else None."""
    folded = [w.casefold() for w in words]
    if folded[:1] in (["of"], ["among"], ["amongst"]):
        return 0
    return 1 if folded[:2] == ["out", "of"] else None


def _one_of(words: list[str]) -> int | None:
    """Return where "one of" stands in a question that asks "which one?" about it, else None."""
    folded = [w.casefold() for w in words]
    if "which" not in folded:
        return None
    return next((i for i in range(len(folded) - 1) if folded[i] == "one" and folded[i + 1] == "of"), None)


def _participle(word: str) -> bool:
    return word.endswith(("ed", "ing")) and len(word) > 5 and word not in _HEAD_KIND


def _modifies(following: list[str]) -> bool:
    """Say whether a participle modifies the noun asked with ("which *visited* cluster …", "which *funding*
    body …") rather than ending the phrase as its verb ("which body *formed* …"): a noun of a kind of answer
    follows it in the phrase."""
    for word in following:
        if word in _HEAD_KIND:
            return True
        if word in _PHRASE_END or _participle(word):
            return False
    return False


def _wants(q: str, words: list[str], head: list[str]) -> str | None:
    head_kind = _HEAD_KIND.get(head[0]) if head else None
    lead = next((w for w in words if w in ("who", "whom", "whose", "what", "when", "where", "which", "how")), None)
    if re.search(r"\bhow much\b.*\b(cost|pay|paid|spend|spent|worth|money|fund|grant)|\bcost\b|\bbudget\b|"
                 r"\bprice\b|\bfees?\b", q):
        return "money"
    if re.search(r"\bhow long\b(?! ago)", q):
        return "duration"
    if re.search(r"\bhow many\b|\bnumber of\b|\bhow (?:large|big|much)\b|\bwhat percentage\b", q):
        return "number"
    if re.search(r"\b(?:what|which) time\b|\bat what hour\b", q):
        return "time"  # a time of day, which a date does not give
    if (lead in ("which", "what", "whose") or lead is None and _LIST_VERB.match(q)) and head_kind:
        return head_kind  # "which *city* …", "list the *organisations* …"
    if lead == "when" or re.search(r"\bsince when\b", q):
        return "date"
    if lead == "where":
        return "place"
    if lead in ("who", "whom") and set(words) & _PERSON_ROLE:
        return "person"
    if lead in ("who", "whom", "whose") or re.search(r"\bwhich\s+(?:one\s+)?of\b", q) or re.search(
            r"\b(?:called|named|stand for|short for|acronym)\b|\bthe name\b|\bthe title\b", q):
        return "name"
    return None


def _plural(word: str) -> bool:
    return word.endswith("s") and not word.endswith("ss") and word not in _SINGULAR_S or word in ("people",)
