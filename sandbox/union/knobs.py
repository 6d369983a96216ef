"""Knobs of the simulated union: its shape (UnionKnobs) and its members' behaviour (LiveRates)."""

from __future__ import annotations

from dataclasses import dataclass, fields

REGION = "Пермская краевая организация Общероссийского Профсоюза образования"
PLATFORMS = ("telegram", "vk", "viber")


def _share(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a share between 0 and 1, got {value}")


@dataclass(frozen=True)
class UnionKnobs:
    """The population: same knobs (and seed) -> the same members, accounts and file."""

    seed: int = 0
    districts: int = 5
    schools: int = 60
    members: int = 3000
    # The regional committee's own staff ("Аппарат"), part of `members`.
    staff: int = 6
    share_young: float = 0.15
    # Which messengers members use; the five shares add up to 1.
    share_telegram: float = 0.45
    share_vk: float = 0.2
    share_viber: float = 0.15
    share_two: float = 0.1
    share_none: float = 0.1
    # States of the accounts the union's file lists (each drawn per account).
    share_blocked: float = 0.02  # Telegram: blocked the bot
    share_denied: float = 0.03  # VK: denied messages from the community
    share_unsubscribed: float = 0.04  # Viber: unsubscribed
    share_deactivated: float = 0.01  # any platform: the account was deleted
    # Accounts the file does not list: never connected to the bot (they may join live).
    share_unjoined: float = 0.0

    def __post_init__(self) -> None:
        for item in fields(self):
            if item.name.startswith("share_"):
                _share(item.name, getattr(self, item.name))
        mix = (self.share_telegram, self.share_vk, self.share_viber, self.share_two)
        if abs(sum(mix) + self.share_none - 1.0) > 1e-6:
            raise ValueError("share_telegram, _vk, _viber, _two and _none must add up to 1")
        worst = max(self.share_blocked, self.share_denied, self.share_unsubscribed)
        if worst + self.share_deactivated + self.share_unjoined > 1.0:
            raise ValueError("account state shares add up to more than 1")
        if self.districts < 1 or self.schools < self.districts:
            raise ValueError("нужен хотя бы один район и хотя бы одна школа в каждом районе")
        if self.members < self.schools + self.districts + self.staff:
            raise ValueError(
                "членов слишком мало: нужен председатель в каждой школе и каждом районе и "
                "сотрудники аппарата (укажите --members больше)"
            )


@dataclass(frozen=True)
class LiveRates:
    """How members react to each bot message; every rate is 0 unless set."""

    seed: int = 0
    delivered: float = 0.0  # Viber: the device reports delivery
    read: float = 0.0  # Viber seen, VK message_read (Telegram has no read receipts)
    press: float = 0.0  # press one of the offered buttons
    vote: float = 0.0  # answer a poll (Telegram poll, VK poll attachment)
    reply: float = 0.0  # write a question back
    block: float = 0.0  # block the bot / deny messages / unsubscribe
    # Delays (seconds, uniform between the two) from the message to each reaction.
    delivered_delay_s: tuple[float, float] = (0.0, 0.0)
    read_delay_s: tuple[float, float] = (0.0, 0.0)
    act_delay_s: tuple[float, float] = (0.0, 0.0)
    # More reactions than this waiting at once are dropped (and counted).
    max_pending: int = 200_000

    def __post_init__(self) -> None:
        for name in ("delivered", "read", "press", "vote", "reply", "block"):
            _share(name, getattr(self, name))
        for name in ("delivered_delay_s", "read_delay_s", "act_delay_s"):
            low, high = getattr(self, name)
            if not 0.0 <= low <= high:
                raise ValueError(f"{name} must be (low, high) with 0 <= low <= high")

    @classmethod
    def training(cls, seed: int = 0) -> LiveRates:
        """Plausible rates for `rupor sandbox`: most read, many press, few reply or leave."""
        return cls(
            seed=seed,
            delivered=0.97,
            read=0.75,
            press=0.6,
            vote=0.6,
            reply=0.03,
            block=0.003,
            delivered_delay_s=(0.2, 3.0),
            read_delay_s=(2.0, 60.0),
            act_delay_s=(3.0, 90.0),
        )
