"""The documents' subjects as data: naming them in a question, and resolving descriptions to them."""

from __future__ import annotations

import pytest

from bot.catalogue import Catalogue, Entity
from bot.question import analyse
from bot.structured import written
from bot.subjects import find_subjects
from ingest import SourceInfo, terms

MEMBER, VISITED, PARTNER = "member of the US delegation", "visited by the delegation", "US partner of the mission"


def sheet(name: str, role: str, **facts: str) -> SourceInfo:
    return SourceInfo(f"related/{name.lower()}.md", name, None, 1, "", None,
                      {"aliases": facts.pop("aliases", name), "role": role, **facts})


@pytest.fixture
def catalogue() -> Catalogue:
    return Catalogue([
        sheet("JobsOhio", MEMBER, kind="economic development corporation", country="United States", region="Ohio"),
        sheet("Urban Future Lab", MEMBER, kind="cleantech incubator", country="United States", city="New York"),
        sheet("ATI", MEMBER, kind="business incubator; university research institute", country="United States",
              region="Texas"),
        sheet("PureBlue", MEMBER),
        sheet("EnergyVille", VISITED, kind="research centre", country="Belgium", city="Genk"),
        sheet("DSP Valley", VISITED, kind="cluster", country="Belgium", city="Leuven"),
        sheet("CLEAN", VISITED, kind="cleantech cluster", country="Denmark", city="Copenhagen"),
        sheet("SRI International", PARTNER, aliases="SRI International; SRI", country="United States"),
        SourceInfo("announcement.txt", "The announcement", None, 3, ""),  # about no single subject
    ])


def names(resolution) -> list[str]:
    return sorted(e.name for e in resolution.entities)


def test_subjects_are_named_by_their_aliases(catalogue):
    assert [e.name for e in catalogue.mentioned("Where is EnergyVille located?")] == ["EnergyVille"]
    assert [e.name for e in catalogue.mentioned("what does sri do")] == ["SRI International"]


def test_a_capitalised_alias_is_no_common_word(catalogue):
    # "clean energy" is not the cluster CLEAN; in a question typed all in lower case, "clean" may be.
    assert catalogue.mentioned("Which fields? Clean energy and smart cities.") == []
    assert [e.name for e in catalogue.mentioned("when was clean formed")] == ["CLEAN"]


def test_a_subject_is_named_by_part_of_its_name_that_is_its_own():
    catalogue = Catalogue([
        sheet("William Factory Small Business Incubator", MEMBER),
        sheet("Smart Cities Council", MEMBER),
        sheet("Nordic Edge", VISITED, aliases="Nordic Edge; Arena Smart City"),
        sheet("BILAT USA 4.0", PARTNER),
    ])

    def named(question: str, partial: bool = True) -> list[str]:
        return [e.name for e in catalogue.mentioned(question, partial=partial)]

    incubator = ["William Factory Small Business Incubator"]
    assert named("Who is the director of the William Factory incubator?", partial=False) == []
    assert named("Who is the director of the William Factory incubator?") == incubator
    assert named("which city is the william factory incubator in?") == incubator
    # As written, capitals and all; typed in lower case only by words no other subject's names share.
    assert named("Where was the first Smart Cities Week held?") == ["Smart Cities Council"]
    assert named("how do they help smart cities?") == []
    assert named("Which business incubator is in Tacoma?") == []
    # A name's number is part of it: BILAT USA 2.0 is another project.
    assert named("How many partners did BILAT USA 2.0 have?") == []


def test_a_role_and_a_place_pick_the_subjects(catalogue):
    resolution = catalogue.resolve(set(terms("Which of the visited organisations are Belgian?")))
    assert names(resolution) == ["DSP Valley", "EnergyVille"] and resolution.narrowed
    resolution = catalogue.resolve(set(terms("How is the Ohio member of the delegation funded?")))
    assert names(resolution) == ["JobsOhio"]


