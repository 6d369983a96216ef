"""A real, first-class Channel that records what it is asked to send (tests, benchmarks).

Outcomes can be scripted per recipient; the send times it saw let tests check pacing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from core.ports import (
    Capabilities,
    DeliveryResult,
    EventHandler,
    MediaFile,
    MessageEdit,
    Outbound,
    OutboundPoll,
    PollSent,
    Status,
)

FAST = Capabilities(
    max_recipients_per_call=100,
    calls_per_second=100_000,
    per_chat_interval_s=0.0,
    per_group_interval_s=0.0,
    native_polls=False,
    delivery_receipts=False,
    read_receipts=False,
    group_chats=False,
    max_text_len=4096,
    max_caption_len=1024,
    media_by_url_only=False,
)

Script = Callable[[str, int], DeliveryResult | None]


@dataclass
class RecordingChannel:
    """Records every send; `script(recipient, attempt)` may return a non-SENT result."""

    name: str = "loopback"
    capabilities: Capabilities = FAST
    script: Script | None = None
    latency_s: float = 0.0
    sent: list[tuple[str, Outbound]] = field(default_factory=list)
    calls: list[tuple[float, int]] = field(default_factory=list)  # (monotonic time, size)
    attempts: dict[str, int] = field(default_factory=dict)
    polls: list[tuple[str, OutboundPoll]] = field(default_factory=list)
    # Edits, made when capabilities.edits_messages; `refuse_edits` answers them INVALID.
    edits: list[tuple[str, MessageEdit]] = field(default_factory=list)
    refuse_edits: bool = False
    on_event: EventHandler | None = None
    _next_id: int = 0

    async def start(self, on_event: EventHandler) -> None:
        self.on_event = on_event

    async def close(self) -> None:
        return None

    async def prepare_media(self, media: MediaFile) -> str | None:
        return f"{self.name}:{media.sha256[:16]}"

    async def send(self, to: Sequence[str], msg: Outbound) -> list[DeliveryResult]:
        self.calls.append((time.monotonic(), len(to)))
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        return [self._one(recipient, msg) for recipient in to]

    def _one(self, recipient: str, msg: Outbound) -> DeliveryResult:
        attempt = self.attempts.get(recipient, 0) + 1
        self.attempts[recipient] = attempt
        scripted = self.script(recipient, attempt) if self.script else None
        if scripted is not None and scripted.status is not Status.SENT:
            if scripted.status is Status.UNCERTAIN:
                self.sent.append((recipient, msg))  # it did arrive; the answer was lost
            return scripted
        self.sent.append((recipient, msg))
        self._next_id += 1
        return DeliveryResult(recipient, Status.SENT, str(self._next_id))

    async def send_poll(self, to: Sequence[str], poll: OutboundPoll) -> list[PollSent]:
        results = []
        for recipient in to:
            self.polls.append((recipient, poll))
            self._next_id += 1
            result = DeliveryResult(recipient, Status.SENT, str(self._next_id))
            results.append(PollSent(recipient, result, f"poll-{self._next_id}"))
        return results

    async def edit(self, recipient: str, change: MessageEdit) -> DeliveryResult:
        if self.refuse_edits:
            return DeliveryResult(recipient, Status.INVALID, error="message can't be edited")
        self.edits.append((recipient, change))
        return DeliveryResult(recipient, Status.SENT, change.message_id)

    def received(self, recipient: str) -> list[Outbound]:
        return [msg for who, msg in self.sent if who == recipient]
