"""The state of one emulated Viber bot account, shared by the endpoints and member actions."""

from __future__ import annotations

from dataclasses import dataclass

from ..limits import Clock
from .audience import Audience
from .callbacks import CallbackDispatcher
from .errors import WEBHOOK_NOT_SET, Refusal
from .knobs import ViberKnobs
from .media import MediaFetcher
from .stats import ViberStats


@dataclass
class Platform:
    """Everything an endpoint handler may touch; built once by ViberEmulator."""

    knobs: ViberKnobs
    clock: Clock
    wall_clock: Clock
    stats: ViberStats
    audience: Audience
    callbacks: CallbackDispatcher
    media: MediaFetcher

    def timestamp_ms(self) -> int:
        """Epoch milliseconds, the `timestamp` of every callback."""
        return int(self.wall_clock() * 1000)

    def require_webhook(self) -> None:
        if self.callbacks.webhook.url is None:
            raise Refusal(WEBHOOK_NOT_SET)
