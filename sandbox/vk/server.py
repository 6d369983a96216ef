"""The HTTP face of the emulator: API methods, upload server, Bots Long Poll, files, stats.

Paths under the base URL: /method/{name} (GET query or POST form, merged as VK does),
/upload/{doc|photo}/{slot}, /lp/{group_id}, /files/{doc|photo}/{owner}_{id},
/__sandbox/stats.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from functools import partial
from typing import Any

from aiohttp import web

from sandbox.vk.dispatch import Registry, dispatch
from sandbox.vk.methods_media import store_upload
from sandbox.vk.world import World

_PHOTO_FIELDS = ("photo", "file", "file0", "file1", "file2", "file3", "file4")
_dumps = partial(json.dumps, ensure_ascii=False)


class VkHttp:
    """Routes requests to the world; sleeps (latency, hangs) end early when closing."""

    def __init__(
        self, world: World, registry: Registry, stats: Callable[[], dict[str, Any]]
    ) -> None:
        self.world = world
        self.registry = registry
        self._stats = stats
        self.closing = asyncio.Event()
        self.app = web.Application(client_max_size=world.knobs.max_upload_bytes + 2**20)
        self.app.add_routes(
            [
                web.route("*", "/method/{name}", self.method),
                web.post("/upload/{kind}/{slot}", self.upload),
                web.get("/lp/{group_id}", self.long_poll),
                web.get("/files/{kind}/{key}", self.file),
                web.get("/__sandbox/stats", self.stats),
            ]
        )

    async def pause(self, seconds: float) -> None:
        if seconds <= 0 or self.closing.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.closing.wait(), seconds)

    async def method(self, request: web.Request) -> web.StreamResponse:
        if request.method not in ("GET", "POST"):
            raise web.HTTPMethodNotAllowed(request.method, ["GET", "POST"])
        params, duplicated = await _read_params(request)
        if not self.world.base_url:  # the app is served by someone else's runner
            self.world.base_url = f"{request.scheme}://{request.host}"
        name = request.match_info["name"]
        answer = dispatch(self.world, self.registry, name, params, duplicated)
        await self.pause(self.world.knobs.latency_s)
        if answer.hang:
            await self.pause(self.world.knobs.hang_s)
        if answer.body is None:
            return web.Response(status=502, text="502 Bad Gateway")
        return web.json_response(answer.body, dumps=_dumps)

    async def upload(self, request: web.Request) -> web.StreamResponse:
        kind, slot = request.match_info["kind"], request.match_info["slot"]
        fields = ("file",) if kind == "doc" else _PHOTO_FIELDS
        form = await request.post()
        upload = next((form[f] for f in fields if isinstance(form.get(f), web.FileField)), None)
        if not isinstance(upload, web.FileField):
            self.world.stats.upload_errors += 1
            return web.json_response({"error": f"no file in the field {fields[0]}"})
        content = upload.file.read()
        answer = store_upload(self.world, kind, slot, upload.filename, content)
        if "error" in answer:
            self.world.stats.upload_errors += 1
        return web.json_response(answer, dumps=_dumps)

    async def long_poll(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["group_id"] != str(self.world.knobs.group_id):
            raise web.HTTPNotFound()
        query = request.query
        if query.get("act") != "a_check":
            return web.json_response({"error": "act should be a_check"}, status=400)
        try:
            wait_s = float(query.get("wait", "25"))
        except ValueError:
            wait_s = 25.0
        answer = await self.world.longpoll.check(query.get("key", ""), query.get("ts", ""), wait_s)
        return web.json_response(answer, dumps=_dumps)

    async def file(self, request: web.Request) -> web.StreamResponse:
        kind = request.match_info["kind"]
        owner, _, media_id = request.match_info["key"].partition("_")
        try:
            key = (kind, int(owner), int(media_id))
        except ValueError:
            raise web.HTTPNotFound() from None
        content = self.world.media.contents.get(key)
        if content is None:
            raise web.HTTPNotFound()
        return web.Response(body=content, content_type="application/octet-stream")

    async def stats(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self._stats(), dumps=_dumps)


async def _read_params(request: web.Request) -> tuple[dict[str, str], list[str]]:
    """Query and body parameters merged; a name given twice is reported, not guessed at."""
    pairs = list(request.query.items())
    if request.method == "POST" and request.can_read_body:
        form = await request.post()
        pairs += [(key, value) for key, value in form.items() if isinstance(value, str)]
    params: dict[str, str] = {}
    duplicated: list[str] = []
    for key, value in pairs:
        if key in params:
            duplicated.append(key)
        params[key] = value
    return params, duplicated
