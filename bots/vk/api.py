"""A small pool of vk_api clients in worker threads, rerouted to `[vk] api_base`, with timeouts.

vk_api 11.10.1 is blocking, posts to the hard-coded https://api.vk.ru/method/{name} with no
timeout, and holds a per-instance lock during each POST (PLATFORMS.md). So several
instances, each with its own requests.Session, serve calls from a dedicated thread pool.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import requests
import vk_api
from jconfig.memory import MemoryConfig
from requests.adapters import HTTPAdapter
from vk_api.exceptions import TOO_MANY_RPS_CODE

from bots.vk.window import CallWindow

API_VERSION = "5.199"
VK_ORIGINS = ("https://api.vk.ru/", "https://api.vk.com/")
CONNECT_TIMEOUT_S = 5.0
DEFAULT_INSTANCES = 8

T = TypeVar("T")


class VkHttpAdapter(HTTPAdapter):
    """Rewrites https://api.vk.ru/... (and the older api.vk.com) to {api_base}/...
    and applies (connect, read) timeouts to every request."""

    def __init__(self, api_base: str, timeout: tuple[float, float]) -> None:
        super().__init__()
        self.api_base = api_base.rstrip("/") + "/"
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        url = request.url or ""
        for origin in VK_ORIGINS:
            if url.startswith(origin):
                request.url = self.api_base + url[len(origin):]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, *args, **kwargs)


def http_session(api_base: str, timeout: tuple[float, float]) -> requests.Session:
    """A Session whose every request (API, upload server) has timeouts and reaches api_base."""
    session = requests.Session()
    # Proxies from the environment would be chosen by the original api.vk.ru URL.
    session.trust_env = False
    adapter = VkHttpAdapter(api_base, timeout)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _surface_rate_error(error: Exception) -> None:
    """Returning None makes vk_api raise the error 6 to us instead of sleeping 0.5 s and
    re-sending behind our pacer's back (its default too_many_rps_handler)."""
    return None


def vk_client(token: str, api_base: str, timeout: tuple[float, float]) -> vk_api.VkApi:
    client = vk_api.VkApi(
        token=token,
        session=http_session(api_base, timeout),
        api_version=API_VERSION,
        config=MemoryConfig,  # the default Config reads and writes vk_config.v2.json in cwd
    )
    # vk_api sleeps RPS_DELAY (0.34 s, VkApiGroup 0.05 s) between calls of one instance while
    # holding its lock; the core's pacer already spaces calls over all instances, so an
    # instance must not add sleeps of its own or 20 calls/s would be out of reach.
    client.RPS_DELAY = 0.0
    client.error_handlers[TOO_MANY_RPS_CODE] = _surface_rate_error
    return client


class VkApiPool:
    """`call(method, values)` on an idle vk_api instance in a worker thread.

    Raises what vk_api and requests raise (ApiError, ApiHttpError, Captcha, Timeout,
    ConnectionError); bots.vk.errors maps those to delivery statuses.
    """

    def __init__(
        self,
        token: str,
        api_base: str,
        *,
        read_timeout_s: float,
        instances: int = DEFAULT_INSTANCES,
        calls_per_second: float = 20.0,
    ) -> None:
        timeout = (min(CONNECT_TIMEOUT_S, read_timeout_s), read_timeout_s)
        self._clients = [vk_client(token, api_base, timeout) for _ in range(instances)]
        self._idle: asyncio.Queue[vk_api.VkApi] | None = None
        self._executor = ThreadPoolExecutor(max_workers=instances, thread_name_prefix="vk-api")
        self._window = CallWindow(max(1, int(calls_per_second)))

    def _queue(self) -> asyncio.Queue[vk_api.VkApi]:
        # Created lazily: the pool is built before the event loop runs (composition root).
        if self._idle is None:
            self._idle = asyncio.Queue()
            for client in self._clients:
                self._idle.put_nowait(client)
        return self._idle

    async def call(self, method: str, values: dict[str, Any] | None = None) -> Any:
        """One API call; the answer's `response`."""

        def call(client: vk_api.VkApi) -> Any:
            with self._window.turn():
                return client.method(method, values or {})

        return await self._run(call)

    async def post_file(
        self, url: str, field: str, filename: str, content: bytes, mime: str
    ) -> Any:
        """POST a file to an upload server (not an API call: no rate limit); its JSON."""

        def post(client: vk_api.VkApi) -> Any:
            answer = client.http.post(url, files={field: (filename, content, mime)})
            answer.raise_for_status()
            return answer.json()

        return await self._run(post)

    async def download(self, url: str, max_bytes: int) -> bytes:
        """GET a file VK gave a URL for (a document, a photo size) with the pool's timeouts;
        ValueError when it is larger than `max_bytes`."""

        def get(client: vk_api.VkApi) -> bytes:
            with client.http.get(url, stream=True) as answer:
                answer.raise_for_status()
                content = answer.raw.read(max_bytes + 1, decode_content=True)
            if len(content) > max_bytes:
                raise ValueError("file too large")
            return bytes(content)

        return await self._run(get)

    async def _run(self, work: Callable[[vk_api.VkApi], T]) -> T:
        idle = self._queue()
        client = await idle.get()
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, work, client)
        finally:
            idle.put_nowait(client)

    def close(self) -> None:
        """Stop taking calls; a call still in a thread ends by its own timeout."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        for client in self._clients:
            with contextlib.suppress(Exception):
                client.http.close()
