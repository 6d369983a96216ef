"""Editing a sent message (capabilities.edits_messages) against the emulators, through the
real SDKs: Telegram editMessageText on the pressed message, VK messages.edit by the
conversation_message_id a callback press carries; the keyboard is gone afterwards."""

from __future__ import annotations

from bots.telegram import TelegramChannel
from core.ports import Button, ButtonPress, MessageEdit, Outbound, Span, Status
from tests.integration.test_telegram_support import TOKEN, TgRig, rig
from tests.integration.test_telegram_support import Inbox as TgInbox
from tests.integration.test_vk_rig import Inbox as VkInbox
from tests.integration.test_vk_rig import RigFactory, VkRig, make_rig, wait_for

__all__ = ["make_rig", "rig"]  # fixtures used by name

QUESTION = "Согласие на обработку <персональных> данных?"
CHOICE = "✅ Вы согласились на обработку персональных данных."
CONSENT = ((Button("Согласен(на)", payload="consent:yes"),),
           (Button("Не согласен(на)", payload="consent:no"),))


def asked(key: str = "reply1") -> Outbound:
    return Outbound(key=key, text=(Span(QUESTION),), buttons=CONSENT)


def answered(message_id: str) -> MessageEdit:
    return MessageEdit(message_id, (Span(f"{QUESTION}\n\n{CHOICE}"),))


async def test_telegram_edits_the_pressed_message_and_drops_its_keyboard(rig: TgRig) -> None:
    member = rig.member()
    channel = rig.channel()
    assert channel.capabilities.edits_messages
    [sent] = await channel.send([str(member)], asked())
    press = await pressed(rig, channel, member, int(sent.platform_message_id or 0))
    assert press.message_id == sent.platform_message_id

    result = await channel.edit(str(member), answered(press.message_id or ""))
    assert result.status is Status.SENT
    [shown] = rig.log(member)
    assert shown["text"] == f"{QUESTION}\n\n{CHOICE}" and "edit_date" in shown
    assert "reply_markup" not in shown  # the buttons are gone
    # A repeated edit (a reply re-sent after a crash) is already there: still SENT.
    again = await channel.edit(str(member), answered(press.message_id or ""))
    assert again.status is Status.SENT
    missing = await channel.edit(str(member), answered("999"))
    assert missing.status is Status.INVALID and "not found" in (missing.error or "")
    assert rig.stats()["validation_errors"] == 0


async def pressed(rig: TgRig, channel: TelegramChannel, member: int, message_id: int
                  ) -> ButtonPress:
    """The member presses "Согласен(на)"; the update the adapter polls becomes a ButtonPress."""
    inbox = TgInbox()
    await channel.start(inbox)
    rig.emulator.press_button(TOKEN, member, message_id, "consent:yes")
    await wait_for(lambda: bool(inbox.of(ButtonPress)))
    (press,) = inbox.of(ButtonPress)
    return press  # type: ignore[no-any-return]


async def test_vk_edits_the_message_of_a_callback_press_and_drops_its_keyboard(
    make_rig: RigFactory,
) -> None:
    vk: VkRig = await make_rig()
    emulator, inbox = vk.emulator, VkInbox()
    (member,) = vk.members(12)
    channel = vk.channel()
    assert channel.capabilities.edits_messages
    await channel.start(inbox)
    await channel.send([member], asked())
    emulator.press_callback_button(12, label="Согласен(на)")
    await wait_for(lambda: bool(inbox.of(ButtonPress)))
    (press,) = inbox.of(ButtonPress)
    (message,) = emulator.dialog(12)
    assert press.message_id == f"c{message.conversation_message_id}"

    result = await channel.edit(member, answered(press.message_id))
    assert result.status is Status.SENT
    (shown,) = emulator.dialog(12)
    assert shown.text == f"{QUESTION}\n\n{CHOICE}"
    assert not [b for row in (shown.keyboard or {}).get("buttons", []) for b in row]
    by_id = await channel.edit(member, answered(str(message.message_id)))
    assert by_id.status is Status.SENT
    missing = await channel.edit(member, answered("c999"))
    assert missing.status is Status.INVALID
