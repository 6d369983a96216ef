"""Vote updates as each platform posts them to a webhook, for bench.loadgen: a Telegram
poll_answer, a VK Callback API message_event (a callback button) and a Viber message that a
reply button sends (its ActionBody as text). Member `user_id` votes for option
`user_id % options` of poll `poll_id`; Telegram's poll id is "tp<user_id>" (bench.votes
writes poll_messages so)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SIGNATURE_HEADER = "X-Viber-Content-Signature"


def telegram_vote(n: int, user_id: int, option: int) -> dict[str, Any]:
    person = {"id": user_id, "is_bot": False, "first_name": "Участник"}
    return {"update_id": 700_000_000 + n,
            "poll_answer": {"poll_id": f"tp{user_id}", "user": person, "option_ids": [option],
                            "option_persistent_ids": [str(option)]}}


def vk_vote(n: int, user_id: int, poll_id: int, option: int, spec: dict[str, Any]
            ) -> dict[str, Any]:
    event_id = f"{n:014x}"
    return {
        "type": "message_event", "event_id": f"bench{n:035d}", "v": "5.199",
        "group_id": int(spec["group_id"]), "secret": spec["secret"],
        "object": {"user_id": user_id, "peer_id": user_id, "event_id": event_id,
                   "payload": {"rupor": f"vote:{poll_id}:{option}"},
                   "conversation_message_id": 3},
    }


def viber_vote(n: int, user_id: str, poll_id: int, option: int) -> dict[str, Any]:
    from sandbox.viber.audience import ViberUser
    from sandbox.viber.callbacks import WebhookConfig
    from sandbox.viber.events import text_message

    user = ViberUser(id=user_id, name="Участник")
    return text_message(user, WebhookConfig(send_name=True), f"rupor:vote:{poll_id}:{option}",
                        int(time.time() * 1000), 6_000_000_000_000_000_000 + n)


def vote_request(spec: dict[str, Any], n: int, member: int) -> tuple[bytes, dict[str, str]]:
    """The body and headers of vote `n` by `member`, authenticated as the platform does."""
    option, poll_id = member % int(spec["options"]), int(spec["poll_id"])
    headers = {"Content-Type": "application/json"}
    kind = spec["kind"]
    if kind == "telegram_vote":
        body = json.dumps(telegram_vote(n, member, option)).encode()
        headers[SECRET_HEADER] = spec["secret"]
    elif kind == "vk_vote":
        body = json.dumps(vk_vote(n, member, poll_id, option, spec)).encode()
    else:
        body = json.dumps(viber_vote(n, str(member), poll_id, option)).encode()
        headers[SIGNATURE_HEADER] = hmac.new(spec["secret"].encode(), body,
                                             hashlib.sha256).hexdigest()
    return body, headers
