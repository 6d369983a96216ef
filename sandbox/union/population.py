"""The union's people: names, organisations, roles, card numbers, tags and messenger accounts.

Everything is drawn from one seeded random.Random in a fixed order, so the same knobs give
the same people, ids and states.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .knobs import REGION, UnionKnobs
from .names import FullName, draw_name
from .orgs import SIZE_WEIGHTS, STAFF_ORG, PrimaryOrg, choose_districts, primary_orgs

# The state an account is in when its owner left the bot, per platform.
LEFT_STATE = {"telegram": "blocked", "vk": "denied", "viber": "unsubscribed"}
STATES = ("active", "blocked", "denied", "unsubscribed", "deactivated", "unjoined")
STAFF_ROLES = (
    ("member", "chair", "staff"),
    ("member", "staff", "press"),
    ("member", "press"),
    ("member", "staff", "admin"),
    ("member", "staff"),
)
# Which two messengers a member with two uses (cumulative shares).
PAIRS = ((("telegram", "vk"), 0.5), (("telegram", "viber"), 0.8), (("vk", "viber"), 1.0))


@dataclass(frozen=True)
class Account:
    """A member's account on one messenger, in its state when the union was generated."""

    platform: str
    external_id: str
    state: str

    @property
    def listed(self) -> bool:
        """Whether the union's members file gives this account (unjoined ones it does not)."""
        return self.state != "unjoined"


@dataclass(frozen=True)
class Person:
    """One member of the union."""

    index: int
    name: FullName
    org_path: tuple[str, ...]
    roles: tuple[str, ...]
    member_id: str
    tags: tuple[str, ...]
    accounts: tuple[Account, ...]

    @property
    def full_name(self) -> str:
        return self.name.full

    @property
    def organisation(self) -> str:
        return self.org_path[-1]

    def account(self, platform: str) -> Account | None:
        return next((a for a in self.accounts if a.platform == platform), None)


class _Ids:
    """Unique ids drawn from realistic ranges."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def _unique(self, make: Callable[[], str]) -> str:
        while True:
            value = make()
            if value not in self.used:
                self.used.add(value)
                return value

    def telegram(self) -> str:
        # Accounts from before 2021 have 9-digit ids, newer ones 10 digits.
        old = self.rng.random() < 0.4
        low, high = (100_000_000, 999_999_999) if old else (1_000_000_000, 6_999_999_999)
        return self._unique(lambda: str(self.rng.randint(low, high)))

    def vk(self) -> str:
        return self._unique(lambda: str(self.rng.randint(1_000_000, 850_000_000)))

    def viber(self) -> str:
        return self._unique(lambda: base64.b64encode(self.rng.randbytes(16)).decode("ascii"))

    def card(self) -> str:
        # Union card numbers of the Perm Krai organisation start with the region code 59.
        return self._unique(lambda: f"59{self.rng.randint(0, 99_999_999):08d}")


class _Generator:
    def __init__(self, knobs: UnionKnobs) -> None:
        self.knobs = knobs
        self.rng = random.Random(knobs.seed)
        self.ids = _Ids(self.rng)
        self.names: set[tuple[tuple[str, ...], str]] = set()
        self.people: list[Person] = []

    def run(self) -> tuple[Person, ...]:
        knobs, rng = self.knobs, self.rng
        districts = choose_districts(knobs.districts)
        orgs = primary_orgs(rng, districts, knobs.schools)
        sizes = self.sizes(orgs, knobs.members - knobs.staff - len(districts))
        for number in range(knobs.staff):
            roles = STAFF_ROLES[number] if number < len(STAFF_ROLES) else ("member", "staff")
            self.add((REGION, STAFF_ORG), roles, ())
        for district in districts:
            self.add((REGION, district.name), ("member", "chair"), ("профком",))
            for org, size in zip(orgs, sizes, strict=True):
                if org.district == district.name:
                    self.add_org(org, size)
        return tuple(self.people)

    def sizes(self, orgs: list[PrimaryOrg], total: int) -> list[int]:
        """Members per organisation, at least one (the chair) each, summing to `total`."""
        weights = [SIZE_WEIGHTS[org.kind] * self.rng.uniform(0.6, 1.4) for org in orgs]
        spare = total - len(orgs)
        shares = [spare * weight / sum(weights) for weight in weights]
        sizes = [1 + int(share) for share in shares]
        by_fraction = sorted(range(len(orgs)), key=lambda i: (int(shares[i]) - shares[i], i))
        for index in by_fraction[: total - sum(sizes)]:
            sizes[index] += 1
        return sizes

    def add_org(self, org: PrimaryOrg, size: int) -> None:
        path = (REGION, org.district, org.name)
        self.add(path, ("member", "chair"), ("профком",))
        for _ in range(size - 1):
            young = self.rng.random() < self.knobs.share_young
            roles = ("member", "young_teacher") if young else ("member",)
            self.add(path, roles, self.tags(young))

    def tags(self, young: bool) -> tuple[str, ...]:
        rng, tags = self.rng, []
        if rng.random() < 0.15:
            tags.append("профком")
        if young and rng.random() < 0.3:
            tags.append("совет молодых педагогов")
        if not young and rng.random() < 0.08:
            tags.append("наставник")
        if not young and rng.random() < 0.05:
            tags.append("ветеран педагогического труда")
        return tuple(tags)

    def add(self, path: tuple[str, ...], roles: tuple[str, ...], tags: tuple[str, ...]) -> None:
        name = self.name(path, young="young_teacher" in roles)
        person = Person(
            index=len(self.people),
            name=name,
            org_path=path,
            roles=roles,
            member_id=self.ids.card(),
            tags=tags,
            accounts=tuple(self.accounts()),
        )
        self.people.append(person)

    def name(self, path: tuple[str, ...], young: bool) -> FullName:
        """A name not yet used in that organisation (a file names a person by it)."""
        while True:
            name = draw_name(self.rng, young)
            if (path, name.full) not in self.names:
                self.names.add((path, name.full))
                return name

    def accounts(self) -> Iterator[Account]:
        for platform in self.platforms():
            external_id = getattr(self.ids, platform)()
            yield Account(platform, external_id, self.state(platform))

    def platforms(self) -> tuple[str, ...]:
        knobs, draw = self.knobs, self.rng.random()
        singles = (
            ("telegram", knobs.share_telegram),
            ("vk", knobs.share_vk),
            ("viber", knobs.share_viber),
        )
        edge = 0.0
        for platform, share in singles:
            edge += share
            if draw < edge:
                return (platform,)
        if draw < edge + knobs.share_two:
            pair_draw = self.rng.random()
            return next(pair for pair, upto in PAIRS if pair_draw < upto)
        return ()

    def state(self, platform: str) -> str:
        knobs, draw = self.knobs, self.rng.random()
        left = {
            "telegram": knobs.share_blocked,
            "vk": knobs.share_denied,
            "viber": knobs.share_unsubscribed,
        }[platform]
        if draw < knobs.share_deactivated:
            return "deactivated"
        if draw < knobs.share_deactivated + left:
            return LEFT_STATE[platform]
        if draw < knobs.share_deactivated + left + knobs.share_unjoined:
            return "unjoined"
        return "active"


def generate_people(knobs: UnionKnobs) -> tuple[Person, ...]:
    """The union's members for these knobs; the same knobs give the same members."""
    return _Generator(knobs).run()
