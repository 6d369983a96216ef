"""Where the chat layer calls in: a request is authorised from the roles its sender holds
at that moment, and what it changes commits in the same transaction as that reading and
its audit entry — a role removed a moment earlier refuses it, one removed a moment later
comes after it. A refused request changes nothing but the audit log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.access.audit import Result, record
from core.access.grants import roles_of
from core.access.rules import EVERYONE, ChatRequest, Decision, authorise

# The change a request asks for, run only when it is allowed; returns the audit details.
Change = Callable[[AsyncConnection], Awaitable[dict[str, Any] | None]]


async def check(db: AsyncConnection | AsyncEngine, request: ChatRequest) -> Decision:
    """The decision on `request` from the roles its sender holds now (nothing is written)."""
    if request.sender_id is None or request.sender_chat_id is not None:
        return authorise(request, frozenset())
    return authorise(request, await roles_of(db, request.channel, request.sender_id))


def audit_action(request: ChatRequest) -> str:
    return f"chat.{request.action}"


def actor_of(request: ChatRequest) -> str:
    """The account to blame: the sender, else the chat it hid behind."""
    return request.sender_id or request.sender_chat_id or "?"


def _details(request: ChatRequest, decision: Decision) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if request.continues_dialogue:
        details["dialogue_owner"] = request.dialogue_owner
    if request.chat_id is not None:
        details["chat_id"] = request.chat_id
    if request.sender_chat_id is not None:
        details["sender_chat_id"] = request.sender_chat_id
    if not decision.allowed:
        details["refusal"] = str(decision.refusal)
    return details


async def perform(engine: AsyncEngine, request: ChatRequest, change: Change) -> Decision:
    """Authorise `request` and, when allowed, run `change`, in one transaction. Admin
    actions (all but the member commands) are audited: ok, refused, or failed when
    `change` raises (its work is rolled back and the error goes on)."""
    audited = request.action not in EVERYONE
    try:
        async with engine.begin() as conn:
            decision = await check(conn, request)
            details = _details(request, decision)
            if decision.allowed:
                details.update(await change(conn) or {})
            if audited:
                await _record(conn, request, details, Result.OK if decision.allowed
                              else Result.REFUSED)
    except Exception as error:
        if audited:
            async with engine.begin() as conn:
                await _record(conn, request, {"error": type(error).__name__}, Result.FAILED)
        raise
    return decision


async def _record(
    conn: AsyncConnection, request: ChatRequest, details: dict[str, Any], result: Result
) -> None:
    await record(conn, actor_of(request), audit_action(request), details or None,
                 channel=request.channel, result=result)
