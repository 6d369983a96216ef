"""Fixtures of the e2e tests: the process launcher, shared by the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.processes import Launcher

_LAUNCHER = Launcher()


@pytest.fixture(scope="session", autouse=True)
def _warm_zygote() -> Iterator[None]:
    """Start the zygote's imports at once, so they overlap with the in-process tests."""
    _LAUNCHER.warm_up()
    yield
    _LAUNCHER.close()


@pytest.fixture
def launcher() -> Iterator[Launcher]:
    """Starts `rupor …` child processes; kills any a test left running."""
    yield _LAUNCHER
    _LAUNCHER.stop_jobs()
