"""Promises about the project itself: README covers every setting, data flows one way, compose is sound."""

from __future__ import annotations

import ast

import yaml

from bot.settings import BotSettings
from tests.conftest import REPO


def env_names() -> set[str]:
    names = set()
    for name, field in BotSettings.model_fields.items():
        alias = field.validation_alias
        names |= set(alias.choices) if alias is not None else {f"MISSIONBOT_{name.upper()}"}
    return names


def test_readme_documents_every_setting():
    readme = (REPO / "README.md").read_text()
    missing = sorted(n for n in env_names() if f"`{n}`" not in readme)
    assert not missing, f"README.md does not document {missing}"


def test_ingest_never_imports_bot():
    for path in (REPO / "ingest").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n == "bot" or n.startswith("bot.") for n in names), f"{path} imports {names}"


def test_compose_runs_ingest_before_the_bot_and_documents_its_variables():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["bot"]["depends_on"]["ingest"]["condition"] == "service_completed_successfully"
    assert services["bot"]["restart"] == "on-failure"
    volumes = {v.split(":")[0] for s in services.values() for v in s["volumes"]}
    assert "index" in volumes and "index" in compose["volumes"]
    example = (REPO / ".env.example").read_text()
    listed = {line.split("=")[0] for line in example.splitlines() if "=" in line and not line.startswith("#")}
    assert listed <= env_names()


def test_readme_invite_link_asks_for_the_permissions_the_bot_needs():
    from bot.discord_bot.client import PERMISSIONS

    readme = (REPO / "README.md").read_text()
    assert f"permissions={PERMISSIONS.value}" in readme and f"`{PERMISSIONS.value}`" in readme
