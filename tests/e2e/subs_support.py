"""The rig of the subscription end-to-end tests: the sandbox emulators and a simulated union,
the real Suite (adapters, WebServer, Inbox, senders) on a SQLite file, and the members' view.

Members act through sandbox.union Actors; every wait is a condition with a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.registry import capabilities
from bots.suite import Suite
from core.audience.importing.job import import_members
from core.campaigns.store import NewCampaign, create_campaign
from core.config import Settings, settings_from_mapping
from core.inbound.dialogs import Dialogs
from core.ports import InboundEvent
from core.sending.runs import materialise, start_run
from core.storage.engine import create_engine, session_factory
from core.storage.models import Contact, Inbound, Organization
from sandbox.runconfig import free_port
from sandbox.runner import Sandbox, SandboxOptions
from sandbox.union import Actor, ChatLine, Union, UnionKnobs

TG_SECRET = "e2e-telegram-secret_1"
VK_SECRET = "e2e-vk-secret"
WAIT_S = 15.0  # generous: the machine running the tests may be loaded
STEP_S = 0.02
START_S = 60.0  # the first start in a process imports aiogram (about 10 s on a busy machine)


@dataclass(frozen=True)
class Modes:
    """How Telegram and VK updates arrive; Viber always calls our webhook."""

    telegram: str = "polling"
    vk: str = "longpoll"

    @property
    def label(self) -> str:
        return f"{self.telegram}+{self.vk}"


POLLING = Modes("polling", "longpoll")
WEBHOOKS = Modes("webhook", "callback")
BOTH = pytest.mark.parametrize("modes", [POLLING, WEBHOOKS], ids=lambda m: m.label)

# A small union where a third of the accounts never joined the bot (they join in the tests).
SMALL = UnionKnobs(
    seed=7, districts=2, schools=4, members=60, staff=2, share_telegram=0.3, share_vk=0.3,
    share_viber=0.3, share_two=0.1, share_none=0.0, share_blocked=0.0, share_denied=0.0,
    share_unsubscribed=0.0, share_deactivated=0.0, share_unjoined=0.4,
)

# More members with two messengers, for linking.
PAIRS = replace(SMALL, seed=5, share_telegram=0.25, share_vk=0.25, share_viber=0.2,
                share_two=0.3)


async def wait_for(predicate: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
    """Poll `predicate` (sync or async) until it is truthy; its value, or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(STEP_S)


def settings_for(sandbox: Sandbox, db_url: str, modes: Modes) -> Settings:
    assert sandbox.config is not None
    sections: dict[str, Any] = {k: dict(v) for k, v in sandbox.config.sections().items()}
    sections["telegram"].update(mode=modes.telegram, webhook_secret=TG_SECRET)
    sections["vk"].update(mode=modes.vk, secret=VK_SECRET)
    sections["telegram"].pop("staff_chat_id", None)
    # The platforms reach the suite directly: public_url is its own loopback address.
    port = free_port()
    sections["server"] = {"host": "127.0.0.1", "port": port,
                          "public_url": f"http://127.0.0.1:{port}"}
    sections["database"] = {"url": db_url}
    sections = {k: {n: v for n, v in s.items() if v is not None} for k, s in sections.items()}
    return settings_from_mapping(sections, source="<e2e>", environ={})


