"""Hypothesis against the outbound path of each adapter, the sandbox emulators checking what
arrives as the platforms do (Telegram parses our HTML and refuses bad markup or a text over
4096 UTF-16 units; VK refuses over 9000 characters; Viber over 7000).

A press secretary's text full of HTML and Markdown specials, emoji and Russian is either
refused by the content check at /post time with a Russian reason (core.campaigns.content),
or every message part it becomes is accepted by the platform and the member sees the whole
text — nothing unescaped, nothing cut. Polls: options of any count, length, duplicates and
emoji are created or refused with a Russian reason; a created one reaches Telegram whole.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bots.telegram import TelegramChannel
from core.campaigns.content import Content, ContentError, check, parts, render_plain
from core.polls.spec import NewPoll, PollError
from core.polls.spec import check as check_poll
from core.ports import OutboundPoll, Status
from tests.fuzzing import EMOJI, SPECIALS, fuzz, hostile_text, huge_text
from tests.integration.test_telegram_support import TgRig, start_rig
from tests.integration.test_viber_support import (  # noqa: F401 - the fixture is used by name
    Make,
    Setup,
    make_viber_fixture,
)
from tests.integration.test_vk_rig import (
    RigFactory,
    VkRig,
    make_rig,  # noqa: F401 - the fixture is used by name
)

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
RUNS = itertools.count(1)  # a run id per example: VK drops a repeated random_id

markup = st.one_of(
    hostile_text(40),
    st.lists(st.sampled_from(["**", "__", "[", "](", "https://example.org/?a=1&b=<2>", ")",
                              "жирный", "<b>", "&amp;", " ", "\n"] + EMOJI + SPECIALS),
             max_size=30).map("".join),
    huge_text(),
    st.builds(lambda piece, n: piece * n, st.sampled_from(["😀", "я", "<>&", "**ж** "]),
              st.sampled_from([1023, 1024, 1025, 2048, 2049, 4095, 4096, 4097, 7000, 9001])),
)


def visible(text: str, text_format: str) -> str:
    """What a member sees of the press secretary's text, blanks trimmed as the platforms
    trim them: Telegram shows a link as its label (an entity), the others add the address."""
    spans = Content(text).spans
    if text_format == "html":
        return "".join(span.text for span in spans).strip()
    return render_plain(spans).strip()


@pytest.fixture
async def telegram() -> AsyncIterator[tuple[TgRig, TelegramChannel, int]]:
    rig = await start_rig(bot_ceiling=100_000, per_chat_per_s=100_000)
    channel = rig.channel()
    member = rig.member(first_name="Анна")
    yield rig, channel, member
    await rig.close()


def refused(text: str, channel: str, caps: object) -> bool:
    """The /post content check: True when it refused (with a Russian reason)."""
    try:
        check(Content(text), channel, caps)  # type: ignore[arg-type]
    except ContentError as reason:
        assert CYRILLIC.search(str(reason)), reason
        return True
    return False


@fuzz(60)
@given(text=markup)
@example(text="😀" * 2049)  # 4098 UTF-16 units: over Telegram's limit though 2049 characters
@example(text="**<b>**__&lt;__[x](https://a.b/?q=<1>&r=\"2\")")
async def test_telegram_sends_any_text_whole_or_it_is_refused_at_post_time(
    telegram: tuple[TgRig, TelegramChannel, int], text: str
) -> None:
    rig, channel, member = telegram
    if refused(text, "telegram", channel.capabilities):
        return
    before = len(rig.log(member))
    for part in parts(Content(text), next(RUNS), channel.capabilities):
        (result,) = await channel.send([str(member)], part)
        assert result.status is Status.SENT, (result.error, text[:200])
    shown = "".join(message.get("text", "") for message in rig.log(member)[before:])
    assert shown.strip() == visible(text, "html")


@pytest.fixture
async def vk(make_rig: RigFactory) -> VkRig:  # noqa: F811 - the imported fixture, by name
    rig = await make_rig(group_rps=100_000)
    rig.channel()
    rig.members(7001)
    return rig


@fuzz(40)
@given(text=markup)
async def test_vk_sends_any_text_whole_or_it_is_refused_at_post_time(vk: VkRig, text: str
                                                                    ) -> None:
    channel = vk.channels[0]
    if refused(text, "vk", channel.capabilities):
        return
    before = len(vk.emulator.dialog(7001))
    for part in parts(Content(text), next(RUNS), channel.capabilities):
        (result,) = await channel.send(["7001"], part)
        assert result.status is Status.SENT, (result.error, text[:200])
    shown = "".join(m.text for m in vk.emulator.dialog(7001)[before:])
    assert shown.strip() == visible(text, "plain")


@pytest.fixture
async def viber(make_viber: Make) -> tuple[Setup, str]:  # noqa: F811 - the fixture, by name
    setup = await make_viber()
    return setup, setup.subscriber()


@fuzz(40)
@given(text=markup)
async def test_viber_sends_any_text_whole_or_it_is_refused_at_post_time(
    viber: tuple[Setup, str], text: str
) -> None:
    setup, member = viber
    if refused(text, "viber", setup.channel.capabilities):
        return
    before = len(setup.emulator.chat_log(member))
    for part in parts(Content(text), next(RUNS), setup.channel.capabilities):
        (result,) = await setup.channel.send([member], part)
        assert result.status is Status.SENT, (result.error, text[:200])
    shown = "".join(m.text or "" for m in setup.emulator.chat_log(member)[before:])
    assert shown.strip() == visible(text, "plain")


options = st.lists(st.one_of(hostile_text(6), st.sampled_from(EMOJI), st.just("Да"),
                             st.just("да "), huge_text().map(lambda s: s[:101]),
                             st.text(max_size=120)), max_size=13)


@fuzz(60)
@given(question=st.one_of(hostile_text(20), st.text(max_size=310)), choices=options)
@example(question="Как вам?", choices=["Да", " да"])
@example(question="😀" * 300, choices=["😀" * 100, "👨\u200d👩\u200d👧" * 20])
async def test_a_poll_is_created_and_reaches_telegram_whole_or_is_refused(
    telegram: tuple[TgRig, TelegramChannel, int], question: str, choices: list[str]
) -> None:
    rig, channel, member = telegram
    new = NewPoll(question, tuple(choices), closes_at=NOW + timedelta(days=2))
    try:
        check_poll(new, NOW)
    except PollError as reason:
        assert CYRILLIC.search(str(reason)), reason
        return
    poll = OutboundPoll("r1p0", 1, question.strip(), tuple(c.strip() for c in choices))
    (sent,) = await channel.send_poll([str(member)], poll)
    assert sent.result.status is Status.SENT, (sent.result.error, question, choices)
    shown = rig.log(member)[-1]["poll"]
    assert shown["question"] == poll.question
    assert [o["text"] for o in shown["options"]] == list(poll.options)
