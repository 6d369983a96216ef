"""The Pacer hands out slots from one task: many waiters in one turn of the event loop, in
order, and a waiter cancelled while it waits takes no slot."""

from __future__ import annotations

import asyncio
import time

from core.sending.ratelimit import KeyedSpacing, Pacer, Slot


async def test_waiters_are_admitted_together_once_the_windows_allow() -> None:
    pacer = Pacer(1000)
    pacer.pause(0.05)
    turns = 0
    admitted: list[tuple[int, int]] = []  # (caller, turn of the event loop it resumed in)

    async def ticker() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)  # one turn of the loop

    async def call(n: int) -> Slot:
        slot = await pacer.acquire()
        admitted.append((n, turns))
        return slot

    ticking = asyncio.create_task(ticker())
    slots = await asyncio.gather(*(call(n) for n in range(40)))
    ticking.cancel()
    for slot in slots:
        slot.finish()
    assert [n for n, _ in admitted] == list(range(40))
    # A lock woke one waiter per turn: a loop busy with answers fell behind the windows.
    spread = admitted[-1][1] - admitted[0][1]
    assert spread <= 2, f"40 waiters resumed over {spread} turns of the loop"


async def test_a_waiter_cancelled_while_waiting_takes_no_slot() -> None:
    pacer = Pacer(1)  # one call a second: a lost slot would block the next for good
    pacer.pause(0.05)
    gone = asyncio.create_task(pacer.acquire())
    kept = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0)
    gone.cancel()
    started = time.monotonic()
    slot = await asyncio.wait_for(kept, timeout=2)
    slot.finish()
    assert gone.cancelled() and time.monotonic() - started < 0.5


async def test_a_free_pacer_admits_without_waiting_for_the_loop() -> None:
    pacer = Pacer(1000, per_key={"chat": KeyedSpacing(1, 1.0)})
    acquiring = pacer.acquire({"chat": "a"})
    # Nobody waits and every window allows it: the coroutine finishes in its first step.
    try:
        acquiring.send(None)
    except StopIteration as done:
        slot = done.value
    else:  # pragma: no cover - it suspended
        raise AssertionError("acquire suspended although nothing held it")
    assert isinstance(slot, Slot)
    slot.finish()


async def test_a_busy_chat_at_the_head_holds_the_order_not_the_windows() -> None:
    """Waiters are served in order, as before: the chat that must wait its second goes
    first once its second is over, then the others."""
    pacer = Pacer(1000, per_key={"chat": KeyedSpacing(1, 0.2)})
    first = await pacer.acquire({"chat": "a"})
    first.finish()
    order: list[str] = []

    async def call(chat: str) -> None:
        slot = await pacer.acquire({"chat": chat})
        order.append(chat)
        slot.finish()

    await asyncio.wait_for(asyncio.gather(call("a"), call("b"), call("c")), timeout=2)
    assert order == ["a", "b", "c"]
