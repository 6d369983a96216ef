"""Viber has no polls: the question goes with one reply button per option, and the message
carries `tracking_data` "rupor:poll:<poll id>:<options>", which Viber returns with the
member's next message (send_message docs: "The tracking_data value sent with the message
will be returned with the user's reply"). So a member who types the option's number instead
of pressing its button votes too; the keyboard and its buttons stay the usual way to vote."""

from __future__ import annotations

from collections.abc import Sequence

from core.polls.spec import parse_vote, vote_payload
from core.ports import Button

TRACKING_PREFIX = "rupor:poll:"


def poll_tracking(rows: Sequence[Sequence[Button]]) -> str | None:
    """The tracking_data of a message whose buttons are one poll's options, else None."""
    votes = [parse_vote(button.payload or "") for row in rows for button in row]
    polls = {vote[0] for vote in votes if vote is not None}
    if not votes or None in votes or len(polls) != 1:
        return None
    return f"{TRACKING_PREFIX}{polls.pop()}:{len(votes)}"


def typed_vote(text: str, tracking: object) -> str | None:
    """The vote payload of a typed option number answering a poll message, else None."""
    if not isinstance(tracking, str) or not tracking.startswith(TRACKING_PREFIX):
        return None
    poll, _, size = tracking[len(TRACKING_PREFIX):].partition(":")
    typed = text.strip().rstrip(".)")
    if not (poll.isdigit() and size.isdigit() and typed.isdigit()):
        return None
    if not 1 <= int(typed) <= int(size):
        return None
    return vote_payload(int(poll), int(typed) - 1)
