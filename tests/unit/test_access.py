"""Roles and audit: the authorisation matrix (every role × every action), the requests
refused whatever the sender's role, grants and revokes on a real SQLite file, and the audit
log's entries with their messenger and result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.access.audit import Result, list_audit, record
from core.access.gate import check, perform
from core.access.grants import grant, list_grants, revoke, roles_of
from core.access.rules import Action, ChatRequest, Decision, Refusal, Role, authorise
from core.campaigns.store import audit as campaigns_audit
from core.storage.models import Audit, KeyValue
from tests.factories import add_members, make_union

# Written out by hand, not derived from core.access.rules: this is the rule being tested.
MATRIX = """
action    member  staff  press  admin
start     +       +      +      +
stop      +       +      +      +
link      +       +      +      +
help      +       +      +      +
vote      +       +      +      +
post      -       -      +      +
schedule  -       -      +      +
cancel    -       -      +      +
pause     -       -      +      +
resume    -       -      +      +
poll      -       -      +      +
resend    -       -      +      +
report    -       +      +      +
audience  -       +      +      +
inbox     -       +      -      +
answer    -       +      -      +
digest    -       +      -      +
grant     -       -      -      +
revoke    -       -      -      +
admins    -       -      -      +
audit     -       -      -      +
bind_staff -      -      -      +
"""
HOLDERS = {"member": frozenset(), "staff": frozenset({Role.STAFF}),
           "press": frozenset({Role.PRESS}), "admin": frozenset({Role.ADMIN})}


def _matrix() -> list[tuple[str, str, bool]]:
    lines = MATRIX.strip().splitlines()
    holders = lines[0].split()[1:]
    return [(row.split()[0], holder, mark == "+")
            for row in lines[1:] for holder, mark in zip(holders, row.split()[1:], strict=True)]


ONLY_FOR = {
    "post": "Эта команда — только для пресс-секретаря.",
    "inbox": "Эта команда — только для сотрудников аппарата.",
    "report": "Эта команда — только для пресс-секретаря и сотрудников аппарата.",
    "grant": "Эта команда — только для администратора.",
}
ANONYMOUS = "Анонимным администраторам группы команды недоступны: напишите от своего имени."
FORWARDED = "Пересланные команды не выполняются: отправьте команду сами."
NOT_OWNER = "Эту кнопку может нажать только тот, кто начал диалог."
REVOKED = "У вас больше нет прав на это действие."
TELEGRAM_ANONYMOUS_BOT = "1087968824"  # `from` of a message an anonymous group admin sends


def _request(action: str, **fields: Any) -> ChatRequest:
    return ChatRequest(**{"channel": "telegram", "sender_id": "42", "action": Action(action),
                          **fields})


def test_the_matrix_names_every_action_once() -> None:
    assert sorted(action for action, holder, _ in _matrix() if holder == "admin") == sorted(
        a.value for a in Action)


@pytest.mark.parametrize(("action", "holder", "allowed"), _matrix())
def test_role_by_action(action: str, holder: str, allowed: bool) -> None:
    decision = authorise(_request(action), HOLDERS[holder])
    if allowed:
        assert (decision.allowed, decision.refusal, decision.reason) == (True, None, "")
    else:
        assert (decision.allowed, decision.refusal) == (False, Refusal.NOT_PERMITTED)
        assert decision.reason.startswith("Эта команда — только для ")


@pytest.mark.parametrize(("action", "holder"), [("post", "staff"), ("inbox", "press"),
                                                ("report", "member"), ("grant", "press")])
def test_a_refusal_names_who_may(action: str, holder: str) -> None:
    assert authorise(_request(action), HOLDERS[holder]).reason == ONLY_FOR[action]


def test_a_person_may_hold_press_and_staff() -> None:
    both = frozenset({Role.PRESS, Role.STAFF})
    assert all(authorise(_request(a), both).allowed for a in ("post", "inbox", "digest"))
    assert not authorise(_request("grant"), both).allowed


ANY_ACTION = ("post", "grant", "report", "start")


@pytest.mark.parametrize("action", ANY_ACTION)
@pytest.mark.parametrize("holder", list(HOLDERS))
@pytest.mark.parametrize(
    ("fields", "refusal", "reason"),
    [
        ({"sender_id": TELEGRAM_ANONYMOUS_BOT, "sender_chat_id": "-1001"},
         Refusal.ANONYMOUS, ANONYMOUS),
        ({"sender_chat_id": "-1002"}, Refusal.ANONYMOUS, ANONYMOUS),  # a channel's post
        ({"sender_id": None}, Refusal.ANONYMOUS, ANONYMOUS),
        ({"is_forwarded": True}, Refusal.FORWARDED, FORWARDED),
        ({"dialogue_owner": "7"}, Refusal.NOT_DIALOGUE_OWNER, NOT_OWNER),
    ],
    ids=["anonymous-admin", "channel-post", "no-sender", "forwarded", "someone-elses-button"],
)
def test_refused_whatever_the_role(
    action: str, holder: str, fields: dict[str, Any], refusal: Refusal, reason: str
) -> None:
    assert authorise(_request(action, **fields), HOLDERS[holder]) == Decision(refusal, reason)


def test_a_dialogue_goes_on_only_while_the_role_is_held() -> None:
    button = _request("post", dialogue_owner="42")
    assert authorise(button, frozenset({Role.PRESS})).allowed
    assert authorise(button, frozenset()) == Decision(Refusal.ROLE_REVOKED, REVOKED)
    assert authorise(button, frozenset({Role.STAFF})) == Decision(Refusal.ROLE_REVOKED, REVOKED)


# --- grants on a real SQLite file ------------------------------------------------------


async def test_grant_is_idempotent_and_per_account(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        assert await grant(conn, "telegram", "42", Role.PRESS, "cli") is True
        assert await grant(conn, "telegram", "42", Role.PRESS, "cli") is False
        assert await grant(conn, "telegram", "42", Role.STAFF, "telegram:1") is True
    assert await roles_of(engine, "telegram", "42") == {Role.PRESS, Role.STAFF}
    assert await roles_of(engine, "vk", "42") == frozenset()
    assert await roles_of(engine, "telegram", "43") == frozenset()
    grants = await list_grants(engine)
    assert [(g.channel, g.external_id, g.role, g.granted_by) for g in grants] == [
        ("telegram", "42", "press", "cli"), ("telegram", "42", "staff", "telegram:1")]
    assert all(g.granted_at.tzinfo is not None and g.name is None for g in grants)


async def test_revoke_one_role_or_all(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for role in Role:
            await grant(conn, "vk", "5", role, "cli")
        await grant(conn, "telegram", "5", Role.ADMIN, "cli")
        assert await revoke(conn, "vk", "5", Role.PRESS) == [Role.PRESS]
        assert await revoke(conn, "vk", "5", Role.PRESS) == []
    assert await roles_of(engine, "vk", "5") == {Role.ADMIN, Role.STAFF}
    async with engine.begin() as conn:
        assert await revoke(conn, "vk", "5") == [Role.ADMIN, Role.STAFF]
        assert await revoke(conn, "vk", "5") == []
    assert await roles_of(engine, "vk", "5") == frozenset()
    assert await roles_of(engine, "telegram", "5") == {Role.ADMIN}


async def test_a_grant_shows_the_members_name(engine: AsyncEngine) -> None:
    union = await make_union(engine, districts=1, schools_per_district=1)
    await add_members(engine, union, 1, {"telegram": 1.0})
    async with engine.begin() as conn:
        await grant(conn, "telegram", "100000", Role.STAFF, "cli")
        await grant(conn, "vk", "100000", Role.STAFF, "cli")
    names = {(g.channel, g.name) for g in await list_grants(engine)}
    assert names == {("telegram", "Член 0"), ("vk", None)}


async def test_roles_are_read_again_for_every_request(engine: AsyncEngine) -> None:
    request = _request("post")
    assert (await check(engine, request)).reason == ONLY_FOR["post"]
    async with engine.begin() as conn:
        await grant(conn, "telegram", "42", Role.PRESS, "cli")
    assert (await check(engine, request)).allowed
    async with engine.begin() as conn:
        await revoke(conn, "telegram", "42")
    assert not (await check(engine, request)).allowed


# --- perform: the change, the roles it was allowed by, and its audit entry together ------


def _marks(name: str) -> Any:
    """A change that leaves a visible mark in the database and returns audit details."""

    async def change(conn: AsyncConnection) -> dict[str, Any]:
        await conn.execute(insert(KeyValue).values(key=name, value="done"))
        return {"mark": name}

    return change


async def _marked(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(KeyValue.key).order_by(KeyValue.key))).scalars())


async def _audit_rows(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(
            select(Audit.actor, Audit.channel, Audit.action, Audit.result, Audit.details)
            .order_by(Audit.id))).all()]


async def test_a_role_removed_mid_dialogue_refuses_the_button_and_changes_nothing(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await grant(conn, "telegram", "42", Role.PRESS, "cli")
    opened = await perform(engine, _request("post"), _marks("preview"))
    assert opened.allowed
    async with engine.begin() as conn:
        await revoke(conn, "telegram", "42", Role.PRESS)
    pressed = await perform(engine, _request("post", dialogue_owner="42"), _marks("sent"))
    assert pressed == Decision(Refusal.ROLE_REVOKED, REVOKED)
    assert await _marked(engine) == ["preview"]
    assert await _audit_rows(engine) == [
        ("42", "telegram", "chat.post", "ok", {"mark": "preview"}),
        ("42", "telegram", "chat.post", "refused",
         {"dialogue_owner": "42", "refusal": "role_revoked"}),
    ]


@pytest.mark.parametrize(
    ("fields", "refusal"),
    [({"sender_id": TELEGRAM_ANONYMOUS_BOT, "sender_chat_id": "-100"}, "anonymous"),
     ({"is_forwarded": True}, "forwarded"),
     ({"sender_id": "43", "dialogue_owner": "42"}, "not_dialogue_owner")],
    ids=["anonymous-admin", "forwarded", "someone-elses-button"],
)
async def test_refused_requests_change_nothing_but_the_audit_log(
    engine: AsyncEngine, fields: dict[str, Any], refusal: str
) -> None:
    async with engine.begin() as conn:
        for account in ("42", "43", TELEGRAM_ANONYMOUS_BOT):
            await grant(conn, "telegram", account, Role.ADMIN, "cli")
    decision = await perform(engine, _request("post", **fields), _marks("sent"))
    assert decision.refusal == refusal
    assert await _marked(engine) == []
    (row,) = await _audit_rows(engine)
    assert row[1:4] == ("telegram", "chat.post", "refused")
    assert row[4]["refusal"] == refusal


async def test_a_members_post_is_refused_and_audited(engine: AsyncEngine) -> None:
    decision = await perform(engine, _request("post", chat_id="42"), _marks("sent"))
    assert decision.reason == ONLY_FOR["post"]
    assert await _marked(engine) == []
    assert await _audit_rows(engine) == [
        ("42", "telegram", "chat.post", "refused", {"chat_id": "42", "refusal": "not_permitted"})]


async def test_member_commands_are_not_audited(engine: AsyncEngine) -> None:
    assert (await perform(engine, _request("start"), _marks("joined"))).allowed
    assert await _marked(engine) == ["joined"]
    assert await _audit_rows(engine) == []


async def test_an_admin_grants_a_role_from_the_chat_and_a_press_secretary_cannot(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await grant(conn, "vk", "1", Role.ADMIN, "cli")
        await grant(conn, "vk", "2", Role.PRESS, "cli")

    def granting(by: str) -> Any:
        async def change(conn: AsyncConnection) -> dict[str, Any]:
            added = await grant(conn, "vk", "3", Role.STAFF, f"vk:{by}")
            return {"external_id": "3", "role": "staff", "changed": added}

        return change

    refused = await perform(engine, ChatRequest("vk", "2", Action.GRANT), granting("2"))
    assert refused.reason == ONLY_FOR["grant"]
    assert await roles_of(engine, "vk", "3") == frozenset()
    assert (await perform(engine, ChatRequest("vk", "1", Action.GRANT), granting("1"))).allowed
    assert await roles_of(engine, "vk", "3") == {Role.STAFF}
    assert [row[:4] for row in await _audit_rows(engine)] == [
        ("2", "vk", "chat.grant", "refused"), ("1", "vk", "chat.grant", "ok")]


async def test_a_failing_change_is_rolled_back_and_audited_as_failed(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await grant(conn, "telegram", "42", Role.PRESS, "cli")

    async def breaks(conn: AsyncConnection) -> dict[str, Any]:
        await _marks("half")(conn)
        raise RuntimeError("the platform is down")

    with pytest.raises(RuntimeError):
        await perform(engine, _request("cancel"), breaks)
    assert await _marked(engine) == []
    assert await _audit_rows(engine) == [
        ("42", "telegram", "chat.cancel", "failed", {"error": "RuntimeError"})]


# --- the audit log ------------------------------------------------------------------------


async def test_audit_entries_carry_messenger_and_result_and_filter(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await record(conn, "cli", "admins.grant", {"role": "press"})
        await record(conn, "42", "chat.post", channel="telegram", result=Result.REFUSED)
        await campaigns_audit(conn, "cli", "campaign.cancel", {"campaign_id": 3})
    entries = await list_audit(engine)
    assert [(e.actor, e.channel, e.action, e.result) for e in entries] == [
        ("cli", None, "admins.grant", "ok"), ("42", "telegram", "chat.post", "refused"),
        ("cli", None, "campaign.cancel", "ok")]
    assert entries[2].details == {"campaign_id": 3}
    assert [e.action for e in await list_audit(engine, last=1)] == ["campaign.cancel"]
    assert [e.action for e in await list_audit(engine, actor="42")] == ["chat.post"]
    async with engine.begin() as conn:
        await conn.execute(update(Audit).where(Audit.action == "admins.grant").values(
            at=datetime.now(UTC) - timedelta(days=3)))
    since = datetime.now(UTC) - timedelta(days=1)
    assert len(await list_audit(engine, since=since)) == 2


async def test_an_audit_entry_names_a_known_member(engine: AsyncEngine) -> None:
    union = await make_union(engine, districts=1, schools_per_district=1)
    await add_members(engine, union, 1, {"vk": 1.0})
    async with engine.begin() as conn:
        await record(conn, "100000", "chat.report", channel="vk")
        await record(conn, "100000", "chat.report", channel="telegram")
    assert [e.actor_name for e in await list_audit(engine)] == ["Член 0", None]
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(Audit))).scalar() == 2
