"""Real-looking platform updates the fuzz tests start from (mutated by tests.fuzzing):
Telegram Bot API updates, VK Callback API objects, Viber callbacks, in the shapes the
adapters read (PLATFORMS.md)."""

from __future__ import annotations

from typing import Any

USER = {"id": 5550001, "is_bot": False, "first_name": "Анна", "last_name": "Петрова"}
CHAT = {"id": 5550001, "type": "private", "first_name": "Анна"}
GROUP = {"id": -1005550002, "type": "supergroup", "title": "Штаб"}
TG_MESSAGE = {"message_id": 7, "date": 1767000000, "chat": CHAT, "from": USER,
              "text": "/post пятница", "entities": [{"type": "bot_command", "offset": 0,
                                                     "length": 5}]}
TG_UPDATES: list[dict[str, Any]] = [
    {"update_id": 1, "message": TG_MESSAGE},
    {"update_id": 2, "message": {**TG_MESSAGE, "text": "Когда собрание?", "entities": []}},
    {"update_id": 3, "message": {**TG_MESSAGE, "chat": GROUP, "text": "/reply 5 Спасибо",
                                 "reply_to_message": {**TG_MESSAGE, "message_id": 3}}},
    {"update_id": 4, "message": {**TG_MESSAGE, "caption": "листок", "text": None,
                                 "document": {"file_id": "F1", "file_unique_id": "U1",
                                              "file_name": "листок.pdf", "file_size": 10}}},
    {"update_id": 5, "callback_query": {"id": "cb1", "from": USER, "chat_instance": "1",
                                        "data": "rupor:post:send",
                                        "message": {**TG_MESSAGE, "text": "?"}}},
    {"update_id": 6, "my_chat_member": {
        "chat": CHAT, "from": USER, "date": 1767000000,
        "old_chat_member": {"status": "member", "user": USER},
        "new_chat_member": {"status": "kicked", "user": USER, "until_date": 0}}},
    {"update_id": 7, "poll_answer": {"poll_id": "p1", "user": USER, "option_ids": [0, 1]}},
    {"update_id": 8, "edited_message": {**TG_MESSAGE, "edit_date": 1767000001}},
]
VK_MESSAGE = {"id": 77, "from_id": 10, "peer_id": 10, "date": 1767000000, "text": "/post",
              "payload": '{"rupor": "post:send"}', "ref": "p4f2", "fwd_messages": [],
              "attachments": [{"type": "doc", "doc": {"id": 1, "owner_id": 10,
                                                      "title": "листок.pdf",
                                                      "url": "http://127.0.0.1:9/x"}}],
              "reply_message": {"id": 70, "text": "?"}}
VK_OBJECTS: list[tuple[str, dict[str, Any]]] = [
    ("message_new", {"message": VK_MESSAGE,
                     "client_info": {"button_actions": ["text", "callback"]}}),
    ("message_new", {"message": {**VK_MESSAGE, "peer_id": 2000000001,
                                 "text": "[club1|@b] /reply 2 да"}}),
    ("message_allow", {"user_id": 10, "key": "p4f2"}),
    ("message_deny", {"user_id": 10}),
    ("message_event", {"user_id": 10, "peer_id": 10, "event_id": "ev1",
                       "payload": {"rupor": "poll:1:0"}, "conversation_message_id": 3}),
    ("message_read", {"from_id": 10, "peer_id": 10, "read_message_id": 77}),
    ("poll_vote_new", {"owner_id": -1, "poll_id": 1, "option_id": 2, "user_id": 10}),
    ("wall_post_new", {"id": 1, "text": "новость"}),
]
VIBER_SENDER = {"id": "01234567890A=", "name": "Анна", "language": "ru", "country": "RU",
                "api_version": 10}
VIBER_EVENTS: list[dict[str, Any]] = [
    {"event": "message", "timestamp": 1, "message_token": 11, "sender": VIBER_SENDER,
     "message": {"type": "text", "text": "/post", "tracking_data": "poll:1"}},
    {"event": "message", "timestamp": 1, "message_token": 12, "sender": VIBER_SENDER,
     "message": {"type": "file", "media": "http://127.0.0.1:9/f", "file_name": "a.pdf",
                 "size": 10}},
    {"event": "message", "timestamp": 1, "message_token": 13, "sender": VIBER_SENDER,
     "message": {"type": "picture", "media": "http://127.0.0.1:9/p.jpg", "text": "фото"}},
    {"event": "subscribed", "timestamp": 1, "message_token": 14, "user": VIBER_SENDER},
    {"event": "unsubscribed", "timestamp": 1, "message_token": 15, "user_id": "01234567890A="},
    {"event": "conversation_started", "timestamp": 1, "message_token": 16, "type": "open",
     "context": "p4f2", "user": VIBER_SENDER, "subscribed": False},
    {"event": "delivered", "timestamp": 1, "message_token": 17, "user_id": "01234567890A="},
    {"event": "seen", "timestamp": 1, "message_token": 18, "user_id": "01234567890A="},
    {"event": "failed", "timestamp": 1, "message_token": 19, "user_id": "01234567890A=",
     "desc": "failure"},
    {"event": "client_status", "timestamp": 1, "message_token": 20},
]
