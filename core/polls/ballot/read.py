"""One query per kind for a whole batch of votes: the senders' contacts, where the polls
landed, the polls, the voters' current choices and (anonymous polls) their districts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.polls.ballot.model import (
    Found,
    Item,
    Landing,
    PollRow,
    Unmatched,
    VoteStatements,
    as_options,
    named,
)
from core.polls.spec import ballot_key, parse_vote, voter_of
from core.ports import ButtonPress, PollAnswer
from core.storage.models import utcnow

Contact = tuple[int, int | None]  # (contact id, person id)


def gather(
    sql: VoteStatements, items: Sequence[Item], contacts: dict[tuple[str, str], Contact],
    received: dict[int, Any] | None = None,
) -> Found:
    """Where each vote's poll landed (unmatched: a known contact's vote without a landing),
    the polls, the current choices; `received`: when the pending votes among them came."""
    found = Found()
    native = _native_landings(sql, items, contacts)
    buttons = _button_landings(sql, items, contacts)
    for inbound_id, event in items:
        match = native.get(inbound_id) or buttons.get(inbound_id)
        if match is None:
            contact = contacts.get((event.sender.channel, event.sender.external_id))
            if contact is not None:  # a contact never sent anything could not have the poll
                found.unmatched.append(Unmatched(inbound_id, event, contact[0]))
            continue
        (contact_id, person_id), poll_id, message_id = match
        found.landings.append(Landing(inbound_id, event, contact_id,
                                      voter_of(person_id, contact_id), person_id, poll_id,
                                      message_id, (received or {}).get(inbound_id)))
    wanted = {landing.poll_id for landing in found.landings} | _named_polls(found.unmatched)
    found.polls = _polls(sql, wanted)
    _current(sql, found)
    return found


def _named_polls(votes: Sequence[Unmatched]) -> set[int]:
    """The polls that unmatched button votes name (open ones keep their votes pending)."""
    named_ids = set()
    for vote in votes:
        parsed = parse_vote(vote.event.payload) if isinstance(vote.event, ButtonPress) else None
        if parsed is not None:
            named_ids.add(parsed[0])
    return named_ids


def contacts_of(sql: VoteStatements, items: Sequence[Item]) -> dict[tuple[str, str], Contact]:
    """The senders' contacts: (channel, messenger id) -> (contact id, person id)."""
    by_channel: dict[str, set[str]] = {}
    for _, event in items:
        by_channel.setdefault(event.sender.channel, set()).add(event.sender.external_id)
    found: dict[tuple[str, str], Contact] = {}
    for channel, external_ids in by_channel.items():
        for row in sql.contacts(channel, sorted(external_ids)):
            found[(channel, row.external_id)] = (int(row.id), row.person_id)
    return found


Match = tuple[Contact, int, str | None]  # the contact, the poll id, the poll's message id


def _native_landings(
    sql: VoteStatements, items: Sequence[Item], contacts: dict[tuple[str, str], Contact]
) -> dict[int, Match]:
    """Telegram answers: the poll by its platform id, sent to this very contact."""
    by_channel: dict[str, set[str]] = {}
    for _, event in items:
        if isinstance(event, PollAnswer):
            by_channel.setdefault(event.sender.channel, set()).add(event.platform_poll_id)
    landed: dict[tuple[str, str, int], tuple[int, str | None]] = {}
    for channel, poll_ids in by_channel.items():
        marks, params = named("pp", sorted(poll_ids))
        for poll_id, contact_id, platform_poll, message in sql.rows(
            "SELECT poll_id, contact_id, platform_poll_id, platform_message_id FROM "
            f"poll_messages WHERE channel = :channel AND platform_poll_id IN ({marks})",
            {"channel": channel, **params},
        ):
            landed[(channel, str(platform_poll), int(contact_id))] = (int(poll_id), message)
    matches: dict[int, Match] = {}
    for inbound_id, event in items:
        contact = contacts.get((event.sender.channel, event.sender.external_id))
        if not isinstance(event, PollAnswer) or contact is None:
            continue
        hit = landed.get((event.sender.channel, event.platform_poll_id, contact[0]))
        if hit is not None:
            matches[inbound_id] = (contact, hit[0], hit[1])
    return matches


