"""Each staff account's chat state, durable in the `state` table (key "chat:<channel>:<id>"):
the /post draft and its step, and the queue of stored inbound events the chat layer has
not handled yet. The inbox appends to the queue inside its own transaction; the chat
service pops an event in the same transaction as the state change and the replies that
handling it makes — so an event is handled after a crash, and never twice."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.storage.models import KeyValue

PREFIX = "chat:"
EXPIRY_S = 24 * 3600  # a draft nobody touched for a day is stale


@dataclass
class ChatState:
    channel: str
    account: str
    step: str = ""  # "" (no draft), content, audience, district, segment, when, confirm
    draft: dict[str, Any] = field(default_factory=dict)
    queue: list[int] = field(default_factory=list)
    touched: float = 0.0  # when the draft last moved (epoch seconds)

    @property
    def key(self) -> str:
        return f"{PREFIX}{self.channel}:{self.account}"

    def expired(self, now: float | None = None) -> bool:
        return bool(self.step) and (now or time.time()) - self.touched > EXPIRY_S

    def clear(self) -> None:
        self.step, self.draft = "", {}

    def to_json(self) -> str:
        return json.dumps({"step": self.step, "draft": self.draft, "queue": self.queue,
                           "touched": self.touched}, ensure_ascii=False)


def _from_json(channel: str, account: str, value: str | None) -> ChatState:
    data = json.loads(value) if value else {}
    return ChatState(channel, account, str(data.get("step") or ""), dict(data.get("draft") or {}),
                     [int(i) for i in data.get("queue") or []], float(data.get("touched") or 0))


async def load(conn: AsyncConnection, channel: str, account: str) -> ChatState:
    key = f"{PREFIX}{channel}:{account}"
    value = (await conn.execute(select(KeyValue.value).where(KeyValue.key == key))).scalar()
    return _from_json(channel, account, value)


async def save(conn: AsyncConnection, state: ChatState) -> None:
    changed = await conn.execute(
        update(KeyValue).where(KeyValue.key == state.key).values(value=state.to_json()))
    if changed.rowcount == 0:
        await conn.execute(insert(KeyValue).values(key=state.key, value=state.to_json()))


async def enqueue(conn: AsyncConnection, channel: str, account: str, inbound_id: int) -> None:
    """Queue a stored event for the chat service (inside the inbox's transaction)."""
    state = await load(conn, channel, account)
    if inbound_id not in state.queue:
        state.queue.append(inbound_id)
        await save(conn, state)


async def every_state(engine: AsyncEngine) -> list[ChatState]:
    """Every account's chat state (a few rows: one per staff account that used the chat)."""
    async with engine.connect() as conn:
        rows = (await conn.execute(
            select(KeyValue.key, KeyValue.value).where(KeyValue.key.startswith(PREFIX)))).all()
    found = []
    for key, value in rows:
        channel, _, account = key.removeprefix(PREFIX).partition(":")
        found.append(_from_json(channel, account, value))
    return found
