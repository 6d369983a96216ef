"""A requests.Session that sends vk_api's hard-coded https://api.vk.ru/ calls elsewhere.

vk_api 11.10.1 posts to f"https://api.vk.ru/method/{name}" with no timeout; an adapter
mounted on that prefix rewrites the origin to `api_base` and adds one. Upload and long-poll
URLs come from API answers, so they already point at the emulator.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter

VK_ORIGIN = "https://api.vk.ru/"
OLD_VK_ORIGIN = "https://api.vk.com/"  # what older vk_api releases call


class RerouteAdapter(HTTPAdapter):
    """Rewrites https://api.vk.ru/... to {api_base}/... and applies a default timeout."""

    def __init__(self, api_base: str, timeout: float | None = 30.0) -> None:
        super().__init__()
        self.api_base = api_base.rstrip("/") + "/"
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        url = request.url or ""
        for origin in (VK_ORIGIN, OLD_VK_ORIGIN):
            if url.startswith(origin):
                request.url = self.api_base + url[len(origin) :]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, *args, **kwargs)


def requests_session(api_base: str, timeout: float | None = 30.0) -> requests.Session:
    """A Session for vk_api.VkApi(session=...) that reaches the API at `api_base`."""
    session = requests.Session()
    # Environment proxies are chosen by the original https://api.vk.ru URL: keep them out.
    session.trust_env = False
    adapter = RerouteAdapter(api_base, timeout)
    session.mount(VK_ORIGIN, adapter)
    session.mount(OLD_VK_ORIGIN, adapter)
    return session
