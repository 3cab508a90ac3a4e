"""The Discord end-to-end fixture: one running bot per test module."""

from tests.discord.harness import harness  # noqa: F401 - a fixture
