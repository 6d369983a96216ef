"""Union: the simulated population, its accounts in the emulators, and its behaviour."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sandbox.telegram import TelegramEmulator
from sandbox.viber import ViberEmulator
from sandbox.vk import VkEmulator

from .actor import Actor
from .chat import ChatLine, Driver, Hear
from .counters import summary
from .csvfile import members_csv, write_members_csv
from .drive_telegram import TelegramDriver
from .drive_viber import ViberDriver
from .drive_vk import VkDriver
from .knobs import PLATFORMS, LiveRates, UnionKnobs
from .live import Live
from .population import LEFT_STATE, Account, Person, generate_people

log = logging.getLogger(__name__)

ALIASES = {"tg": "telegram", "telegram": "telegram", "vk": "vk", "viber": "viber", "vb": "viber"}
STAFF_CHAT_TITLE = "Аппарат: обратная связь"


class Union:
    """A seeded union of members; `attach` puts their accounts into the emulators."""

    def __init__(self, knobs: UnionKnobs, people: tuple[Person, ...]) -> None:
        self.knobs = knobs
        self.people = people
        self.staff_chat_id: int | None = None
        self._accounts: dict[tuple[str, str], tuple[Person, Account]] = {
            (a.platform, a.external_id): (p, a) for p in people for a in p.accounts
        }
        self._states = {key: account.state for key, (_, account) in self._accounts.items()}
        self._drivers: dict[str, Driver] = {}
        self._hooks: list[Hear] = []
        self._live: Live | None = None

    @classmethod
    def generate(cls, knobs: UnionKnobs | None = None) -> Union:
        """The union for these knobs (no emulator is touched until `attach`)."""
        knobs = knobs or UnionKnobs()
        return cls(knobs, generate_people(knobs))

    def __len__(self) -> int:
        return len(self.people)

    # Emulators -------------------------------------------------------------------------

    async def attach(
        self,
        *,
        telegram: TelegramEmulator | None = None,
        telegram_token: str | None = None,
        vk: VkEmulator | None = None,
        viber: ViberEmulator | None = None,
        staff_chat: bool = False,
    ) -> None:
        """Register every account in the emulators given, in its state; they must be serving
        (Telegram: with the bot `telegram_token` added) and the bot not yet connected."""
        tg_driver = None
        if telegram is not None:
            if telegram_token is None:
                raise ValueError("telegram_token is required with the Telegram emulator")
            tg_driver = TelegramDriver(telegram, telegram_token)
        drivers: dict[str, Driver] = {
            name: driver
            for name, driver in (
                ("telegram", tg_driver),
                ("vk", VkDriver(vk) if vk is not None else None),
                ("viber", ViberDriver(viber) if viber is not None else None),
            )
            if driver is not None
        }
        for person, account in self._accounts.values():
            if account.platform in drivers:
                drivers[account.platform].register(person, account)
        if staff_chat and tg_driver is not None:
            self.staff_chat_id = self._staff_chat(tg_driver)
        for platform, driver in drivers.items():
            await driver.settle()
            driver.listen(self._hear)
            self._drivers[platform] = driver

    def _staff_chat(self, driver: TelegramDriver) -> int | None:
        staff = [
            int(account.external_id)
            for person in self.people
            if {"staff", "press"} & set(person.roles)
            and (account := person.account("telegram")) is not None
            and account.state == "active"
        ]
        return driver.add_staff_chat(STAFF_CHAT_TITLE, staff) if staff else None

    def _hear(self, line: ChatLine) -> None:
        for hook in list(self._hooks):
            try:
                hook(line)
            except Exception:  # a watcher's bug must not break the emulated platform
                log.exception("bot message hook failed")
        if self._live is not None:
            self._live.hear(line)

    def add_message_hook(self, hook: Hear) -> None:
        """Call `hook(line)` for every bot message that reaches a member (e.g. the console)."""
        self._hooks.append(hook)

    def remove_message_hook(self, hook: Hear) -> None:
        self._hooks.remove(hook)

    # Members ---------------------------------------------------------------------------

    def member(self, index: int, platform: str | None = None) -> Actor:
        """Member number `index` acting on `platform` (default: their first messenger)."""
        person = self.people[index]
        wanted = ALIASES.get(platform, platform) if platform else None
        for account in person.accounts:
            if wanted in (None, account.platform):
                return self._actor(person, account)
        where = f" on {wanted}" if wanted else ""
        raise LookupError(f"member #{index} {person.full_name} has no account{where}")

    def find(self, ref: str) -> Actor:
        """A member by "tg:12345", "vk:678", "viber:<id>" or "#index"."""
        if ref.startswith("#") and ref[1:].isdigit():
            return self.member(int(ref[1:]))
        prefix, _, external_id = ref.partition(":")
        platform = ALIASES.get(prefix.lower())
        found = self._accounts.get((platform or "", external_id))
        if found is None:
            raise LookupError(f"no member {ref!r}; write tg:ID, vk:ID, viber:ID or #N")
        return self._actor(*found)

    def _actor(self, person: Person, account: Account) -> Actor:
        driver = self._drivers.get(account.platform)
        if driver is None:
            raise LookupError(f"the {account.platform} emulator is not attached")
        return Actor(person, account.platform, account.external_id, driver, self._set_state)

    def _set_state(self, platform: str, external_id: str, change: str) -> None:
        state = LEFT_STATE[platform] if change == "left" else change
        self._states[(platform, external_id)] = state

    def state(self, platform: str, external_id: str) -> str:
        """The account's state now: active, blocked, denied, unsubscribed, deactivated, unjoined."""
        return self._states[(ALIASES.get(platform, platform), external_id)]

    def accounts(self, platform: str | None = None) -> Iterator[tuple[Person, Account]]:
        """Every account (of one platform), with its owner, in the union's order."""
        for person in self.people:
            for account in person.accounts:
                if platform is None or account.platform == platform:
                    yield person, account

    # Members file ----------------------------------------------------------------------

    def members_csv(self) -> str:
        return members_csv(self.people)

    def write_members_csv(self, path: Path | str) -> Path:
        """Write the import file (full_name, org_path, roles, *_id, member_id, tags)."""
        return write_members_csv(self.people, path)

    # Behaviour and counters ------------------------------------------------------------

    async def live(self, rates: LiveRates | None = None) -> Live:
        """Start the members' reactions to the bot's messages; `await union.stop()` ends them."""
        await self.stop()
        self._live = Live(self._drivers, rates or LiveRates(), self.knobs.seed, self._left)
        return self._live

    def _left(self, platform: str, external_id: str) -> None:
        self._set_state(platform, external_id, "left")

    async def stop(self) -> None:
        live, self._live = self._live, None
        if live is not None:
            await live.stop()

    def stats(self) -> dict[str, Any]:
        """Each attached emulator's stats(), a summary line per platform, the members' acts."""
        attached = [name for name in PLATFORMS if name in self._drivers]
        platforms = {name: self._drivers[name].stats() for name in attached}
        return {
            **platforms,
            "summary": {name: summary(name, stats) for name, stats in platforms.items()},
            "members": self._live.snapshot() if self._live is not None else {},
        }
