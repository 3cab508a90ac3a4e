"""The related documents: sourced fact sheets on the organisations the announcement names."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml

from ingest.loaders import load_file
from tests.conftest import REPO

RELATED = sorted((REPO / "data" / "documents" / "related").glob("*.md"))
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


def test_there_is_a_document_for_every_subject_the_issue_lists():
    assert len(RELATED) >= 29


@pytest.mark.parametrize("path", RELATED, ids=lambda p: p.name)
def test_front_matter_is_complete_and_every_source_is_a_url(path):
    text = path.read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---")[1])
    assert set(front) >= {"title", "sources", "retrieved", "role"} and front["title"].strip()
    assert isinstance(front["retrieved"], dt.date)
    if "No public source" in text:
        # Nothing to link to: a citation must not point at another organisation's page.
        assert "url" not in front and front["sources"] == [] and set(front) & {"kind", "country", "city"} == set()
    else:
        assert URL.match(front["url"]) and front["url"] in front["sources"]
        assert front["sources"] and all(URL.match(s) for s in front["sources"])
        kinds = front["kind"] if isinstance(front["kind"], list) else [front["kind"]]
        assert kinds and all(isinstance(k, str) and k.strip() for k in kinds)
    assert len(text) <= 4000, f"{path.name} is {len(text)} characters"


@pytest.mark.parametrize("path", RELATED, ids=lambda p: p.name)
def test_citations_to_it_can_link_to_its_source(path):
    document = load_file(path, path.read_bytes())
    front = yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])
    assert document.url == front.get("url") and document.title == front["title"]
    assert document.facts["role"] == front["role"]


def test_wrapped_markdown_lines_are_one_sentence_and_headings_are_sections():
    # A sentence wrapped over two lines must stay one sentence, or answers would quote half of it.
    data = b"---\ntitle: T\n---\n# T\n\nIt was founded in\n1984 in Leuven.\n\n## Members\n\n- Alpha\n- Beta\n"
    document = load_file(REPO / "x.md", data)
    assert "It was founded in 1984 in Leuven." in document.text
    members = next(s for s in document.segments if s.heading == "Members")
    assert document.text[members.start : members.end].split() == ["Alpha", "Beta"]
    assert all("# " not in document.text[s.start : s.end] for s in document.segments)
