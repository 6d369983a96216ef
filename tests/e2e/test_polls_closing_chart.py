"""The chart at closing (issue 15, item 4): when a poll closes, the PNG bar chart goes with the
results — to the press secretary who created it, to the bound staff chat and, as chosen, to
every member it reached on Telegram, VK and Viber — each chat in the emulators holds a
photo, and one stored file serves them all."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from core.polls.closing import close_poll
from core.polls.create import create_poll
from core.polls.spec import NewPoll
from core.staff.binding import bind
from core.storage.models import Media
from sandbox.runner import TELEGRAM_TOKEN
from sandbox.union import Actor, ChatLine
from tests.e2e.chat_support import make_press, received
from tests.e2e.poll_support import YOUNG_UNION, got_poll
from tests.e2e.subs_support import POLLING, Rig, wait_for

QUESTION = "Какие темы взять в школу молодого педагога?"


def _young(rig: Rig, platform: str, taken: list[Actor]) -> Actor:
    """A young teacher on `platform`, another person than those taken."""
    for actor in rig.accounts(platform, "active"):
        if "young_teacher" in actor.person.roles and all(
                actor.person is not other.person for other in taken):
            taken.append(actor)
            return actor
    raise LookupError(f"no young teacher on {platform}")


def _has_photo(lines: list[ChatLine]) -> bool:
    return any(line.media and line.media.split()[0] in ("photo", "picture") for line in lines)


async def test_the_chart_goes_to_everyone_told(rigs: list[Rig], tmp_path: Path,
                                               db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING, replace(YOUNG_UNION, members=30))
    rigs.append(rig)
    secretary = rig.subscriber("telegram")
    await make_press(rig, secretary)
    tg = rig.sandbox.telegram
    group = tg.add_group("Аппарат крайкома", member_ids=[int(secretary.external_id)])
    tg.add_bot_to_group(TELEGRAM_TOKEN, group, added_by=int(secretary.external_id))
    async with rig.engine.begin() as conn:
        await bind(conn, "telegram", str(group), "Аппарат крайкома")
    taken = [secretary]
    members = [_young(rig, platform, taken) for platform in ("telegram", "vk", "viber")]
    await rig.start()
    now = datetime.now(UTC)
    new = NewPoll(QUESTION, ("Наставничество", "Цифровые инструменты", "Право"),
                  now + timedelta(hours=1), created_by=f"telegram:{secretary.external_id}",
                  announce_members=True)
    poll_id = (await create_poll(rig.engine, new, list(rig.settings.channels()), now)).poll_id
    for sender in rig.suite.senders.values():  # type: ignore[union-attr]
        sender.wake()
    for member in members:
        await got_poll(member, QUESTION)
    assert not _has_photo(secretary.chat())

    await close_poll(rig.engine, poll_id, "cli", datetime.now(UTC))  # rupor poll close
    await received(rig, secretary, f"Опрос №{poll_id}")
    await wait_for(lambda: _has_photo(secretary.chat()), "the chart to the press secretary")
    await wait_for(lambda: any("photo" in m for m in tg.chat_log(TELEGRAM_TOKEN, group)),
                   "the chart in the staff chat", timeout=30)
    for member in members:
        await received(rig, member, "Итоги опроса")
        await wait_for(lambda m=member: _has_photo(m.chat()), f"the chart to {member}",
                       timeout=30)
    async with rig.reader.connect() as conn:
        charts = (await conn.execute(select(func.count()).select_from(Media).where(
            Media.mime == "image/png"))).scalar_one()
    assert charts == 1
