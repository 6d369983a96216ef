"""Member dialogues: join with explicit consent, choose one's organisation, leave in one
action, come back, link a second messenger, write to the union.

A contact's step lives in contacts.dialog_state; each event is handled inside the inbox's
transaction, so the state change and the reply commit together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.audience import members
from core.audience.members import ContactRow
from core.inbound import dialogs_batch, erasure
from core.inbound.statements import CoreStatements, InboxStatements
from core.polls.ballot.record import is_vote, record_votes
from core.ports import (
    Button,
    ButtonPress,
    Command,
    InboundEvent,
    Receipt,
    Span,
    Subscribed,
    Text,
    Unsubscribed,
)
from core.sending.replies import ReplyEdit, queue_reply
from core.storage.models import Inbound

PAGE = 8  # choices per page: VK inline keyboards hold at most 10 buttons


@dataclass(frozen=True)
class DialogTexts:
    """Every text of the dialogues; the Russian wording lives in bots/texts.py."""

    consent_version: str
    greeting: str
    consent: str
    consent_yes: str
    consent_no: str
    consent_declined: str
    consent_given_note: str  # the answer, shown under the consent question once given
    consent_refused_note: str
    consent_already: str  # a second press on an answered consent question
    choose_district: str
    choose_school: str
    more: str
    back: str
    invite_found: str  # {org}
    ask_name: str
    bad_name: str
    ask_young: str
    yes: str
    no: str
    done: str  # {org}
    already: str  # {org}
    stop_button: str
    stopped: str
    resubscribe_button: str
    resubscribed: str
    link_code: str  # {code} {minutes}
    link_done: str
    link_bad: str
    link_first: str
    feedback_thanks: str
    feedback_thanks_former: str  # to a member who left: heard, and how to come back
    question_edited: str  # {text}: a member's edited message, as the staff see it
    help: str
    no_orgs: str
    erase: erasure.ErasureTexts  # /delete_me (core.inbound.erasure)


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    edit: ReplyEdit | None = None


class Dialogs:
    def __init__(self, texts: DialogTexts) -> None:
        self.t = texts

    def handle_common(
        self, sql: InboxStatements, items: Sequence[tuple[int, InboundEvent]]
    ) -> list[tuple[int, InboundEvent]]:
        """The inbox's set-based step: member feedback and receipts, the same rows `handle`
        gives them; returns the other events, oldest first, for `handle_batch`. Votes of
        members' own chats go to core.polls first, set-based too."""
        votes = [item for item in items if is_vote(item[1]) and not item[1].sender.is_group]
        if votes:
            record_votes(sql, votes)
            counted = {inbound_id for inbound_id, _ in votes}
            items = [item for item in items if item[0] not in counted]
        return dialogs_batch.handle_common(sql, items, self._acknowledgements())

    def _acknowledgements(self) -> dialogs_batch.Acknowledgements:
        return dialogs_batch.Acknowledgements(
            member=(Span(self.t.feedback_thanks),),
            former=(Span(self.t.feedback_thanks_former),),
            former_buttons=self._come_back(),
        )

    async def handle_batch(
        self, conn: AsyncConnection, items: Sequence[tuple[int, InboundEvent]]
    ) -> None:
        """The inbox's one-by-one step: each event in turn, inside the inbox's transaction."""
        for inbound_id, event in items:
            await self.handle(conn, event, inbound_id)

    async def handle(self, conn: AsyncConnection, event: InboundEvent, inbound_id: int) -> None:
        """The inbox's handler: one event, inside its transaction."""
        if event.sender.is_group:
            return  # group chats (the staff chat) are routed elsewhere
        contact = await members.contact_for(conn, event.sender)
        reply = await self._route(conn, contact, event, inbound_id)
        if reply is not None:
            await queue_reply(
                conn,
                contact.channel,
                contact.id,
                [Span(reply.text)],
                reply.buttons,
                inbound_id,
                reply.edit,
            )

    async def _route(
        self, conn: AsyncConnection, contact: ContactRow, event: InboundEvent, inbound_id: int
    ) -> Reply | None:
        if isinstance(event, Subscribed):
            return await self._start(conn, contact, event.invite, "start")
        if isinstance(event, Unsubscribed):
            await members.leave(
                conn,
                contact,
                event.reason if event.reason == "blocked" else "unsubscribed",
                self.t.consent_version,
            )
            return None  # the platform no longer lets us write to them
        if isinstance(event, Receipt):
            await members.apply_receipt(conn, contact.id, event)
            return None
        if is_vote(event):  # one that came this way (a staff member's own vote): the same rules
            item = [(inbound_id, event)]
            await conn.run_sync(lambda sync: record_votes(CoreStatements(sync), item))
            return None
        if isinstance(event, Command):
            return await self._command(conn, contact, event)
        if isinstance(event, ButtonPress):
            return await self._button(conn, contact, event)
        if isinstance(event, Text):
            return await self._text(conn, contact, event, inbound_id)
        return None

    # Joining -----------------------------------------------------------------------------

    async def _start(
        self, conn: AsyncConnection, contact: ContactRow, invite: str | None, source: str
    ) -> Reply:
        """The member's own /start (source "start") or "Подписаться снова" button
        ("resubscribe_btn"): the consent log records which, for a member coming back."""
        if contact.status == "active" and contact.person_id is not None:
            return Reply(self.t.already.format(org=await self._org_of(conn, contact)), self._menu())
        if contact.person_id is not None and await members.consented_before(conn, contact.id):
            # A known member who consented before re-affirms it by this very action.
            await members.record_consent(conn, contact, self.t.consent_version, source)
            await members.activate(conn, contact.id, None)
            return Reply(self.t.resubscribed, self._menu())
        return await self._ask_consent(conn, contact, invite)

    async def _ask_consent(
        self, conn: AsyncConnection, contact: ContactRow, invite: str | None
    ) -> Reply:
        # A second /start without a link keeps the invite of the first one.
        invite = invite or contact.state.get("invite")
        await members.set_state(conn, contact.id, {"step": "consent", "invite": invite})
        return Reply(
            f"{self.t.greeting}\n\n{self.t.consent}",
            (
                (Button(self.t.consent_yes, payload="consent:yes"),),
                (Button(self.t.consent_no, payload="consent:no"),),
            ),
        )

    async def _answered(
        self, conn: AsyncConnection, contact: ContactRow, press: ButtonPress, value: str
    ) -> Reply:
        """The consent question answered: the next step, and the question shows the answer
        with its buttons gone (an edit; Viber gets the answer atop the reply)."""
        given = value == "yes"
        if given:
            reply = await self._consented(conn, contact)
        else:
            await members.set_state(conn, contact.id, {})
            reply = Reply(self.t.consent_declined)
        note = self.t.consent_given_note if given else self.t.consent_refused_note
        question = f"{self.t.greeting}\n\n{self.t.consent}\n\n{note}"
        edit = ReplyEdit(press.message_id, (Span(question),), (Span(note),))
        return Reply(reply.text, reply.buttons, edit)

    async def _consented(self, conn: AsyncConnection, contact: ContactRow) -> Reply:
        await members.record_consent(conn, contact, self.t.consent_version, "dialog")
        invite = contact.state.get("invite")
        org = await members.organization(conn, code=invite) if invite else None
        if org is not None and org["kind"] == "primary":
            await members.set_state(conn, contact.id, {"step": "name", "org": org["id"]})
            return Reply(self.t.invite_found.format(org=org["name"]) + "\n\n" + self.t.ask_name)
        if org is not None and org["kind"] == "district":
            return await self._schools(conn, contact, org["id"], 0)
        return await self._districts(conn, contact, 0)

    async def _districts(self, conn: AsyncConnection, contact: ContactRow, page: int) -> Reply:
        await members.set_state(conn, contact.id, {"step": "district"})
        options = await members.children(conn, "district", None)
        if not options:
            return Reply(self.t.no_orgs)
        return Reply(self.t.choose_district, _paged(options, page, "district", "dpage", self.t))

    async def _schools(
        self, conn: AsyncConnection, contact: ContactRow, district: int, page: int
    ) -> Reply:
        await members.set_state(conn, contact.id, {"step": "school", "district": district})
        options = await members.children(conn, "primary", district)
        buttons = _paged(options, page, "school", f"spage:{district}", self.t)
        return Reply(self.t.choose_school, (*buttons, (Button(self.t.back, payload="dpage:0"),)))

    async def _chosen(self, conn: AsyncConnection, contact: ContactRow, org_id: int) -> Reply:
        org = await members.organization(conn, org_id=org_id)
        if org is None or org["kind"] != "primary":
            return await self._districts(conn, contact, 0)
        await members.set_state(conn, contact.id, {"step": "name", "org": org_id})
        return Reply(self.t.ask_name)

    async def _named(self, conn: AsyncConnection, contact: ContactRow, name: str) -> Reply:
        words = members.normalize_name(name).split()
        if not 2 <= len(words) <= 5 or any(not w.replace("-", "").isalpha() for w in words):
            return Reply(self.t.bad_name)
        await members.set_state(
            conn,
            contact.id,
            {"step": "young", "org": contact.state["org"], "name": " ".join(words)},
        )
        return Reply(
            self.t.ask_young,
            ((Button(self.t.yes, payload="young:yes"), Button(self.t.no, payload="young:no")),),
        )

    async def _young(self, conn: AsyncConnection, contact: ContactRow, young: bool) -> Reply:
        state = contact.state
        if state.get("step") != "young":
            if contact.person_id is not None:  # changing the role later
                await members.set_young_teacher(conn, contact.person_id, young)
                return Reply(
                    self.t.done.format(org=await self._org_of(conn, contact)), self._menu()
                )
            return await self._ask_consent(conn, contact, None)
        org_id = int(state["org"])
        await members.attach_person(conn, contact, org_id, str(state["name"]), young)
        await members.set_state(conn, contact.id, {})
        org = await members.organization(conn, org_id=org_id)
        return Reply(self.t.done.format(org=org["name"] if org else ""), self._menu())

    # Buttons, commands, text --------------------------------------------------------------

    async def _button(
        self, conn: AsyncConnection, contact: ContactRow, press: ButtonPress
    ) -> Reply | None:
        kind, _, value = press.payload.partition(":")
        step = contact.state.get("step")
        if kind == "consent":
            if step == "consent":
                return await self._answered(conn, contact, press, value)
            # A second press on an answered question (a race, an old client): no change.
            return Reply(self.t.consent_already)
        if kind in ("district", "school", "dpage", "spage") and step in ("district", "school"):
            return await self._pick(conn, contact, kind, value)
        if kind == "young":
            return await self._young(conn, contact, value == "yes")
        if kind == "stop":
            return await self._stop(conn, contact)
        if kind == "erase":
            answer = await erasure.press(conn, contact, value, self.t.erase)
            return None if answer is None else Reply(*answer)
        if kind == "resubscribe":
            return await self._start(conn, contact, value or None, "resubscribe_btn")
        if kind == "start":
            return await self._start(conn, contact, value or None, "start")
        return None  # a stale button of an earlier step: nothing to do

    async def _pick(
        self, conn: AsyncConnection, contact: ContactRow, kind: str, value: str
    ) -> Reply:
        if kind == "district":
            return await self._schools(conn, contact, int(value), 0)
        if kind == "school":
            return await self._chosen(conn, contact, int(value))
        if kind == "dpage":
            return await self._districts(conn, contact, int(value))
        district, _, page = value.partition(":")
        return await self._schools(conn, contact, int(district), int(page or 0))

    async def _command(
        self, conn: AsyncConnection, contact: ContactRow, command: Command
    ) -> Reply | None:
        if command.name == "start":
            return await self._start(conn, contact, command.args or None, "start")
        if command.name in ("stop", "unsubscribe", "отписаться"):
            return await self._stop(conn, contact)
        if command.name == "link":
            return await self._link(conn, contact, command.args)
        if command.name in erasure.COMMANDS and contact.status != erasure.ERASED:
            return Reply(*await erasure.ask(conn, contact, self.t.erase))
        return Reply(self.t.help, self._menu() if contact.status == "active" else ())

    async def _stop(self, conn: AsyncConnection, contact: ContactRow) -> Reply:
        await members.leave(conn, contact, "unsubscribed", self.t.consent_version)
        await members.set_state(conn, contact.id, {})
        return Reply(self.t.stopped, self._come_back())

    async def _link(self, conn: AsyncConnection, contact: ContactRow, args: str) -> Reply:
        if args.strip():
            person = await members.use_link_code(conn, args, contact)
            if person is None:
                return Reply(self.t.link_bad)
            linked = ContactRow(contact.id, person, "active", {}, contact.channel)
            await members.record_consent(conn, linked, self.t.consent_version, "link")
            return Reply(self.t.link_done, self._menu())
        if contact.status != "active" or contact.person_id is None:
            return Reply(self.t.link_first)
        code = await members.new_link_code(conn, contact.person_id)
        minutes = int(members.LINK_CODE_TTL.total_seconds() // 60)
        return Reply(self.t.link_code.format(code=code, minutes=minutes))

    async def _text(
        self, conn: AsyncConnection, contact: ContactRow, event: Text, inbound_id: int
    ) -> Reply | None:
        template = self.t.question_edited
        if await dialogs_batch.filed_apart(conn, contact, event, inbound_id, template):
            return None  # an edit, or an album's later part: no thanks again
        if contact.state.get("step") == "name":
            if event.attachment is not None:  # a photo of the union card is no typed name
                return Reply(self.t.ask_name)
            return await self._named(conn, contact, event.text)
        member, former = contact.status == "active", dialogs_batch.former_member(contact)
        if not (member or former):
            return await self._ask_consent(conn, contact, None)  # never re-subscribes
        await conn.execute(
            update(Inbound)
            .where(Inbound.id == inbound_id)
            .values(is_feedback=True, contact_id=contact.id)
        )
        if member:
            return Reply(self.t.feedback_thanks)
        # A member who left is heard like any other; coming back takes their own press.
        return Reply(self.t.feedback_thanks_former, self._come_back())

    def _menu(self) -> tuple[tuple[Button, ...], ...]:
        return ((Button(self.t.stop_button, payload="stop"),),)

    def _come_back(self) -> tuple[tuple[Button, ...], ...]:
        return ((Button(self.t.resubscribe_button, payload="resubscribe"),),)

    async def _org_of(self, conn: AsyncConnection, contact: ContactRow) -> str:
        from sqlalchemy import select

        from core.storage.models import Person

        if contact.person_id is None:
            return ""
        org_id = (
            await conn.execute(select(Person.org_id).where(Person.id == contact.person_id))
        ).scalar_one_or_none()
        org = await members.organization(conn, org_id=org_id) if org_id else None
        return str(org["name"]) if org else ""


def _paged(
    options: Sequence[tuple[int, str]], page: int, kind: str, pager: str, texts: DialogTexts
) -> tuple[tuple[Button, ...], ...]:
    """One button per option, PAGE per screen, and "more" to the next screen."""
    start = page * PAGE if page * PAGE < len(options) else 0
    rows: list[tuple[Button, ...]] = [
        (Button(_short(name), payload=f"{kind}:{org_id}"),)
        for org_id, name in options[start : start + PAGE]
    ]
    if start + PAGE < len(options):
        rows.append((Button(texts.more, payload=f"{pager}:{page + 1}"),))
    return tuple(rows)


def _short(name: str) -> str:
    return name if len(name) <= 40 else name[:39] + "…"
