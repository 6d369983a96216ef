"""Votes that came before the record of where their poll landed.

The sender writes poll_messages with a wave's results, a moment after the platform accepted
the poll; a member may answer within that moment. Such a vote, from a known contact, is kept
in poll_pending_votes (its event stays in its inbound row) and matched once the record lands:
by the next batch that holds a vote of the same contact (the pending ones first, in inbound
order, so the latest choice still wins) or by the scheduler's beat (core.polls.pending). A
vote that never matches — its sender did not get that poll — is dropped when the poll closes
or after PENDING_TTL, never counted. Telegram names the poll by its platform id (known only
from sendPoll's answer); a button (VK, Viber) by our poll id.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from core.polls.ballot.model import Item, Unmatched, VoteStatements, named
from core.polls.spec import parse_vote
from core.ports import ButtonPress, InboundEvent, PollAnswer, Sender

# Longer than any lag of the sender's record (a flush, seconds under load); a vote still
# unmatched then came from someone the poll never reached (a forwarded Telegram poll).
PENDING_TTL = timedelta(minutes=30)

_OF_CONTACTS = (
    "SELECT pv.inbound_id, i.event, i.received_at FROM poll_pending_votes pv "
    "JOIN inbound i ON i.id = pv.inbound_id WHERE pv.contact_id IN ({marks})"
)
# Pending votes whose poll's landing for their contact has been recorded since.
_MATCHABLE = (
    "SELECT pv.inbound_id, i.event, i.received_at FROM poll_pending_votes pv "
    "JOIN inbound i ON i.id = pv.inbound_id WHERE EXISTS (SELECT 1 FROM poll_messages pm "
    "WHERE pm.contact_id = pv.contact_id AND (pm.poll_id = pv.poll_id OR "
    "(pm.channel = pv.channel AND pm.platform_poll_id = pv.platform_poll_id))) "
    "ORDER BY pv.inbound_id"
)
_PEND = (
    "INSERT INTO poll_pending_votes (inbound_id, channel, contact_id, poll_id, "
    "platform_poll_id) VALUES (:inbound, :channel, :contact, :poll, :platform) "
    "ON CONFLICT (inbound_id) DO NOTHING"
)
_FORGET = "DELETE FROM poll_pending_votes WHERE inbound_id = :inbound"


@dataclass
class Waiting:
    """Pending votes read back: the items, and when each came (as stored)."""

    items: list[Item] = field(default_factory=list)
    received: dict[int, Any] = field(default_factory=dict)  # inbound id -> received_at


def of_contacts(sql: VoteStatements, contact_ids: Iterable[int]) -> Waiting:
    """The pending votes of these contacts (any poll), oldest first."""
    ids = sorted(set(contact_ids))
    if not ids:
        return Waiting()
    marks, params = named("pc", ids)
    return _read(sql.rows(_OF_CONTACTS.format(marks=marks), params))


def matchable(sql: VoteStatements) -> Waiting:
    """The pending votes whose landing has been recorded since, oldest first."""
    return _read(sql.rows(_MATCHABLE, {}))


def _read(rows: Sequence[tuple[Any, ...]]) -> Waiting:
    found = Waiting()
    for inbound_id, data, received_at in sorted(rows, key=lambda row: int(row[0])):
        event = vote_from_json(data)
        if event is not None:
            found.items.append((int(inbound_id), event))
            found.received[int(inbound_id)] = received_at
    return found


def vote_from_json(data: Any) -> InboundEvent | None:
    """A vote as the inbox stored it in inbound.event (None: blanked by an erasure)."""
    loaded = json.loads(data) if isinstance(data, str) else data
    if not isinstance(loaded, dict) or "sender" not in loaded:
        return None
    sender = Sender(**loaded["sender"])
    if loaded.get("type") == "PollAnswer":
        return PollAnswer(str(loaded["event_id"]), sender, str(loaded["platform_poll_id"]),
                          tuple(int(i) for i in loaded["option_ids"]))
    if loaded.get("type") == "ButtonPress":
        return ButtonPress(str(loaded["event_id"]), sender, str(loaded["payload"]),
                           loaded.get("message_id"), loaded.get("callback_id"),
                           loaded.get("presser_id"))
    return None


def keep(sql: VoteStatements, votes: Sequence[Unmatched], live_polls: set[int]) -> None:
    """Keep the unmatched votes that may still match: Telegram answers (their poll is
    known by the landing only) and button votes of a poll still open."""
    rows = []
    for vote in votes:
        row = {"inbound": vote.inbound_id, "channel": vote.event.sender.channel,
               "contact": vote.contact_id, "poll": None, "platform": None}
        if isinstance(vote.event, PollAnswer):
            row["platform"] = vote.event.platform_poll_id
        else:
            parsed = parse_vote(vote.event.payload) if isinstance(vote.event, ButtonPress) else None
            if parsed is None or parsed[0] not in live_polls:
                continue  # a preview's button (poll 0), or a poll closed or gone
            row["poll"] = parsed[0]
        rows.append(row)
    if rows:
        sql.execute_many(_PEND, rows)


def forget(sql: VoteStatements, inbound_ids: Iterable[int]) -> None:
    """Pending votes now matched (counted or refused)."""
    rows = [{"inbound": inbound_id} for inbound_id in sorted(set(inbound_ids))]
    if rows:
        sql.execute_many(_FORGET, rows)
