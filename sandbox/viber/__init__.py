"""Emulator of the Viber REST Bot API (https://chatapi.viber.com/pa/<endpoint>).

    emulator = ViberEmulator(ViberKnobs(auth_token="...", seed=1))
    api_base = await emulator.start()          # "http://127.0.0.1:43121"; POST {api_base}/pa/...
    ...
    await emulator.close()

Endpoints: set_webhook, get_account_info, get_user_details, get_online, send_message,
broadcast_message. Auth by header X-Viber-Auth-Token; a token in the JSON body
(`auth_token`, as viberbot sends it) is accepted but counted in stats()["token_in_body"].
Failures answer HTTP 200 {"status": n, "status_message": ...}: 1 invalidUrl, 2
invalidAuthToken / missing_auth_token, 3 badData (validation; the message says what), 4
missingData, 5 receiverNotRegistered, 6 receiverNotSubscribed, 7 publicAccountBlocked,
10 webhookNotSet, 12 tooManyRequests, 13 apiVersionNotSupported, 19/20 broadcast not
allowed (knob broadcast_approved=False), 23 freeMessagesExceeded, 24 noBalance.

Limits (knobs, real defaults): 500 requests per 10 s per token (status 12; the announced
window is the rest of the sliding window, see server.py); 100 messages per user per hour
without a reply from that user (status 12 "Too many requests"; a reply resets it);
broadcast_list <= 300; body <= 30 KB; text <= 7000; get_user_details twice per user per 12 h.
Media of picture/video/file messages is fetched (GET) once per distinct URL when a message
is accepted; a URL that cannot be fetched answers status 3.

Callbacks go to the webhook signed with X-Viber-Content-Signature (hex HMAC-SHA256 of the
raw body keyed by the auth token), in order, retried after `callback_retry_delays_s`.
Names and avatars are in them only if set_webhook asked (send_name / send_photo).

Member actions (synchronous; each queues the callback Viber would post):
    add_user(user_id=None, *, name, avatar, country, language, api_version,
             personalization) -> ViberUser        a Viber user, not yet subscribed
    open_conversation(user_id, context=None)      conversation_started; the bot's answer
                                                  body may hold one welcome message
    subscribe(user_id) / unsubscribe(user_id)     subscribed / unsubscribed
    send_text(user_id, text)                      message (subscribes silently; echoes the
                                                  last bot message's tracking_data)
    press_button(user_id, action_body)            a reply button of the keyboard shown now
    report_delivered / report_seen(user_id, message_token)
    report_failed(user_id, message_token, desc)   delivered / seen / failed
    deactivate(user_id)                           the user leaves Viber (status 5 after)
    add_bot_message_listener(cb)                  cb(BotMessage) on each accepted message
Inspection: chat_log(user_id) -> [BotMessage] in order, keyboard_shown(user_id),
user(user_id) / users() -> ViberUser (subscribed, registered, ...),
stats() (also GET {api_base}/__sandbox/stats), webhook, callback_attempts,
fetched_media(); `await drain_callbacks()` waits until the webhook got every callback.
"""

from .audience import BotMessage, ViberUser
from .callbacks import SIGNATURE_HEADER, CallbackAttempt, WebhookConfig, signature
from .emulator import ViberEmulator
from .knobs import ViberKnobs
from .server import AUTH_HEADER

__all__ = [
    "AUTH_HEADER",
    "SIGNATURE_HEADER",
    "BotMessage",
    "CallbackAttempt",
    "ViberEmulator",
    "ViberKnobs",
    "ViberUser",
    "WebhookConfig",
    "signature",
]
