"""Endpoints about the account and its users: set_webhook, get_account_info,
get_user_details, get_online (developers.viber.com REST Bot API)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from . import events
from .callbacks import WebhookConfig
from .errors import (
    INVALID_URL,
    NOT_REGISTERED,
    TOO_MANY_REQUESTS,
    Refusal,
    bad_data,
    missing_data,
)
from .knobs import FILTERABLE_EVENTS
from .platform import Platform

OK: dict[str, Any] = {"status": 0, "status_message": "ok"}


def refuse_unknown_fields(body: Mapping[str, Any], allowed: set[str]) -> None:
    """The platform ignores unknown parameters; the sandbox refuses them (status 3)."""
    unknown = sorted(set(body) - allowed - {"auth_token"})
    if unknown:
        raise bad_data(f"object instance has properties which are not allowed: {unknown}")


def _flag(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise bad_data(f"{name} must be a boolean")
    return value


def _event_types(body: Mapping[str, Any]) -> tuple[str, ...]:
    requested = body.get("event_types")
    if requested is None:
        return FILTERABLE_EVENTS
    if not isinstance(requested, list) or not all(isinstance(e, str) for e in requested):
        raise bad_data("event_types must be an array of strings")
    unknown = [event for event in requested if event not in FILTERABLE_EVENTS]
    if unknown:
        raise bad_data(f"event_types has unknown events: {unknown}")
    return tuple(dict.fromkeys(requested))


def _webhook_url(body: Mapping[str, Any], require_https: bool) -> str:
    url = body.get("url")
    if url is None:
        raise missing_data("url")
    if not isinstance(url, str):
        raise bad_data("url must be a string")
    if url == "":
        return url
    parsed = urlparse(url)
    schemes = ("https",) if require_https else ("http", "https")
    if parsed.scheme not in schemes or not parsed.netloc:
        raise Refusal(INVALID_URL)
    return url


async def set_webhook(platform: Platform, body: Mapping[str, Any], raw: bytes) -> dict[str, Any]:
    """Store the webhook after it answered the `webhook` callback with 200; "" removes it."""
    refuse_unknown_fields(body, {"url", "event_types", "send_name", "send_photo", "is_inline"})
    url = _webhook_url(body, platform.knobs.require_https_webhook)
    event_types = _event_types(body)
    send_name, send_photo = _flag(body, "send_name"), _flag(body, "send_photo")
    _flag(body, "is_inline")
    if url == "":
        platform.callbacks.webhook = WebhookConfig()
        return {**OK, "event_types": []}
    check = events.webhook_check(platform.timestamp_ms(), platform.audience.new_token())
    if not await platform.callbacks.verify(url, check):
        raise Refusal(INVALID_URL)
    platform.callbacks.webhook = WebhookConfig(url, event_types, send_name, send_photo)
    return {**OK, "event_types": list(event_types)}


async def get_account_info(
    platform: Platform, body: Mapping[str, Any], raw: bytes
) -> dict[str, Any]:
    refuse_unknown_fields(body, set())
    webhook = platform.callbacks.webhook
    subscribers = sum(1 for user in platform.audience.users.values() if user.subscribed)
    return {
        **OK,
        "id": "pa:5000000000000000000",
        "name": platform.knobs.account_name,
        "uri": "rupor-sandbox",
        "icon": "https://example.invalid/icon.png",
        "background": "https://example.invalid/background.png",
        "category": "Organisations",
        "subcategory": "Trade unions",
        "location": {"lon": 56.2294, "lat": 58.0105},
        "country": "RU",
        "webhook": webhook.url or "",
        "event_types": list(webhook.event_types) if webhook.url else [],
        "subscribers_count": subscribers,
        "members": [{"id": "sandbox-admin=", "name": "Администратор", "role": "admin"}],
    }


async def get_user_details(
    platform: Platform, body: Mapping[str, Any], raw: bytes
) -> dict[str, Any]:
    """A user's profile; Viber allows two calls per user per 12 hours (status 12 after)."""
    refuse_unknown_fields(body, {"id"})
    user_id = body.get("id")
    if user_id is None:
        raise missing_data("id")
    user = platform.audience.users.get(user_id) if isinstance(user_id, str) else None
    if user is None or not user.registered:
        raise Refusal(NOT_REGISTERED)
    now = platform.clock()
    window = user.details_window
    if window is not None:
        if window.would_exceed(now):
            raise Refusal(TOO_MANY_REQUESTS)
        window.record(now)
    profile = {
        "id": user.id,
        "name": user.name,
        "avatar": user.avatar,
        "country": user.country,
        "language": user.language,
        "primary_device_os": user.primary_device_os,
        "api_version": user.api_version,
        "viber_version": user.viber_version,
        "mcc": 250,
        "mnc": 1,
        "device_type": user.device_type,
    }
    token = platform.audience.new_token()
    return {**OK, "message_token": token, "user": {k: v for k, v in profile.items() if v}}


async def get_online(platform: Platform, body: Mapping[str, Any], raw: bytes) -> dict[str, Any]:
    """Online status of up to 100 users; the sandbox reports everyone as offline (1)."""
    refuse_unknown_fields(body, {"ids"})
    ids = body.get("ids")
    if ids is None:
        raise missing_data("ids")
    most = platform.knobs.get_online_max_ids
    if not isinstance(ids, list) or not 1 <= len(ids) <= most:
        raise bad_data(f"ids must be an array of 1 to {most} user ids")
    users = []
    for user_id in ids:
        known = platform.audience.users.get(user_id) if isinstance(user_id, str) else None
        status, message = (1, "offline") if known and known.registered else (4, "unavailable")
        users.append({"id": user_id, "online_status": status, "online_status_message": message})
    return {**OK, "users": users}
