"""What the composition root gives adapters, and how webhooks reach them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from core.ports import ChannelError, InboundEvent, StateStore

# Why a channel could not start: the platform unreachable, its token rejected, our webhook
# refused, or anything else about the channel's settings.
StartCause = Literal["network", "token", "webhook", "setup"]


class MemoryState:
    """A StateStore kept in memory (tests, the sandbox)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.values.get(key)

    async def set(self, key: str, value: str) -> None:
        self.values[key] = value


@dataclass(frozen=True)
class ChannelDeps:
    """public_url: the origin where the platform reaches our server (webhooks, Viber media:
    {public_url}/media/{sha256}); state: durable small values (polling positions)."""

    public_url: str | None = None
    state: StateStore = field(default_factory=MemoryState)
    http_timeout_s: float = 30.0


class StartFailure(ChannelError):
    """A channel's start() failed for `cause`; `detail` is the platform's own words. The
    suite reports it and tries again later."""

    def __init__(self, cause: StartCause, detail: str) -> None:
        super().__init__(f"{cause}: {detail}")
        self.cause: StartCause = cause
        self.detail = detail


@dataclass(frozen=True)
class WebhookAnswer:
    """The HTTP answer to a platform's webhook call, and the events it carried.

    The server hands `events` to the core (which commits them) before it answers, so a
    platform sees 200 only for what is stored; a forged call gets 401/403 and no events.
    """

    status: int = 200
    body: str = "ok"
    content_type: str = "text/plain"
    events: tuple[InboundEvent, ...] = ()


@runtime_checkable
class WebhookReceiver(Protocol):
    webhook_path: str  # e.g. "/webhooks/telegram"

    async def handle_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookAnswer: ...
