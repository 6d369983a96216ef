"""Emulated VK API 5.199 for one community, as vk_api 11.10.1 speaks it.

    emulator = VkEmulator(VkKnobs(seed=1))
    api_base = await emulator.start()            # "http://127.0.0.1:PORT"
    vk = vk_api.VkApi(token=emulator.knobs.group_token,
                      session=requests_session(api_base), api_version="5.199")
    ...
    await emulator.close()

Served under the base URL: /method/{name} (form POST or GET query), the upload server
(/upload/...), Bots Long Poll (/lp/{group_id}), uploaded files (/files/...) and
GET /__sandbox/stats. Tokens: knobs.group_token (the community) and knobs.admin_user_token
(its admin, for wall.post and polls.create); `add_token` adds more.

Checks, in order, each answered in VK's error shape {"error": {error_code, error_msg,
request_params}}: 3 unknown method; 5 bad token; 6 more than 20 calls (community token) or
3 (user token) in any 1 s window per token - a call inside the window an error 6 announced
(the remainder of the sliding window: VK states no retry time) counts as a violation; 27
group token on a user-only method (15 the other way round); 8 a version other than 5.199;
100 parameters against specs/vk/<section>/methods.json - unknown parameters are refused
(stricter than VK), and only `v`, `access_token` and `lang` are allowed everywhere
(`test_mode` is not); 914 message over 9000 characters; 911 bad keyboard. Then faults from
the knobs (9 flood on sending methods, 6, 10 or HTTP 502, a timeout that takes effect and
hangs the answer).

messages.send requires random_id and drops a repeat in the same dialog within an hour
(the last 100 sends), answering the original message id - also after a hung answer.
With peer_ids it answers [{peer_id, message_id, conversation_message_id}] and, for a
refused peer, [{peer_id, error: {code, description}}] (901 not allowed, 902 privacy,
900 blacklisted, 18 deleted); with peer_id such a refusal is the call's error.

Member actions (call them on the emulator's event loop):
    register_user(user_id, first_name, last_name, *, allowed=False) -> Member
    allow_messages(user_id, key="")          message_allow {user_id, key}
    deny_messages(user_id)                   message_deny {user_id}
    write(user_id, text, *, ref=None, ref_source=None, payload=None)   message_new
    send_document(user_id, filename, content, text="")   message_new with a doc attachment
    send_photo(user_id, content, text="")    message_new with a photo attachment
                                             (their url/sizes[].url download the bytes)
    press_text_button(user_id, label)        message_new with the button's payload
    press_callback_button(user_id, *, label=None, payload=None, message_id=None) -> event_id
                                             message_event (answer: sendMessageEventAnswer)
    read(user_id, up_to_message_id=None)     message_read
    vote(user_id, poll_id, answer_ids)       poll_vote_new (public polls)
    set_privacy(user_id, closed=True); delete_user(user_id); blacklist(user_id, on=True)
Inspection: dialog(peer_id) -> [BotMessage] (the community's messages, in order, with
attachments and keyboards), conversation(peer_id), event_answers(), stats(),
add_bot_message_listener(cb) - cb(BotMessage) for each message accepted for a member.
Events reach Bots Long Poll and every Callback API server (set_callback(url, confirmation=,
secret=) or groups.addCallbackServer + groups.setCallbackSettings).
Event objects follow specs/vk/callback/objects.json, except that message_event carries
the button payload decoded (an object), as VK really sends it. Long Poll is on for the six
event types unless knobs.lp_preconfigured is False (then groups.setLongPollSettings).
force_longpoll_failure(code) makes the next a_check answer {"failed": code}.
The same member actions are served over HTTP under /__sandbox/users (see control.py).
set_faults(...) changes fault knobs while running.

[U] marks behaviour VK does not document; see PLATFORMS.md.
"""

from sandbox.vk.emulator import VkEmulator
from sandbox.vk.knobs import VkKnobs
from sandbox.vk.model import BotMessage, Member, MemberMessage
from sandbox.vk.session import RerouteAdapter, requests_session

__all__ = [
    "BotMessage",
    "Member",
    "MemberMessage",
    "RerouteAdapter",
    "VkEmulator",
    "VkKnobs",
    "requests_session",
]
