"""The authorisation rule: who may do what, decided afresh for every command and button
press from the sender's own account and the roles it holds at that moment.

Roles are not a chain. Admin may do everything, granting roles included. Press (the press
secretary) and staff (the committee's office) are siblings that share the reports and the
audience counts: press sends (post, schedule, cancel, pause, resume, poll) but does not
read members' private questions; staff answers them (inbox, answers, digests) but cannot
broadcast to the union. A person who needs both holds both roles. Members, and everyone
else, have the member commands only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from core.access.texts import ONLY_FOR, REFUSALS


class Role(StrEnum):
    ADMIN = "admin"
    PRESS = "press"
    STAFF = "staff"


class Action(StrEnum):
    """What a chat command or a button press asks for, by the command's name."""

    # anyone
    START = "start"
    STOP = "stop"
    LINK = "link"
    HELP = "help"
    VOTE = "vote"
    # press
    POST = "post"
    SCHEDULE = "schedule"
    CANCEL = "cancel"
    PAUSE = "pause"
    RESUME = "resume"
    POLL = "poll"
    RESEND = "resend"  # start a run of an existing campaign now (a missed one, say)
    # press and staff
    REPORT = "report"
    AUDIENCE = "audience"
    # staff
    INBOX = "inbox"
    ANSWER = "answer"
    DIGEST = "digest"
    # admin only
    GRANT = "grant"
    REVOKE = "revoke"
    ADMINS = "admins"
    AUDIT = "audit"
    BIND_STAFF = "bind_staff"  # make a group chat the staff chat


EVERYONE: frozenset[Action] = frozenset(
    {Action.START, Action.STOP, Action.LINK, Action.HELP, Action.VOTE}
)

ROLE_ACTIONS: Mapping[Role, frozenset[Action]] = {
    Role.PRESS: frozenset({
        Action.POST, Action.SCHEDULE, Action.CANCEL, Action.PAUSE, Action.RESUME,
        Action.POLL, Action.RESEND, Action.REPORT, Action.AUDIENCE,
    }),
    Role.STAFF: frozenset({
        Action.REPORT, Action.AUDIENCE, Action.INBOX, Action.ANSWER, Action.DIGEST,
    }),
    Role.ADMIN: frozenset(Action),
}


class Refusal(StrEnum):
    ANONYMOUS = "anonymous"  # sent on behalf of a chat, or the platform hides the sender
    FORWARDED = "forwarded"
    NOT_DIALOGUE_OWNER = "not_dialogue_owner"
    ROLE_REVOKED = "role_revoked"  # a dialogue goes on, the role that opened it is gone
    NOT_PERMITTED = "not_permitted"


@dataclass(frozen=True)
class ChatRequest:
    """Who asked for what, as an adapter sees it; ids are the platform's, as text."""

    channel: str
    sender_id: str | None  # the account that wrote or pressed; None if the platform hides it
    action: Action
    # Telegram's sender_chat: an anonymous group admin, or a channel posting in its group.
    sender_chat_id: str | None = None
    is_forwarded: bool = False
    # For a button press or a dialogue step: the account that opened the dialogue.
    dialogue_owner: str | None = None
    chat_id: str | None = None  # where it was written (a private chat or a group)

    @property
    def continues_dialogue(self) -> bool:
        return self.dialogue_owner is not None


@dataclass(frozen=True)
class Decision:
    refusal: Refusal | None = None
    reason: str = ""  # the short Russian answer to a refused request

    @property
    def allowed(self) -> bool:
        return self.refusal is None


ALLOWED = Decision()


def allowed_actions(roles: frozenset[Role]) -> frozenset[Action]:
    found = set(EVERYONE)
    for role in roles:
        found |= ROLE_ACTIONS[role]
    return frozenset(found)


def who_may(action: Action) -> frozenset[Role]:
    """The roles that allow `action` (empty: everyone may)."""
    if action in EVERYONE:
        return frozenset()
    return frozenset(role for role, actions in ROLE_ACTIONS.items() if action in actions)


def authorise(request: ChatRequest, roles: frozenset[Role]) -> Decision:
    """Allowed, or refused with the short Russian answer; `roles` are the sender account's
    roles read when the request arrived, never the ones its dialogue started with."""
    if request.sender_chat_id is not None or request.sender_id is None:
        return _refused(Refusal.ANONYMOUS)
    if request.is_forwarded:
        return _refused(Refusal.FORWARDED)
    if request.continues_dialogue and request.dialogue_owner != request.sender_id:
        return _refused(Refusal.NOT_DIALOGUE_OWNER)
    if request.action in allowed_actions(roles):
        return ALLOWED
    if request.continues_dialogue:
        return _refused(Refusal.ROLE_REVOKED)
    return Decision(Refusal.NOT_PERMITTED, ONLY_FOR[who_may(request.action) - {Role.ADMIN}])


def _refused(refusal: Refusal) -> Decision:
    return Decision(refusal, REFUSALS[refusal])
