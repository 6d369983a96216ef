"""Forum supergroups: a supergroup divided into topics (Bot API: Chat.is_forum).

- `make_forum(state, chat_id)`: the supergroup becomes a forum; its bots may create topics
  unless `manage_topics` is False (the bot lacks can_manage_topics: createForumTopic answers
  "Bad Request: not enough rights to create a topic").
- createForumTopic: a ForumTopic; the topic opens with a service message
  (forum_topic_created) whose message_id is the topic's message_thread_id, as on Telegram.
  "Bad Request: the chat is not a forum" elsewhere. Not counted against the send limits.
- deleteForumTopic, and `delete_topic` (a member deletes it in the app): the topic and all
  its messages go; later sends there answer 400 "Bad Request: message thread not found".
- message_thread_id on sendMessage, sendPhoto, sendDocument, copyMessage (checked by
  context.thread_of): an open topic of a forum; anything else (a deleted or unknown topic,
  a chat without topics) is "message thread not found". The sent message carries
  message_thread_id and is_topic_message.
- `topic_message`: a member writes in a topic; the message carries message_thread_id and
  is_topic_message and, when it replies to nothing else, replies to the topic's first
  message (Telegram does so: reply_to_message is the forum_topic_created message).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .context import CallContext
from .errors import MemberActionError, bad_request
from .world import Group, StoredMessage

if TYPE_CHECKING:
    from .members import Members
    from .state import EmulatorState

NOT_A_FORUM = "the chat is not a forum"
NO_RIGHTS = "not enough rights to create a topic"
BLUE = 7322096  # createForumTopic's first allowed icon color (0x6FB9F0)


def make_forum(state: EmulatorState, chat_id: int, *, manage_topics: bool = True) -> None:
    group = _group(state, chat_id)
    if group.kind != "supergroup":
        raise MemberActionError(f"chat {chat_id} is a {group.kind}: only supergroups have topics")
    group.is_forum, group.manage_topics = True, manage_topics


async def create_forum_topic(ctx: CallContext) -> dict[str, Any]:
    target = ctx.state.world.writable_chat(ctx.bot, ctx.params["chat_id"])
    group = target.group
    if group is None or not group.is_forum:
        raise bad_request(NOT_A_FORUM)
    if not group.manage_topics:
        raise bad_request(NO_RIGHTS)
    name, color = ctx.params["name"], ctx.params.get("icon_color", BLUE)
    history = ctx.state.world.history
    thread = history.next_id(ctx.bot.token, target.chat_id)
    payload = {
        "message_id": thread, "from": ctx.bot.user_json(), "chat": target.chat_json(),
        "date": ctx.state.now(), "message_thread_id": thread, "is_topic_message": True,
        "forum_topic_created": {"name": name, "icon_color": color},
    }
    history.add(StoredMessage(ctx.bot.token, target.chat_id, thread, True, payload, "service"))
    group.topics[thread] = name
    return {"message_thread_id": thread, "name": name, "icon_color": color}


async def delete_forum_topic(ctx: CallContext) -> bool:
    target = ctx.state.world.readable_chat(ctx.bot, ctx.params["chat_id"])
    group = target.group
    if group is None or not group.is_forum:
        raise bad_request(NOT_A_FORUM)
    if ctx.params["message_thread_id"] not in group.topics:
        raise bad_request("TOPIC_ID_INVALID")
    remove_topic(ctx.state, group, ctx.params["message_thread_id"])
    return True


def delete_topic(state: EmulatorState, chat_id: int, thread_id: int) -> None:
    """A member with the right deletes the topic in the app."""
    group = _group(state, chat_id)
    if thread_id not in group.topics:
        raise MemberActionError(f"chat {chat_id} has no topic {thread_id}")
    remove_topic(state, group, thread_id)


def remove_topic(state: EmulatorState, group: Group, thread_id: int) -> None:
    """The topic goes, with every message in it (the first one included)."""
    del group.topics[thread_id]
    for message in state.world.history.order:
        if message.chat_id == group.id and (
            message.message_id == thread_id
            or message.payload.get("message_thread_id") == thread_id
        ):
            message.deleted = True


def topic_message(members: Members, chat_id: int, user_id: int, thread_id: int, text: str,
                  *, reply_to_message_id: int | None = None) -> int:
    """A member writes in a topic; every bot in the group receives it. The message id."""
    state = members.state
    group, member = _group(state, chat_id), members.member(user_id)
    if user_id not in group.member_ids:
        raise MemberActionError(f"member {user_id} is not in group {chat_id}")
    if thread_id not in group.topics:
        raise MemberActionError(f"chat {chat_id} has no topic {thread_id}")
    bots = [b for b in state.world.bots.values() if chat_id in b.groups]
    reply_to = reply_to_message_id if reply_to_message_id is not None else thread_id
    if reply_to_message_id is not None and not any(
        state.world.history.get(b.token, chat_id, reply_to) for b in bots
    ):
        raise MemberActionError(f"message {reply_to} is not in chat {chat_id}")
    message_id = state.world.history.next_id("", chat_id)
    extra = {"message_thread_id": thread_id, "is_topic_message": True}
    for bot in bots:
        members._incoming(bot, member, group.chat_json(), text, reply_to, message_id,
                          extra=extra)
    return message_id


def _group(state: EmulatorState, chat_id: int) -> Group:
    group = state.world.groups.get(chat_id)
    if group is None:
        raise MemberActionError(f"no group {chat_id} is registered")
    return group
