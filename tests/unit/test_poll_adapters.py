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
