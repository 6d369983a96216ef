"""The districts as audience buttons, shared by /post and /poll: every district, a page at a
time, each button with its count, and a paging row («, ‹, Далее ›) when they do not fit.
A page is sized by the caller, so that the whole keyboard stays within VK's ten buttons of
an inline keyboard (bots.vk.outgoing): the paging row takes up to three."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select

from bots.chat import texts
from bots.chat.turn import ChatContext
from core.ports import Button
from core.storage.models import Organization

NAV_BUTTONS = 3  # the most a paging row holds
LABEL_NAME = 40  # VK cuts labels at 40 characters: the name first, then " — count"

Count = Callable[[str], Awaitable[int]]  # the audience of a district, by its code
Payload = Callable[[str], str]


async def district_rows(ctx: ChatContext, page: int, per_page: int, count: Count,
                        pick: Payload, turn_to: Payload) -> list[tuple[Button, ...]]:
    """Page `page` (0: the first; out of range: the first) of the districts by name, one
    button a row — `pick(code)` its payload — and, when there are more, the paging row whose
    buttons carry `turn_to(str(page))`."""
    async with ctx.reader.connect() as conn:
        found = (await conn.execute(select(Organization.name, Organization.code)
                                    .where(Organization.kind == "district")
                                    .order_by(Organization.name))).all()
    pages = max(1, -(-len(found) // per_page))
    page = page if 0 <= page < pages else 0
    rows: list[tuple[Button, ...]] = []
    for name, code in found[page * per_page:(page + 1) * per_page]:
        label = texts.DISTRICT.format(name=name[:LABEL_NAME], count=await count(code))
        rows.append((Button(label, payload=pick(code)),))
    paging = _paging(page, pages, turn_to)
    if paging:
        rows.append(paging)
    return rows


def _paging(page: int, pages: int, turn_to: Payload) -> tuple[Button, ...]:
    wanted = []
    if page >= 2:
        wanted.append((texts.FIRST_PAGE, 0))
    if page >= 1:
        wanted.append((texts.PREVIOUS_PAGE, page - 1))
    if page + 1 < pages:
        wanted.append((texts.NEXT_PAGE, page + 1))
    return tuple(Button(label, payload=turn_to(str(target))) for label, target in wanted)
