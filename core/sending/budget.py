"""The sender's bound on claimed deliveries not yet recorded (core.sending.dispatch)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass
class Budget:
    """Claimed deliveries not yet recorded: bounded, so a crash re-sends little."""

    limit: int
    outstanding: int = 0

    def __post_init__(self) -> None:
        self.changed = asyncio.Condition()

    async def reserve(self, count: int) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.outstanding + count <= self.limit)
            self.outstanding += count

    async def release(self, count: int) -> None:
        async with self.changed:
            self.outstanding -= count
            self.changed.notify_all()
