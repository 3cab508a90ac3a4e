"""What the documents say about their subjects, as data: who each document is about, its kind, where it
is, and its role in the mission (the front-matter facts of `ingest`). Questions that join documents are
answered from here: "which of the visited organisations are Belgian?" (a filter), and "where is inno
TSD's US partner based?" (a description that resolves to one subject, whose own document answers)."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from ingest import SourceInfo, fold, terms, tokens

PLACE_FIELDS = ("city", "region", "country")


@dataclass(frozen=True)
class Entity:
    """The subject of one document."""

    source: str
    title: str
    names: tuple[str, ...]  # its aliases as written; the first is its usual name
    facts: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def name(self) -> str:
        """Return the name to show: the first alias, else the title."""
        return self.names[0] if self.names else self.title


@dataclass
class Resolution:
    """The subjects a question describes rather than names, and how."""

    entities: list[Entity]
    constraints: list[tuple[str, str]]  # (field, value) that selected them, e.g. ("country", "Belgium")
    narrowed: bool  # a place or kind constraint picked some of the role's entities, not all

    @property
    def by_role(self) -> bool:
        """Say whether a role picked the subjects ("the mission's US partner")."""
        return any(key == "role" for key, _ in self.constraints)

    @property
    def words(self) -> set[str]:
        """Return the terms of the constraints: the words the question used to describe its subjects."""
        return set().union(*(set(terms(value)) for _, value in self.constraints))


class Catalogue:
    """The documents' subjects, their names and facts; built from the index's sources."""

    def __init__(self, sources: list[SourceInfo]) -> None:
        self.entities = [_entity(s) for s in sources if s.facts.get("aliases") or s.facts.get("role")]
        self._aliases = sorted(((tuple(tokens(n)), n, e) for e in self.entities for n in e.names if tokens(n)),
                               key=lambda row: -len(row[0]))
        roles = sorted({e.facts["role"] for e in self.entities if e.facts.get("role")})
        self._role_terms = {role: set(terms(role)) for role in roles}
        df = Counter(t for ts in self._role_terms.values() for t in ts)
        # A term in every role ("mission") says little about which role is meant.
        self._role_weight = {t: math.log(1 + len(roles) / n) for t, n in df.items()}
        self._any_role_terms = set(df)
        self._names = tuple(n for e in self.entities for n in e.names)
        self._partial = _partial_names(self.entities)
        self._places = tuple(sorted({e.facts[f] for e in self.entities for f in PLACE_FIELDS if e.facts.get(f)}))

    def names(self) -> tuple[str, ...]:
        """Return every alias of every subject."""
        return self._names

    def role_terms(self) -> set[str]:
        """Return the terms of every role ("member of the US delegation": "us", "member", …)."""
        return set(self._any_role_terms)

    def places(self) -> tuple[str, ...]:
        """Return the place names the documents' facts mention."""
        return self._places

    def by_source(self, source: str) -> Entity | None:
        """Return the subject of a document, if it has one."""
        return next((e for e in self.entities if e.source == source), None)

    def mentioned(self, text: str, partial: bool = False) -> list[Entity]:
        """Return the subjects a text names, longest names first, each once; with `partial`, also those it
        names by part of a name ("the William Factory incubator", "BILAT USA 2.0"; see `_partial_names`).

        A name written in capitals ("CLEAN") counts in lower case only in a question typed all in lower
        case; otherwise "clean energy" would be about the cluster.
        """
        words, lower = tokens(text), text == text.lower()
        found, used = [], set()
        for alias_tokens, alias, entity in self._aliases:
            n = len(alias_tokens)
            for i in range(len(words) - n + 1):
                if tuple(words[i : i + n]) != alias_tokens or used & set(range(i, i + n)):
                    continue
                if alias.isupper() and not lower and not re.search(rf"(?<!\w){re.escape(alias)}(?!\w)", text):
                    continue
                used |= set(range(i, i + n))
                if entity not in found:
                    found.append(entity)
        if partial:
            for pattern, typed_lower, entity in self._partial:
                if entity not in found and (pattern.search(text) or lower and typed_lower and typed_lower.search(text)):
                    found.append(entity)
        return found

    def resolve(self, question_terms: set[str], among: list[Entity] | None = None,
                head: tuple[str, ...] = ()) -> Resolution | None:
        """Return the subjects a question describes by role, place and kind, or None if it describes none.

        The most strongly stated role wins, unless the place or kind the question names picks subjects of a
        weaker one ("the Ohio member of the delegation"). `among` replaces the role: the subjects an earlier
        answer named ("which of *them* …").
        """
        if among is not None:
            return self._narrow(among, [], question_terms, set(head))
        # "Which Dutch cluster welcomed the 12 US organisations?": a role none of whose subjects is in the place
        # the noun asked with states is not the one it describes.
        stated = {p for p in self._places if _states_place(set(head), p)}
        roles = [r for r in self.roles(question_terms)
                 if not stated or any(e.facts.get(k) in stated for e in self._with_role(r) for k in PLACE_FIELDS)]
        for role in roles:
            resolution = self._narrow(self._with_role(role), [("role", role)], question_terms, set(head))
            if resolution.narrowed:
                return resolution
        if roles:
            return self._narrow(self._with_role(roles[0]), [("role", roles[0])], question_terms, set(head))
        # Without a role, a place or a kind picks subjects only when that is all the question asks
        # ("which incubators …", "which organisations are based in Belgium?"), not "which clusters
        # merged to form …": what is left of it must be the noun asked with and a few empty verbs.
        resolution = self._narrow(self.entities, [], _place_terms(question_terms, self._places) | set(head),
                                  set(head))
        if not resolution.narrowed or not self.only_describes(question_terms, resolution, head):
            return None
        return resolution

    def only_describes(self, question_terms: set[str], resolution: Resolution, head: tuple[str, ...]) -> bool:
        """Say whether all a question says is which subjects it wants ("which US organisations were
        part of the delegation?"), so that naming them answers it."""
        stated = resolution.words | set(head) | _place_terms(question_terms, self._places)
        return not question_terms - stated - self._any_role_terms - _EMPTY

    def _with_role(self, role: str) -> list[Entity]:
        return [e for e in self.entities if e.facts.get("role") == role]

    def _narrow(self, pool: list[Entity], constraints: list, question_terms: set[str],
                asked_for: set[str]) -> Resolution:
        """Keep the subjects whose place, then kind, the question states, when that keeps some but not all.

        A kind counts only in `asked_for`, the noun phrase the question asks with ("which *cleantech
        clusters*"): in "when did the cluster visit happen?" the question is about a visit."""
        narrowed = any(key != "role" for key, _ in constraints)
        for key in PLACE_FIELDS:
            values = {e.facts[key] for e in pool if e.facts.get(key) and _states_place(question_terms, e.facts[key])}
            for value in sorted(values, key=len, reverse=True):
                kept = [e for e in pool if e.facts.get(key) == value]
                if len(kept) < len([e for e in pool if e.facts.get(key)]):
                    pool, narrowed = kept, True
                    constraints.append((key, value))
                break
        scores = {e: _kind_score(asked_for, e.facts.get("kind", "")) for e in pool}
        best = max(scores.values(), default=0)
        if best and sum(s == best for s in scores.values()) < len(pool):
            pool, narrowed = [e for e in pool if scores[e] == best], True
            constraints.append(("kind", pool[0].facts["kind"]))
        return Resolution(pool, constraints, narrowed)

    def roles(self, question_terms: set[str]) -> list[str]:
        """Return the roles the question states, the most strongly stated first.

        A role counts when the question has more than half its weight ("member of the US delegation" in
        "which US delegation member …"); the terms every role shares ("mission") weigh least. Strength
        is that share times the weight found, so a role stated fully and by rare words comes first.
        """
        scored = []
        for role, role_terms in self._role_terms.items():
            got = sum(self._role_weight[t] for t in role_terms & question_terms)
            total = sum(self._role_weight[t] for t in role_terms)
            if total and got / total > 0.5:
                scored.append((got * got / total, role))
        return [role for _, role in sorted(scored, reverse=True)]


