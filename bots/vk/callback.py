"""Callback API (dev.vk.com/ru/api/callback/getting-started): authenticate, confirm, translate.

VK POSTs JSON {type, event_id, v, object, group_id, secret}; the answer must be "ok" (200),
and for type "confirmation" the community's confirmation string. The secret travels in the
body; anything without the right one is refused (403) and changes nothing.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any

from bots.transport import WebhookAnswer
from bots.vk.clients import ClientInfo, client_info
from bots.vk.inbound import ButtonEvent, button_event, translate

FORBIDDEN = WebhookAnswer(status=403, body="forbidden")


@dataclass(frozen=True)
class CallbackCheck:
    group_id: int
    secret: str


@dataclass(frozen=True)
class Received:
    """What one Callback API request means: the HTTP answer and a press to acknowledge."""

    answer: WebhookAnswer
    press: ButtonEvent | None = None
    wants_confirmation: bool = False
    client: ClientInfo | None = None  # a message_new's client_info (bots.vk.clients)


def receive(check: CallbackCheck, body: bytes) -> Received:
    """Authenticate and translate one request; a confirmation request is answered by the
    caller (the code may have to be fetched from VK)."""
    try:
        update = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return Received(WebhookAnswer(status=400, body="malformed JSON"))
    if not isinstance(update, dict) or not isinstance(update.get("type"), str):
        return Received(WebhookAnswer(status=400, body="not a VK event"))
    if not _same_group(update.get("group_id"), check.group_id):
        return Received(FORBIDDEN)
    if update["type"] == "confirmation":
        # VK's handshake carries no secret (it proves we own the URL): answer the code.
        return Received(FORBIDDEN, wants_confirmation=True)
    if not _secret_matches(update.get("secret"), check.secret):
        return Received(FORBIDDEN)
    events = tuple(translate(update))
    return Received(WebhookAnswer(events=events), press=button_event(update),
                    client=client_info(update))


def _same_group(value: Any, group_id: int) -> bool:
    try:
        return int(value) == group_id
    except (TypeError, ValueError, OverflowError):  # OverflowError: 1e999 or Infinity
        return False


def _secret_matches(given: Any, secret: str) -> bool:
    if not isinstance(given, str) or not secret:
        return False
    return hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8"))


def confirmation_answer(code: str) -> WebhookAnswer:
    return WebhookAnswer(status=200, body=code)
