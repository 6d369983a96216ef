"""The community wall in the VK emulator, driven by vk_api's VkUpload as our adapter does:
wall uploads (docs.getWallUploadServer + docs.save, photos.getWallUploadServer +
photos.saveWallPhoto) with the admin's user token, wall.post from the community, and
wall.post's guid against a repeat within the hour."""

from __future__ import annotations

import io

from PIL import Image
from vk_api import VkUpload

try:
    from .test_vk_support import VkRig, api_error, call, make_vk_rig, vk_rig  # noqa: F401
except ImportError:
    from test_vk_support import VkRig, api_error, call, make_vk_rig, vk_rig  # noqa: F401


def _png() -> io.BytesIO:
    image = io.BytesIO()
    Image.new("RGB", (4, 3), "blue").save(image, format="PNG")
    image.seek(0)
    return image


async def test_the_admin_posts_a_document_and_a_photo_on_the_community_wall(
        vk_rig: VkRig) -> None:
    emulator, group_id = vk_rig.emulator, vk_rig.emulator.knobs.group_id
    admin = vk_rig.admin()
    upload = VkUpload(admin)
    pdf = io.BytesIO(b"%PDF-1.4 leaflet")

    saved = await call(upload.document_wall, doc=pdf, title="листок.pdf", group_id=group_id)
    vk_rig.clock.advance(1)  # a user token makes 3 calls per second
    photos = await call(upload.photo_wall, photos=_png(), group_id=group_id)
    vk_rig.clock.advance(1)
    doc, photo = saved["doc"], photos[0]
    attachments = f"doc{doc['owner_id']}_{doc['id']},photo{photo['owner_id']}_{photo['id']}"
    post = await call(admin.get_api().wall.post, owner_id=-group_id, from_group=1,
                      message="Листок за май", attachments=attachments, guid="c7-wall")

    assert doc["owner_id"] == photo["owner_id"] == -group_id
    assert photo["album_id"] == -7
    [on_wall] = emulator.wall()
    assert on_wall["id"] == post["post_id"] and on_wall["from_id"] == -group_id
    assert on_wall["text"] == "Листок за май"
    assert [a["type"] for a in on_wall["attachments"]] == ["doc", "photo"]


async def test_a_repeated_guid_within_the_hour_posts_nothing_new(vk_rig: VkRig) -> None:
    emulator, group_id = vk_rig.emulator, vk_rig.emulator.knobs.group_id
    wall = vk_rig.admin().get_api().wall
    values = {"owner_id": -group_id, "from_group": 1, "message": "Собрание", "guid": "c8"}

    first = await call(wall.post, **values)
    again = await call(wall.post, **values)
    vk_rig.clock.advance(3600)
    later = await call(wall.post, **values)

    assert again == first and later != first
    assert [post["id"] for post in emulator.wall()] == [first["post_id"], later["post_id"]]


async def test_the_wall_refuses_community_tokens_and_strangers(vk_rig: VkRig) -> None:
    group_id = vk_rig.emulator.knobs.group_id
    vk_rig.emulator.add_token("stranger", "user", owner_id=77)
    community = vk_rig.session().get_api()
    stranger = vk_rig.session("stranger").get_api()

    by_community = await api_error(community.wall.post, owner_id=-group_id, message="x")
    by_stranger = await api_error(stranger.photos.getWallUploadServer, group_id=group_id)
    photo_by_community = await api_error(community.photos.getWallUploadServer, group_id=group_id)

    assert by_community.code == 27 and photo_by_community.code == 27
    assert by_stranger.code == 15
    assert vk_rig.emulator.wall() == []