# Verbs that say nothing about which subjects are meant ("which incubators *are based* in …").
_EMPTY = frozenset(terms("be is are was were based located come comes came from part actually named list name "
                         "one ones which include includes included"))
# The one noun too general to pick subjects by on its own ("which organisations …" asks about all).
_GENERIC = frozenset(terms("organisation"))


def _kind_score(question_terms: set[str], kind: str) -> int:
    """Score how well a question states one of a subject's kinds ("business incubator; …"): 2 when it
    has all of a kind's words and more than its noun, 1 when it has its noun ("incubators"), unless that
    noun is "organisation"."""
    best = 0
    for item in kind.split(";"):
        item_terms = terms(item)
        if not item_terms:
            continue
        if set(item_terms) <= question_terms and len(item_terms) > 1:
            best = 2  # "cleantech clusters": the kind's own words, more than its noun
        elif item_terms[-1] in question_terms and item_terms[-1] not in _GENERIC:
            best = max(best, 1)
    return best


def _place_terms(question_terms: set[str], places: set[str]) -> set[str]:
    """Return the question's terms that belong to a place name it states."""
    return set().union(*(set(terms(p)) for p in places if _states_place(question_terms, p))) & question_terms


def _states_place(question_terms: set[str], value: str) -> bool:
    """Say whether a question names a place by all its words ("New York"), or its people ("Belgian")."""
    value_terms = set(terms(value))
    return bool(value_terms) and value_terms <= question_terms


