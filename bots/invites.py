"""`rupor invites`: an invite link and a QR code per primary organisation and channel.

A link carries the organisation's code, which the member's first message brings back
(Telegram /start payload, VK message_new `ref`, Viber conversation_started `context`), so
the join dialogue skips choosing a district and a school. The bot's public name is asked
from each platform through the adapters' own clients (getMe, groups.getById,
get_account_info); the links and QR files need no other network access.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bots import texts
from core.audience.directory import find_organization
from core.config import Settings
from core.storage.engine import create_engine, session_factory
from core.storage.models import Organization

INDEX_CSV = "index.csv"
INDEX_HTML = "index.html"
HTTP_TIMEOUT_S = 15.0
# Medium error correction survives a folded or smudged printout (ISO/IEC 18004: ~15 %).
QR_ERROR_CORRECTION = ERROR_CORRECT_M
QR_BOX_PIXELS = 10
QR_BORDER_MODULES = 4  # the quiet zone the standard asks for


class InviteError(Exception):
    """Invites cannot be made; the message says what to fix."""


@dataclass(frozen=True)
class InviteOrg:
    """A primary organisation as an invite names it."""

    code: str
    path: str  # full path from the region, "Region/District/School"
    name: str


@dataclass(frozen=True)
class Invite:
    org: InviteOrg
    channel: str
    link: str
    qr_file: str  # file name inside the output directory


# Links ------------------------------------------------------------------------------------


def telegram_link(username: str, code: str) -> str:
    """t.me deep link: the bot receives "/start <code>"
    (core.telegram.org/bots/features#deep-linking)."""
    return f"https://t.me/{username}?start={quote(code, safe='')}"


def vk_link(screen_name: str, code: str) -> str:
    """vk.me link of the community's dialog: the member's message_new carries `ref`."""
    return f"https://vk.me/{screen_name}?ref={quote(code, safe='')}"


def viber_link(uri: str, code: str) -> str:
    """Viber deep link to the bot's chat: conversation_started carries `context`
    (developers.viber.com/docs/tools/deep-links)."""
    return f"viber://pa?chatURI={quote(uri, safe='')}&context={quote(code, safe='')}"


LINKS: dict[str, Callable[[str, str], str]] = {
    "telegram": telegram_link,
    "vk": vk_link,
    "viber": viber_link,
}


# The bots' public names, through the adapters' clients -------------------------------------


async def telegram_username(settings: Settings) -> str:
    from bots.telegram import TelegramChannel

    channel = TelegramChannel.from_settings(settings)
    try:
        me = await channel.bot.get_me()
    finally:
        await channel.close()
    if not me.username:
        raise InviteError("Telegram: у бота нет имени пользователя (задайте его в @BotFather)")
    return me.username


async def vk_screen_name(settings: Settings) -> str:
    from bots.vk.api import VkApiPool

    section = settings.vk
    assert section is not None
    api = VkApiPool(section.token, section.api_base, read_timeout_s=HTTP_TIMEOUT_S, instances=1)
    try:
        answer = await api.call("groups.getById", {"group_id": section.group_id})
    finally:
        api.close()
    # API 5.199 answers {"groups": [...], "profiles": [...]}; versions before 5.194 a list.
    groups = answer.get("groups", []) if isinstance(answer, dict) else answer
    if not groups:
        raise InviteError(f"VK: сообщество {section.group_id} не найдено")
    return str(groups[0].get("screen_name") or f"club{section.group_id}")


async def viber_uri(settings: Settings) -> str:
    from bots.viber.client import ViberClient

    section = settings.viber
    assert section is not None
    client = ViberClient(section.api_base, section.token, HTTP_TIMEOUT_S)
    await client.open()
    try:
        answer = await client.call("get_account_info", {})
    finally:
        await client.close()
    if answer.get("status") != 0 or not answer.get("uri"):
        raise InviteError(
            f"Viber: get_account_info ответил статусом {answer.get('status')} "
            f"{answer.get('status_message', '')}".rstrip()
        )
    return str(answer["uri"])


NAME_LOOKUPS: dict[str, Callable[[Settings], Awaitable[str]]] = {
    "telegram": telegram_username,
    "vk": vk_screen_name,
    "viber": viber_uri,
}


async def bot_names(settings: Settings) -> dict[str, str]:
    """Each configured channel's public name for its links, asked from the platform."""
    names: dict[str, str] = {}
    for channel in settings.channels():
        lookup = NAME_LOOKUPS.get(channel)
        if lookup is None or channel not in LINKS:
            continue  # a channel without invite links (yet)
        try:
            names[channel] = await lookup(settings)
        except InviteError:
            raise
        except Exception as exc:  # any platform or network failure, reported by channel
            raise InviteError(f"{channel}: не удалось узнать у платформы имя бота "
                              f"({type(exc).__name__}: {exc})") from exc
    return names


# Organisations ----------------------------------------------------------------------------


async def invite_orgs(settings: Settings, org: str | None = None) -> list[InviteOrg]:
    """Primary organisations, all or within the subtree of `org` (full path or code)."""
    engine = create_engine(settings.database.url, readonly=True)
    try:
        async with session_factory(engine)() as session:
            query = select(Organization.code, Organization.full_name, Organization.name).where(
                Organization.kind == "primary"
            )
            if org is not None:
                found = await find_organization(session, org)
                if found is None:
                    raise InviteError(f"организация {org!r} не найдена: укажите полный путь "
                                      "от региона или код организации")
                query = query.where(Organization.tree_path.like(found.tree_path + "%"))
            rows = (await session.execute(query.order_by(Organization.full_name))).all()
    except OperationalError as exc:  # a new or foreign database: no organisations table
        raise InviteError(f"не удаётся прочитать организации ({exc.orig}): сначала "
                          "загрузите членов профсоюза (rupor audience import ФАЙЛ)") from exc
    finally:
        await engine.dispose()
    return [InviteOrg(str(code), str(path), str(name)) for code, path, name in rows]


def make_invites(orgs: Sequence[InviteOrg], names: dict[str, str]) -> list[Invite]:
    return [
        Invite(org, channel, LINKS[channel](name, org.code), f"{org.code}-{channel}.png")
        for org in orgs
        for channel, name in names.items()
    ]


# Files ------------------------------------------------------------------------------------


def qr_code(link: str) -> qrcode.QRCode[Any]:
    """The QR code of a link, with the settings every file uses (tests rebuild it)."""
    code: qrcode.QRCode[Any] = qrcode.QRCode(
        error_correction=QR_ERROR_CORRECTION, box_size=QR_BOX_PIXELS, border=QR_BORDER_MODULES
    )
    code.add_data(link)
    code.make(fit=True)
    return code


def write_qr(link: str, path: Path) -> None:
    image = qr_code(link).make_image(fill_color="black", back_color="white")
    with path.open("wb") as target:
        image.save(target)


def write_index_csv(invites: Sequence[Invite], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(("code", "organisation", "path", "channel", "link", "qr_file"))
        for invite in invites:
            org = invite.org
            writer.writerow((org.code, org.name, org.path, invite.channel, invite.link,
                             invite.qr_file))


def write_index_html(invites: Sequence[Invite], path: Path) -> None:
    """One printable card per organisation: its name and a QR code per messenger."""
    cards: dict[str, list[Invite]] = {}
    for invite in invites:
        cards.setdefault(invite.org.code, []).append(invite)
    parts = [texts.INVITES_HTML_HEAD]
    for group in cards.values():
        org = group[0].org
        cells = "".join(
            texts.INVITES_HTML_CELL.format(
                channel=html.escape(texts.INVITES_CHANNEL_NAMES.get(i.channel, i.channel)),
                qr=html.escape(i.qr_file), link=html.escape(i.link),
            )
            for i in group
        )
        parts.append(texts.INVITES_HTML_CARD.format(
            name=html.escape(org.name), path=html.escape(org.path), cells=cells))
    parts.append(texts.INVITES_HTML_TAIL)
    path.write_text("\n".join(parts), encoding="utf-8")


def write_invites(invites: Sequence[Invite], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for invite in invites:
        write_qr(invite.link, out / invite.qr_file)
    write_index_csv(invites, out / INDEX_CSV)
    write_index_html(invites, out / INDEX_HTML)


async def build_invites(settings: Settings, org: str | None = None) -> list[Invite]:
    """The invites of every primary organisation (of the subtree of `org`) and channel."""
    orgs = await invite_orgs(settings, org)
    if not orgs:
        raise InviteError("нет ни одной первичной организации для приглашений: сначала "
                          "загрузите членов профсоюза (rupor audience import ФАЙЛ)")
    return make_invites(orgs, await bot_names(settings))
