"""Which adapters exist: a channel is an adapter, an emulator and a settings section.

Each entry builds the Channel from its settings section and states its capabilities
without touching the network (used to check content when a campaign is created).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.config import Settings
from core.ports import Capabilities, Channel


@dataclass(frozen=True)
class ChannelKind:
    name: str
    capabilities: Callable[[Settings], Capabilities]
    build: Callable[[Settings, Any], Channel]  # (settings, media base URL provider)


def _telegram() -> ChannelKind:
    from bots.telegram import TelegramChannel, telegram_capabilities

    return ChannelKind("telegram", telegram_capabilities, TelegramChannel.from_settings)


def _vk() -> ChannelKind:
    from bots.vk import VkChannel, vk_capabilities

    return ChannelKind("vk", vk_capabilities, VkChannel.from_settings)


def _viber() -> ChannelKind:
    from bots.viber import ViberChannel, viber_capabilities

    return ChannelKind("viber", viber_capabilities, ViberChannel.from_settings)


KINDS: dict[str, Callable[[], ChannelKind]] = {"telegram": _telegram, "vk": _vk, "viber": _viber}


def configured(settings: Settings) -> dict[str, ChannelKind]:
    """The channel kinds whose settings section is present, in the settings' order."""
    return {name: KINDS[name]() for name in settings.channels() if name in KINDS}


def capabilities(settings: Settings) -> dict[str, Capabilities]:
    return {name: kind.capabilities(settings) for name, kind in configured(settings).items()}
