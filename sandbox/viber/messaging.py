"""send_message and broadcast_message (REST Bot API; broadcast guide), and welcome messages."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from .audience import CHAT_HOSTNAME, ViberUser
from .errors import TOO_MANY_REQUESTS, Refusal, bad_data
from .platform import Platform
from .validation import (
    MessageDraft,
    parse_message,
    require_broadcast_list,
    require_envelope_receiver,
)

# Broadcast "place holders" replaced with each receiver's own data (broadcast guide).
PLACEHOLDERS = (
    "replace_me_with_receiver_id",
    "replace_me_with_url_encoded_receiver_id",
    "replace_me_with_user_name",
)


def _check_size(platform: Platform, raw: bytes) -> None:
    most = platform.knobs.max_body_bytes
    if len(raw) > most:
        raise bad_data(f"message is too big ({len(raw)} > {most} bytes)")


async def send_message(platform: Platform, body: Mapping[str, Any], raw: bytes) -> dict[str, Any]:
    """One message to one subscriber; answers its message_token."""
    _check_size(platform, raw)
    receiver = require_envelope_receiver(body)
    draft = parse_message(body, platform.knobs, "send")
    platform.require_webhook()
    await platform.media.check(draft)
    audience = platform.audience
    try:
        user = audience.check_receiver(receiver, draft)
    except Refusal as refusal:
        if refusal.status == TOO_MANY_REQUESTS:
            # The send_message docs show the per-user cap answer with these two fields.
            refusal.extra.update(message_token=audience.new_token(), chat_hostname=CHAT_HOSTNAME)
        raise
    token = audience.new_token()
    audience.deliver(user, draft, token, "send_message")
    return {
        "status": 0,
        "status_message": "ok",
        "message_token": token,
        "chat_hostname": CHAT_HOSTNAME,
    }


async def broadcast_message(
    platform: Platform, body: Mapping[str, Any], raw: bytes
) -> dict[str, Any]:
    """One message to up to 300 subscribers: one message_token, failures in failed_list."""
    knobs = platform.knobs
    _check_size(platform, raw)
    if not knobs.broadcast_approved:
        # "The ability to send broadcast messages is only opened on application and
        # approval from Viber account managers" (broadcast guide).
        raise Refusal(knobs.broadcast_refusal_status)
    receivers = require_broadcast_list(body, knobs.broadcast_max)
    draft = parse_message(body, knobs, "broadcast")
    platform.require_webhook()
    await platform.media.check(draft)
    audience = platform.audience
    token = audience.new_token()
    failed_list = []
    # Decided once per call: encoding the draft per receiver cost a third of a broadcast.
    personal = has_placeholders(draft)
    for receiver in receivers:
        try:
            user = audience.check_receiver(receiver, draft)
        except Refusal as refusal:
            failed_list.append(refusal.failed_entry(receiver))
            continue
        message = personalised(draft, user) if personal else draft
        audience.deliver(user, message, token, "broadcast_message")
    platform.stats.broadcasts += 1
    platform.stats.broadcast_sizes.append(len(receivers))
    platform.stats.broadcast_failed_receivers += len(failed_list)
    return {"status": 0, "status_message": "ok", "message_token": token, "failed_list": failed_list}


def has_placeholders(draft: MessageDraft) -> bool:
    """Whether the draft uses any broadcast placeholder (replaced per receiver)."""
    encoded = json.dumps([draft.fields, draft.tracking_data], ensure_ascii=False)
    return any(placeholder in encoded for placeholder in PLACEHOLDERS)


def personalised(draft: MessageDraft, user: ViberUser) -> MessageDraft:
    """The draft with the broadcast placeholders replaced for `user`."""
    encoded = json.dumps([draft.fields, draft.tracking_data], ensure_ascii=False)
    if not any(placeholder in encoded for placeholder in PLACEHOLDERS):
        return draft
    encoded = encoded.replace(PLACEHOLDERS[0], user.id)
    encoded = encoded.replace(PLACEHOLDERS[1], quote(user.id, safe=""))
    encoded = encoded.replace(PLACEHOLDERS[2], json.dumps(user.name)[1:-1])
    fields, tracking = json.loads(encoded)
    return replace(draft, fields=fields, tracking_data=tracking)


async def accept_welcome(platform: Platform, user: ViberUser, answer: bytes) -> None:
    """The bot's answer to conversation_started may carry one welcome message for `user`."""
    if not answer.strip():
        return
    try:
        body = json.loads(answer)
        if not isinstance(body, dict):
            raise bad_data("the welcome message must be a JSON object")
        if "auth_token" in body:
            platform.stats.token_in_body += 1
        draft = parse_message(body, platform.knobs, "welcome")
        await platform.media.check(draft)
    except (Refusal, ValueError) as error:
        status = error.status if isinstance(error, Refusal) else 3
        platform.stats.refusal(status)
        platform.stats.welcome_refusals += 1
        return
    audience = platform.audience
    audience.deliver(user, draft, audience.new_token(), "welcome")
