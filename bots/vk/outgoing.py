"""What one messages.send call carries, and what its peer_ids answer means per recipient."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from bots.vk.errors import peer_verdict
from core.campaigns.content import render_plain
from core.ports import Button, DeliveryResult, MessageEdit, OutboundPoll, Status

RANDOM_ID_MAX = 2**31 - 1
# Inline keyboards (dev.vk.com/ru/api/bots/development/keyboard): at most 5 buttons in a row,
# 6 rows and 10 buttons in all; labels up to 40 characters, payloads up to 255.
ROW_MAX = 5
ROWS_MAX = 6
BUTTONS_MAX = 10
LABEL_MAX = 40
PAYLOAD_MAX = 255
CHAT_PEER_START = 2_000_000_000
# An inline keyboard without buttons: messages.edit replaces the message's keyboard with it.
NO_KEYBOARD = json.dumps({"inline": True, "buttons": []})


class KeyboardError(ValueError):
    """Buttons that no VK inline keyboard can carry."""


def random_id(key: str) -> int:
    """The same for every recipient and every re-send of one message part (1..2^31-1):
    VK drops a repeated random_id per dialog, so a re-send after a lost answer is harmless."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % RANDOM_ID_MAX + 1


def rupor_payload(payload: str) -> str:
    """The JSON payload of a button whose press comes back as ButtonPress(payload)."""
    return json.dumps({"rupor": payload}, ensure_ascii=False, separators=(",", ":"))


def label(text: str) -> str:
    """VK refuses labels over 40 characters (911): shorten the visible label, never refuse."""
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def _button(button: Button) -> dict[str, Any]:
    if button.url:
        return {"action": {"type": "open_link", "link": button.url, "label": label(button.text)}}
    if button.payload is None:
        raise KeyboardError(f"button {button.text!r} has neither a link nor a payload")
    payload = rupor_payload(button.payload)
    if len(payload) > PAYLOAD_MAX:
        raise KeyboardError(f"button {button.text!r}: payload over {PAYLOAD_MAX} characters")
    return {"action": {"type": "callback", "label": label(button.text), "payload": payload}}


def keyboard(rows: Sequence[Sequence[Button]]) -> str | None:
    """An inline keyboard: links open_link, payloads callback buttons (message_event).

    Rows over 5 buttons are split; more than 6 rows are packed into rows of equal width,
    in order (dialogues offer up to 10 one-button rows). Over 10 buttons: KeyboardError.
    """
    laid_out: list[list[dict[str, Any]]] = []
    for row in rows:
        buttons = [_button(b) for b in row]
        laid_out += [buttons[i:i + ROW_MAX] for i in range(0, len(buttons), ROW_MAX)]
    if not laid_out:
        return None
    flat = [button for row in laid_out for button in row]
    if len(flat) > BUTTONS_MAX:
        raise KeyboardError(
            f"{len(flat)} buttons: a VK inline keyboard holds at most {BUTTONS_MAX}"
        )
    if len(laid_out) > ROWS_MAX:
        width = -(-len(flat) // ROWS_MAX)
        laid_out = [flat[i:i + width] for i in range(0, len(flat), width)]
    return json.dumps({"inline": True, "buttons": laid_out}, ensure_ascii=False)


def edit_values(recipient: str, change: MessageEdit) -> dict[str, Any]:
    """messages.edit parameters; the message is named by its id, or "c<cmid>" by its
    conversation_message_id (what a callback button's message_event carries)."""
    text = render_plain(change.text)
    if not text.strip():
        raise ValueError("an edit needs text")
    ref = change.message_id
    target = {"cmid": int(ref[1:])} if ref.startswith("c") else {"message_id": int(ref)}
    return {
        "peer_id": int(recipient),
        "message": text,
        "keyboard": keyboard(change.buttons) or NO_KEYBOARD,
        **target,
    }


def peer_ids(to: Sequence[str]) -> tuple[list[tuple[str, int]], list[DeliveryResult]]:
    """(recipient, VK peer id) pairs, and INVALID results for recipients that are no peer id."""
    peers: list[tuple[str, int]] = []
    refused: list[DeliveryResult] = []
    for recipient in to:
        try:
            peers.append((recipient, int(recipient)))
        except ValueError:
            refused.append(DeliveryResult(recipient, Status.INVALID, error="not a VK peer id"))
    return peers, refused


def message_ref(item: dict[str, Any]) -> str | None:
    """Our id of a community message: message_id; in group chats, where VK may answer 0,
    the conversation_message_id as "c<cmid>"."""
    if item.get("message_id"):
        return str(item["message_id"])
    cmid = item.get("conversation_message_id")
    return f"c{cmid}" if cmid else None


def results_of(
    peers: Sequence[tuple[str, int]], answer: Any, media_ref: str | None
) -> list[DeliveryResult]:
    """One result per recipient from a peer_ids answer [{peer_id, message_id | error}]."""
    items: dict[int, dict[str, Any]] = {}
    if isinstance(answer, list):
        for item in answer:
            if isinstance(item, dict) and isinstance(item.get("peer_id"), int):
                items[item["peer_id"]] = item
    return [_result(recipient, items.get(peer), media_ref) for recipient, peer in peers]


def _result(recipient: str, item: dict[str, Any] | None, media_ref: str | None) -> DeliveryResult:
    if item is None:
        return DeliveryResult(recipient, Status.UNCERTAIN, error="no item for this peer")
    error = item.get("error")
    if isinstance(error, dict):
        verdict = peer_verdict(int(error.get("code", 0)), str(error.get("description", "")))
        return DeliveryResult(
            recipient, verdict.status, retry_after=verdict.retry_after, error=verdict.error,
            media_ref=media_ref,
        )
    return DeliveryResult(recipient, Status.SENT, message_ref(item), media_ref=media_ref)


def poll_buttons(poll: OutboundPoll) -> tuple[tuple[Button, ...], ...]:
    """One callback button per option, payload "vote:<poll>:<index>" (index from 0)."""
    return tuple(
        (Button(option, payload=f"vote:{poll.poll_id}:{index}"),)
        for index, option in enumerate(poll.options)
    )


def poll_text(poll: OutboundPoll, multiple_hint: str) -> str:
    """The question; the options in full too when a label had to be shortened."""
    lines = [poll.question]
    if any(len(option) > LABEL_MAX for option in poll.options):
        lines.append("")
        lines += [f"{i + 1}. {option}" for i, option in enumerate(poll.options)]
    if poll.allows_multiple:
        lines += ["", multiple_hint]
    return "\n".join(lines)
