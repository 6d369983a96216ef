"""Telegram Bot API emulator (Bot API 10.1 spec + the 10.3 fields aiogram 3.31 sends).

Serves `{api_base}/bot{token}/{method}` (method names case-insensitive) and
`{api_base}/file/bot{token}/{file_path}` as aiogram calls them
(`AiohttpSession(api=TelegramAPIServer.from_base(api_base))`), plus GET
`{api_base}/__sandbox/stats`.

Usage::

    emulator = TelegramEmulator(TelegramKnobs())
    emulator.add_bot("123456:TEST-token")
    api_base = await emulator.start()          # port 0: a free port
    member = emulator.add_user(first_name="Анна")
    emulator.start_bot("123456:TEST-token", member, payload="invite42")
    ...
    await emulator.close()

Member actions (each queues the updates Telegram would send the bot):

- `add_user(...) -> user_id`, `add_group(title, member_ids=..., supergroup=True) -> chat_id`,
  `add_bot_to_group(token, chat_id)` (my_chat_member left -> member);
- `start_bot(token, user_id, payload=None)`: message "/start PAYLOAD" (after a block it also
  unblocks: my_chat_member kicked -> member);
- `send_text(token, user_id, text, reply_to_message_id=None)`: a private message;
- `send_document(token, user_id, filename, content, caption=None)`: a private message with a
  document (the bot can getFile and download it);
- `group_message(chat_id, user_id, text, reply_to_message_id=None)`: a group message, seen
  by every bot in the group (as with privacy mode off);
- `forward_text(token, user_id, text, origin="user", from_user=/hidden_name=/from_chat=,
  message_id=, signature=)`: a private message with `forward_origin` (MessageOriginUser,
  HiddenUser, Chat or Channel; `add_channel(title) -> chat_id` makes a channel,
  `add_bot_to_channel(token, chat_id)` makes the bot its administrator: its posts there
  carry sender_chat = the channel and no `from`, and chat_log shows them);
- `message_on_behalf(chat_id, text, as_chat=None, signature=None)`: a group message with
  `sender_chat` — the group itself (an anonymous administrator; `from` is
  @GroupAnonymousBot) or a channel `as_chat` (`from` is @Channel_Bot);
- forum supergroups (forums.py): `make_forum(chat_id, manage_topics=True)`,
  `topic_message(chat_id, user_id, thread_id, text, reply_to_message_id=None)`,
  `delete_topic(chat_id, thread_id)`, `topics(chat_id)`; createForumTopic, deleteForumTopic
  and message_thread_id on sends ("Bad Request: message thread not found" for a deleted or
  unknown topic);
- `press_button(token, user_id, message_id, callback_data, chat_id=None) -> query_id`:
  callback_query with the message and data;
- `vote(token, user_id, poll_id, option_ids)`: poll_answer (non-anonymous polls only) and a
  `poll` update with the new counts; an empty list retracts the vote;
- `block_bot` / `unblock_bot` (my_chat_member member <-> kicked; sends then answer 403
  "Forbidden: bot was blocked by the user"), `deactivate_user` (403 "Forbidden: user is
  deactivated"). Registered members who never started the bot get 403 "Forbidden: bot can't
  initiate conversation with a user"; unknown chat ids 400 "Bad Request: chat not found".

Inspection: `add_bot_message_listener(cb)` (cb(BotMessage), synchronous, on every accepted
send), `chat_log(token, chat_id)`, `inbox(user_id)`, `callback_answer(query_id)`,
`poll(poll_id)`, `commands(token)`, `pending_updates(token)`, `stats()`; `set_faults(...)`
changes fault knobs while running.

`stats()` (and GET /__sandbox/stats): requests_total/_by_method (calls with a valid token and
a known method), accepted_messages_total/_by_chat/_by_bot, rate_limited (429s answered),
rate_limit_refusals (by reason), violations (+ _by_scope "bot:<id>" / "chat:<id>:<chat>"),
max_sends_in_1s (+ _by_bot), uploads_total, upload_bytes, validation_errors (+ the
descriptions), errors_by_code, errors, faults_injected {429, 5xx, timeouts}, updates_created,
webhook {posts, failures}.

Refusals use the Bot API server's own wording (telegram-bot-api Client.cpp, TDLib's
parse_html): e.g. "Bad Request: message text is empty", "Bad Request: chat_id is empty",
"Bad Request: there is no document in the request", otherwise 'Bad Request: parameter
"<name>" is required'; "Bad Request: message is too long" / "message caption is too long"
(UTF-16 code units after entity parsing); "Bad Request: can't parse entities: Unsupported
start tag "x" at byte offset N"; "Bad Request: wrong file identifier/HTTP URL specified";
"Bad Request: poll question length must not exceed 300" (poll lengths count characters, as
TDLib does); "Bad Request: BUTTON_DATA_INVALID".

Deliberate differences from Telegram (stricter, so adapter mistakes fail here):

- unknown parameters -> 400 `Bad Request: unknown parameter "<name>"` (Telegram ignores them);
  unknown fields inside JSON objects -> 400 `Bad Request: can't parse <object>: unknown field
  "<name>"`; wrongly typed values -> 400 (`<name> must be a valid Integer`, `... must be a
  Boolean`, `chat_id must be a valid Integer or an @username`), where Telegram reads them as 0,
  false or "chat not found";
- parse_mode MarkdownV2/Markdown -> 400 (not emulated; HTML and explicit entities are);
- an inline button with several actions -> 400 (Telegram takes the first);
- methods of the spec that are not emulated -> 501 `Not Implemented: ...`; unknown
  methods -> 404 `Not Found`; unknown tokens -> 401 `Unauthorized`;
- setWebhook accepts http:// URLs on any port (receivers in tests are loopback; set
  `webhook_require_https` to refuse them) and does not probe the URL; updates are kept until
  confirmed (Telegram drops them after 24 h); HTTP URLs given as files are fetched once
  per send (Telegram caches them);
- polls do not close by themselves at open_period/close_date (stopPoll closes them);
- every registered member is known to every bot (Telegram answers "chat not found" for users
  a bot never met); bots read every group message (privacy mode off).

Limits: per bot `bot_ceiling` (30) sends in any `bot_window_s` (1 s), `paid_ceiling` (1000)
for calls with allow_paid_broadcast=True; `per_chat_per_s` (1) per chat; `per_group_per_min`
(20) per group in `group_window_s` (60 s). Only message-creating calls (send*, copyMessage)
count; edits, deletions and callback answers do not. A refusal is 429 "Too Many Requests:
retry after N" announcing a window per bot (bot ceiling) or per chat (chat and group limits);
a send inside an announced window is refused again and, when it arrives more than 50 ms
after the announcement, counted as a retry_after violation. Injected faults (p_429, p_5xx,
p_timeout) apply to sends only; latency_s to every answer.
"""

from .emulator import TelegramEmulator
from .errors import MemberActionError
from .knobs import TelegramKnobs
from .state import BotMessage

__all__ = ["BotMessage", "MemberActionError", "TelegramEmulator", "TelegramKnobs"]
