"""Viber callbacks as Rupor's inbound events (REST Bot API, Callbacks).

Authentication first: X-Viber-Content-Signature must be the hex HMAC-SHA256 of the raw body
keyed by the auth token, compared in constant time (viberbot compares with `==`).
Event ids are f"{event}:{message_token}:{user id}", so a retried callback de-duplicates.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from typing import Any

from viberbot.api.messages import TextMessage
from viberbot.api.viber_requests import create_request

from bots import texts
from bots.attachments import combined
from bots.transport import WebhookAnswer
from core.ports import (
    ButtonPress,
    Command,
    InboundEvent,
    Receipt,
    Sender,
    Subscribed,
    Text,
    Unsubscribed,
)

from .attachments import attachment_of
from .outbound import PAYLOAD_PREFIX, START_PREFIX, welcome_body
from .polls import typed_vote

log = logging.getLogger("rupor.viber")

CHANNEL = "viber"
SIGNATURE_HEADER = "X-Viber-Content-Signature"
# create_request knows these; anything newer is acknowledged and ignored, since an error
# answer would make Viber retry it for an hour.
KNOWN_EVENTS = frozenset({
    "webhook", "conversation_started", "subscribed", "unsubscribed",
    "delivered", "seen", "failed", "message",
})
MAX_CONTEXT = 1000  # an ActionBody holds 4096 characters; invite codes are short


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Header lookup that ignores case, for plain dicts as well as aiohttp's multidicts."""
    found = headers.get(name)  # aiohttp's multidict is case-insensitive already
    if found is not None:
        return found
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def signed(token: str, body: bytes, given: str | None) -> bool:
    if not given:
        return False
    expected = hmac.new(token.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("utf-8"))


class Webhook:
    """Answers one callback: authenticate, parse, translate; the welcome goes in the body."""

    def __init__(self, token: str, sender: dict[str, str]) -> None:
        self._token = token
        self._sender = sender

    def answer(self, headers: Mapping[str, str], body: bytes) -> WebhookAnswer:
        if not signed(self._token, body, header(headers, SIGNATURE_HEADER)):
            return WebhookAnswer(status=403, body="forbidden")
        payload = _json_object(body)
        if payload is None or not isinstance(payload.get("event"), str):
            return WebhookAnswer(status=400, body="malformed callback")
        event = payload["event"]
        if event not in KNOWN_EVENTS:
            log.info("viber: ignoring a %r callback", event)
            return WebhookAnswer()
        fast = _plain_text(payload)
        if fast is not None:
            return WebhookAnswer(events=(fast,))
        try:
            request = create_request(payload)
            if event == "conversation_started":
                return self._welcome(request)
            return WebhookAnswer(events=translate(event, payload, request))
        except Exception as exc:  # viberbot raises bare Exception/KeyError on bad shapes
            log.warning("viber: malformed %s callback: %r", event, exc)
            return WebhookAnswer(status=400, body="malformed callback")

    def _welcome(self, request: Any) -> WebhookAnswer:
        # The member is not subscribed yet: Subscribed comes when they press the button.
        context = request.context if isinstance(request.context, str) else ""
        if len(context) > MAX_CONTEXT:
            context = ""
        message = welcome_body(
            self._sender, texts.VIBER_WELCOME, texts.VIBER_START_BUTTON, context
        )
        return WebhookAnswer(
            body=json.dumps(message, ensure_ascii=False), content_type="application/json"
        )


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def _plain_text(payload: Mapping[str, Any]) -> InboundEvent | None:
    """The event of a member's text message read straight from the callback, or None for
    any other shape (create_request then parses it): viberbot's request objects were most of
    the adapter's time per update in the inbound profile; the result is what translate()
    gives."""
    message, profile = payload.get("message"), payload.get("sender")
    if (
        payload.get("event") != "message"
        or not isinstance(message, dict)
        or message.get("type") != "text"
        or not isinstance(profile, dict)
        or "timestamp" not in payload
        or "message_token" not in payload
    ):
        return None
    user_id, text = profile.get("id"), message.get("text")
    if not isinstance(user_id, str) or not user_id or not isinstance(text, str | None):
        return None  # the slow path refuses these (400)
    sender = Sender(CHANNEL, user_id, profile.get("name") or "")
    event_id = f"message:{payload['message_token']}:{user_id}"
    return _text_event(event_id, sender, text or "", message.get("tracking_data"))


def translate(event: str, payload: Mapping[str, Any], request: Any) -> tuple[InboundEvent, ...]:
    """Zero or more events of one parsed callback (conversation_started is answered apart)."""
    token = payload.get("message_token", "")
    if event == "message":
        sender = _sender(request.sender)
        message = payload.get("message")
        return _message(f"message:{token}:{sender.external_id}", sender, request.message,
                        message if isinstance(message, Mapping) else {})
    if event == "subscribed":
        sender = _sender(request.user)
        return (Subscribed(f"subscribed:{token}:{sender.external_id}", sender),)
    user_id = str(getattr(request, "user_id", None) or "")
    sender = Sender(CHANNEL, user_id)
    event_id = f"{event}:{token}:{user_id}"
    if event == "unsubscribed":
        return (Unsubscribed(event_id, sender),)
    if event == "delivered":
        return (Receipt(event_id, sender, str(token), "delivered"),)
    if event == "seen":
        return (Receipt(event_id, sender, str(token), "read"),)
    if event == "failed":
        # Viber could not bring the message to any device. There is no failure receipt in
        # the port: the delivery stays "sent" (re-sending costs money and may duplicate).
        log.warning("viber: message %s failed for %s: %s", token, user_id,
                    getattr(request, "desc", ""))
    return ()


def _sender(profile: Any) -> Sender:
    if not isinstance(profile.id, str) or not profile.id:
        raise ValueError("the callback names no user id")
    return Sender(CHANNEL, profile.id, profile.name or "")


def _message(event_id: str, sender: Sender, message: Any, raw: Mapping[str, Any]
             ) -> tuple[InboundEvent, ...]:
    if isinstance(message, TextMessage):
        return (_text_event(event_id, sender, message.text or "", raw.get("tracking_data")),)
    caption = getattr(message, "text", None) or ""
    found = attachment_of(raw)
    if found is not None:
        text, ref = combined(caption, [found])
        return (Text(event_id, sender, text, attachment=ref),)
    media = getattr(message, "media", None) or ""  # a url message: the link is the text
    text = f"{caption} {media}".strip()
    if not text:
        log.info("viber: ignoring a %s message from %s", type(message).__name__,
                 sender.external_id)
        return ()
    return (Text(event_id, sender, text),)


def _text_event(event_id: str, sender: Sender, text: str, tracking: object = None
                ) -> InboundEvent:
    vote = typed_vote(text, tracking)  # an option's number typed under a poll (bots.viber.polls)
    if vote is not None:
        return ButtonPress(event_id, sender, payload=vote)
    if text.startswith(START_PREFIX):
        invite = text[len(START_PREFIX):].strip()
        return Subscribed(event_id, sender, invite=invite or None)
    if text.startswith(PAYLOAD_PREFIX):
        return ButtonPress(event_id, sender, payload=text[len(PAYLOAD_PREFIX):])
    if text.startswith("/") and len(text) > 1 and not text[1].isspace():
        head, *rest = text[1:].split(maxsplit=1)
        name = head.split("@", 1)[0].lower()
        return Command(event_id, sender, name=name, args=rest[0].strip() if rest else "")
    return Text(event_id, sender, text)
