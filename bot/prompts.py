"""Load the prompt templates from `prompts/` and check that each uses exactly the variables the code fills."""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate

# Each file, and the variables the code fills in it.
TEMPLATES = {
    "answer_system": frozenset(),
    "answer_user": frozenset({"passages", "question"}),
    "rephrase_system": frozenset(),
    "rephrase_user": frozenset({"history", "question"}),
}
NOT_IN_DOCUMENTS = "NOT_IN_DOCUMENTS"


class PromptError(ValueError):
    """A prompt file is missing or does not use the variables the code fills."""


@dataclass(frozen=True)
class Prompts:
    """The chat prompts of the LLM mode."""

    answer: ChatPromptTemplate
    rephrase: ChatPromptTemplate
    system_text: str  # the answer's system message, to recognise a reply that leaks it


def template_variables(text: str) -> set[str]:
    """Return the {variables} of a template (a literal brace is written {{ or }})."""
    try:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError as exc:
        raise PromptError(f"unbalanced braces ({exc}); write a literal brace as {{{{ or }}}}") from exc


def read_template(directory: Path, name: str) -> str:
    """Read one template and check its variables."""
    path = directory / f"{name}.txt"
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise PromptError(f"cannot read the prompt {path}: {exc.strerror}") from exc
    try:
        found = template_variables(text)
    except PromptError as exc:
        raise PromptError(f"{path}: {exc}") from exc
    expected = TEMPLATES[name]
    if found != expected:
        raise PromptError(f"{path} must use the variables {sorted(expected) or 'none'}; "
                          f"it uses {sorted(found) or 'none'}")
    return text


def load_prompts(directory: Path) -> Prompts:
    """Load every template from a folder into chat prompts."""
    texts = {name: read_template(directory, name) for name in TEMPLATES}
    if NOT_IN_DOCUMENTS not in texts["answer_system"]:
        raise PromptError(f"{directory / 'answer_system.txt'} must tell the model to reply {NOT_IN_DOCUMENTS} "
                          "when the passages do not answer the question")
    return Prompts(
        ChatPromptTemplate.from_messages([("system", texts["answer_system"]), ("human", texts["answer_user"])]),
        ChatPromptTemplate.from_messages([("system", texts["rephrase_system"]), ("human", texts["rephrase_user"])]),
        texts["answer_system"],
    )
