"""The e2e rig: the sandbox (three emulators + a simulated union), a real SQLite file, the
settings that join them, and what each side saw (emulator chat logs, the ledger)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import tomllib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bots.registry import capabilities
from core.audience.importing.job import import_members
from core.campaigns.store import NewCampaign, create_campaign
from core.config import Settings, settings_from_mapping
from core.sending.runs import materialise, start_run
from core.storage.engine import create_engine, session_factory
from core.storage.schema import upgrade_async
from sandbox.runconfig import SandboxConfig, free_port
from sandbox.runner import TELEGRAM_TOKEN, Sandbox, SandboxOptions
from sandbox.union import Union, UnionKnobs
from sandbox.union.population import Account, Person

CHANNELS = ("telegram", "vk", "viber")
# What a member's refusal becomes in contacts (ARCHITECTURE.md: BLOCKED is "blocked the
# bot, deactivated, deleted"; UNSUBSCRIBED is "no permission to write": VK 901, Viber 6).
CONTACT_STATUS = {
    ("telegram", "blocked"): "blocked",
    ("telegram", "deactivated"): "blocked",
    ("vk", "denied"): "unsubscribed",
    ("vk", "deactivated"): "blocked",
    ("viber", "unsubscribed"): "unsubscribed",
    ("viber", "deactivated"): "blocked",
}
Key = tuple[str, str]  # (channel, external id)


async def eventually(check: Callable[[], bool | Awaitable[bool]], timeout: float,
                     what: str = "condition", every: float = 0.02) -> None:
    """Wait until `check` holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = check()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not met within {timeout:.0f} s")
        await asyncio.sleep(every)


@dataclass
class Rig:
    """A running sandbox and a database joined by settings; see open_rig()."""

    sandbox: Sandbox
    config: SandboxConfig
    workdir: Path
    db_path: Path
    sending: dict[str, Any] = field(default_factory=dict)
    public_url: str | None = None  # where the platforms reach our server, if not directly

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db_path}"

    @property
    def union(self) -> Union:
        return self.sandbox.union

    def settings(self) -> Settings:
        data = tomllib.loads(self.config.toml())
        data["database"] = {"url": self.db_url}
        data["sending"] = dict(self.sending)
        if self.public_url is not None:
            data["server"]["public_url"] = self.public_url
        return settings_from_mapping(data, source="<e2e>", environ={})

    def write_config(self) -> Path:
        """config.toml in the work directory, as `rupor --config` reads it."""
        lines = [self.config.toml(), "[database]", f'url = "{self.db_url}"', "", "[sending]"]
        lines += [f"{key} = {_toml(value)}" for key, value in self.sending.items()]
        path = self.workdir / "config.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    # The union's side -------------------------------------------------------------------

    def accounts(self, channel: str | None = None) -> Iterator[tuple[Person, Account]]:
        """Accounts the members file lists, with their owners."""
        for person, account in self.union.accounts(channel):
            if account.listed:
                yield person, account

    def state(self, key: Key) -> str:
        return self.union.state(*key)

    def received(self) -> Counter[Key]:
        """Bot messages each listed account holds in its chat, as the emulators store them."""
        sandbox, counts = self.sandbox, Counter[Key]()
        for _, account in self.accounts():
            key = (account.platform, account.external_id)
            if account.platform == "telegram":
                counts[key] = len(sandbox.telegram.chat_log(TELEGRAM_TOKEN, int(key[1])))
            elif account.platform == "vk":
                counts[key] = len(sandbox.vk.dialog(int(key[1])))
            else:
                counts[key] = len(sandbox.viber.chat_log(key[1]))
        return counts

    def stats(self) -> dict[str, dict[str, Any]]:
        sandbox = self.sandbox
        return {"telegram": sandbox.telegram.stats(), "vk": sandbox.vk.stats(),
                "viber": sandbox.viber.stats()}

    # The database's side ----------------------------------------------------------------

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """A read through plain sqlite3 (WAL lets it run beside a writing process)."""
        with sqlite3.connect(self.db_path, timeout=30) as conn:
            return list(conn.execute(sql, params))

    def deliveries(self, run_id: int) -> dict[Key, tuple[str, int, bool]]:
        """(channel, recipient) -> (status, attempts, was_uncertain) for the run's sends."""
        rows = self.query("SELECT channel, recipient, status, attempts, was_uncertain "
                          "FROM deliveries WHERE run_id = ? AND channel IS NOT NULL", run_id)
        return {(c, r): (s, int(a), bool(u)) for c, r, s, a, u in rows}

    def ledger(self) -> str:
        """Deliveries by channel, status and error: what a failed assertion should show."""
        rows = self.query("SELECT run_id, channel, status, was_uncertain, error, COUNT(*), "
                          "MAX(attempts) FROM deliveries GROUP BY 1, 2, 3, 4, 5")
        return "\n".join(" | ".join(str(v) for v in row) for row in rows)

    def contact_status(self) -> dict[Key, str]:
        return {(c, e): s for c, e, s in self.query(
            "SELECT channel, external_id, status FROM contacts WHERE kind = 'user'")}

    async def close(self) -> None:
        await self.sandbox.close()


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return f'"{value}"'


async def open_rig(workdir: Path, db_path: Path, *, members: int = 300, seed: int = 1,
                   union: UnionKnobs | None = None,
                   sending: dict[str, Any] | None = None) -> Rig:
    """Start the sandbox with live behaviour off (nothing happens unless a test scripts it)."""
    options = SandboxOptions(seed=seed, members=union.members if union else members,
                             members_file=workdir / "members.csv", console=False, live=False,
                             server_port=free_port())
    sandbox = Sandbox(options)
    if union is not None:
        sandbox.union = Union.generate(union)
    config = await sandbox.start()
    return Rig(sandbox, config, workdir, db_path, dict(sending or {}))


async def import_members_file(db_url: str, members_file: Path) -> None:
    """A members file into a fresh schema, as `rupor audience import` does."""
    await upgrade_async(db_url)
    engine = create_engine(db_url)
    try:
        report = await import_members(session_factory(engine), members_file)
    finally:
        await engine.dispose()
    assert report.complete, report.rejected[:5]


async def import_union(rig: Rig) -> None:
    await import_members_file(rig.db_url, rig.config.members_file)


async def post(rig: Rig, new: NewCampaign) -> tuple[int, int]:
    """Campaign, run and deliveries, as bots/demo.py and `rupor post --now` make them;
    returns (campaign id, run id)."""
    settings = rig.settings()
    engine = create_engine(rig.db_url)
    try:
        campaign_id = await create_campaign(engine, new, capabilities(settings))
        run = await start_run(engine, campaign_id, datetime.now(UTC), settings.channels())
        await materialise(engine, run.run_id)
    finally:
        await engine.dispose()
    return campaign_id, run.run_id
