"""Bodies of the callbacks Viber posts to the webhook (REST Bot API, Callbacks section).

Every body parses with viberbot's `create_request`, which the tests assert.
"""

from __future__ import annotations

from typing import Any

from .audience import CHAT_HOSTNAME, ViberUser
from .callbacks import WebhookConfig

# Viber sends placeholders when a user disallowed "Content Personalization".
PLACEHOLDER_NAME = "Subscriber"


def envelope(event: str, timestamp_ms: int, message_token: int, **fields: Any) -> dict[str, Any]:
    return {
        "event": event,
        "timestamp": timestamp_ms,
        "chat_hostname": CHAT_HOSTNAME,
        "message_token": message_token,
        **fields,
    }


def user_profile(user: ViberUser, webhook: WebhookConfig) -> dict[str, Any]:
    """The user object of callbacks; name and avatar only when set_webhook asked for them."""
    profile: dict[str, Any] = {"id": user.id}
    if webhook.send_name:
        profile["name"] = user.name if user.personalization else PLACEHOLDER_NAME
    if webhook.send_photo and user.personalization and user.avatar:
        profile["avatar"] = user.avatar
    profile.update(country=user.country, language=user.language, api_version=user.api_version)
    return profile


def conversation_started(
    user: ViberUser, webhook: WebhookConfig, context: str | None, ts: int, token: int
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "type": "open",
        "user": user_profile(user, webhook),
        "subscribed": user.subscribed,
    }
    if context is not None:
        fields["context"] = context
    return envelope("conversation_started", ts, token, **fields)


def subscribed(user: ViberUser, webhook: WebhookConfig, ts: int, token: int) -> dict[str, Any]:
    return envelope("subscribed", ts, token, user=user_profile(user, webhook))


def unsubscribed(user: ViberUser, ts: int, token: int) -> dict[str, Any]:
    return envelope("unsubscribed", ts, token, user_id=user.id)


def text_message(
    user: ViberUser, webhook: WebhookConfig, text: str, ts: int, token: int, silent: bool = False
) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "text", "text": text}
    if user.last_tracking_data is not None:
        # "The tracking_data value sent with the message will be returned with the
        # user's reply" (send_message docs).
        message["tracking_data"] = user.last_tracking_data
    return envelope(
        "message", ts, token, sender=user_profile(user, webhook), message=message, silent=silent
    )


def receipt(event: str, user_id: str, ts: int, token: int) -> dict[str, Any]:
    """delivered or seen for one message token and one user."""
    return envelope(event, ts, token, user_id=user_id)


def failed(user_id: str, desc: str, ts: int, token: int) -> dict[str, Any]:
    return envelope("failed", ts, token, user_id=user_id, desc=desc)


def webhook_check(ts: int, token: int) -> dict[str, Any]:
    return envelope("webhook", ts, token)
