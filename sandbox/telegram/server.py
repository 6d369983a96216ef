"""HTTP face of the emulator: /bot{token}/{method}, /file/bot{token}/{path}, /__sandbox/stats."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import forums, methods_bot, methods_edit, methods_poll, methods_send
from .body import read_call
from .context import CallContext
from .errors import ApiError, ValidationError, not_found, unauthorized
from .spec import MethodSpec
from .state import EmulatorState
from .validation import validate_call
from .world import BotAccount

Handler = Callable[[CallContext], Awaitable[Any]]

HANDLERS: dict[str, Handler] = {
    "getme": methods_bot.get_me,
    "getupdates": methods_bot.get_updates,
    "setwebhook": methods_bot.set_webhook,
    "deletewebhook": methods_bot.delete_webhook,
    "getwebhookinfo": methods_bot.get_webhook_info,
    "setmycommands": methods_bot.set_my_commands,
    "getchat": methods_bot.get_chat,
    "getfile": methods_bot.get_file,
    "sendmessage": methods_send.send_message,
    "sendphoto": methods_send.send_photo,
    "senddocument": methods_send.send_document,
    "copymessage": methods_send.copy_message,
    "sendpoll": methods_poll.send_poll,
    "stoppoll": methods_poll.stop_poll,
    "editmessagetext": methods_edit.edit_message_text,
    "editmessagereplymarkup": methods_edit.edit_message_reply_markup,
    "deletemessage": methods_edit.delete_message,
    "answercallbackquery": methods_edit.answer_callback_query,
    "createforumtopic": forums.create_forum_topic,
    "deleteforumtopic": forums.delete_forum_topic,
}

# Bot API 10.3 methods aiogram 3.31 knows and the 10.1 spec file lacks: real, not emulated.
NEWER_METHODS = frozenset(
    {
        "deleteephemeralmessage",
        "editephemeralmessagecaption",
        "editephemeralmessagemedia",
        "editephemeralmessagereplymarkup",
        "editephemeralmessagetext",
    }
)
TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
STATE_KEY = web.AppKey("telegram_state", EmulatorState)


def build_app(state: EmulatorState) -> web.Application:
    app = web.Application(client_max_size=state.knobs.max_upload_bytes + 1024 * 1024)
    app[STATE_KEY] = state
    app.on_shutdown.append(state.shutdown)
    app.on_cleanup.append(state.aclose)
    app.router.add_route("*", "/bot{token}/{method}", _method_route)
    app.router.add_get("/file/bot{token}/{path:.+}", _file_route)
    app.router.add_get("/__sandbox/stats", _stats_route)
    return app


def _bot(state: EmulatorState, token: str) -> BotAccount:
    bot = state.world.bots.get(token) if TOKEN.match(token) else None
    if bot is None:
        raise unauthorized()
    return bot


def _method(state: EmulatorState, name: str) -> tuple[MethodSpec, Handler]:
    lowered = name.lower()
    spec = state.spec.method(lowered)
    handler = HANDLERS.get(lowered)
    if spec is not None and handler is not None:
        return spec, handler
    if spec is not None or lowered in NEWER_METHODS:
        method = spec.name if spec is not None else name
        raise ApiError(501, f"Not Implemented: the sandbox does not emulate {method}")
    raise not_found()


async def _method_route(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    if state.knobs.latency_s:
        await asyncio.sleep(state.knobs.latency_s)
    ctx: CallContext | None = None
    try:
        bot = _bot(state, request.match_info["token"])
        spec, handler = _method(state, request.match_info["method"])
        state.stats.calls_by_method[spec.name] += 1
        call = await read_call(request, state.knobs.max_upload_bytes)
        ctx = CallContext(state, bot, spec, validate_call(state.spec, spec, call))
        result = await handler(ctx)
    except ApiError as exc:
        state.stats.record_error(exc.code, exc.description, isinstance(exc, ValidationError))
        return web.json_response(exc.payload(), status=exc.code)
    body: dict[str, Any] = {"ok": True, "result": result}
    if ctx.description:
        body["description"] = ctx.description
    if ctx.hang:
        await state.hang(state.knobs.hang_s)
    return web.json_response(body)


async def _file_route(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    if state.knobs.latency_s:
        await asyncio.sleep(state.knobs.latency_s)
    try:
        _bot(state, request.match_info["token"])
    except ApiError as exc:
        return web.json_response(exc.payload(), status=exc.code)
    stored = state.files.by_path(request.match_info["path"])
    if stored is None:
        return web.json_response(not_found().payload(), status=404)
    return web.Response(body=stored.data, content_type=stored.mime_type)


async def _stats_route(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE_KEY].stats_snapshot())
