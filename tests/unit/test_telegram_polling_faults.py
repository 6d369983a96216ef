"""The getUpdates loop's failures: a revoked token is said once, without a traceback, and
polling resumes by itself once the step works again."""

from __future__ import annotations

import logging

import pytest
from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.methods import GetMe

from bots.telegram.polling import retrying


async def test_a_revoked_token_is_logged_once_and_polling_resumes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = 0

    async def step() -> None:
        nonlocal calls
        calls += 1
        if calls <= 4:
            raise TelegramUnauthorizedError(GetMe(), "Unauthorized")

    with caplog.at_level(logging.DEBUG, logger="rupor.telegram"):
        await retrying(step, "getUpdates", 0.001, 0.002)
    assert calls == 5
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1 and errors[0].exc_info is None
    assert "токен" in errors[0].getMessage()
    assert any("works again after 4 failures" in r.getMessage() for r in caplog.records)
