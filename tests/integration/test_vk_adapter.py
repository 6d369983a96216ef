"""The VK adapter's sends against the VK emulator, through the real vk_api: every status,
random_id de-duplication, error 6 surfaced, uploads once, captions, keyboards, polls."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from dataclasses import replace

import pytest

from bots.vk.errors import call_verdict, peer_verdict
from core.ports import Button, ChannelError, Outbound, OutboundPoll, Span, Status

try:
    from .test_vk_rig import RigFactory, VkRig, make_rig, pdf, png, rig  # noqa: F401 (fixtures)
except ImportError:  # run as a top-level module
    from test_vk_rig import RigFactory, VkRig, make_rig, pdf, png, rig  # noqa: F401 (fixtures)

LEAFLET = (Span("Листовка", bold=True), Span(" за декабрь: "), Span("сайт", url="https://eseur.ru"))


def text(key: str = "r1p0", words: str = "Собрание в пятницу") -> Outbound:
    return Outbound(key=key, text=(Span(words),))


async def test_every_per_peer_answer_is_mapped_in_one_call(rig: VkRig) -> None:
    emulator = rig.emulator
    ok, closed, blacklisted, deleted = rig.members(11, 12, 13, 14)
    (stranger,) = rig.members(15, allowed=False)
    emulator.set_privacy(12)
    emulator.blacklist(13)
    emulator.delete_user(14)
    chat = "2000000001"
    to = [ok, closed, blacklisted, deleted, stranger, chat, "not-a-peer"]

    results = {r.recipient: r for r in await rig.channel().send(to, text())}

    assert set(results) == set(to)
    assert results[ok].status is Status.SENT
    assert results[ok].platform_message_id == str(emulator.dialog(11)[0].message_id)
    assert results[closed].status is Status.UNSUBSCRIBED and "902" in str(results[closed].error)
    assert results[stranger].status is Status.UNSUBSCRIBED and "901" in str(results[stranger].error)
    assert results[blacklisted].status is Status.BLOCKED
    assert "900" in str(results[blacklisted].error)
    assert results[deleted].status is Status.BLOCKED and "[18]" in str(results[deleted].error)
    assert results[chat].status is Status.BLOCKED and "917" in str(results[chat].error)
    assert results["not-a-peer"].status is Status.INVALID
    assert rig.sends() == 1  # one peer_ids call for everyone
    assert [m.text for m in emulator.dialog(11)] == ["Собрание в пятницу"]


async def test_links_render_as_plain_text(rig: VkRig) -> None:
    (member,) = rig.members(21)
    await rig.channel().send([member], Outbound(key="r1p0", text=LEAFLET))
    assert rig.emulator.dialog(21)[0].text == "Листовка за декабрь: сайт (https://eseur.ru)"


async def test_a_timed_out_send_is_uncertain_and_its_resend_delivers_nothing_twice(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig(p_timeout=1.0, hang_s=5.0)
    members = rig.members(31, 32, 33)
    channel = rig.channel(timeout_s=0.3)

    lost = await channel.send(members, text())
    rig.emulator.set_faults(p_timeout=0.0)
    again = await channel.send(members, text())
    third = await channel.send(members, text())

    assert [r.status for r in lost] == [Status.UNCERTAIN] * 3
    assert [r.status for r in again] == [Status.SENT] * 3
    assert [r.platform_message_id for r in again] == [r.platform_message_id for r in third]
    for user_id in (31, 32, 33):
        assert len(rig.emulator.dialog(user_id)) == 1  # the hung send took effect once
    random_ids = {rig.emulator.dialog(u)[0].random_id for u in (31, 32, 33)}
    assert len(random_ids) == 1  # the same for every recipient
    assert rig.emulator.stats()["random_id_dedups"] == 6


async def test_different_parts_get_different_random_ids(rig: VkRig) -> None:
    (member,) = rig.members(41)
    channel = rig.channel()
    await channel.send([member], text("r1p0", "Первая"))
    await channel.send([member], text("r1p1", "Вторая"))
    await channel.send([member], text("r2p0", "Третья"))
    assert [m.text for m in rig.emulator.dialog(41)] == ["Первая", "Вторая", "Третья"]


async def test_error_6_comes_back_as_retry_after_without_vk_api_resending(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig(p_429=1.0)
    members = rig.members(51, 52)
    started = time.monotonic()
    results = await rig.channel().send(members, text())
    elapsed = time.monotonic() - started
    stats = rig.emulator.stats()

    assert {(r.status, r.retry_after) for r in results} == {(Status.RETRY_AFTER, 1.0)}
    assert rig.sends() == 1  # vk_api's own handler would have slept 0.5 s and re-sent
    assert elapsed < 0.5
    assert stats["violations"] == 0 and stats["accepted_messages_total"] == 0


async def test_the_token_never_carries_more_than_20_calls_a_second(rig: VkRig) -> None:
    members = rig.members(*range(3000, 3025))
    channel = rig.channel()  # no core pacer here: the adapter's own window must hold
    results = await asyncio.gather(*(channel.send([m], text()) for m in members))
    stats = rig.emulator.stats()
    assert {r.status for answer in results for r in answer} == {Status.SENT}
    assert stats["max_requests_in_1s"] == 20 and stats["error_6_total"] == 0


async def test_call_errors_map_to_statuses(make_rig: RigFactory) -> None:
    rig = await make_rig(inline_max_buttons=2)
    members = rig.members(61, 62)
    channel = rig.channel()
    emulator = rig.emulator

    async def statuses(msg: Outbound) -> set[tuple[Status, float | None]]:
        return {(r.status, r.retry_after) for r in await channel.send(members, msg)}

    emulator.set_faults(p_flood=1.0)
    assert await statuses(text()) == {(Status.RETRY_AFTER, 5.0)}
    emulator.set_faults(p_flood=0.0, p_5xx=1.0)
    assert await statuses(text()) == {(Status.FAILED, None)}
    emulator.set_faults(http_5xx_share=1.0)
    results = await channel.send(members, text())
    assert {r.status for r in results} == {Status.FAILED} and "HTTP 502" in str(results[0].error)
    emulator.set_faults(p_5xx=0.0)
    assert await statuses(text(words="я" * 9001)) == {(Status.INVALID, None)}
    three = ((Button("a", payload="a"), Button("b", payload="b"), Button("c", payload="c")),)
    results = await channel.send(members, Outbound(key="k", text=(Span("x"),), buttons=three))
    assert {r.status for r in results} == {Status.INVALID} and "911" in str(results[0].error)
    assert emulator.stats()["accepted_messages_total"] == 0


async def test_a_bad_token_is_an_adapter_wide_fault(rig: VkRig) -> None:
    (member,) = rig.members(71)
    channel = rig.channel(token="not-a-token")
    with pytest.raises(ChannelError, match="5"):
        await channel.send([member], text())


async def test_connection_refused_is_failed_and_nothing_is_uncertain(rig: VkRig) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = rig.channel(api_base=f"http://127.0.0.1:{port}")
    results = await channel.send(["81", "82"], text())
    assert {r.status for r in results} == {Status.FAILED}
    assert "not sent" in str(results[0].error)


async def test_the_leaflet_is_uploaded_once_for_250_members(rig: VkRig) -> None:
    members = rig.members(*range(1000, 1250))
    leaflet = pdf()
    channel = rig.channel()
    msg = Outbound(key="r1p0", text=LEAFLET, media=leaflet)
    calls = [members[i:i + 100] for i in range(0, 250, 100)]

    answers = await asyncio.gather(*(channel.send(call, msg) for call in calls))
    results = [r for answer in answers for r in answer]
    stats = rig.emulator.stats()

    assert [r.status for r in results] == [Status.SENT] * 250
    assert stats["uploads_total"] == 1 and stats["accepted_messages_total"] == 250
    refs = {r.media_ref for r in results if r.media_ref}
    assert len(refs) == 1 and refs.pop().startswith(f"doc-{rig.emulator.knobs.group_id}_")
    assert sum(1 for answer in answers if answer[0].media_ref) == 1  # the uploading call only
    first, last = rig.emulator.dialog(1000)[0], rig.emulator.dialog(1249)[0]
    assert first.attachments == last.attachments and first.attachments[0]["type"] == "doc"
    assert first.text == "Листовка за декабрь: сайт (https://eseur.ru)"  # the caption


async def test_a_stored_ref_is_reused_without_uploading(rig: VkRig) -> None:
    members = rig.members(1300, 1301)
    first = await rig.channel().send(members[:1], Outbound(key="a", media=pdf()))
    ref = first[0].media_ref
    later = rig.channel()  # a later run: the core passes the stored ref back
    known = replace(pdf(), ref=ref)
    assert await later.prepare_media(known) == ref
    results = await later.send(members[1:], Outbound(key="b", media=known))
    assert results[0].status is Status.SENT and results[0].media_ref is None
    assert rig.emulator.stats()["uploads_total"] == 1


async def test_images_go_as_photos(rig: VkRig) -> None:
    (member,) = rig.members(1400)
    channel = rig.channel()
    assert await channel.prepare_media(png()) is None  # the upload needs a dialog
    results = await channel.send([member], Outbound(key="p", text=(Span("Плакат"),), media=png()))
    assert results[0].status is Status.SENT and str(results[0].media_ref).startswith("photo-")
    message = rig.emulator.dialog(1400)[0]
    assert message.attachments[0]["type"] == "photo" and message.text == "Плакат"
    assert rig.emulator.stats()["uploads"] == {"photo": 1}


async def test_a_separate_caption_sends_the_file_alone(rig: VkRig) -> None:
    (member,) = rig.members(1500)
    msg = Outbound(key="r1p0", text=LEAFLET, media=pdf(), caption_separate=True)
    await rig.channel().send([member], msg)
    message = rig.emulator.dialog(1500)[0]
    assert message.text == "" and message.attachments[0]["type"] == "doc"
    assert message.keyboard is None


async def test_a_refused_file_is_invalid_and_sends_nothing(rig: VkRig) -> None:
    (member,) = rig.members(1600)
    bad = pdf(name="virus.exe")
    results = await rig.channel().send([member], Outbound(key="x", media=bad))
    assert results[0].status is Status.INVALID and "refused" in str(results[0].error)
    assert rig.sends() == 0


async def test_link_and_payload_buttons_make_an_inline_keyboard(rig: VkRig) -> None:
    (member,) = rig.members(1700)
    buttons = (
        (Button("Сайт профсоюза", url="https://eseur.ru"),),
        (Button("Приду", payload="rsvp:yes"), Button("Не смогу", payload="rsvp:no")),
    )
    await rig.channel().send([member], Outbound(key="k", text=(Span("Собрание"),), buttons=buttons))
    keyboard = rig.emulator.dialog(1700)[0].keyboard
    assert keyboard is not None and keyboard["inline"] is True
    link, = keyboard["buttons"][0]
    assert link["action"] == {"type": "open_link", "link": "https://eseur.ru",
                              "label": "Сайт профсоюза"}
    yes, no = keyboard["buttons"][1]
    assert (yes["action"]["type"], json.loads(yes["action"]["payload"])) == (
        "callback", {"rupor": "rsvp:yes"})
    assert json.loads(no["action"]["payload"]) == {"rupor": "rsvp:no"}


async def test_ten_one_button_rows_are_packed_into_six_or_fewer(rig: VkRig) -> None:
    (member,) = rig.members(1800)
    name = "Школа №{} с очень длинным названием, длиннее сорока"
    rows = tuple((Button(name.format(i), payload=f"s:{i}"),) for i in range(10))
    results = await rig.channel().send([member], Outbound(key="k", text=(Span("Выберите"),),
                                                          buttons=rows))
    assert results[0].status is Status.SENT
    keyboard = rig.emulator.dialog(1800)[0].keyboard
    assert keyboard is not None
    assert [len(row) for row in keyboard["buttons"]] == [2, 2, 2, 2, 2]
    labels = [b["action"]["label"] for row in keyboard["buttons"] for b in row]
    assert all(len(label) <= 40 for label in labels) and labels[0].endswith("…")


async def test_eleven_buttons_are_refused_without_a_call(rig: VkRig) -> None:
    (member,) = rig.members(1900)
    rows = tuple((Button(str(i), payload=str(i)),) for i in range(11))
    results = await rig.channel().send([member], Outbound(key="k", text=(Span("x"),), buttons=rows))
    assert results[0].status is Status.INVALID and "at most 10" in str(results[0].error)
    assert rig.sends() == 0


async def test_a_poll_is_a_question_with_one_callback_button_per_option(rig: VkRig) -> None:
    members = rig.members(2000, 2001)
    poll = OutboundPoll(key="poll7", poll_id=7, question="Когда собираемся?",
                        options=("Во вторник", "В четверг", "В субботу"), allows_multiple=True)
    sent = await rig.channel().send_poll(members, poll)
    assert [(p.recipient, p.result.status, p.platform_poll_id) for p in sent] == [
        ("2000", Status.SENT, None), ("2001", Status.SENT, None)]
    message = rig.emulator.dialog(2000)[0]
    assert message.text.startswith("Когда собираемся?") and "несколько" in message.text
    assert message.keyboard is not None
    payloads = [json.loads(row[0]["action"]["payload"]) for row in message.keyboard["buttons"]]
    assert payloads == [{"rupor": "vote:7:0"}, {"rupor": "vote:7:1"}, {"rupor": "vote:7:2"}]


@pytest.mark.parametrize(
    ("code", "status", "wait"),
    [
        (901, Status.UNSUBSCRIBED, None), (902, Status.UNSUBSCRIBED, None),
        (7, Status.UNSUBSCRIBED, None), (900, Status.BLOCKED, None), (18, Status.BLOCKED, None),
        (10, Status.FAILED, None), (9, Status.RETRY_AFTER, 5.0), (6, Status.RETRY_AFTER, 1.0),
        (936, Status.WRONG_ID, None),  # "Contact not found"
        (113, Status.WRONG_ID, None),  # "Invalid user id"
    ],
)
def test_the_per_peer_table(code: int, status: Status, wait: float | None) -> None:
    verdict = peer_verdict(code, "описание")
    assert (verdict.status, verdict.retry_after) == (status, wait)
    assert verdict.error == f"[{code}] описание"


@pytest.mark.parametrize(
    ("code", "status"),
    [(6, Status.RETRY_AFTER), (9, Status.RETRY_AFTER), (29, Status.RETRY_AFTER),
     (10, Status.FAILED), (100, Status.INVALID), (911, Status.INVALID), (914, Status.INVALID)],
)
def test_the_call_error_table(code: int, status: Status) -> None:
    assert call_verdict(code, "x").status is status


@pytest.mark.parametrize("code", [5, 7, 15, 27])
def test_adapter_wide_call_errors_raise(code: int) -> None:
    with pytest.raises(ChannelError):
        call_verdict(code, "x")


async def test_a_user_token_cannot_send_as_the_community(rig: VkRig) -> None:
    (member,) = rig.members(4000)
    channel = rig.channel(token=rig.emulator.knobs.admin_user_token)
    with pytest.raises(ChannelError, match="15"):
        await channel.send([member], text())
    assert rig.emulator.stats()["accepted_messages_total"] == 0


async def test_a_timed_out_upload_is_failed_not_uncertain(make_rig: RigFactory) -> None:
    rig = await make_rig(p_timeout=1.0, hang_s=5.0)
    (member,) = rig.members(4100)
    results = await rig.channel(timeout_s=0.3).send([member], Outbound(key="u", media=pdf()))
    assert results[0].status is Status.FAILED  # no message was sent: nothing is uncertain
    assert rig.sends() == 0
