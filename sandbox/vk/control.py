"""Member actions over HTTP, for people playing with the sandbox (`rupor sandbox`).

    POST /__sandbox/users                      {"user_id", "first_name", "last_name", "allowed"}
    POST /__sandbox/users/{user_id}/{action}   JSON body with the action's arguments:
        allow {"key"} | deny | write {"text", "ref", "ref_source", "payload"} |
        document {"filename", "content_base64", "text"} | photo {"content_base64", "text"} |
        files {"photos_base64": [...], "documents": [{"filename", "content_base64"}], "text"} |
        press_text {"label"} | press_callback {"label" | "payload", "message_id"} |
        read {"up_to_message_id"} | vote {"poll_id", "answer_ids"} |
        privacy {"closed"} | delete | blacklist {"on"}
    GET  /__sandbox/dialogs/{peer_id}          both directions of the dialog, in order
A mistake answers 400 {"error": "..."}.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from sandbox.vk.members import MemberActions

Action = Callable[[MemberActions, int, dict[str, Any]], Any]


def _event_id(event: Any) -> str:
    return str(event.event_id)


ACTIONS: dict[str, Action] = {
    "allow": lambda m, user, a: _event_id(m.allow_messages(user, a.get("key", ""))),
    "deny": lambda m, user, a: _event_id(m.deny_messages(user)),
    "write": lambda m, user, a: dataclasses.asdict(m.write(user, **a)),
    "document": lambda m, user, a: dataclasses.asdict(m.send_document(
        user, a["filename"], base64.b64decode(a["content_base64"]), a.get("text", ""))),
    "photo": lambda m, user, a: dataclasses.asdict(m.send_photo(
        user, base64.b64decode(a["content_base64"]), a.get("text", ""))),
    "files": lambda m, user, a: dataclasses.asdict(m.send_files(
        user, photos=[base64.b64decode(p) for p in a.get("photos_base64", [])],
        documents=[(d["filename"], base64.b64decode(d["content_base64"]))
                   for d in a.get("documents", [])], text=a.get("text", ""))),
    "press_text": lambda m, user, a: dataclasses.asdict(m.press_text_button(user, a["label"])),
    "press_callback": lambda m, user, a: m.press_callback_button(user, **a),
    "read": lambda m, user, a: m.read(user, a.get("up_to_message_id")),
    "vote": lambda m, user, a: m.vote(user, a["poll_id"], a["answer_ids"]),
    "privacy": lambda m, user, a: m.set_privacy(user, a.get("closed", True)),
    "delete": lambda m, user, a: m.delete_user(user),
    "blacklist": lambda m, user, a: m.blacklist(user, a.get("on", True)),
}


def member_routes(members: MemberActions) -> list[web.RouteDef]:
    """The routes above, acting through `members`."""

    async def register(request: web.Request) -> web.Response:
        arguments = await _arguments(request)
        if arguments is None:
            return _refuse("send a JSON object")
        return _run(lambda: dataclasses.asdict(members.register_user(**arguments)))

    async def act(request: web.Request) -> web.Response:
        action = ACTIONS.get(request.match_info["action"])
        if action is None:
            return _refuse(f"actions: {', '.join(ACTIONS)}")
        arguments = await _arguments(request)
        if arguments is None:
            return _refuse("send a JSON object")
        user_id = int(request.match_info["user_id"])
        return _run(lambda: action(members, user_id, arguments))

    async def dialog(request: web.Request) -> web.Response:
        peer_id = int(request.match_info["peer_id"])
        messages = [dataclasses.asdict(m) for m in members.conversation(peer_id)]
        return web.json_response(messages, dumps=_dumps)

    return [
        web.post("/__sandbox/users", register),
        web.post(r"/__sandbox/users/{user_id:\d+}/{action}", act),
        web.get(r"/__sandbox/dialogs/{peer_id:-?\d+}", dialog),
    ]


async def _arguments(request: web.Request) -> dict[str, Any] | None:
    """The JSON object of the body ({} when empty), or None when it is something else."""
    if not request.can_read_body:
        return {}
    try:
        arguments = await request.json()
    except ValueError:
        return None
    return arguments if isinstance(arguments, dict) else None


def _run(action: Callable[[], Any]) -> web.Response:
    try:
        result = action()
    except (LookupError, ValueError, TypeError) as mistake:
        return _refuse(str(mistake))
    return web.json_response({"result": result}, dumps=_dumps)


def _refuse(reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=400, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
