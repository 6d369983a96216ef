"""What the chat e2e tests share: a press secretary granted through core.access, the
leaflet they send, and waiting for the bot's answers to them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.access.grants import grant, revoke
from core.access.rules import Role
from core.storage.models import Campaign
from sandbox.runner import TELEGRAM_TOKEN
from sandbox.union import Actor, ChatLine
from tests.e2e.subs_support import POLLING, Rig, answer, wait_for

LEAFLET = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CAPTION = "**Листок** за май: индексация зарплаты"


async def make_press(rig: Rig, actor: Actor, role: Role = Role.PRESS) -> None:
    async with rig.engine.begin() as conn:
        await grant(conn, actor.platform, actor.external_id, role, "cli")


async def press_rig(rigs: list[Rig], tmp_path: Path, db_url: str,
                    platform: str = "telegram") -> tuple[Rig, Actor]:
    """A started rig (polling) whose first subscriber on `platform` is a press secretary."""
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    secretary = rig.subscriber(platform)
    await make_press(rig, secretary)
    await rig.start()
    return rig, secretary


async def take_roles(rig: Rig, actor: Actor) -> None:
    async with rig.engine.begin() as conn:
        await revoke(conn, actor.platform, actor.external_id)


def send_leaflet(rig: Rig, actor: Actor, caption: str = CAPTION) -> None:
    rig.sandbox.telegram.send_document(TELEGRAM_TOKEN, int(actor.external_id), "листок.pdf",
                                       LEAFLET, caption)


async def say(actor: Actor, text: str, contains: str) -> ChatLine:
    return await answer(actor, lambda: actor.say(text), contains=contains)


async def press(actor: Actor, label: str, contains: str, line: ChatLine | None = None
                ) -> ChatLine:
    """Press the button whose label starts with `label` on `line` (default: the latest
    message with buttons) and wait for the answer containing `contains`."""
    line = line or actor.last_with_buttons()
    button = next(b for b in line.pressable if b.label.startswith(label))
    return await answer(actor, lambda: actor.press(button.label, line), contains=contains)


async def campaigns(rig: Rig) -> list[tuple[int, str, str, object, object]]:
    async with rig.reader.connect() as conn:
        rows = await conn.execute(select(Campaign.id, Campaign.status, Campaign.audience,
                                         Campaign.run_at, Campaign.cron).order_by(Campaign.id))
        return [tuple(row) for row in rows.all()]


async def received(rig: Rig, actor: Actor, marker: str) -> ChatLine:
    def found() -> ChatLine | None:
        return next((line for line in actor.chat() if marker in line.text), None)

    line: ChatLine = await wait_for(found, f"{actor} to receive {marker!r}", timeout=30)
    return line
