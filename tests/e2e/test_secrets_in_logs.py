"""Secrets never reach a log, a chat, a page or the database: the Telegram bot token and
webhook secret, the VK community token, admin_user_token and callback secret, the Viber
token — as written and URL-encoded — forced through the error paths (forged webhooks, 5xx
storms, a failing file download whose URL holds the token, a token rejected at start, the
platform out of reach, settings errors, the `rupor` command's error output), with the root
logger at DEBUG. The sandbox's own loggers (the emulators print their tokens for the
trainee, and aiohttp.access lines of their servers show request paths) are not Rupor's log
and are left out; Rupor's own server writes no access log.

Found and fixed: a Telegram file download that failed (HTTP 404/5xx) raised FileUnavailable
with aiohttp's message, whose URL is {api_base}/file/bot<token>/<path> — the token went to
the press secretary's chat («Не удалось получить файл…») and to the log. bots.logs.Redactor
now also masks every configured secret in whatever `rupor run` logs."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest

from bots.logs import MASK, Redactor, TextWithContext, secrets_of
from bots.transport import StartFailure
from core.config import SettingsError, settings_from_mapping
from core.ports import FileUnavailable
from core.storage.schema import upgrade_async
from tests.e2e.subs_support import TG_SECRET, VK_SECRET, WEBHOOKS, Rig, wait_for
from tests.integration.test_telegram_support import TOKEN as TEST_TOKEN
from tests.integration.test_telegram_support import start_rig

ROOT = Path(__file__).resolve().parents[2]
NOT_RUPOR = ("sandbox", "aiohttp.access")


def forms(secrets: list[str]) -> list[str]:
    """Each secret as configured, URL-encoded, and a Telegram token's part after the colon."""
    found = set()
    for secret in secrets:
        found |= {secret, quote(secret, safe=""), quote(secret)}
        if ":" in secret:
            found.add(secret.split(":", 1)[1])
    return sorted(found)


def leaks(text: str, secrets: list[str]) -> list[str]:
    return [form for form in forms(secrets) if form in text]


