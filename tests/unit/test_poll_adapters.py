"""The adapters' poll edges (issue 15, item 2): a Telegram vote cast as a chat, the VK
fallback to text buttons, Viber's tracking_data."""

from __future__ import annotations

from aiogram.types import Update

from bots.telegram.inbound import translate
from core.ports import PollAnswer


def _answer(**who: object) -> Update:
    return Update.model_validate({"update_id": 7, "poll_answer": {
        "poll_id": "p1", "option_ids": [1], "option_persistent_ids": ["b"], **who}})


def test_a_telegram_vote_cast_as_a_chat_is_ignored() -> None:
    # Bot API PollAnswer: voter_chat "the chat that changed the answer, if the voter is
    # anonymous" — Rupor's polls go to private chats, so such a vote is not one of ours.
    update = _answer(voter_chat={"id": -100123, "type": "channel", "title": "Канал"},
                     user={"id": 136817688, "is_bot": True, "first_name": "Channel"})
    assert translate(update) is None
    assert translate(_answer(voter_chat={"id": -100123, "type": "channel"})) is None


def test_a_member_vote_is_a_poll_answer() -> None:
    found = translate(_answer(user={"id": 42, "is_bot": False, "first_name": "Мария"}))
    assert isinstance(found, PollAnswer) and found.option_ids == (1,)


def test_a_viber_poll_carries_tracking_data_and_a_typed_number_votes() -> None:
    from bots.viber.inbound import _plain_text
    from bots.viber.outbound import message_body, poll_part
    from core.ports import ButtonPress, OutboundPoll

    body = message_body(poll_part(OutboundPoll("k", 7, "Когда?", ("10-го", "17-го"))), None)
    assert body["tracking_data"] == "rupor:poll:7:2"
    callback = {"event": "message", "timestamp": 1, "message_token": 5,
                "sender": {"id": "u1", "name": "Мария"},
                "message": {"type": "text", "text": "2", "tracking_data": "rupor:poll:7:2"}}
    found = _plain_text(callback)
    assert isinstance(found, ButtonPress) and found.payload == "vote:7:1"
    callback["message"] = {"type": "text", "text": "5", "tracking_data": "rupor:poll:7:2"}
    assert not isinstance(_plain_text(callback), ButtonPress)  # no option 5: a message
