"""Community events (message_new, message_allow, ...) and their fan-out to the listeners.

Each event is built once, with its event_id; the Bots Long Poll history and every Callback
API server receive the same event_id, as VK sends it (a receiver dedupes by it).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

EVENT_TYPES = (
    "message_new",
    "message_edit",
    "message_allow",
    "message_deny",
    "message_event",
    "message_read",
    "poll_vote_new",
)

# What a current VK client reports it can show (callback/objects.json callback_info_for_bots).
CLIENT_INFO: dict[str, Any] = {
    "button_actions": [
        "text",
        "vkpay",
        "open_app",
        "location",
        "open_link",
        "callback",
        "intent_subscribe",
        "intent_unsubscribe",
    ],
    "keyboard": True,
    "inline_keyboard": True,
    "carousel": True,
    "lang_id": 0,
}



def client_info(old_client: bool = False) -> dict[str, Any]:
    """message_new's client_info: a current client, or an older one without callback
    buttons (callback/objects.json: button_actions lists what the client supports)."""
    info = dict(CLIENT_INFO)
    if old_client:
        info.update(button_actions=[a for a in CLIENT_INFO["button_actions"] if a != "callback"])
    return info


@dataclass(frozen=True)
class Event:
    type: str
    object: dict[str, Any]
    event_id: str
    group_id: int

    def envelope(self, api_version: str) -> dict[str, Any]:
        """The event as Long Poll `updates` carry it (Callback adds `secret`)."""
        return {
            "group_id": self.group_id,
            "type": self.type,
            "event_id": self.event_id,
            "v": api_version,
            "object": self.object,
        }


EventSink = Callable[[Event], None]


class EventHub:
    """Builds events with fresh ids and hands each to every sink (long poll, callback)."""

    def __init__(self, group_id: int, seed: int) -> None:
        self.group_id = group_id
        self._ids = random.Random(f"vk-event-ids-{seed}")
        self._sinks: list[EventSink] = []

    def subscribe(self, sink: EventSink) -> None:
        self._sinks.append(sink)

    def new_id(self) -> str:
        return f"{self._ids.getrandbits(160):040x}"

    def publish(self, event_type: str, obj: dict[str, Any]) -> Event:
        event = Event(type=event_type, object=obj, event_id=self.new_id(), group_id=self.group_id)
        for sink in self._sinks:
            sink(event)
        return event
