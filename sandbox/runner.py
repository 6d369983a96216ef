"""`rupor sandbox` / `python -m sandbox`: the three emulators and a simulated union, until Ctrl-C.

Standard output carries only the TOML of --print-config; everything else (logs, the banner,
and with --print-config the member console's answers) goes to standard error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sandbox.console import Console
from sandbox.runconfig import SandboxConfig, free_port
from sandbox.telegram import TelegramEmulator, TelegramKnobs
from sandbox.union import LiveRates, Union, UnionKnobs
from sandbox.viber import ViberEmulator, ViberKnobs
from sandbox.vk import VkEmulator, VkKnobs

log = logging.getLogger("sandbox")

TELEGRAM_TOKEN = "7000000001:SANDBOX-rupor-training-bot"
VIBER_TOKEN = "4f3e2d1c0b9a8877-sandbox-rupor-training"
VIBER_NAME = "Профсоюз (песочница)"
CHANNEL_NAME = "rupor_sandbox_news"  # the union's public channel, the bot its admin
CHANNEL_TITLE = "Профсоюз — новости (песочница)"


@dataclass(frozen=True)
class SandboxOptions:
    """What `rupor sandbox` was asked for."""

    seed: int = 1
    members: int = 3000
    districts: int | None = None  # default: 5, fewer for a tiny union
    schools: int | None = None  # default: 60, fewer for a small union
    members_file: Path | None = None
    print_config: bool = False
    console: bool = True
    live: bool = True
    host: str = "127.0.0.1"
    server_port: int | None = None  # rupor run's own server; default: a free port

    def union_knobs(self) -> UnionKnobs:
        """Union knobs scaled to the number of members (about 50 per school)."""
        districts = self.districts or max(1, min(5, self.members // 40))
        schools = self.schools or max(districts, min(60, self.members // 50))
        staff = min(6, max(0, self.members - schools - districts))
        return UnionKnobs(
            seed=self.seed, districts=districts, schools=schools, members=self.members, staff=staff
        )


class Sandbox:
    """The emulators and the union, started together; what `rupor demo` can reuse."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        seed = options.seed
        self.telegram = TelegramEmulator(TelegramKnobs(seed=seed))
        self.telegram.add_bot(TELEGRAM_TOKEN, first_name="Профсоюз", username="rupor_sandbox_bot")
        self.vk = VkEmulator(VkKnobs(seed=seed))
        self.viber = ViberEmulator(
            ViberKnobs(seed=seed, auth_token=VIBER_TOKEN, account_name=VIBER_NAME)
        )
        self.union = Union.generate(options.union_knobs())
        self.config: SandboxConfig | None = None
        self.channel_id = 0  # the union's Telegram channel, made at start
        self._started: list[TelegramEmulator | VkEmulator | ViberEmulator] = []

    async def start(self) -> SandboxConfig:
        """Serve the emulators on loopback, attach the union, write the members file."""
        host = self.options.host
        bases = []
        for emulator in (self.telegram, self.vk, self.viber):
            bases.append(await emulator.start(host=host, port=0))
            self._started.append(emulator)
        await self.union.attach(
            telegram=self.telegram,
            telegram_token=TELEGRAM_TOKEN,
            vk=self.vk,
            viber=self.viber,
            staff_chat=True,
        )
        self.channel_id = self.telegram.add_channel(CHANNEL_TITLE, username=CHANNEL_NAME)
        self.telegram.add_bot_to_channel(TELEGRAM_TOKEN, self.channel_id)
        members_file = self.union.write_members_csv(self._members_path())
        if self.options.live:
            await self.union.live(LiveRates.training(seed=self.options.seed))
        self.config = SandboxConfig(
            telegram_token=TELEGRAM_TOKEN,
            telegram_api_base=bases[0],
            vk_token=self.vk.knobs.group_token,
            vk_group_id=self.vk.knobs.group_id,
            vk_api_base=bases[1],
            vk_admin_user_token=self.vk.knobs.admin_user_token,
            viber_token=VIBER_TOKEN,
            viber_name=VIBER_NAME,
            viber_api_base=bases[2],
            server_host=host,
            server_port=self.options.server_port or free_port(host),
            members_file=members_file,
            telegram_staff_chat_id=self.union.staff_chat_id,
            telegram_channel_id=f"@{CHANNEL_NAME}",
        )
        return self.config

    def _members_path(self) -> Path:
        if self.options.members_file is not None:
            return self.options.members_file
        # Kept after exit: the file is imported by another command, maybe later.
        return Path(tempfile.mkdtemp(prefix="rupor-sandbox-")) / "members.csv"

    async def close(self) -> None:
        await self.union.stop()
        while self._started:
            await self._started.pop().close()


def console_input(options: SandboxOptions, stream: TextIO | None) -> TextIO | None:
    """The stream to read member commands from, or None to just serve."""
    if not options.console or stream is None or stream.closed:
        return None
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        return stream  # an in-memory stream
    # A background job reading its terminal would be stopped by SIGTTIN: serve silently.
    if os.isatty(fd) and os.tcgetpgrp(fd) != os.getpgrp():
        return None
    return stream


def _banner(sandbox: Sandbox, config: SandboxConfig) -> None:
    union = sandbox.union
    knobs = union.knobs
    log.info(
        "sandbox running: seed %s, %d members, %d districts, %d primary organisations",
        knobs.seed,
        len(union),
        knobs.districts,
        knobs.schools,
    )
    log.info("Telegram %s (bot token %s)", config.telegram_api_base, config.telegram_token)
    log.info("VK       %s (group %s)", config.vk_api_base, config.vk_group_id)
    log.info("Viber    %s", config.viber_api_base)
    log.info("members file: %s", config.members_file)
    log.info(
        "rupor run should listen on %s:%s; Ctrl-C stops", config.server_host, config.server_port
    )


def _install_signals(stop: asyncio.Event) -> list[signal.Signals]:
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    return installed


async def run_sandbox(
    options: SandboxOptions,
    *,
    stop: asyncio.Event | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run until `stop` is set or, when no `stop` is given, SIGINT/SIGTERM arrives; returns 0
    after a clean shutdown."""
    installed: list[signal.Signals] = []
    if stop is None:
        stop = asyncio.Event()
        installed = _install_signals(stop)
    sandbox = Sandbox(options)
    streams = (
        stdin if stdin is not None else sys.stdin,
        stdout or sys.stdout,
        stderr or sys.stderr,
    )
    try:
        await _serve(sandbox, stop, *streams)
    finally:
        await sandbox.close()
        loop = asyncio.get_running_loop()
        for sig in installed:
            loop.remove_signal_handler(sig)
    log.info("sandbox stopped")
    return 0


async def _serve(
    sandbox: Sandbox, stop: asyncio.Event, stdin: TextIO, stdout: TextIO, stderr: TextIO
) -> None:
    options = sandbox.options
    config = await sandbox.start()
    if options.print_config:
        stdout.write(config.toml())
        stdout.flush()
    _banner(sandbox, config)
    source = console_input(options, stdin)
    if source is None:
        await stop.wait()
        return
    console = Console(sandbox.union, stderr if options.print_config else stdout)
    console_task = asyncio.create_task(console.run(source))
    try:
        await stop.wait()
    finally:
        console_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await console_task
        console.close()


def run(options: SandboxOptions) -> int:
    """Run the sandbox until Ctrl-C (sandbox.cli parses the command line into `options`)."""
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s"
    )
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    try:
        options.union_knobs()
    except ValueError as exc:
        print(f"rupor sandbox: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(run_sandbox(options))