def test_a_role_none_of_whose_subjects_is_in_the_place_asked_for_is_not_the_one_described(catalogue):
    # "the 12 US organisations" recalls the delegation, but none of its members is the Danish cluster asked for.
    question = analyse("Which Danish cluster welcomed the 12 US organisations?")
    resolution = catalogue.resolve(set(terms(question.text)), head=question.head + question.modifiers)
    assert resolution is None or "Urban Future Lab" not in names(resolution)


def test_a_role_alone_resolves_a_description(catalogue):
    resolution = catalogue.resolve(set(terms("What was the original name of the mission's American partner?")))
    assert names(resolution) == ["SRI International"] and not resolution.narrowed


def test_a_head_office_is_a_place_not_a_leader():
    organiser = Catalogue([sheet("inno TSD", "organiser of the mission")])
    assert organiser.resolve(set(terms("Who headed the mission?"))) is not None
    assert organiser.resolve(set(terms("Where is the mission's head office?"))) is None


def test_a_person_asked_for_is_no_organisation_a_role_describes():
    catalogue = Catalogue([sheet("inno TSD", "organiser of the mission"), sheet("Nordic Edge", VISITED)])
    about = find_subjects(analyse("Who is the head of Nordic Edge?"), catalogue, store=None)
    assert [e.name for e in about.entities] == ["Nordic Edge"]  # not also the mission's organiser
    headed = find_subjects(analyse("When was the company that headed the mission founded?"), catalogue, store=None)
    assert [e.name for e in headed.entities] == ["inno TSD"]


def test_their_role_names_someone_new_not_one_of_them(catalogue):
    organiser = sheet("inno TSD", "organiser of the mission")
    catalogue = Catalogue([organiser, sheet("SRI International", PARTNER, aliases="SRI International; SRI")])
    earlier = [e for e in catalogue.entities if e.name == "inno TSD"]
    about = find_subjects(analyse("And when was their US partner founded?"), catalogue, store=None, earlier=earlier)
    assert [e.name for e in about.entities] == ["SRI International"]


def test_a_kind_counts_only_as_the_noun_asked_with(catalogue):
    question = "Which incubators came with the US delegation?"
    resolution = catalogue.resolve(set(terms(question)), head=("incub",))
    assert names(resolution) == ["ATI", "Urban Future Lab"]
    # "cluster" describes the visit here, not the subjects asked about.
    resolution = catalogue.resolve(set(terms("In which year did the cluster visit happen?")), head=("year",))
    assert not resolution.narrowed


def test_which_of_them_narrows_the_subjects_of_the_last_answer(catalogue):
    earlier = [e for e in catalogue.entities if e.facts.get("role") == VISITED]
    resolution = catalogue.resolve(set(terms("and which of them were in Denmark?")), among=earlier)
    assert names(resolution) == ["CLEAN"]


def test_only_a_question_that_just_describes_subjects_is_answered_by_listing_them(catalogue):
    question = set(terms("Which US organisations were part of the delegation?"))
    assert catalogue.only_describes(question, catalogue.resolve(question), ("organis",))
    question = set(terms("Which clusters merged to form Energy Cluster Denmark?"))
    assert catalogue.resolve(question, head=("cluster",)) is None


def test_a_people_name_meets_its_country_written_any_way():
    # "Dutch" and "the Netherlands", "European" and "Europe", "Norwegian" and "Norway" are one term.
    assert set(terms("Dutch")) == set(terms("the Netherlands")) == set(terms("Netherlands"))
    assert set(terms("European")) == set(terms("Europe")) == set(terms("EU"))
    assert set(terms("Norwegian")) == set(terms("Norway"))


def test_a_listed_subject_is_shown_by_its_usual_name_or_a_longer_form_the_sentence_writes():
    office = Entity("related/fc.md", "City of Fort Collins Economic Health Office",
                    ("Fort Collins Economic Health Office", "Economic Health Office"))
    assert written(office, "The Economic Health Office is part of the city government.") == \
        "Fort Collins Economic Health Office"  # the short form alone would not say which office
    clean = Entity("related/clean.md", "CLEAN", ("CLEAN", "Cluster CLEAN"))
    assert written(clean, "These included Cluster CLEAN, House of Energy and others.") == "Cluster CLEAN"
