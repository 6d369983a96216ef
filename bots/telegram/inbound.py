"""Telegram updates translated into Rupor's inbound events; no raw update goes further.

One update gives at most one event, whose event_id is str(update_id): a redelivered update
(a webhook retry, an unconfirmed getUpdates offset) carries the same id, so the core drops it.
"""

from __future__ import annotations

from dataclasses import replace

from aiogram.types import CallbackQuery, Chat, ChatMemberUpdated, Message, Update, User
from aiogram.types import PollAnswer as TgPollAnswer

from bots.attachments import combined
from core.ports import (
    ButtonPress,
    Command,
    InboundEvent,
    PollAnswer,
    Sender,
    Subscribed,
    Text,
    Unsubscribed,
)

from .attachments import attachment_of

CHANNEL = "telegram"
# What the bot asks Telegram for (getUpdates / setWebhook allowed_updates).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "poll_answer",
                   "my_chat_member"]
_GROUPS = ("group", "supergroup")
_GONE = ("kicked", "left")


def full_name(user: User | None) -> str:
    if user is None:
        return ""
    return " ".join(part for part in (user.first_name, user.last_name) if part)


def chat_sender(chat: Chat, user: User | None) -> Sender:
    """The contact is the chat: a member's private chat, or a group as a whole."""
    if chat.type in _GROUPS:
        return Sender(CHANNEL, str(chat.id), chat.title or "", is_group=True)
    return Sender(CHANNEL, str(chat.id), full_name(user))


def translate(update: Update, bot_username: str | None = None) -> InboundEvent | None:
    """The event an update means, or None for updates Rupor does not act on."""
    event_id = str(update.update_id)
    if update.message is not None:
        return _message(event_id, update.message, bot_username)
    if update.edited_message is not None:
        return _edited(event_id, update.edited_message, bot_username)
    if update.callback_query is not None:
        return _button(event_id, update.callback_query)
    if update.poll_answer is not None:
        return _vote(event_id, update.poll_answer)
    if update.my_chat_member is not None:
        return _membership(event_id, update.my_chat_member)
    return None


def _message(event_id: str, message: Message, bot_username: str | None) -> InboundEvent | None:
    text = message.text if message.text is not None else message.caption
    user, on_behalf = message.from_user, _sender_chat(message)
    # An anonymous group admin writes as GroupAnonymousBot with sender_chat set: kept, so
    # its command can be refused (core.access), never obeyed.
    if user is None or (user.is_bot and on_behalf is None):
        return None
    sender = chat_sender(message.chat, user)
    forwarded = message.forward_origin is not None
    if text is not None and text.startswith("/") and text[1:2].strip():  # a lone "/" is text
        found = command_or_start(event_id, sender, text, bot_username)
        if isinstance(found, Command) and sender.is_group:
            found = replace(found, author_id=str(user.id), thread=topic_of(message))
        if isinstance(found, Command) and (forwarded or on_behalf):
            return replace(found, forwarded=forwarded, sender_chat=on_behalf)
        return found
    found_file = attachment_of(message) if message.text is None else None
    if text is None and found_file is None:
        return None  # a service message (a member joined, a title changed)
    said, ref = combined(text, [found_file] if found_file is not None else [])
    thread = topic_of(message)
    return Text(
        event_id, sender, said,
        reply_to=_replied(message, thread), thread=thread,
        author_id=str(user.id) if sender.is_group else None,
        attachment=ref, caption=text if ref else None,
        file_name=message.document.file_name if message.document else None,
        forwarded=forwarded, sender_chat=on_behalf,
        message_id=str(message.message_id) if sender.is_group else None,
        media_group=message.media_group_id,
    )


def _edited(event_id: str, message: Message, bot_username: str | None) -> Text | None:
    """A text or caption changed: the new version, naming the message (an edited command
    is not obeyed a second time)."""
    found = _message(event_id, message, bot_username)
    if not isinstance(found, Text):
        return None
    return replace(found, edited=True, message_id=str(message.message_id))


def topic_of(message: Message) -> str | None:
    """The forum topic a group message was written in (Bot API: is_topic_message with its
    message_thread_id; without is_topic_message the id is a reply thread's, not a topic)."""
    if message.is_topic_message and message.message_thread_id is not None:
        return str(message.message_thread_id)
    return None


def _replied(message: Message, thread: str | None) -> str | None:
    """The message replied to. A topic message replying to nobody still carries the topic's
    first message (its forum_topic_created, whose id is the thread's): not a reply."""
    reply = message.reply_to_message
    if reply is None or (thread is not None and str(reply.message_id) == thread):
        return None
    return str(reply.message_id)


def _sender_chat(message: Message) -> str | None:
    """The chat a message was sent on behalf of (Bot API Message.sender_chat), if any."""
    return str(message.sender_chat.id) if message.sender_chat is not None else None


def command_or_start(event_id: str, sender: Sender, text: str, bot_username: str | None
             ) -> InboundEvent | None:
    head, _, args = text.partition(" ")
    name, _, addressee = head[1:].partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None  # "/cmd@other_bot" in a group is for another bot
    name, args = name.lower(), args.strip()
    if name == "start" and not sender.is_group:
        # Deep link t.me/<bot>?start=<payload> arrives as "/start <payload>".
        return Subscribed(event_id, sender, invite=args or None)
    return Command(event_id, sender, name, args)


def _button(event_id: str, query: CallbackQuery) -> ButtonPress | None:
    if query.data is None:
        return None
    message = query.message
    if message is not None:
        sender = chat_sender(message.chat, query.from_user)
        message_id: str | None = str(message.message_id)
    else:  # a button under an inline-mode message: no chat, only the member
        member = query.from_user
        sender, message_id = Sender(CHANNEL, str(member.id), full_name(member)), None
    return ButtonPress(event_id, sender, query.data, message_id=message_id, callback_id=query.id,
                       presser_id=str(query.from_user.id))


def _vote(event_id: str, answer: TgPollAnswer) -> PollAnswer | None:
    # A vote cast as a chat (an anonymous group admin, a channel) carries voter_chat, and
    # `user` then is only a placeholder bot (Bot API PollAnswer): not a member's vote —
    # Rupor's polls go to members' private chats — so it is dropped without a reply.
    if answer.user is None or answer.voter_chat is not None:
        return None
    sender = Sender(CHANNEL, str(answer.user.id), full_name(answer.user))
    return PollAnswer(event_id, sender, answer.poll_id, tuple(answer.option_ids))


def _membership(event_id: str, change: ChatMemberUpdated) -> Unsubscribed | None:
    """Blocking the bot (private chat: kicked) or removing it from a group; a return to
    "member" gives nothing, as the member will /start again."""
    status = change.new_chat_member.status
    private = change.chat.type not in _GROUPS
    if (private and status == "kicked") or (not private and status in _GONE):
        return Unsubscribed(event_id, chat_sender(change.chat, change.from_user), reason="blocked")
    return None


def callback_id(update: Update) -> str | None:
    """The callback query to answer once the press is handled (stops the client's spinner)."""
    return update.callback_query.id if update.callback_query is not None else None
