"""`python -m sandbox` (rupor sandbox): --print-config as valid settings, clean shutdown on
SIGINT/SIGTERM, and the member console driven through a pipe."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import re
import signal
import sys
import threading
import time
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from core.config import Settings, settings_from_mapping
from sandbox.cli import main
from sandbox.console import Console
from sandbox.runner import Sandbox, SandboxOptions, run_sandbox

REPO = Path(__file__).resolve().parents[3]
# Interpreter start-up with aiogram and friends can be slow on a busy machine.
START_TIMEOUT = 90.0
CONSENT = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(text="Согласен", callback_data="consent:yes"),
            InlineKeyboardButton(text="Нет", callback_data="consent:no"),
        ]
    ]
)


async def eventually(check: Callable[[], Awaitable[Any] | Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


class Collector(io.StringIO):
    """An output stream the test can read while the sandbox writes (thread-safe enough)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            return super().write(text)

    def text(self) -> str:
        with self._lock:
            return self.getvalue()


def settings_of(toml_text: str) -> Settings:
    return settings_from_mapping(tomllib.loads(toml_text), source="sandbox", environ={})


async def stats_status(http: aiohttp.ClientSession, api_base: str) -> int:
    async with http.get(f"{api_base}/__sandbox/stats") as answer:
        return answer.status


# python -m sandbox in a subprocess -----------------------------------------------------


@asynccontextmanager
async def sandbox_process(*args: str) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox", *args,
        cwd=REPO,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def read_until(stream: asyncio.StreamReader, marker: str, timeout: float) -> str:
    """Lines from `stream` up to and including the first that contains `marker`."""
    text = ""
    async with asyncio.timeout(timeout):
        while marker not in text:
            line = await stream.readline()
            if not line:
                raise AssertionError(f"stream ended before {marker!r}; got:\n{text}")
            text += line.decode("utf-8")
    return text


async def test_print_config_is_valid_settings_and_sigint_stops_cleanly(tmp_path: Path) -> None:
    members_file = tmp_path / "members.csv"
    args = ("--print-config", "--members", "80", "--members-file", str(members_file))
    async with sandbox_process(*args) as process:
        assert process.stdin and process.stdout and process.stderr
        process.stdin.write(b"who 2\n")
        process.stdin.close()
        printed = await read_until(process.stdout, "public_url", START_TIMEOUT)
        settings = settings_of(printed)
        assert settings.channels() == ["telegram", "vk", "viber"]
        assert settings.telegram and settings.telegram.mode == "polling"
        assert settings.vk and settings.vk.mode == "longpoll"
        assert settings.viber and settings.server.public_url == (
            f"http://127.0.0.1:{settings.server.port}"
        )
        async with aiohttp.ClientSession() as http:
            for api_base in (
                settings.telegram.api_base,
                settings.vk.api_base,
                settings.viber.api_base,
            ):
                assert await stats_status(http, api_base) == 200
            getme = f"{settings.telegram.api_base}/bot{settings.telegram.token}/getMe"
            async with http.post(getme) as answer:
                assert (await answer.json())["ok"] is True
        # The console answers on standard error when standard output carries the TOML.
        await read_until(process.stderr, "shown of 80 members", 10.0)
        assert f"# members file: {members_file}" in printed
        assert members_file.read_text(encoding="utf-8").count("\n") == 81
        process.send_signal(signal.SIGINT)
        rest, _ = await asyncio.wait_for(process.communicate(), 20.0)
    assert process.returncode == 0
    assert rest == b""  # nothing but the TOML on standard output


async def test_console_on_stdout_and_sigterm_stops_cleanly(tmp_path: Path) -> None:
    args = ("--members", "60", "--members-file", str(tmp_path / "m.csv"), "--quiet-members")
    async with sandbox_process(*args) as process:
        assert process.stdin and process.stdout
        process.stdin.write(b"help\nas #3\nsay hi\nwho 1 vk\n")
        await process.stdin.drain()
        process.stdin.close()  # end of input: the sandbox keeps serving
        text = await read_until(process.stdout, "shown of 60 members", START_TIMEOUT)
        assert "press N" in text and "you are now #3" in text and "sent" in text
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 20.0)
    assert process.returncode == 0


