"""Roles from chat through the sandbox: an admin grants press to a member's account by name
(/grant → messenger → name → role → confirm), who can then /post; a press secretary's
/grant is refused; /revoke takes the role and the revoked account's open dialogue is
refused at its next step; /admins lists the grants; each change is audited."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.access.grants import roles_of
from core.access.rules import Role
from core.storage.models import Audit
from tests.e2e.chat_support import campaigns, make_press, press, say
from tests.e2e.subs_support import POLLING, Rig


async def test_an_admin_grants_and_revokes_from_chat(
        rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    admin, member, secretary = (rig.subscriber("telegram") for _ in range(3))
    await make_press(rig, admin, Role.ADMIN)
    await make_press(rig, secretary)
    await rig.start()
    refused = await say(secretary, "/grant", contains="только для администратора")
    assert refused.buttons == ()
    await say(admin, "/права", contains="В каком мессенджере")
    await press(admin, "Telegram", contains="номер аккаунта Telegram")
    surname = member.person.full_name.split()[0]
    found = await say(admin, surname, contains="Кому дать права")
    choice = next(b for b in found.buttons if b.label.startswith(member.person.full_name))
    assert ", " in choice.label  # with the school
    helped = await say(admin, "/help", contains="/grant")
    assert "/admins" in helped.text
    await press(admin, choice.label, contains="Какую роль дать", line=found)
    await press(admin, "Пресс-секретарь", contains="Сможет:")
    done = await press(admin, "✅ Дать права", contains="Готово")
    assert member.person.full_name in done.text and "/post" in done.text
    assert await roles_of(rig.reader, "telegram", member.external_id) == {Role.PRESS}
    listed = await say(admin, "/admins", contains="Права в боте")
    assert f"{member.person.full_name}" in listed.text and "пресс-секретарь" in listed.text

    await say(member, "/post", contains="Пришлите текст")
    asked = await say(member, "Собрание в пятницу", contains="Кому отправить")
    picks = await say(admin, "/revoke", contains="Чьи права снять")
    mine = next(b for b in picks.buttons if b.label.startswith(member.person.full_name))
    await press(admin, mine.label, contains="Снять роль", line=picks)
    await press(admin, "✅ Снять права", contains="больше нет роли")
    assert await roles_of(rig.reader, "telegram", member.external_id) == frozenset()
    await press(member, "Весь регион", contains="больше нет прав", line=asked)
    assert await campaigns(rig) == []
    async with rig.reader.connect() as conn:
        entries = (await conn.execute(select(Audit.action, Audit.result, Audit.actor)
                                      .where(Audit.action.in_(("chat.grant", "chat.revoke")))
                                      .order_by(Audit.id))).all()
    assert [tuple(e) for e in entries] == [
        ("chat.grant", "refused", secretary.external_id), ("chat.grant", "ok", admin.external_id),
        ("chat.revoke", "ok", admin.external_id)]


async def test_a_typed_id_and_someone_elses_button(
        rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    admin, other = rig.subscriber("vk"), rig.subscriber("vk")
    await make_press(rig, admin, Role.ADMIN)
    await rig.start()
    await say(admin, "/grant", contains="В каком мессенджере")
    await press(admin, "ВКонтакте", contains="номер страницы")
    await say(admin, "Несуществующий", contains="такого участника нет")
    await say(admin, "777000111", contains="Какую роль дать")
    await press(admin, "Сотрудник аппарата", contains="Сможет:")
    await press(admin, "✅ Дать права", contains="Готово: ВКонтакте 777000111")
    assert await roles_of(rig.reader, "vk", "777000111") == {Role.STAFF}
    await say(other, "/admins", contains="только для администратора")
