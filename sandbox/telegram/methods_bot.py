"""getMe, getUpdates, the webhook methods, setMyCommands, getChat and getFile."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from .context import CallContext
from .errors import bad_request, conflict
from .webhook import WebhookDeliverer, WebhookSettings

_SECRET = re.compile(r"^[A-Za-z0-9_-]*$")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
WEBHOOK_ACTIVE = (
    "can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)


async def get_me(ctx: CallContext) -> dict[str, Any]:
    return {
        **ctx.bot.user_json(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def get_updates(ctx: CallContext) -> list[dict[str, Any]]:
    params, state = ctx.params, ctx.state
    if ctx.bot.token in state.webhooks:
        raise conflict(WEBHOOK_ACTIVE)
    queue = state.queue(ctx.bot.token)
    if "allowed_updates" in params:
        queue.set_allowed(params["allowed_updates"])
    queue.confirm(params.get("offset", 0))
    # The Bot API server clamps limit to 1..100 and timeout to its long-poll maximum.
    limit = min(max(params.get("limit", 100), 1), 100)
    timeout = min(max(params.get("timeout", 0), 0), state.knobs.long_poll_max_s)
    await queue.long_poll(timeout)
    if ctx.bot.token in state.webhooks:
        raise conflict("terminated by setWebhook request")
    return queue.take(limit)


def _check_webhook_url(ctx: CallContext, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("invalid webhook URL specified")
    if ctx.state.knobs.webhook_require_https and parts.scheme != "https":
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")


async def set_webhook(ctx: CallContext) -> bool:
    params, state, token = ctx.params, ctx.state, ctx.bot.token
    url = params["url"]
    secret = params.get("secret_token", "")
    _check_webhook_url(ctx, url)
    if not _SECRET.match(secret):
        raise bad_request("secret token contains unallowed characters")
    queue = state.queue(token)
    if params.get("drop_pending_updates"):
        queue.drop_all()
    if "allowed_updates" in params:
        queue.set_allowed(params["allowed_updates"])
    current = state.webhooks.get(token)
    if current is not None and (current.settings.url, current.settings.secret_token) == (
        url,
        secret,
    ):
        ctx.description = "Webhook is already set"
        return True
    await _stop_webhook(ctx)
    settings = WebhookSettings(
        url=url,
        secret_token=secret,
        max_connections=params.get("max_connections", 40),
        ip_address=params.get("ip_address", ""),
        allowed_updates=params.get("allowed_updates"),
    )
    deliverer = WebhookDeliverer(settings, queue, state.client(), state.knobs, state.stats)
    state.webhooks[token] = deliverer
    queue.abort_long_poll()
    deliverer.start()
    ctx.description = "Webhook was set"
    return True


async def _stop_webhook(ctx: CallContext) -> bool:
    deliverer = ctx.state.webhooks.pop(ctx.bot.token, None)
    if deliverer is None:
        return False
    await deliverer.stop()
    return True


async def delete_webhook(ctx: CallContext) -> bool:
    if ctx.params.get("drop_pending_updates"):
        ctx.state.queue(ctx.bot.token).drop_all()
    removed = await _stop_webhook(ctx)
    ctx.description = "Webhook was deleted" if removed else "Webhook is already deleted"
    return True


async def get_webhook_info(ctx: CallContext) -> dict[str, Any]:
    queue = ctx.state.queue(ctx.bot.token)
    info: dict[str, Any] = {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": queue.pending,
    }
    deliverer = ctx.state.webhooks.get(ctx.bot.token)
    if deliverer is None:
        return info
    settings = deliverer.settings
    info["url"] = settings.url
    info["max_connections"] = settings.max_connections
    if settings.ip_address:
        info["ip_address"] = settings.ip_address
    if settings.last_error_date:
        info["last_error_date"] = settings.last_error_date
        info["last_error_message"] = settings.last_error_message
    if queue.allowed is not None:
        info["allowed_updates"] = sorted(queue.allowed)
    return info


async def set_my_commands(ctx: CallContext) -> bool:
    commands = ctx.params["commands"]
    for command in commands:
        if not _COMMAND.match(command["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
    ctx.bot.commands = [dict(c) for c in commands]
    return True


async def get_chat(ctx: CallContext) -> dict[str, Any]:
    target = ctx.state.world.find_chat(ctx.params["chat_id"])
    return {
        **target.chat_json(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": True,
            "limited_gifts": True,
            "unique_gifts": True,
            "premium_subscription": True,
            "gifts_from_channels": True,
        },
    }


async def get_file(ctx: CallContext) -> dict[str, Any]:
    files = ctx.state.files
    handle = files.known(ctx.bot.token, ctx.params["file_id"])
    if handle is None:
        raise bad_request("invalid file_id")
    stored = handle.stored
    if len(stored.data) > ctx.state.knobs.max_download_bytes:
        raise bad_request("file is too big")
    return {
        "file_id": handle.file_id,
        "file_unique_id": stored.unique_id,
        "file_size": len(stored.data),
        "file_path": files.assign_path(stored),
    }
