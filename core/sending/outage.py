"""A channel that stops working while its sender runs: a token revoked or an account
refused (the adapter raises ChannelError), or the platform out of reach (every call fails,
none answers, for OUTAGE_AFTER_S).

During an outage nobody's delivery is charged an attempt or marked failed: a refused call's
results become waits (RETRY_AFTER, told apart by `is_outage_wait`), the sender sends one
delivery at a time as a probe, waiting longer after each refused probe, and the first real
answer from the platform ends the outage. Each change is reported once through `on_change`
(the suite tells the staff chat and /healthz).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from core.ports import DeliveryResult, Status

log = logging.getLogger("rupor.dispatch")

# A few failed calls are a blip, retried per delivery with the usual backoff (a delivery
# has 5 attempts over some 30 s by default); this long with nothing but failures is an
# outage, declared well before the first delivery runs out of attempts.
OUTAGE_AFTER_S = 5.0
OUTAGE_AFTER_CALLS = 3
OUTAGE_ERROR = "channel not working: "  # opens the error of an outage's waits

FaultCause = Literal["token", "network"]


@dataclass(frozen=True)
class Fault:
    """Why the channel is not working: the platform refused the account ("token") or does
    not answer ("network"); `detail` is the adapter's own words."""

    cause: FaultCause
    detail: str


@dataclass(frozen=True)
class ProbeBackoff:
    """Waits between probes: `first_s`, doubling per refused probe up to `max_s`."""

    first_s: float = 1.0  # a platform back within seconds costs seconds
    max_s: float = 60.0  # one call a minute to a dead platform is nothing; recovery ≤ 1 min late

    def wait_s(self, refused: int) -> float:
        return float(min(self.first_s * 2 ** max(0, refused - 1), self.max_s))


FaultChange = Callable[[Fault | None], Awaitable[None]]


def is_outage_wait(result: DeliveryResult) -> bool:
    """A result made by an outage (not the platform's answer to a send)."""
    return result.status is Status.RETRY_AFTER and (result.error or "").startswith(OUTAGE_ERROR)


class ChannelHealth:
    """Whether one channel works, from the answers its sender gets."""

    def __init__(self, on_change: FaultChange | None = None, *,
                 backoff: ProbeBackoff | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.on_change, self.backoff, self.clock = on_change, backoff or ProbeBackoff(), clock
        self.fault: Fault | None = None
        self.refused = 0  # probes refused since the outage began
        self._probe_at = 0.0  # when the next probe may go (clock time)
        self._failing_since: float | None = None
        self._failed_calls = 0

    @property
    def down(self) -> bool:
        return self.fault is not None

    async def account_refused(self, recipients: Sequence[str], detail: str
                              ) -> list[DeliveryResult]:
        """The adapter raised ChannelError: the account is refused for everyone."""
        await self._enter(Fault("token", detail))
        return self._waits(recipients, detail)

    async def answered(self, results: list[DeliveryResult]) -> list[DeliveryResult]:
        """One call's results as they are to be recorded."""
        if any(r.status not in (Status.FAILED, Status.UNCERTAIN) for r in results):
            self._failing_since, self._failed_calls = None, 0
            await self._leave()
            return results
        if not any(r.status is Status.FAILED for r in results):
            return results  # no answer yet is no verdict either way
        if self.fault is None and not self._long_failing():
            return results
        detail = next(r.error for r in results if r.status is Status.FAILED) or "no answer"
        await self._enter(Fault("network", detail) if self.fault is None else self.fault)
        return [self._wait(r.recipient, r.error or detail) if r.status is Status.FAILED else r
                for r in results]

    def probe_size(self, wave: int) -> int:
        """How many deliveries to claim: a whole wave, or one probe during an outage."""
        return 1 if self.down else wave

    def pause_s(self) -> float:
        """How long the channel waits before its next probe (0 when it works)."""
        return max(0.0, self._probe_at - self.clock()) if self.down else 0.0

    def _long_failing(self) -> bool:
        now = self.clock()
        if self._failing_since is None:
            self._failing_since = now
        self._failed_calls += 1
        return (self._failed_calls >= OUTAGE_AFTER_CALLS
                and now - self._failing_since >= OUTAGE_AFTER_S)

    async def _enter(self, fault: Fault) -> None:
        now = self.clock()
        if now >= self._probe_at:  # calls already in flight count as the same refusal
            self.refused += 1
            self._probe_at = now + self.backoff.wait_s(self.refused)
        if self.fault is not None and self.fault.cause == fault.cause:
            return
        self.fault = fault
        await self._tell(fault)

    async def _leave(self) -> None:
        if self.fault is None:
            return
        self.fault, self.refused, self._probe_at = None, 0, 0.0
        await self._tell(None)

    async def _tell(self, fault: Fault | None) -> None:
        if self.on_change is None:
            return
        try:
            await self.on_change(fault)
        except Exception:  # the news is not worth stopping the sender for
            log.exception("telling a channel's state change failed")

    def _waits(self, recipients: Sequence[str], detail: str) -> list[DeliveryResult]:
        return [self._wait(r, detail) for r in recipients]

    def _wait(self, recipient: str, detail: str) -> DeliveryResult:
        return DeliveryResult(recipient, Status.RETRY_AFTER,
                              retry_after=max(self.pause_s(), 0.1),
                              error=OUTAGE_ERROR + detail)
