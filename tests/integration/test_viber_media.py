"""Leaflets by URL (Rupor's /media/<sha256>), keyboards and polls, against the emulator."""

from __future__ import annotations

from dataclasses import replace

from core.ports import Button, ButtonPress, Outbound, OutboundPoll, PollSent, Span, Status
from tests.integration.test_viber_support import (  # noqa: F401 - the fixture is used by name
    Make,
    make_viber_fixture,
)

PDF = b"%PDF-1.4\n" + b"leaflet " * 4000 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048


async def test_a_pdf_goes_to_600_members_and_viber_fetches_it_once(make_viber: Make) -> None:
    members = [f"m{i:04d}==" for i in range(600)]
    viber = await make_viber(subscribers=members)
    media = viber.server.serve(PDF, "Листовка декабрь.pdf", "application/pdf")
    ref = await viber.channel.prepare_media(media)
    assert ref == f"{viber.server.url}/media/{media.sha256}"
    part = Outbound("r1p0", media=replace(media, ref=ref), caption_separate=True)
    results = [*await viber.channel.send(members[:300], part),
               *await viber.channel.send(members[300:], part)]
    assert len(results) == 600 and all(r.status is Status.SENT for r in results)
    assert all(r.media_ref is None for r in results)  # nothing uploaded: the URL is the ref
    stats = viber.stats()
    assert stats["media_fetches"] == 1 and viber.server.media_gets[media.sha256] == 1
    assert stats["broadcast_sizes"] == [300, 300]
    message = viber.emulator.chat_log(members[599])[0]
    assert (message.type, message.media) == ("file", ref)
    assert message.fields["file_name"] == "Листовка декабрь.pdf"
    assert message.fields["size"] == len(PDF)


async def test_an_image_goes_as_a_picture_and_a_large_one_as_a_file(make_viber: Make) -> None:
    viber = await make_viber()
    member = viber.subscriber()
    small = viber.server.serve(PNG, "plakat.png", "image/png")
    large = viber.server.serve(b"\xff\xd8" + b"\x01" * (1024 * 1024 + 10), "big.jpg", "image/jpeg")
    for media in (small, large):
        (result,) = await viber.channel.send([member], Outbound("p", media=media))
        assert result.status is Status.SENT
    picture, file = viber.emulator.chat_log(member)
    assert picture.type == "picture" and picture.media.endswith(small.sha256)  # type: ignore[union-attr]
    assert file.type == "file" and file.fields["file_name"] == "big.jpg"


async def test_media_our_server_cannot_serve_is_retried_with_vibers_reason(
    make_viber: Make,
) -> None:
    """Viber's badData for a file it could not download is our server's (passing) fault:
    FAILED, so the core retries with backoff instead of giving the members up."""
    viber = await make_viber()
    members = [viber.subscriber(), viber.subscriber()]
    media = viber.server.serve(PDF, "x.pdf", "application/pdf")
    del viber.server.files[media.sha256]
    results = await viber.channel.send(members, Outbound("p", media=media))
    assert [r.status for r in results] == [Status.FAILED, Status.FAILED]
    assert "failed to download media" in (results[0].error or "")
    assert viber.stats()["media_fetch_failures"] == 1
    assert viber.server.media_gets[media.sha256] == 1


async def test_a_file_never_carries_a_caption(make_viber: Make) -> None:
    viber = await make_viber()
    member = viber.subscriber()
    media = viber.server.serve(PDF, "x.pdf", "application/pdf")
    captioned = Outbound("p", text=(Span("Подпись"),), media=media)
    (result,) = await viber.channel.send([member], captioned)
    assert result.status is Status.INVALID and "caption" in (result.error or "")
    (alone,) = await viber.channel.send([member], replace(captioned, caption_separate=True))
    assert alone.status is Status.SENT
    assert viber.stats()["requests"].get("send_message") == 1  # the refused one never left
    assert viber.emulator.chat_log(member)[0].text is None


async def test_buttons_become_a_keyboard_and_presses_come_back(make_viber: Make) -> None:
    viber = await make_viber()
    member = viber.subscriber()
    rows = ((Button("Сайт", url="https://eseur.ru"), Button("Я приду", payload="rsvp:12")),
            (Button("Отписаться", payload="stop"),))
    (result,) = await viber.channel.send([member], Outbound("p", (Span("Собрание"),), buttons=rows))
    assert result.status is Status.SENT
    keyboard = viber.emulator.keyboard_shown(member)
    assert keyboard is not None
    link, rsvp, stop = keyboard["Buttons"]
    assert (link["ActionType"], link["ActionBody"], link["Columns"]) == (
        "open-url", "https://eseur.ru", 3)
    assert (rsvp["ActionType"], rsvp["ActionBody"], rsvp["Silent"]) == (
        "reply", "rupor:rsvp:12", True)
    assert stop["Columns"] == 6
    viber.emulator.press_button(member, "rupor:rsvp:12")
    await viber.emulator.drain_callbacks()
    press = viber.server.events[-1]
    assert isinstance(press, ButtonPress) and press.payload == "rsvp:12"
    assert press.sender.external_id == member


async def test_more_than_24_buttons_are_refused_before_any_request(make_viber: Make) -> None:
    viber = await make_viber()
    member = viber.subscriber()
    rows = tuple((Button(f"{i}", payload=f"p{i}"),) for i in range(25))
    (result,) = await viber.channel.send([member], Outbound("p", (Span("x"),), buttons=rows))
    assert result.status is Status.INVALID and "24" in (result.error or "")
    assert "send_message" not in viber.stats()["requests"]


async def test_a_poll_is_the_question_with_one_reply_button_per_option(make_viber: Make) -> None:
    viber = await make_viber()
    members = [viber.subscriber(), viber.subscriber()]
    poll = OutboundPoll("r3p0", 7, "Придёте на собрание?", ("Да", "Нет", "Не знаю"))
    sent = await viber.channel.send_poll(members, poll)
    assert [type(s) for s in sent] == [PollSent, PollSent]
    assert all(s.result.status is Status.SENT and s.platform_poll_id is None for s in sent)
    message = viber.emulator.chat_log(members[1])[0]
    assert message.text == "Придёте на собрание?"
    bodies = [b["ActionBody"] for b in message.reply_buttons()]
    assert bodies == ["rupor:vote:7:0", "rupor:vote:7:1", "rupor:vote:7:2"]
    viber.emulator.press_button(members[1], "rupor:vote:7:2")
    await viber.emulator.drain_callbacks()
    vote = viber.server.events[-1]
    assert isinstance(vote, ButtonPress) and vote.payload == "vote:7:2"
