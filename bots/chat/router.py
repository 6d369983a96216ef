"""The inbox's handler: staff accounts' events and staff commands go to the chat layer's
queue, everything else to the member dialogues — before the set-based fast path, which
would take a staff member's text for member feedback.

Who counts as staff here is a cache (accounts holding a role, and accounts with an open
draft), refreshed by the chat service every few seconds and at once after a chat step; it
only decides the route. Whether someone may do something is decided by core.access from the
roles read when the chat service handles the event."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from bots.chat import drafts
from core.inbound.dialogs import Dialogs
from core.inbound.inbox import Item
from core.inbound.statements import InboxStatements
from core.ports import ButtonPress, Command, InboundEvent, Text

BUTTON_PREFIX = "chat:"
# Command names (and Russian aliases) the chat layer answers, by the action they ask for.
COMMANDS: dict[str, str] = {
    "post": "post", "пост": "post", "рассылка": "post",
    "plan": "plan", "план": "plan",
    "cancel": "cancel", "отмена": "cancel", "отменить": "cancel",
    "pause": "pause", "пауза": "pause",
    "resume": "resume", "продолжить": "resume",
    "resend": "resend", "повторить": "resend",
    "report": "report",
    # /отчёт: the monthly staff report (bots.chat.monthly_report); "/отчёт 12" is still reach
    "отчёт": "report_month", "отчет": "report_month", "report_month": "report_month",
    "готово": "done", "done": "done",
    "audience": "audience", "аудитория": "audience",
    "help": "help", "помощь": "help",
    "grant": "grant", "права": "grant", "revoke": "revoke", "снять_права": "revoke",
    "admins": "admins", "админы": "admins",
    "bind_staff": "bind_staff", "inbox": "inbox", "входящие": "inbox",
    "answer": "answer", "ответ": "answer",
    "poll": "poll", "опрос": "poll",
    "results": "results", "итоги": "results", "результаты": "results",
}
MEMBER_ONLY = frozenset({"help"})  # a member's /help stays with the member dialogues

Account = tuple[str, str]  # (channel, platform account id)


class StaffAccounts:
    """The route cache: accounts whose every event goes to the chat layer."""

    def __init__(self) -> None:
        self.accounts: frozenset[Account] = frozenset()

    def replace(self, accounts: set[Account]) -> None:
        self.accounts = frozenset(accounts)

    def add(self, account: Account) -> None:
        self.accounts = self.accounts | {account}

    def __contains__(self, account: object) -> bool:
        return account in self.accounts


def for_chat(event: InboundEvent, staff: StaffAccounts) -> bool:
    """Whether the chat layer handles this event."""
    account = (event.sender.channel, event.sender.external_id)
    if isinstance(event, ButtonPress):
        return event.payload.startswith(BUTTON_PREFIX)
    if isinstance(event, Command):
        if event.sender_chat is not None:
            return True  # an anonymous admin: refused by the chat layer
        if event.name in MEMBER_ONLY:
            return account in staff
        return event.name in COMMANDS
    if isinstance(event, Text):
        return account in staff  # a staff account, or a bound staff chat (group)
    return False


class ChatRouter:
    """A BatchHandler: the chat layer's events are queued, the rest go to `dialogs`."""

    def __init__(self, dialogs: Dialogs, staff: StaffAccounts,
                 on_queued: Callable[[], None] | None = None) -> None:
        self.dialogs, self.staff, self.on_queued = dialogs, staff, on_queued

    def handle_common(self, sql: InboxStatements, items: Sequence[Item]) -> Sequence[Item]:
        ours = [item for item in items if for_chat(item[1], self.staff)]
        if not ours:
            return self.dialogs.handle_common(sql, items)
        theirs = [item for item in items if not for_chat(item[1], self.staff)]
        rest = self.dialogs.handle_common(sql, theirs) if theirs else []
        return sorted([*ours, *rest], key=lambda item: item[0])

    async def handle_batch(self, conn: AsyncConnection, items: Sequence[Item]) -> None:
        for inbound_id, event in items:
            if for_chat(event, self.staff):
                sender = event.sender
                await drafts.enqueue(conn, sender.channel, sender.external_id, inbound_id)
                if self.on_queued is not None:
                    self.on_queued()
            else:
                await self.dialogs.handle(conn, event, inbound_id)