def _partial_names(entities: list[Entity]) -> list[tuple[re.Pattern, re.Pattern | None, Entity]]:
    """Return the parts of the subjects' names that name them alone, as people shorten a name ("the William
    Factory incubator", "Research Triangle's grant", "BILAT USA 2.0"): two or more of a name's words in a row,
    first and last capitalised, one of them in no other subject's names. Each comes as written (capitals and
    all), and, when each of its words is the subject's own, also for a question typed all in lower case
    ("william factory"; not "smart cities"), with the subject."""
    owners: dict[str, set[Entity]] = {}
    for entity in entities:
        for name in entity.names:
            for token in tokens(name):
                owners.setdefault(token, set()).add(entity)
    found = []
    for entity in entities:
        seen = {fold(n) for n in entity.names}
        for name in entity.names:
            words = name.split()
            for i in range(len(words)):
                for j in range(i + 2, len(words) + 1):
                    run = words[i:j]
                    if " ".join(run).casefold() in seen or not (run[0][:1].isupper() and run[-1][:1].isupper()):
                        continue
                    own = [owners.get(t) == {entity} for w in run if terms(w) for t in tokens(w)]
                    if any(own):
                        seen.add(" ".join(run).casefold())
                        # "BILAT USA 2.0" is another project than "BILAT USA 4.0": a name's number is part of it.
                        numbered = r"(?!\s+\d)" if j < len(words) and re.search(r"\d", words[j]) else ""
                        pattern = r"(?<![\w-])" + r"\s+".join(map(re.escape, run)) + r"(?![\w-])" + numbered
                        found.append((re.compile(pattern), re.compile(pattern, re.I) if all(own) else None, entity))
    return found


def _entity(source: SourceInfo) -> Entity:
    names = [n.strip() for n in source.facts.get("aliases", "").split(";") if n.strip()]
    main = re.split(r"\s*[(,]", source.title, maxsplit=1)[0].strip()
    if main and fold(main) not in {fold(n) for n in names}:
        names.append(main)
    return Entity(source.source, source.title, tuple(names), dict(source.facts))