class Rig:
    """The emulators, the union imported into the database, and a Suite to start and stop."""

    def __init__(self, sandbox: Sandbox, settings: Settings, engine: AsyncEngine) -> None:
        self.sandbox, self.settings, self.engine = sandbox, settings, engine
        # Reads begin deferred and never take SQLite's write lock from the suite.
        self.reader = create_engine(settings.database.url, readonly=True)
        self.union: Union = sandbox.union
        self.suite: Suite | None = None
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._taken: set[tuple[str, str]] = set()

    @classmethod
    async def open(cls, tmp_path: Path, db_url: str, modes: Modes,
                   knobs: UnionKnobs = SMALL) -> Rig:
        sandbox = Sandbox(SandboxOptions(
            seed=knobs.seed, members=knobs.members, members_file=tmp_path / "members.csv",
            console=False, live=False,
        ))
        sandbox.union = Union.generate(knobs)  # with accounts that have not joined yet
        config = await sandbox.start()
        settings = settings_for(sandbox, db_url, modes)
        engine = create_engine(db_url)
        report = await import_members(session_factory(engine), config.members_file)
        assert report.complete, report.rejected
        return cls(sandbox, settings, engine)

    # The suite ----------------------------------------------------------------------------

    async def start(self) -> Suite:
        """Start `rupor run` in this process and wait until every channel is listening."""
        assert self._task is None, "the suite is already running"
        self._stop = asyncio.Event()
        self.suite = Suite(self.settings, engine=self.engine)
        self._task = asyncio.create_task(self.suite.run(self._stop))
        suite, task = self.suite, self._task
        await wait_for(lambda: task.done() or len(suite.senders) == len(suite.channels) > 0,
                       "the suite to start", timeout=START_S)
        if task.done():
            task.result()  # raises what stopped it
        await wait_for(self._webhooks_ready, "the platforms to accept our webhooks")
        return self.suite

    def _webhooks_ready(self) -> bool:
        if self.settings.vk is None or self.settings.vk.mode != "callback":
            return True
        ours = self.base_url + "/webhooks/vk"
        servers = self.sandbox.vk.world.callbacks.servers.values()
        return any(s.url == ours and s.status == "ok" for s in servers)

    async def stop(self) -> None:
        if self._task is None:
            return
        assert self._stop is not None
        self._stop.set()
        try:
            await asyncio.wait_for(self._task, WAIT_S)
        finally:
            self._task, self._stop = None, None

    async def restart(self) -> Suite:
        """Stop, then start again on the same port (as a service restarts): the platforms'
        retries reach the new process at the address they know."""
        port = self.suite.server.port if self.suite and self.suite.server else 0
        await self.stop()
        server = self.settings.server.model_copy(update={"port": port})
        self.settings = self.settings.model_copy(update={"server": server})
        return await self.start()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.stop()
        await self.sandbox.close()
        await self.reader.dispose()
        await self.engine.dispose()

    @property
    def base_url(self) -> str:
        assert self.suite is not None and self.suite.server is not None
        return f"http://127.0.0.1:{self.suite.server.port}"

    # Members ------------------------------------------------------------------------------

    def accounts(self, platform: str, state: str) -> Iterator[Actor]:
        for person, account in self.union.accounts(platform):
            key = (platform, account.external_id)
            # Members of a school (not a district's chair nor the committee's staff).
            if account.state == state and key not in self._taken and len(person.org_path) == 3:
                yield self.union.find(f"{platform}:{account.external_id}")

    def newcomer(self, platform: str) -> Actor:
        """A member whose account on `platform` never started the bot (each one once)."""
        actor = next(self.accounts(platform, "unjoined"))
        self._taken.add((platform, actor.external_id))
        return actor

    def subscriber(self, platform: str) -> Actor:
        """A member who joined long ago (imported as an active contact), each one once."""
        actor = next(self.accounts(platform, "active"))
        self._taken.add((platform, actor.external_id))
        return actor

    def pair(self, first: tuple[str, str], second: tuple[str, str]) -> tuple[Actor, Actor]:
        """One member's two accounts: (platform, state) each, e.g. Telegram active and VK
        never joined."""
        for person in self.union.people:
            a, b = person.account(first[0]), person.account(second[0])
            if (a is not None and b is not None and len(person.org_path) == 3
                    and (a.state, b.state) == (first[1], second[1])
                    and (first[0], a.external_id) not in self._taken):
                self._taken |= {(first[0], a.external_id), (second[0], b.external_id)}
                return (self.union.find(f"{first[0]}:{a.external_id}"),
                        self.union.find(f"{second[0]}:{b.external_id}"))
        raise LookupError(f"no member with {first} and {second} in this union")

    # The database -------------------------------------------------------------------------

    async def org_code(self, path: tuple[str, ...]) -> str:
        async with self.reader.connect() as conn:
            code = await conn.scalar(
                select(Organization.code).where(Organization.full_name == "/".join(path))
            )
        assert code is not None, path
        return str(code)

    async def contact(self, actor: Actor) -> Any:
        async with self.reader.connect() as conn:
            return (await conn.execute(select(Contact).where(
                Contact.channel == actor.platform, Contact.external_id == actor.external_id
            ))).first()

    async def status(self, actor: Actor) -> str | None:
        row = await self.contact(actor)
        return None if row is None else str(row.status)

    async def wait_status(self, actor: Actor, status: str) -> None:
        async def reached() -> bool:
            return await self.status(actor) == status

        await wait_for(reached, f"{actor} to become {status}")

    async def count(self, table: Any, *where: Any) -> int:
        async with self.reader.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(table).where(*where))
                       or 0)

    async def inbound_unhandled(self) -> int:
        return await self.count(Inbound, Inbound.handled_at.is_(None))

    async def snapshot(self) -> dict[str, int]:
        """Row counts of every table an update can change."""
        tables = ("inbound", "contacts", "people", "consents", "replies", "link_codes",
                  "deliveries")
        async with self.reader.connect() as conn:
            return {t: int(await conn.scalar(text(f"SELECT COUNT(*) FROM {t}")) or 0)
                    for t in tables}

    # Campaigns ----------------------------------------------------------------------------

    async def campaign(self, text_: str, audience: str = "all",
                       channels: tuple[str, ...] | None = None) -> int:
        """What `rupor post --now` does: the campaign, its run and its deliveries."""
        campaign_id = await create_campaign(
            self.engine,
            NewCampaign(text=text_, audience=audience, channels=channels, created_by="e2e"),
            capabilities(self.settings),
        )
        run = await start_run(self.engine, campaign_id, datetime.now(UTC),
                              list(channels or self.settings.channels()))
        await materialise(self.engine, run.run_id)
        if self.suite is not None:
            for sender in self.suite.senders.values():
                sender.wake()
        return campaign_id

    async def deliveries(self, campaign_id: int) -> list[Any]:
        async with self.reader.connect() as conn:
            return list((await conn.execute(text(
                "SELECT d.*, c.external_id FROM deliveries d "
                "JOIN campaign_runs r ON r.id = d.run_id "
                "LEFT JOIN contacts c ON c.id = d.contact_id WHERE r.campaign_id = :c"
            ), {"c": campaign_id})).all())

    async def sent(self, campaign_id: int, timeout: float = 30.0) -> list[Any]:
        """Wait until no delivery of the campaign is pending or claimed; its deliveries."""
        async def done() -> list[Any] | None:
            rows = await self.deliveries(campaign_id)
            busy = [r for r in rows if r.status in ("pending", "claimed")]
            return None if busy else (rows or [None])

        rows: list[Any] = await wait_for(done, f"campaign {campaign_id} to be sent", timeout)
        return [r for r in rows if r is not None]

    async def delivery_status(self, campaign_id: int, actor: Actor) -> str | None:
        for row in await self.deliveries(campaign_id):
            if row.channel == actor.platform and row.external_id == actor.external_id:
                return str(row.status)
        return None


