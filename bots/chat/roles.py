"""/grant (alias /права), /revoke (alias /снять_права) and /admins (alias /админы): an
admin gives and takes roles from chat. /grant: messenger (buttons) → the account's id, or a
member's name found among that messenger's contacts (up to 5 buttons, with their school) →
role (buttons) → confirm; /revoke: the current grants as buttons → confirm. Every step
re-authorises (admin only); the change goes through core.access.gate.perform, which reads
the roles, changes the grant and writes the audit entry in one transaction. Steps are
"grant_*" / "revoke_*"; buttons are "chat:roles:<verb>[:<value>]"."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bots.chat import roles_texts as texts
from bots.chat.texts import CHANNEL_NAMES
from bots.chat.turn import Buttons, ChatContext, Turn, allowed
from core.access.gate import perform
from core.access.grants import grant, list_grants, revoke
from core.access.rules import Action, ChatRequest, Role
from core.access.texts import ROLE_TITLES
from core.ports import Button, ButtonPress, Command, Text
from core.sending.split import shortened
from core.storage.models import Contact, Organization, Person

PREFIX = "chat:roles:"
COMMANDS = {"grant": Action.GRANT, "права": Action.GRANT, "revoke": Action.REVOKE,
            "снять_права": Action.REVOKE, "admins": Action.ADMINS, "админы": Action.ADMINS}
MATCHES = 5  # name matches offered as buttons


def row(text: str, payload: str) -> tuple[Button, ...]:
    return (Button(text, payload=f"{PREFIX}{payload}"),)


CANCEL_ROW = row(texts.CANCEL, "cancel")


def takes(turn: Turn) -> bool:
    """Whether the event is ours: one of the commands in a private chat, a roles button, or
    text during a roles step (an expired draft is left to the service's own notice)."""
    event, step = turn.event, turn.state.step
    if isinstance(event, ButtonPress):
        return event.payload.startswith(PREFIX)
    if isinstance(event, Command):
        private = not (event.sender.is_group or event.sender_chat)
        return private and event.name in COMMANDS
    return (isinstance(event, Text) and step.startswith(("grant_", "revoke_"))
            and not turn.state.expired())


async def handled(ctx: ChatContext, turn: Turn) -> bool:
    if not takes(turn):
        return False
    event = turn.event
    if isinstance(event, Command):
        await START[COMMANDS[event.name]](ctx, turn)
    elif isinstance(event, ButtonPress):
        await _button(ctx, turn, event.payload.removeprefix(PREFIX))
    elif await allowed(ctx, turn, _action(turn), continues=True):
        turn.state.touched = time.time()
        if turn.state.step == "grant_account":
            await _account_typed(ctx, turn, event.text.strip() if isinstance(event, Text) else "")
        else:
            turn.say(texts.PRESS_BUTTON)
    return True


def _action(turn: Turn) -> Action:
    return Action.REVOKE if turn.state.step.startswith("revoke_") else Action.GRANT


async def _button(ctx: ChatContext, turn: Turn, payload: str) -> None:
    step = turn.state.step
    if not step.startswith(("grant_", "revoke_")) or turn.state.expired():
        turn.say(texts.STALE, to=turn.sender_id)
        return
    if not await allowed(ctx, turn, _action(turn), continues=True):
        return
    turn.state.touched = time.time()
    verb, _, value = payload.partition(":")
    handler = BUTTONS.get((verb, step)) or BUTTONS.get((verb, "*"))
    if handler is None:
        turn.say(texts.STALE)
        return
    await handler(ctx, turn, value)


# /grant ------------------------------------------------------------------------------------

async def start_grant(ctx: ChatContext, turn: Turn) -> None:
    if not await allowed(ctx, turn, Action.GRANT):
        return
    turn.state.step, turn.state.draft, turn.state.touched = "grant_channel", {}, time.time()
    rows = tuple(row(CHANNEL_NAMES.get(name, name), f"ch:{name}") for name in ctx.capabilities)
    turn.say(texts.ASK_CHANNEL, (*rows, CANCEL_ROW))


async def _channel(ctx: ChatContext, turn: Turn, channel: str) -> None:
    if channel not in ctx.capabilities:
        turn.say(texts.STALE)
        return
    turn.state.step, turn.state.draft = "grant_account", {"channel": channel}
    turn.say(texts.ASK_ACCOUNT.get(channel, texts.ASK_ACCOUNT["viber"]), (CANCEL_ROW,))


def _looks_like_id(channel: str, typed: str) -> bool:
    if channel in ("telegram", "vk"):
        return typed.isdigit()
    return bool(typed) and " " not in typed and any(c.isdigit() or c == "=" for c in typed)


async def _account_typed(ctx: ChatContext, turn: Turn, typed: str) -> None:
    channel = str(turn.state.draft["channel"])
    if _looks_like_id(channel, typed):
        await _account(ctx, turn, typed)
        return
    async with ctx.reader.connect() as conn:
        found = await find_members(conn, channel, typed) if typed else []
    if not found:
        turn.say(texts.NOT_FOUND.format(typed=typed, channel=CHANNEL_NAMES.get(channel, channel)),
                 (CANCEL_ROW,))
        return
    rows = tuple(row(shortened(label, 60), f"acc:{account}") for account, label in found)
    turn.say(texts.PICK_PERSON.format(count=len(found)), (*rows, CANCEL_ROW))


async def find_members(conn: AsyncConnection, channel: str, typed: str) -> list[tuple[str, str]]:
    """Up to MATCHES contacts on `channel` whose member's name contains `typed`:
    (account id, "Name, school")."""
    # SQLite's LIKE folds ASCII only: try the typed form and the capitalised one.
    names = {typed, typed.title()}
    query = (select(Contact.external_id, Person.full_name, Organization.name).select_from(Contact)
             .join(Person, Person.id == Contact.person_id)
             .join(Organization, Organization.id == Person.org_id)
             .where(Contact.channel == channel, Contact.kind == "user",
                    Person.erased_at.is_(None),
                    or_(*(Person.full_name.contains(name, autoescape=True) for name in names)))
             .order_by(Person.full_name).limit(MATCHES))
    return [(str(account), f"{name}, {school}") for account, name, school
            in (await conn.execute(query)).all()]


async def who(conn: AsyncConnection, channel: str, account: str) -> str:
    """"Name (school), Telegram 123", or "Telegram 123" for an unknown account."""
    found = (await conn.execute(
        select(Person.full_name, Organization.name).select_from(Contact)
        .join(Person, Person.id == Contact.person_id)
        .join(Organization, Organization.id == Person.org_id)
        .where(Contact.channel == channel, Contact.external_id == account))).first()
    where = f"{CHANNEL_NAMES.get(channel, channel)} {account}"
    return f"{found[0]} ({found[1]}), {where}" if found else where


async def _account(ctx: ChatContext, turn: Turn, account: str) -> None:
    draft = turn.state.draft
    async with ctx.reader.connect() as conn:
        draft.update(account=account, who=await who(conn, str(draft["channel"]), account))
    turn.state.step = "grant_role"
    rows = tuple(row(texts.ROLE_BUTTONS[role], f"role:{role}") for role in texts.ROLE_BUTTONS)
    turn.say(texts.ASK_ROLE.format(who=draft["who"]), (*rows, CANCEL_ROW))


async def _role(ctx: ChatContext, turn: Turn, role: str) -> None:
    if role not in texts.ROLE_BUTTONS:
        turn.say(texts.STALE)
        return
    draft = turn.state.draft
    draft["role"] = role
    turn.state.step = "grant_confirm"
    turn.say(texts.CONFIRM_GRANT.format(role=ROLE_TITLES[role], who=draft["who"],
                                        can=texts.CAN[role]),
             (row(texts.GRANT_YES, "yes"), CANCEL_ROW))


async def _grant(ctx: ChatContext, turn: Turn, value: str) -> None:
    draft = dict(turn.state.draft)
    channel, account, role = str(draft["channel"]), str(draft["account"]), str(draft["role"])
    changed: list[bool] = []

    async def change(conn: AsyncConnection) -> dict[str, Any]:
        changed.append(await grant(conn, channel, account, Role(role), _by(turn)))
        return {"channel": channel, "account": account, "role": role, "changed": changed[0]}

    if not await _performed(ctx, turn, Action.GRANT, change):
        return
    said = texts.GRANTED if changed[0] else texts.ALREADY
    turn.state.clear()
    turn.say(said.format(who=draft["who"], role=ROLE_TITLES[role], can=texts.CAN[role]))


def _by(turn: Turn) -> str:
    return f"{turn.channel}:{turn.sender_id}"


async def _performed(ctx: ChatContext, turn: Turn, action: Action,
                     change: Callable[[AsyncConnection], Awaitable[dict[str, Any]]]) -> bool:
    """The change through core.access.gate (authorised, changed and audited together)."""
    request = ChatRequest(turn.channel, turn.sender_id, action,
                          is_forwarded=isinstance(turn.event, Command) and turn.event.forwarded,
                          dialogue_owner=turn.state.account,
                          chat_id=turn.event.sender.external_id)
    decision = await perform(ctx.engine, request, change)
    if not decision.allowed:
        turn.say(decision.reason)
    return decision.allowed


# /revoke and /admins -----------------------------------------------------------------------

async def start_revoke(ctx: ChatContext, turn: Turn) -> None:
    if not await allowed(ctx, turn, Action.REVOKE):
        return
    lines = await _grants(ctx)
    if not lines:
        turn.say(texts.NO_GRANTS)
        return
    turn.state.step, turn.state.touched = "revoke_pick", time.time()
    turn.state.draft = {"grants": [[c, a, r, label] for c, a, r, label in lines]}
    rows: Buttons = tuple(row(shortened(f"{label} — {ROLE_TITLES.get(r, r)}", 60), f"rv:{number}")
                          for number, (_c, _a, r, label) in enumerate(lines))
    turn.say(texts.ASK_REVOKE, (*rows, CANCEL_ROW))


async def _grants(ctx: ChatContext) -> list[tuple[str, str, str, str]]:
    found = await list_grants(ctx.reader)
    async with ctx.reader.connect() as conn:
        return [(g.channel, g.external_id, g.role, await who(conn, g.channel, g.external_id))
                for g in found]


async def _pick(ctx: ChatContext, turn: Turn, value: str) -> None:
    grants = turn.state.draft.get("grants") or []
    if not value.isdigit() or int(value) >= len(grants):
        turn.say(texts.STALE)
        return
    channel, account, role, label = grants[int(value)]
    if (channel, account, role) == (turn.channel, turn.sender_id, "admin"):
        turn.say(texts.OWN_ADMIN, (CANCEL_ROW,))
        return
    turn.state.draft.update(channel=channel, account=account, role=role, who=label)
    turn.state.step = "revoke_confirm"
    turn.say(texts.CONFIRM_REVOKE.format(role=ROLE_TITLES.get(role, role), who=label),
             (row(texts.REVOKE_YES, "yes"), CANCEL_ROW))


async def _revoke(ctx: ChatContext, turn: Turn, value: str) -> None:
    draft = dict(turn.state.draft)
    channel, account, role = str(draft["channel"]), str(draft["account"]), str(draft["role"])
    taken: list[Role] = []

    async def change(conn: AsyncConnection) -> dict[str, Any]:
        taken.extend(await revoke(conn, channel, account, Role(role)))
        return {"channel": channel, "account": account, "role": role, "changed": bool(taken)}

    if not await _performed(ctx, turn, Action.REVOKE, change):
        return
    said = texts.REVOKED if taken else texts.NOTHING_TO_REVOKE
    turn.state.clear()
    turn.say(said.format(who=draft["who"], role=ROLE_TITLES.get(role, role)))


async def admins(ctx: ChatContext, turn: Turn) -> None:
    if not await allowed(ctx, turn, Action.ADMINS):
        return
    lines = await _grants(ctx)
    turn.say("\n".join([texts.ADMINS_HEAD] + [
        texts.ADMINS_LINE.format(who=label, role=ROLE_TITLES.get(role, role))
        for _c, _a, role, label in lines]) if lines else texts.NO_GRANTS)


async def _cancel(ctx: ChatContext, turn: Turn, value: str) -> None:
    turn.state.clear()
    turn.say(texts.CANCELLED)


START: dict[Action, Callable[[ChatContext, Turn], Awaitable[None]]] = {
    Action.GRANT: start_grant, Action.REVOKE: start_revoke, Action.ADMINS: admins,
}
Step = Callable[[ChatContext, Turn, str], Awaitable[None]]
BUTTONS: dict[tuple[str, str], Step] = {
    ("ch", "grant_channel"): _channel,
    ("acc", "grant_account"): _account,
    ("role", "grant_role"): _role,
    ("yes", "grant_confirm"): _grant,
    ("rv", "revoke_pick"): _pick,
    ("yes", "revoke_confirm"): _revoke,
    ("cancel", "*"): _cancel,
}
