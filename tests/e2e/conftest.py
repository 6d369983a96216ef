"""Fixtures of the e2e tests: the process launcher, shared by the whole session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.e2e.processes import Launcher
from tests.e2e.subs_support import Rig

_LAUNCHER = Launcher()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the zygote's imports at once when a selected test starts `rupor` processes,
    so they overlap with the in-process tests."""
    if any("launcher" in getattr(item, "fixturenames", ()) for item in items):
        _LAUNCHER.warm_up()


def pytest_sessionfinish() -> None:
    _LAUNCHER.close()


@pytest.fixture
def launcher() -> Iterator[Launcher]:
    """Starts `rupor …` child processes; kills any a test left running."""
    yield _LAUNCHER
    _LAUNCHER.stop_jobs()


@pytest.fixture
async def rigs() -> AsyncIterator[list[Rig]]:
    """Rigs a subscription test opens (append them); closed when the test ends."""
    opened: list[Rig] = []
    yield opened
    for rig in opened:
        await rig.close()