# The member's side ------------------------------------------------------------------------


def got(actor: Actor, marker: str) -> Callable[[], bool]:
    """A condition: the member has a message containing `marker`."""
    return lambda: any(marker in line.text for line in actor.chat())


def duplicates(rig: Rig) -> int:
    """Updates the running suite's inbox recognised as already stored."""
    return rig.suite.inbox.duplicates if rig.suite and rig.suite.inbox else 0


def texts_of(actor: Actor) -> list[str]:
    return [line.text for line in actor.chat()]


async def answer(actor: Actor, act: Callable[[], Any], *, contains: str = "",
                 timeout: float = WAIT_S) -> ChatLine:
    """Do `act` and wait for the bot's next message to the member (containing `contains`)."""
    before = len(actor.chat())
    act()

    def arrived() -> ChatLine | None:
        lines = actor.chat()[before:]
        return next((line for line in lines if contains in line.text), None)

    try:
        line: ChatLine = await wait_for(arrived, f"{actor} to get {contains!r}", timeout)
    except AssertionError as exc:
        seen = [(line.text[:60], [b.label for b in line.buttons]) for line in actor.chat()]
        raise AssertionError(f"{exc}; the member's chat: {seen}") from None
    return line


async def nothing_arrives(actor: Actor, before: int, marker: str) -> None:
    """The member's chat got no message containing `marker` since line `before`."""
    assert not [t for t in texts_of(actor)[before:] if marker in t], texts_of(actor)[before:]


def crash_on(monkeypatch: pytest.MonkeyPatch, hit: Callable[[InboundEvent], str | None],
             bugs: frozenset[str] = frozenset()) -> dict[str, str]:
    """Make the inbox handler die mid-transaction on the first event of each key `hit` gives:
    as if the process were killed after the update was stored and before it was handled and
    acknowledged (CancelledError is no Exception: nothing on the way catches it, so the
    webhook's platform gets no answer and a poller confirms no offset or ts). Keys in `bugs`
    raise a plain RuntimeError instead, as a bug in a handler would. Returns key -> the
    event id that died."""
    crashed: dict[str, str] = {}
    original = Dialogs.handle

    async def handle(self: Dialogs, conn: Any, event: InboundEvent, inbound_id: int) -> None:
        await original(self, conn, event, inbound_id)
        key = hit(event)
        if key is not None and key not in crashed:
            crashed[key] = event.event_id
            if key in bugs:
                raise RuntimeError("simulated bug in a handler")
            raise asyncio.CancelledError("simulated kill between persisting and acknowledging")

    monkeypatch.setattr(Dialogs, "handle", handle)
    return crashed

