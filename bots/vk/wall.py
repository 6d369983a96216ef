"""The community wall: a campaign's post published once, from the community, with the
`[vk] admin_user_token` — wall.post takes user tokens only (specs/vk/wall/methods.json:
access_token_type [user]; PLATFORMS.md), and so do the wall photo uploads; a user token
makes 3 calls per second. The file goes up with docs.getWallUploadServer + docs.save or
photos.getWallUploadServer + photos.saveWallPhoto (dev.vk.com/ru/api/upload/wall), both with
group_id so it belongs to the community. wall.post has no random_id: its `guid` drops a
repeat of the same post within an hour (dev.vk.com/ru/method/wall.post), which
core.campaigns.public relies on for a redo after a crash."""

from __future__ import annotations

from typing import Any

from vk_api.exceptions import ApiError

from bots.vk.api import VkApiPool
from bots.vk.errors import failure_verdict
from bots.vk.media import UploadRefused
from core.campaigns.content import Content, render_plain
from core.campaigns.public import PublishFailed
from core.config import VkSettings
from core.ports import MediaFile

USER_TOKEN_CALLS_PER_S = 3


class WallPoster:
    """core.campaigns.public.Wall for one community."""

    def __init__(self, settings: VkSettings, token: str, read_timeout_s: float) -> None:
        self.group_id = settings.group_id
        self.api = VkApiPool(token, settings.api_base, read_timeout_s=read_timeout_s,
                             instances=1, calls_per_second=USER_TOKEN_CALLS_PER_S)

    async def post_on_wall(self, content: Content, guid: str) -> str:
        """wall.post(owner_id=-group_id, from_group=1, message, attachments, guid): the
        plain text members get on VK and the leaflet; the post's "wall-G_ID"."""
        values: dict[str, Any] = {"owner_id": -self.group_id, "from_group": 1, "guid": guid}
        message = render_plain(content.spans)
        if message:
            values["message"] = message
        try:
            if content.media is not None:
                values["attachments"] = await self._upload(content.media)
            answer = await self.api.call("wall.post", values)
        except UploadRefused as exc:
            raise PublishFailed(str(exc)) from exc
        except Exception as exc:  # vk_api's and requests' errors: the platform's reason
            raise PublishFailed(_reason(exc)) from exc
        return f"wall-{self.group_id}_{answer['post_id']}"

    async def _upload(self, media: MediaFile) -> str:
        if media.content is None:
            raise UploadRefused(f"no content for {media.filename}")
        group = {"group_id": self.group_id}
        if media.is_image:
            server = await self.api.call("photos.getWallUploadServer", group)
            receipt = await self._post(server["upload_url"], "photo", media)
            saved = await self.api.call("photos.saveWallPhoto", {
                **group, "photo": receipt["photo"], "server": receipt["server"],
                "hash": receipt["hash"]})
            return f"photo{saved[0]['owner_id']}_{saved[0]['id']}"
        server = await self.api.call("docs.getWallUploadServer", group)
        receipt = await self._post(server["upload_url"], "file", media)
        saved = await self.api.call("docs.save", {"file": receipt["file"],
                                                  "title": media.filename})
        return f"doc{saved['doc']['owner_id']}_{saved['doc']['id']}"

    async def _post(self, url: str, field: str, media: MediaFile) -> dict[str, Any]:
        assert media.content is not None
        answer = await self.api.post_file(url, field, media.filename, media.content, media.mime)
        if not isinstance(answer, dict) or "error" in answer or answer.get(field) in ("", "[]"):
            raise UploadRefused(f"VK не принял файл {media.filename}")
        return answer

    def close(self) -> None:
        self.api.close()


def _reason(exc: Exception) -> str:
    """VK's own words for a refusal ("[15] Access denied: …"); a network fault mapped."""
    if isinstance(exc, ApiError):
        return f"[{exc.code}] {exc.error.get('error_msg', exc)}"
    return failure_verdict(exc, sending=True).error
