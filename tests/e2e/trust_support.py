"""What the inbound-trust tests share: a front that records every call the platforms make to
our server (so a signed update can be replayed as a platform retry or an attacker would),
and can lose the answer to one chosen call after our server gave it — killing `rupor run`
first, as a kill -9 between storing an update and acknowledging it; and a picture of the
whole database to compare before and after."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

_HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection"}
# Tables a running suite writes by itself, whatever arrives: the senders' heartbeats.
RESTLESS = frozenset({"senders"})


@dataclass(frozen=True)
class Call:
    """One request a platform made to our server, as it made it, and our answer."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


Doom = Callable[[Call], bool]  # whether our answer to this call is to be lost


@dataclass
class RecordingFront:
    """Forwards every call to `target`; records it; for the first call `doom` picks, kills
    `rupor run` (`kill`) after it answered and answers the platform 502 instead."""

    target: str
    calls: list[Call] = field(default_factory=list)
    doom: Doom | None = None
    kill: Callable[[], None] | None = None
    lost: list[Call] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _http: aiohttp.ClientSession | None = None

    async def start(self) -> str:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._http = aiohttp.ClientSession()
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def _handle(self, request: web.Request) -> web.Response:
        assert self._http is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        try:
            async with self._http.request(request.method, self.target + request.path_qs,
                                          data=body, headers=headers) as answer:
                content = await answer.read()
                kept = {k: v for k, v in answer.headers.items()
                        if k.lower() not in _HOP_BY_HOP}
                status = answer.status
        except aiohttp.ClientError:
            return web.Response(status=502, text="rupor is down")
        call = Call(request.path, headers, body, status)
        self.calls.append(call)
        if self.doom is not None and not self.lost and self.doom(call):
            self.lost.append(call)
            if self.kill is not None:
                self.kill()  # it stored the update and answered; the answer never arrives
            return web.Response(status=502, text="lost")
        return web.Response(status=status, body=content, headers=kept)

    def since(self, mark: int, path: str, pick: Callable[[Any], bool]) -> list[Call]:
        """Calls on `path` after the first `mark` whose JSON body `pick` accepts."""
        return [c for c in self.calls[mark:] if c.path == path and pick(c.json())]

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()


def tables(db_path: Path) -> list[str]:
    with sqlite3.connect(db_path, timeout=30) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                            "AND name NOT LIKE 'sqlite_%' ORDER BY name")
        return [str(name) for (name,) in rows]


def row_counts(db_path: Path) -> dict[str, int]:
    """Rows in every table of the database."""
    with sqlite3.connect(db_path, timeout=30) as conn:
        return {t: int(conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0])
                for t in tables(db_path)}


def picture(db_path: Path) -> dict[str, str]:
    """A digest of every row of every table (but RESTLESS): equal pictures, equal state."""
    found: dict[str, str] = {}
    with sqlite3.connect(db_path, timeout=30) as conn:
        for table in tables(db_path):
            if table in RESTLESS:
                continue
            digest = hashlib.sha256()
            for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY 1'):
                digest.update(repr(row).encode())
            found[table] = digest.hexdigest()
    return found


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))
