"""The Discord end-to-end fixture: one running bot per test module."""

import pytest

from bot.testing.harness import running_bot


@pytest.fixture(scope="module")
async def harness(tmp_path_factory):
    async with running_bot(tmp_path_factory.mktemp("discord")) as running:
        yield running
