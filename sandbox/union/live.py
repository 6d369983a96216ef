"""Members reacting to the bot: receipts, presses, votes, questions and blocks, on a timetable.

Each accepted bot message draws a fixed number of numbers from one seeded RNG, in the order
the messages were accepted, and plans the member's reactions at delays drawn from them; a
background task performs them when they come due.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import random
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .chat import ActionError, Button, ChatLine, Driver
from .knobs import LiveRates
from .questions import QUESTIONS

log = logging.getLogger(__name__)

# Buttons people press most: consent and "yes" (the rest are chosen evenly).
_EAGER = re.compile(r"\b(да|согласен|согласна|согласие|согласиться|подписаться|принимаю)\b")
_EAGER_WEIGHT = 4.0
# A batch of due reactions runs without yielding to the loop at most this long.
_BATCH = 500


@dataclass(order=True)
class _Due:
    at: float
    seq: int
    kind: str = field(compare=False)
    action: Callable[[], object] = field(compare=False)


def _uniform(span: tuple[float, float], draw: float) -> float:
    low, high = span
    return low + (high - low) * draw


def _pick(buttons: tuple[Button, ...], draw: float) -> Button:
    weights = [_EAGER_WEIGHT if _EAGER.search(b.label.lower()) else 1.0 for b in buttons]
    edge, target = 0.0, draw * sum(weights)
    for button, weight in zip(buttons, weights, strict=True):
        edge += weight
        if target < edge:
            return button
    return buttons[-1]


class Live:
    """The running behaviour of the union's members; stop() ends it."""

    def __init__(
        self,
        drivers: Mapping[str, Driver],
        rates: LiveRates,
        seed: int,
        on_block: Callable[[str, str], None],
    ) -> None:
        self.drivers = drivers
        self.rates = rates
        self.counts: Counter[str] = Counter()
        self._rng = random.Random(f"{seed}:{rates.seed}")
        self._on_block = on_block
        self._heap: list[_Due] = []
        self._seq = itertools.count()
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = self._loop.create_task(self._run())

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def pending(self) -> int:
        return len(self._heap)

    def hear(self, line: ChatLine) -> None:
        """A bot message reached a member (called by emulator listeners; cheap)."""
        if threading.get_ident() == self._thread:
            self._plan(line)
        else:
            self._loop.call_soon_threadsafe(self._plan, line)

    def _plan(self, line: ChatLine) -> None:
        if not self.running:
            return
        self.counts["heard"] += 1
        rates, draws = self.rates, [self._rng.random() for _ in range(12)]
        driver = self.drivers[line.platform]
        delivered_at = self._loop.time() + _uniform(rates.delivered_delay_s, draws[0])
        read_at = delivered_at + _uniform(rates.read_delay_s, draws[1])
        act_at = read_at + _uniform(rates.act_delay_s, draws[2])
        acts = self._acts(line, driver, draws)
        reads = draws[4] < rates.read or bool(acts)
        if reads or draws[3] < rates.delivered:
            self._add(delivered_at, "delivered", lambda: driver.delivered(line))
        if reads:
            self._add(read_at, "read", lambda: driver.read(line))
        for offset, (kind, action) in enumerate(acts):
            self._add(act_at + offset * _uniform(rates.act_delay_s, draws[11]), kind, action)
        self._wake.set()

    def _acts(
        self, line: ChatLine, driver: Driver, draws: list[float]
    ) -> list[tuple[str, Callable[[], object]]]:
        rates, acts = self.rates, list[tuple[str, Callable[[], object]]]()
        if line.options and draws[5] < rates.vote:
            option = _pick(line.options, draws[6])
            acts.append(("voted", lambda: driver.press(line, option)))
        elif line.pressable and draws[7] < rates.press:
            button = _pick(line.pressable, draws[8])
            acts.append(("pressed", lambda: driver.press(line, button)))
        if draws[9] < rates.reply:
            question = QUESTIONS[int(draws[10] * len(QUESTIONS)) % len(QUESTIONS)]
            acts.append(("replied", lambda: driver.say(line.member, question)))
        if draws[11] < rates.block:
            acts.append(("blocked", lambda: self._block(driver, line.member)))
        return acts

    def _block(self, driver: Driver, member: str) -> None:
        driver.block(member)
        self._on_block(driver.platform, member)

    def _add(self, at: float, kind: str, action: Callable[[], object]) -> None:
        if len(self._heap) >= self.rates.max_pending:
            self.counts["dropped"] += 1
            return
        heapq.heappush(self._heap, _Due(at, next(self._seq), kind, action))

    async def _run(self) -> None:
        while True:
            if not self._heap:
                self._wake.clear()
                await self._wake.wait()
                continue
            delay = self._heap[0].at - self._loop.time()
            if delay > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
                continue
            for _ in range(_BATCH):
                if not self._heap or self._heap[0].at > self._loop.time():
                    break
                self._perform(heapq.heappop(self._heap))
            await asyncio.sleep(0)

    def _perform(self, due: _Due) -> None:
        try:
            done = due.action()
        except ActionError as exc:
            self.counts["refused"] += 1
            log.debug("member action %s refused: %s", due.kind, exc)
            return
        except Exception:  # one member's failure must not end the union's behaviour
            self.counts["errors"] += 1
            log.exception("member action %s failed", due.kind)
            return
        if done is not False:
            self.counts[due.kind] += 1

    async def idle(self, timeout: float = 5.0) -> None:
        """Wait until no reaction is waiting (TimeoutError after `timeout`)."""
        async with asyncio.timeout(timeout):
            while self._heap:
                await asyncio.sleep(0.01)

    async def stop(self) -> None:
        """Stop reacting; reactions not yet performed are forgotten."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._heap.clear()

    def snapshot(self) -> dict[str, Any]:
        return {**self.counts, "pending": len(self._heap)}
