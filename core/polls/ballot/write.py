"""The batch's final choices, written set-based: one executemany per statement."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from core.polls.ballot.model import Found, Landing, VoteStatements
from core.polls.spec import ballot_key

_UPSERT_VOTE = (
    "INSERT INTO votes (poll_id, voter, person_id, contact_id, option_ids, voted_at) "
    "VALUES (:poll, :voter, :person, :contact, :options, :at) ON CONFLICT (poll_id, voter) "
    "DO UPDATE SET person_id = excluded.person_id, contact_id = excluded.contact_id, "
    "option_ids = excluded.option_ids, voted_at = excluded.voted_at"
)
_DELETE_VOTE = "DELETE FROM votes WHERE poll_id = :poll AND voter = :voter"
_UPSERT_BALLOT = (
    "INSERT INTO poll_ballots (poll_id, ballot_key, option_ids, district_id) "
    "VALUES (:poll, :key, :options, :district) ON CONFLICT (poll_id, ballot_key) "
    "DO UPDATE SET option_ids = excluded.option_ids, district_id = excluded.district_id"
)
_DELETE_BALLOT = "DELETE FROM poll_ballots WHERE poll_id = :poll AND ballot_key = :key"
_ADD_VOTER = (
    "INSERT INTO poll_voters (poll_id, voter) VALUES (:poll, :voter) "
    "ON CONFLICT (poll_id, voter) DO NOTHING"
)
_DELETE_VOTER = "DELETE FROM poll_voters WHERE poll_id = :poll AND voter = :voter"


def write(
    sql: VoteStatements, found: Found, final: dict[tuple[int, str], Landing], now: datetime
) -> None:
    """Each voter's choice after the batch: stored, replaced, or (empty) deleted."""
    statements: dict[str, list[dict[str, Any]]] = {}
    at = sql.stamp(now)
    for key, landing in sorted(final.items()):
        poll, chosen = found.polls[landing.poll_id], found.current[key]
        options = json.dumps(list(chosen))
        if poll.anonymous and poll.salt is not None:
            secret = {"poll": poll.id, "key": ballot_key(poll.salt, landing.voter)}
            who = {"poll": poll.id, "voter": landing.voter}
            if chosen:
                district = found.districts.get(landing.person_id) if landing.person_id else None
                _add(statements, _UPSERT_BALLOT, {**secret, "options": options,
                                                  "district": district})
                _add(statements, _ADD_VOTER, who)
            else:
                _add(statements, _DELETE_BALLOT, secret)
                _add(statements, _DELETE_VOTER, who)
        elif chosen:
            _add(statements, _UPSERT_VOTE, {
                "poll": poll.id, "voter": landing.voter, "person": landing.person_id,
                "contact": landing.contact_id, "options": options, "at": at})
        else:
            _add(statements, _DELETE_VOTE, {"poll": poll.id, "voter": landing.voter})
    for statement, params in statements.items():
        sql.execute_many(statement, params)


def _add(statements: dict[str, list[dict[str, Any]]], sql: str, params: dict[str, Any]) -> None:
    statements.setdefault(sql, []).append(params)