def test_too_small_a_union_is_refused_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--members", "1"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "членов слишком мало" in captured.err


def test_union_knobs_scale_with_the_members() -> None:
    assert SandboxOptions().union_knobs().schools == 60
    small = SandboxOptions(members=100).union_knobs()
    assert (small.districts, small.schools, small.members) == (2, 2, 100)


# In process: run_sandbox with a pipe for stdin ------------------------------------------


async def test_run_sandbox_console_through_a_pipe(tmp_path: Path) -> None:
    options = SandboxOptions(
        members=60, members_file=tmp_path / "m.csv", print_config=True, live=False
    )
    read_fd, write_fd = os.pipe()
    stdin = os.fdopen(read_fd, encoding="utf-8")
    commands = os.fdopen(write_fd, "w", encoding="utf-8")
    stdout, stderr, stop = Collector(), Collector(), asyncio.Event()
    task = asyncio.create_task(
        run_sandbox(options, stop=stop, stdin=stdin, stdout=stdout, stderr=stderr)
    )
    try:
        await eventually(lambda: "public_url" in stdout.text(), 30.0)
        settings = settings_of(stdout.text())
        assert settings.telegram is not None
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram.api_base))
        async with Bot(settings.telegram.token, session=session) as bot:
            await drive_console(bot, commands, stderr, tmp_path / "m.csv")
    finally:
        commands.close()
        stop.set()
        assert await asyncio.wait_for(task, 10.0) == 0
        stdin.close()


def shows(out: Collector, text: str) -> Callable[[], bool]:
    return lambda: text in out.text()


def telegram_ids(members: Path) -> list[int]:
    with members.open(encoding="utf-8", newline="") as file:
        return [int(row["telegram_id"]) for row in csv.DictReader(file) if row["telegram_id"]]


async def drive_console(bot: Bot, commands: Any, out: Collector, members: Path) -> None:
    def send(*lines: str) -> None:
        commands.write("".join(line + "\n" for line in lines))
        commands.flush()

    for member in telegram_ids(members):  # the first who has not blocked the bot
        send(f"as tg:{member}")
        await eventually(shows(out, f"tg:{member}"))
        with contextlib.suppress(TelegramForbiddenError):
            await bot.send_message(member, "Согласны получать рассылку?", reply_markup=CONSENT)
            break
    # The message to the member the console plays is shown as it arrives.
    await eventually(lambda: re.search(r"<< \[\d+\] Согласны получать рассылку\?", out.text()))
    send("chat")
    await eventually(lambda: out.text().count("buttons: [1] Согласен  [2] Нет") == 2)
    send("press 1", "say Когда будут путёвки?")
    await eventually(lambda: "sent" in out.text())
    assert "pressed 'Согласен'" in out.text()
    updates = await bot.get_updates(timeout=0)
    assert [u.event_type for u in updates] == ["callback_query", "message"]
    press, message = updates[0].callback_query, updates[1].message
    assert press is not None and press.data == "consent:yes"
    assert message is not None and message.text == "Когда будут путёвки?"
    send("press 9", "frobnicate")
    await eventually(lambda: "unknown command 'frobnicate'" in out.text())
    assert "! choose 1 to 2" in out.text()


async def test_console_without_a_member_says_what_to_do(tmp_path: Path) -> None:
    sandbox = Sandbox(SandboxOptions(members=40, members_file=tmp_path / "m.csv", live=False))
    await sandbox.start()
    try:
        out = Collector()
        console = Console(sandbox.union, out)
        assert console.execute("chat") and console.execute("who 2 tg")
        assert not console.execute("quit")
        text = out.text()
        assert '! choose a member first: "as tg:ID"' in text
        assert "(2 shown of 40 members)" in text and text.count("— tg:") == 2
        console.close()
    finally:
        await sandbox.close()
