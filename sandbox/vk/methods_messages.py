"""messages.send and the other messages.* methods a community bot uses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sandbox.vk.dispatch import Call, Handler, Precheck
from sandbox.vk.errors import (
    ACCESS,
    BLACKLISTED,
    DENY_SEND,
    PRIVACY,
    TOO_LONG,
    USER_DELETED,
    VkError,
    param_error,
    peer_error,
)
from sandbox.vk.keyboard import parse_keyboard
from sandbox.vk.methods_media import resolve_attachments
from sandbox.vk.model import CHAT_PEER_START, BotMessage, SentRecord
from sandbox.vk.validate import require
from sandbox.vk.world import World

_RECIPIENT_PARAMS = ("peer_id", "user_id", "chat_id", "peer_ids", "domain")
_CHAT_NO_ACCESS = 917


@dataclass(frozen=True)
class Outgoing:
    """The content of one messages.send call, the same for every recipient."""

    text: str
    attachments: tuple[dict[str, Any], ...]
    keyboard: dict[str, Any] | None
    random_id: int
    payload: str | None


def check_message_length(world: World, params: Mapping[str, str]) -> None:
    """VK answers 914, not 100, for a message over 9000 characters."""
    if len(params.get("message", "")) > world.knobs.message_max_chars:
        raise VkError(TOO_LONG)


def send(call: Call) -> Any:
    if call.token.kind != "group":
        raise VkError(ACCESS, "the sandbox emulates community messages only")
    values, world = call.values, call.world
    # Required since 5.90 although the schema leaves it optional.
    random_id = require(values, "random_id")
    outgoing = Outgoing(
        text=values.get("message", ""),
        attachments=resolve_attachments(world, values.get("attachment")),
        keyboard=_keyboard(world, values.get("keyboard")),
        random_id=random_id,
        payload=values.get("payload"),
    )
    if not outgoing.text.strip() and not outgoing.attachments and "sticker_id" not in values:
        raise param_error("message is empty or invalid")
    peers, single = _recipients(values)
    if single:
        return _deliver(world, peers[0], outgoing).message_id
    return [_item(world, peer, outgoing) for peer in peers]


def _keyboard(world: World, raw: str | None) -> dict[str, Any] | None:
    return None if raw is None else parse_keyboard(raw, world.knobs)


def _recipients(values: Mapping[str, Any]) -> tuple[list[int], bool]:
    given = [name for name in _RECIPIENT_PARAMS if name in values]
    if not given:
        raise param_error("you should specify peer_id, user_id, chat_id or peer_ids")
    if len(given) > 1:
        # Stricter than VK, which silently prefers one of them.
        raise param_error(f"{given[0]} and {given[1]} cannot be passed together")
    name = given[0]
    if name == "domain":
        raise param_error("domain is not emulated by the sandbox: pass peer_id")
    if name == "peer_ids":
        return list(dict.fromkeys(values["peer_ids"])), False
    if name == "chat_id":
        return [CHAT_PEER_START + values["chat_id"]], True
    return [values[name]], True


def _item(world: World, peer_id: int, outgoing: Outgoing) -> dict[str, Any]:
    """One element of a peer_ids answer; a refusal is its `error`, never a raised error."""
    try:
        record = _deliver(world, peer_id, outgoing)
    except VkError as error:
        world.stats.per_peer_errors[error.code] += 1
        return {"peer_id": peer_id, "error": peer_error(error.code)}
    return {
        "peer_id": peer_id,
        # [U] a community's message in a chat has no id of its own for the bot: 0
        "message_id": 0 if peer_id >= CHAT_PEER_START else record.message_id,
        "conversation_message_id": record.conversation_message_id,
    }


def _deliver(world: World, peer_id: int, outgoing: Outgoing) -> SentRecord:
    dialog = world.dialog(peer_id)
    now = world.clock()
    earlier = dialog.repeated(outgoing.random_id, now, world.knobs.random_id_ttl_s)
    if earlier is not None:
        world.stats.random_id_dedups += 1
        return earlier
    _check_recipient(world, peer_id)
    message = BotMessage(
        message_id=world.take_message_id(),
        conversation_message_id=dialog.take_cmid(),
        peer_id=peer_id,
        from_id=world.community_id,
        date=world.date(),
        text=outgoing.text,
        attachments=outgoing.attachments,
        keyboard=outgoing.keyboard,
        random_id=outgoing.random_id,
        payload=outgoing.payload,
    )
    record = SentRecord(
        outgoing.random_id, message.message_id, message.conversation_message_id, now
    )
    dialog.messages.append(message)
    dialog.recent_sends.append(record)
    world.stats.accepted_by_peer[peer_id] += 1
    world.notify(message)
    return record


def _check_recipient(world: World, peer_id: int) -> None:
    if peer_id >= CHAT_PEER_START:
        chat = world.chats.get(peer_id)
        if chat is None or not chat.has_bot:
            raise VkError(_CHAT_NO_ACCESS)  # not invited to this chat (sandbox.vk.chats)
        return
    member = world.members.get(peer_id)
    if member is None:
        raise VkError(DENY_SEND)  # a stranger never allowed messages
    if member.deleted:
        raise VkError(USER_DELETED)
    if member.blacklisted:
        raise VkError(BLACKLISTED)
    if member.privacy_closed:
        raise VkError(PRIVACY)
    if not member.allowed:
        raise VkError(DENY_SEND)


def is_messages_from_group_allowed(call: Call) -> dict[str, int]:
    world = call.world
    if call.values["group_id"] != world.knobs.group_id:
        raise param_error("group_id is invalid")
    member = world.members.get(call.values["user_id"])
    allowed = member is not None and member.allowed and not member.deleted
    return {"is_allowed": int(allowed)}


def send_message_event_answer(call: Call) -> int:
    values, world = call.values, call.world
    pending = world.pending_button_events.get(values["event_id"])
    if pending != (values["user_id"], values["peer_id"]):
        raise param_error("event_id is invalid")
    answer = _event_data(values.get("event_data"))
    del world.pending_button_events[values["event_id"]]
    world.event_answers.append({"event_id": values["event_id"], **values, "event_data": answer})
    return 1


def _event_data(raw: str | None) -> dict[str, Any] | None:
    """show_snackbar (text <= 90), open_link (link) or open_app (app_id), as VK documents."""
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        raise param_error("event_data is not valid JSON") from None
    kind = data.get("type") if isinstance(data, dict) else None
    needs = {"show_snackbar": "text", "open_link": "link", "open_app": "app_id"}.get(str(kind))
    if needs is None or needs not in data:
        raise param_error("event_data is invalid")
    if kind == "show_snackbar" and len(str(data["text"])) > 90:
        raise param_error("event_data: snackbar text is longer than 90 characters")
    answer: dict[str, Any] = data
    return answer


def edit(call: Call) -> int:
    values, world = call.values, call.world
    if "message_id" not in values and "cmid" not in values:
        raise param_error("message_id is undefined")
    if not values.get("message", "").strip() and not values.get("attachment"):
        raise param_error("message is empty or invalid")
    dialog = world.dialog(values["peer_id"])
    index = dialog.find_bot_message(values.get("message_id"), values.get("cmid"))
    if index is None:
        raise param_error("message_id is invalid")
    old = dialog.messages[index]
    assert isinstance(old, BotMessage)  # find_bot_message finds only those
    attachments = resolve_attachments(world, values.get("attachment")) or old.attachments
    keyboard = _keyboard(world, values.get("keyboard")) or old.keyboard
    text = values.get("message", old.text)
    dialog.messages[index] = replace(
        old, text=text, attachments=attachments, keyboard=keyboard, edited=True
    )
    return 1


METHODS: dict[str, Handler] = {
    "messages.send": send,
    "messages.isMessagesFromGroupAllowed": is_messages_from_group_allowed,
    "messages.sendMessageEventAnswer": send_message_event_answer,
    "messages.edit": edit,
}
PRECHECKS: dict[str, list[Precheck]] = {
    "messages.send": [check_message_length],
    "messages.edit": [check_message_length],
}
