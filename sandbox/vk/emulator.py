"""VkEmulator: the emulated VK API server plus the members acting in it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from aiohttp import web

from sandbox.limits import Clock, monotonic
from sandbox.vk import (
    methods_groups,
    methods_media,
    methods_messages,
    methods_posts,
    methods_wall,
)
from sandbox.vk.chats import ChatActions
from sandbox.vk.control import member_routes
from sandbox.vk.dispatch import Registry
from sandbox.vk.events import EVENT_TYPES
from sandbox.vk.knobs import VkKnobs
from sandbox.vk.members import MemberActions
from sandbox.vk.server import VkHttp
from sandbox.vk.world import WallClock, World, default_wall_clock

_FAULT_KNOBS = frozenset(
    {"latency_s", "p_flood", "p_429", "p_5xx", "http_5xx_share", "p_timeout", "hang_s"}
)


def _registry() -> Registry:
    handlers = {
        **methods_messages.METHODS,
        **methods_media.METHODS,
        **methods_groups.METHODS,
        **methods_posts.METHODS,
        **methods_wall.METHODS,
    }
    return Registry(handlers=handlers, prechecks=methods_messages.PRECHECKS)


class VkEmulator(MemberActions, ChatActions):
    """VK API 5.199 for one community on a loopback port; see the package docstring."""

    def __init__(
        self,
        knobs: VkKnobs | None = None,
        *,
        clock: Clock = monotonic,
        wall_clock: WallClock = default_wall_clock,
    ) -> None:
        self.knobs = knobs or VkKnobs()
        self.world = World(self.knobs, clock, wall_clock)
        self._http = VkHttp(self.world, _registry(), self.stats)
        self._http.app.add_routes(member_routes(self))
        self._http.app.on_startup.append(self._on_startup)
        self._http.app.on_shutdown.append(self._on_shutdown)
        self._http.app.on_cleanup.append(self._on_cleanup)
        self._runner: web.AppRunner | None = None

    @property
    def app(self) -> web.Application:
        return self._http.app

    @property
    def base_url(self) -> str:
        return self.world.base_url

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 = any free port); returns the base URL (`api_base`)."""
        runner = web.AppRunner(self.app, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound = runner.addresses[0][1]  # the port the OS picked for port 0
        self.world.base_url = f"http://{host}:{bound}"
        return self.world.base_url

    async def close(self) -> None:
        """Stop serving; waiting long polls and hung answers end, delivery tasks are cancelled."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _on_startup(self, app: web.Application) -> None:
        await self.world.callbacks.start()

    async def _on_shutdown(self, app: web.Application) -> None:
        self._http.closing.set()
        self.world.longpoll.close()

    async def _on_cleanup(self, app: web.Application) -> None:
        await self.world.callbacks.close()

    def stats(self) -> dict[str, Any]:
        """Counters of everything the platform saw (also GET {api_base}/__sandbox/stats)."""
        windows = self.world.retry_windows
        by_token = {str(scope): count for scope, count in windows.violations_by_scope.items()}
        return self.world.stats.as_dict(windows.violations, by_token)

    def set_faults(self, **faults: float) -> None:
        """Change fault knobs while running (latency_s, p_flood, p_429, p_5xx, ...)."""
        unknown = set(faults) - _FAULT_KNOBS
        if unknown:
            raise ValueError(f"not a fault knob: {sorted(unknown)}; limits are fixed at start")
        changes: dict[str, Any] = dict(faults)
        self.knobs = replace(self.knobs, **changes)
        self.world.knobs = self.knobs

    def add_token(self, token: str, kind: str = "group", owner_id: int | None = None) -> None:
        """Accept another token: a community's ("group") or a user's ("user", owner_id)."""
        if owner_id is None:
            owner_id = self.knobs.group_id if kind == "group" else self.knobs.admin_user_id
        self.world.add_token(token, kind, owner_id)

    def set_callback(
        self,
        url: str,
        *,
        confirmation: str | None = None,
        secret: str = "",
        events: Iterable[str] = EVENT_TYPES,
        title: str = "sandbox",
    ) -> int:
        """Add a Callback API server receiving `events`; returns its server_id.

        The handshake and deliveries run in the background once the emulator is serving;
        `confirmation` replaces the community's confirmation string.
        """
        if confirmation is not None:
            self.world.callbacks.confirmation = confirmation
        return self.world.callbacks.add(url, title, secret, set(events)).server_id

    def callback_status(self, server_id: int) -> str:
        """unconfigured, wait, ok or failed, as groups.getCallbackServers reports it."""
        return self.world.callbacks.servers[server_id].status

    def wall(self, owner_id: int | None = None) -> list[dict[str, Any]]:
        """Posts on a wall (the community's by default), oldest first, as wall.post made them."""
        owner = self.world.community_id if owner_id is None else owner_id
        return [post for (found, _), post in sorted(self.world.posts.items()) if found == owner]

    def force_longpoll_failure(self, code: int) -> None:
        """The next a_check answers {"failed": code}: 1 new ts, 2 new key, 3 both."""
        self.world.longpoll.force_failure(code)
