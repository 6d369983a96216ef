"""The rules of a vote and the replies it gets; `record_votes` is the whole entry point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.polls import texts
from core.polls.ballot import pending
from core.polls.ballot.model import Found, Item, Landing, PollRow, ReplyToQueue, VoteStatements
from core.polls.ballot.read import contacts_of, gather
from core.polls.ballot.write import write
from core.polls.spec import choice_text, parse_vote, vote_buttons
from core.ports import ButtonPress, InboundEvent, PollAnswer, Span
from core.sending.replies import ReplyEdit, reply_content
from core.storage.models import utcnow


def is_vote(event: InboundEvent) -> bool:
    """A Telegram poll answer or a press of a vote button (VK, Viber)."""
    if isinstance(event, PollAnswer):
        return True
    return isinstance(event, ButtonPress) and parse_vote(event.payload) is not None


def record_votes(sql: VoteStatements, items: Sequence[Item]) -> None:
    """Record the batch's votes, oldest first, after the same contacts' pending votes that
    now match; every one is handled: counted, refused (deadline: a friendly reply), kept
    pending (its poll's landing not recorded yet: core.polls.ballot.pending) or not counted."""
    contacts = contacts_of(sql, items)
    waiting = pending.of_contacts(sql, (contact for contact, _ in contacts.values()))
    if waiting.items:
        batch = {inbound_id for inbound_id, _ in items}
        earlier = [item for item in waiting.items if item[0] not in batch]
        items = sorted([*earlier, *items], key=lambda item: item[0])
    found = gather(sql, items, contacts, waiting.received)
    final: dict[tuple[int, str], Landing] = {}
    replies: list[ReplyToQueue] = []
    for landing in found.landings:
        poll = found.polls[landing.poll_id]
        if _over(poll, landing):
            closed = (Span(texts.CLOSED.format(question=poll.question)),)
            replies.append(_reply(landing, reply_content(closed)))
            continue
        key = (poll.id, landing.voter)
        chosen = choice_after(poll, found.current.get(key, ()), landing.event)
        found.current[key] = chosen
        final[key] = landing
        if isinstance(landing.event, ButtonPress):
            replies.append(_reply(landing, _button_answer(poll, landing, chosen)))
    write(sql, found, final, utcnow())
    if replies:
        sql.insert_replies(replies)
    _settle_pending(sql, found, set(waiting.received))


def _over(poll: PollRow, landing: Landing) -> bool:
    """Closed, or past the deadline — for a vote kept pending, when it came."""
    if landing.received_at is None or poll.closed:
        return poll.over
    return poll.closes_at is not None and poll.closes_at <= landing.received_at


def _settle_pending(sql: VoteStatements, found: Found, were_pending: set[int]) -> None:
    pending.forget(sql, [v.inbound_id for v in found.landings if v.inbound_id in were_pending])
    live = {poll.id for poll in found.polls.values() if not poll.over}
    pending.keep(sql, [v for v in found.unmatched if v.inbound_id not in were_pending], live)


def _reply(landing: Landing, content: dict[str, Any]) -> ReplyToQueue:
    return ReplyToQueue(landing.event.sender.channel, landing.contact_id, landing.inbound_id,
                        content)


def choice_after(poll: PollRow, before: tuple[int, ...], event: InboundEvent) -> tuple[int, ...]:
    """The voter's choice after this event (empty: no vote)."""
    count = len(poll.options)
    if isinstance(event, PollAnswer):
        chosen = tuple(sorted({i for i in event.option_ids if 0 <= i < count}))
        return chosen if poll.multiple else chosen[:1]
    parsed = parse_vote(event.payload) if isinstance(event, ButtonPress) else None
    if parsed is None or not 0 <= parsed[1] < count:
        return before
    option = parsed[1]
    if option in before:
        return tuple(i for i in before if i != option)
    return tuple(sorted((*before, option))) if poll.multiple else (option,)


def _button_answer(poll: PollRow, landing: Landing, chosen: tuple[int, ...]) -> dict[str, Any]:
    """The pressed message shows the current choice (VK: an edit, nothing else); where it
    cannot be edited (Viber) a confirmation, then the question with its buttons again."""
    said = choice_text(poll.options, chosen)
    if not chosen:
        note, line = texts.WITHDRAWN, texts.NO_CHOICE_LINE
    else:
        note = (texts.VOTED_MULTIPLE if poll.multiple else texts.VOTED).format(choice=said)
        line = texts.CHOICE_LINE.format(choice=said)
    buttons = vote_buttons(poll.id, poll.options, chosen)
    press = landing.event
    pressed = press.message_id if isinstance(press, ButtonPress) else None
    message_id = pressed or landing.message_id
    edit = ReplyEdit(message_id, (Span(f"{poll.question}\n\n{line}"),), (Span(note),),
                     buttons, only=True)
    return reply_content((Span(poll.question),), buttons, edit)