def _button_landings(
    sql: VoteStatements, items: Sequence[Item], contacts: dict[tuple[str, str], Contact]
) -> dict[int, Match]:
    """Vote buttons (VK, Viber): the poll named by the payload, sent to this contact."""
    wanted: dict[int, tuple[Contact, int]] = {}
    for inbound_id, event in items:
        contact = contacts.get((event.sender.channel, event.sender.external_id))
        parsed = parse_vote(event.payload) if isinstance(event, ButtonPress) else None
        if contact is not None and parsed is not None:
            wanted[inbound_id] = (contact, parsed[0])
    if not wanted:
        return {}
    poll_marks, poll_params = named("pl", sorted({poll for _, poll in wanted.values()}))
    contact_marks, contact_params = named("ct", sorted({c[0] for c, _ in wanted.values()}))
    landed = {
        (int(poll_id), int(contact_id)): message
        for poll_id, contact_id, message in sql.rows(
            "SELECT poll_id, contact_id, platform_message_id FROM poll_messages WHERE "
            f"poll_id IN ({poll_marks}) AND contact_id IN ({contact_marks})",
            {**poll_params, **contact_params},
        )
    }
    return {
        inbound_id: (contact, poll_id, landed[(poll_id, contact[0])])
        for inbound_id, (contact, poll_id) in wanted.items()
        if (poll_id, contact[0]) in landed
    }


def _polls(sql: VoteStatements, poll_ids: set[int]) -> dict[int, PollRow]:
    if not poll_ids:
        return {}
    marks, params = named("po", sorted(poll_ids))
    rows = sql.rows(
        "SELECT id, question, options, allows_multiple, anonymous, ballot_salt, "
        "CASE WHEN closed_at IS NOT NULL OR (closes_at IS NOT NULL AND closes_at <= :now) "
        "THEN 1 ELSE 0 END, CASE WHEN closed_at IS NOT NULL THEN 1 ELSE 0 END, closes_at "
        f"FROM polls WHERE id IN ({marks})",
        {"now": sql.stamp(utcnow()), **params},
    )
    return {
        int(row[0]): PollRow(int(row[0]), str(row[1]), _strings(row[2]), bool(row[3]),
                             bool(row[4]), row[5], bool(row[6]), bool(row[7]), row[8])
        for row in rows
    }


def _strings(value: Any) -> tuple[str, ...]:
    import json

    loaded = json.loads(value) if isinstance(value, str) else value
    return tuple(str(option) for option in loaded)


def _current(sql: VoteStatements, found: Found) -> None:
    """The voters' choices before this batch, and the districts of anonymous voters."""
    named_voters = {(v.poll_id, v.voter) for v in found.landings if not _anon(found, v)}
    if named_voters:
        polls, poll_params = named("vp", sorted({p for p, _ in named_voters}))
        voters, voter_params = named("vv", sorted({v for _, v in named_voters}))
        for poll_id, voter, options in sql.rows(
            f"SELECT poll_id, voter, option_ids FROM votes WHERE poll_id IN ({polls}) "
            f"AND voter IN ({voters})", {**poll_params, **voter_params},
        ):
            found.current[(int(poll_id), str(voter))] = as_options(options)
    secret = [v for v in found.landings if _anon(found, v)]
    if secret:
        _current_ballots(sql, found, secret)


def _anon(found: Found, landing: Landing) -> bool:
    poll = found.polls.get(landing.poll_id)
    return poll is not None and poll.anonymous and poll.salt is not None


def _current_ballots(sql: VoteStatements, found: Found, landings: list[Landing]) -> None:
    keys: dict[tuple[int, str], tuple[int, str]] = {}
    for landing in landings:
        salt = found.polls[landing.poll_id].salt
        assert salt is not None
        keys[(landing.poll_id, ballot_key(salt, landing.voter))] = (landing.poll_id,
                                                                      landing.voter)
    polls, poll_params = named("bp", sorted({p for p, _ in keys}))
    marks, key_params = named("bk", sorted({k for _, k in keys}))
    for poll_id, key, options in sql.rows(
        f"SELECT poll_id, ballot_key, option_ids FROM poll_ballots WHERE poll_id IN ({polls}) "
        f"AND ballot_key IN ({marks})", {**poll_params, **key_params},
    ):
        found.current[keys[(int(poll_id), str(key))]] = as_options(options)
    people = sorted({v.person_id for v in landings if v.person_id is not None})
    if people:
        marks, params = named("pe", people)
        for person_id, district in sql.rows(
            "SELECT p.id, CASE WHEN o.kind = 'primary' THEN o.parent_id ELSE o.id END FROM "
            f"people p JOIN organizations o ON o.id = p.org_id WHERE p.id IN ({marks})", params,
        ):
            found.districts[int(person_id)] = district
