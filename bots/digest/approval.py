"""The digest posted for approval: the PDF with «Одобрить» / «Не рассылать»
to the bound staff chats (core.staff.binding), or with none bound to the admins' private
chats. The presses are the chat layer's (bots.chat.digest_approval)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncEngine

from bots.digest import texts
from bots.digest.build import Built, default_name
from bots.digest.monthly import Deliver
from core.access.grants import list_grants
from core.access.rules import Role
from core.ports import Button, MediaFile, Outbound, Span
from core.sending.dispatch import ChannelSender
from core.staff.binding import staff_chats

PREFIX = "chat:digest:"


async def targets(reader: AsyncEngine, channels: Mapping[str, object]) -> list[tuple[str, str]]:
    """The staff chats; with none bound, the admins' private chats."""
    chats = [(ch, chat) for ch, chat in (await staff_chats(reader)).items() if ch in channels]
    if chats:
        return chats
    return sorted({(g.channel, g.external_id) for g in await list_grants(reader)
                   if g.role == Role.ADMIN and g.channel in channels})


def deliverer(reader: AsyncEngine, senders: Mapping[str, ChannelSender]) -> Deliver:
    async def deliver(built: Built, media_id: int) -> int:
        month, counts = built.content.month, built.counts
        pdf = built.pdf  # not built.path: the job's temporary folder is gone by now
        media = MediaFile(media_id, f"digest-{month.key}", default_name(month),
                          "application/pdf", len(pdf), content=pdf)
        caption = texts.DIGEST_READY.format(month=month.words, reports=counts["reports"],
                                            campaigns=counts["campaigns"], polls=counts["polls"])
        buttons = ((Button(texts.APPROVE, payload=f"{PREFIX}ok:{month.key}"),
                    Button(texts.REJECT, payload=f"{PREFIX}no:{month.key}")),)
        sent = 0
        for channel, chat in await targets(reader, senders):
            message = Outbound(key=f"digest{month.key}", text=(Span(caption),), media=media,
                               buttons=buttons)
            await senders[channel].send_one(chat, message)
            sent += 1
        return sent

    return deliver