class Capture(logging.Handler):
    """Every record Rupor logs, formatted as `rupor run` writes it (traceback included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(TextWithContext())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(NOT_RUPOR):
            self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def captured() -> Iterator[Capture]:
    root, handler = logging.getLogger(), Capture()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


# The safety net -------------------------------------------------------------------------


def test_the_redactor_masks_secrets_in_messages_context_and_tracebacks() -> None:
    secret = "7000000001:AAF-tok/en+with=chars"
    redactor = Redactor([secret, "s3"])  # too short to mask: would hide ordinary words
    logger = logging.getLogger("rupor.test.redactor")
    records: list[logging.LogRecord] = []
    handler = Capture()
    handler.addFilter(redactor)
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        logger.error("url %s", f"http://api/bot{secret}/x", extra={"detail": quote(secret)})
        try:
            raise RuntimeError(f"GET http://api/file/bot{quote(secret, safe='')}/doc")
        except RuntimeError:
            logger.exception("download failed")
    finally:
        logger.removeHandler(handler)
    text = "\n".join(TextWithContext().format(r) for r in records)
    assert not leaks(text, [secret]) and text.count(MASK) == 3, text
    assert "s3" not in Redactor(["s3"]).forms


def test_the_secrets_of_the_settings_are_every_token_and_secret() -> None:
    settings = settings_from_mapping({
        "telegram": {"token": "1:tg-token-x", "webhook_secret": "tg_hook_secret"},
        "vk": {"token": "vk-token-x", "group_id": 1, "secret": "vk-callback-x",
               "admin_user_token": "vk-admin-x"},
        "viber": {"token": "viber-token-x"},
        "database": {"url": "postgresql+asyncpg://rupor:db-pass-x@db/rupor"},
    }, environ={})
    assert set(secrets_of(settings)) == {"1:tg-token-x", "tg_hook_secret", "vk-token-x",
                                         "vk-callback-x", "vk-admin-x", "viber-token-x",
                                         "db-pass-x"}


# Settings errors ------------------------------------------------------------------------

BAD_SETTINGS = [
    {"telegram": {"token": "no-colon-SECRETtg1"}},
    {"telegram": {"token": "1:SECRETtg2", "webhook_secret": "bad secret SECRETtg3!"}},
    {"vk": {"token": "SECRETvk1", "group_id": "not-a-number"}},
    {"vk": {"token": "SECRETvk2", "group_id": 1, "admin_user_token": 5}},
    {"viber": {"token": "SECRETvb1", "name": "x" * 40}},
    {"viber": {"token": ["SECRETvb2"]}},
]


@pytest.mark.parametrize("sections", BAD_SETTINGS)
def test_a_settings_error_never_echoes_a_secret(sections: dict[str, dict[str, object]]) -> None:
    with pytest.raises(SettingsError) as error:
        settings_from_mapping(sections, environ={})
    assert "SECRET" not in str(error.value), error.value


def test_a_settings_error_from_the_environment_never_echoes_a_secret() -> None:
    environ = {"RUPOR_TELEGRAM__TOKEN": "broken-SECRETenv1",
               "RUPOR_VK__TOKN": "SECRETenv2"}
    for name, value in environ.items():
        with pytest.raises(SettingsError) as error:
            settings_from_mapping({"telegram": {"token": "1:x"}}, environ={name: value})
        assert "SECRET" not in str(error.value), error.value


# Telegram: the file download, a rejected token, the platform out of reach ---------------


async def test_a_failing_telegram_download_names_no_token(captured: Capture) -> None:
    rig = await start_rig()
    try:
        channel = rig.channel()
        member = rig.member(first_name="Анна")
        rig.emulator.send_document(TEST_TOKEN, member, "листок.pdf", b"%PDF-1.4 x", "листок")
        document = rig.emulator.pending_updates(TEST_TOKEN)[-1]["message"]["document"]
        await channel.bot.get_file(document["file_id"])  # the file gets its path
        rig.emulator._state.files._by_path.clear()  # the download of that path now 404s
        with pytest.raises(FileUnavailable) as trouble:
            await channel.fetch_file(f"telegram:document:{document['file_id']}")
        logging.getLogger("rupor.chat").warning("file failed: %s", trouble.value)
    finally:
        await rig.close()
    assert str(trouble.value) == "HTTP 404"
    assert not leaks(captured.text, [TEST_TOKEN]), captured.text


async def test_a_rejected_token_and_an_unreachable_platform_name_no_token(
    captured: Capture,
) -> None:
    rig = await start_rig()
    wrong = "7000000009:REJECTED-token_Zq"
    try:
        errors = []
        for api_base in (rig.api_base, "http://127.0.0.1:9"):
            channel = rig.channel(api_base=api_base, token=wrong)
            with pytest.raises(StartFailure) as failed:
                await channel.start(lambda event: asyncio.sleep(0))
            errors.append(f"{failed.value!r} {failed.value}")
            logging.getLogger("rupor.suite").exception("start failed", exc_info=failed.value)
    finally:
        await rig.close()
    assert not leaks("\n".join(errors) + captured.text, [wrong]), errors


# The whole suite -------------------------------------------------------------------------


@pytest.fixture
async def suite(tmp_path: Path, captured: Capture) -> AsyncIterator[Rig]:
    db_url = f"sqlite:///{tmp_path / 'rupor.sqlite3'}"
    await upgrade_async(db_url)
    rig = await Rig.open(tmp_path, db_url, WEBHOOKS)
    await rig.start()
    try:
        yield rig
    finally:
        await rig.close()


def faults(rig: Rig, **knobs: float) -> None:
    """Faults on all three emulators, as tests/e2e/test_faults.py injects them."""
    rig.sandbox.telegram.set_faults(**knobs)
    rig.sandbox.vk.set_faults(**knobs)
    platform = rig.sandbox.viber._platform  # no set_faults: its server reads these knobs
    platform.knobs = replace(platform.knobs, **knobs)


def suite_secrets(rig: Rig) -> list[str]:
    found = secrets_of(rig.settings)
    assert {TG_SECRET, VK_SECRET} <= set(found) and len(found) == 6, found
    return found


async def test_the_running_suite_logs_no_secret_on_any_error_path(
    suite: Rig, captured: Capture
) -> None:
    rig, secrets = suite, suite_secrets(suite)
    pages = []
    async with aiohttp.ClientSession() as http:
        for channel, headers, body in [
            ("telegram", {"X-Telegram-Bot-Api-Secret-Token": "forged"}, b'{"update_id": 1}'),
            ("vk", {}, b'{"type": "message_new", "group_id": 1, "secret": "forged"}'),
            ("viber", {"X-Viber-Content-Signature": "0" * 64}, b'{"event": "seen"}'),
            ("telegram", {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}, b"{not json"),
        ]:
            async with http.post(f"{rig.base_url}/webhooks/{channel}", data=body,
                                 headers=headers) as response:
                assert response.status in (400, 401, 403)
                pages.append(await response.text())
        faults(rig, p_5xx=0.2)  # 5xx answers (VK: error 10) while a campaign goes out
        campaign = await rig.campaign("Листовка: **индексация** зарплаты")
        await rig.sent(campaign, timeout=60)
        faults(rig, p_5xx=0.0)
        injected = [sum(getattr(rig.sandbox, name).stats()["faults_injected"].values())
                    for name in ("telegram", "vk")]
        assert sum(injected) > 0, injected  # the error paths were taken
        for page in ("healthz", "metrics"):
            async with http.get(f"{rig.base_url}/{page}") as response:
                pages.append(await response.text())
    await wait_for(lambda: captured.lines, "something logged")
    await rig.stop()
    database = "\n".join(sqlite3.connect(rig.settings.database.url.removeprefix(
        "sqlite:///")).iterdump())
    assert not leaks(captured.text, secrets), leaks(captured.text, secrets)
    assert not leaks("\n".join(pages), secrets)
    assert not leaks(database, secrets), leaks(database, secrets)  # the audit table too


# The command line -------------------------------------------------------------------------


def rupor(tmp_path: Path, config: str, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.toml"
    path.write_text(config, encoding="utf-8")
    environ = {**os.environ, "PYTHONPATH": str(ROOT)}
    environ.pop("RUPOR_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "bots.cli", "--config", str(path), *args],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=environ, check=False)


def test_the_command_lines_error_output_names_no_secret(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'rupor.sqlite3'}"
    broken = (f'[database]\nurl = "{database}"\n[telegram]\ntoken = "SECRETcli-no-colon"\n'
              '[vk]\ntoken = "SECRETcli-vk"\ngroup_id = "x"\n')
    unreachable = (
        f'[database]\nurl = "{database}"\n'
        '[telegram]\ntoken = "7000000002:SECRETcli-tg"\napi_base = "http://127.0.0.1:9"\n'
        'mode = "webhook"\nwebhook_secret = "SECRETcli-hook"\n'
    )
    outputs = [rupor(tmp_path, broken, "run"), rupor(tmp_path, broken, "campaigns", "list"),
               rupor(tmp_path, unreachable, "run", "--until-idle")]
    for done in outputs:
        text = done.stdout + done.stderr
        assert done.returncode != 0 and text.strip(), text
        assert "SECRET" not in text, text
