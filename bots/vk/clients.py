"""Which VK members' apps cannot show callback buttons. VK's message_new carries the
member's client_info (dev.vk.com, "Bots: keyboard"; callback/objects.json): when its
button_actions lack "callback", an inline callback keyboard shows nothing useful, so a poll
goes to that member with text buttons on a standard keyboard instead — the press comes back
as message_new with the same payload. The latest client_info of each member wins (a member
who updates the app gets callback buttons again); the set of older clients is kept in the
adapter's StateStore, so a restart remembers it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bots.vk.outgoing import ROW_MAX, KeyboardError, label, rupor_payload
from core.ports import Button, StateStore


@dataclass(frozen=True)
class ClientInfo:
    peer_id: int
    callback: bool  # the member's app shows callback buttons


def client_info(update: dict[str, Any]) -> ClientInfo | None:
    """The client a message_new was written from, if the event says."""
    obj = update.get("object")
    if update.get("type") != "message_new" or not isinstance(obj, dict):
        return None
    info, message = obj.get("client_info"), obj.get("message")
    if not isinstance(info, dict) or not isinstance(message, dict):
        return None
    actions, peer = info.get("button_actions"), message.get("peer_id")
    if not isinstance(actions, list) or not isinstance(peer, int):
        return None
    return ClientInfo(peer, "callback" in actions)


class ButtonSupport:
    """The members whose clients show text buttons only (peer ids), durable."""

    def __init__(self, state: StateStore, group_id: int) -> None:
        self.state, self.key = state, f"vk:{group_id}:text_button_peers"
        self.text_only: set[int] = set()

    async def load(self) -> None:
        saved = await self.state.get(self.key)
        self.text_only = {int(peer) for peer in json.loads(saved)} if saved else set()

    async def note(self, found: ClientInfo | None) -> None:
        if found is None or (found.peer_id in self.text_only) != found.callback:
            return  # nothing new
        if found.callback:
            self.text_only.discard(found.peer_id)
        else:
            self.text_only.add(found.peer_id)
        await self.state.set(self.key, json.dumps(sorted(self.text_only)))

    def shows_callbacks(self, recipient: str) -> bool:
        return not (recipient.isdigit() and int(recipient) in self.text_only)


# A standard keyboard (not inline: an older client may lack inline keyboards too) holds at
# most 5 buttons in a row and 10 rows (dev.vk.com, "Bots: keyboard"; PLATFORMS.md 5×10).
STANDARD_ROWS = 10


def text_keyboard(rows: Sequence[Sequence[Button]]) -> str | None:
    """Payload buttons as text buttons (pressed: message_new with the payload), links as
    open_link, on a standard keyboard that stays under the input field."""
    laid_out = [[_text_button(button) for button in row][:ROW_MAX] for row in rows]
    laid_out = [row for row in laid_out if row][:STANDARD_ROWS]
    if not laid_out:
        return None
    return json.dumps({"one_time": False, "buttons": laid_out}, ensure_ascii=False)


def _text_button(button: Button) -> dict[str, Any]:
    if button.url:
        return {"action": {"type": "open_link", "link": button.url, "label": label(button.text)}}
    if button.payload is None:
        raise KeyboardError(f"button {button.text!r} has neither a link nor a payload")
    return {"action": {"type": "text", "label": label(button.text),
                       "payload": rupor_payload(button.payload)}, "color": "secondary"}
