"""Community settings the adapter makes itself at start: Bots Long Poll on, Callback server.

Failures are logged, not raised (an admin may have set things up by hand), except a bad
token or VK out of reach, which start() reports as StartFailure.
"""

from __future__ import annotations

import logging
from typing import Any

from bots.vk.api import API_VERSION, VkApiPool
from bots.vk.errors import failure_verdict, start_failure
from core.config import VkSettings

log = logging.getLogger("rupor.vk.setup")

# The events Rupor understands (bots/vk/inbound.py), as groups.set*Settings flags.
EVENTS = ("message_new", "message_edit", "message_allow", "message_deny", "message_event",
          "message_read", "poll_vote_new")
CALLBACK_TITLE = "Rupor"  # VK allows at most 14 characters


def _flags() -> dict[str, Any]:
    return {"api_version": API_VERSION, **dict.fromkeys(EVENTS, 1)}


async def _try(api: VkApiPool, method: str, values: dict[str, Any]) -> Any:
    """The answer, or None after logging why not; StartFailure (a bad token, VK out of
    reach) propagates: nothing else would work either."""
    try:
        return await api.call(method, values)
    except Exception as exc:  # mapped below; only what stops the start is raised
        failure = start_failure(exc)
        if failure is not None:
            raise failure from exc
        log.warning("vk %s failed: %s", method, failure_verdict(exc, sending=False).error)
        return None


async def enable_long_poll(api: VkApiPool, group_id: int) -> None:
    """Bots Long Poll on, API 5.199, for our event types (a new community has it off)."""
    await _try(api, "groups.setLongPollSettings", {"group_id": group_id, "enabled": 1, **_flags()})


async def confirmation_code(api: VkApiPool, group_id: int) -> str | None:
    answer = await _try(api, "groups.getCallbackConfirmationCode", {"group_id": group_id})
    return str(answer["code"]) if isinstance(answer, dict) and "code" in answer else None


async def register_callback(api: VkApiPool, settings: VkSettings, url: str) -> None:
    """Make `url` a Callback API server of the community with our secret and events."""
    group_id = settings.group_id
    listed = await _try(api, "groups.getCallbackServers", {"group_id": group_id})
    items = listed.get("items", []) if isinstance(listed, dict) else []
    ours = next((s for s in items if s.get("url") == url), None)
    if ours is None:
        added = await _try(api, "groups.addCallbackServer", {
            "group_id": group_id, "url": url, "title": CALLBACK_TITLE,
            "secret_key": settings.secret or "",
        })
        if not isinstance(added, dict):
            return
        server_id = added["server_id"]
    else:
        server_id = ours["id"]
        if ours.get("secret_key") != settings.secret:
            await _try(api, "groups.editCallbackServer", {
                "group_id": group_id, "server_id": server_id, "url": url,
                "title": CALLBACK_TITLE, "secret_key": settings.secret or "",
            })
    await _try(api, "groups.setCallbackSettings",
               {"group_id": group_id, "server_id": server_id, **_flags()})
