"""ViberChannel: the Channel port over the Viber REST Bot API, webhook only.

Sends go through our own async client (client.py): one recipient -> send_message, more ->
broadcast_message (up to 300). Viber has no polling: start() registers the webhook.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bots.transport import ChannelDeps, StartCause, StartFailure, WebhookAnswer
from core.config import Settings
from core.ports import (
    Capabilities,
    ChannelError,
    DeliveryResult,
    EventHandler,
    MediaFile,
    Outbound,
    OutboundPoll,
    PollSent,
    Status,
)

from . import statuses
from .capabilities import CAPABILITIES
from .client import HttpFailure, Uncertain, Unsent, ViberClient
from .inbound import Webhook
from .outbound import Unsendable, message_body, poll_part

log = logging.getLogger("rupor.viber")

WEBHOOK_PATH = "/webhooks/viber"
# The filterable events of set_webhook (developers.viber.com); "message" is always sent
# and is not a valid value there.
EVENT_TYPES = ("delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started")
FALLBACK_ERROR = "broadcast not approved: falling back to send_message"
REGROUP_WAIT_S = 1.0


class ViberChannel:
    """One Viber bot account; `capabilities` drops to one recipient per call when
    broadcast_message is not approved for it (the core re-reads it every wave)."""

    name = "viber"
    webhook_path = WEBHOOK_PATH

    def __init__(
        self, token: str, sender: Mapping[str, str], api_base: str, deps: ChannelDeps
    ) -> None:
        self.capabilities: Capabilities = CAPABILITIES
        self.deps = deps
        self._sender = dict(sender)
        self._client = ViberClient(api_base, token, deps.http_timeout_s)
        self._webhook = Webhook(token, self._sender)
        self._on_event: EventHandler | None = None

    @classmethod
    def from_settings(cls, settings: Settings, deps: ChannelDeps) -> ViberChannel:
        section = settings.viber
        if section is None:
            raise ChannelError("the settings have no [viber] section")
        sender = {"name": section.name}
        if section.avatar:
            sender["avatar"] = section.avatar
        return cls(section.token, sender, section.api_base, deps)

    @property
    def public_url(self) -> str | None:
        return self.deps.public_url.rstrip("/") if self.deps.public_url else None

    async def start(self, on_event: EventHandler) -> None:
        """Open the HTTP session and register the webhook; Viber checks the URL at once,
        so our server must already be listening. Raises StartFailure; may be called again."""
        base = self.public_url
        if base is None:
            raise ChannelError(
                "Viber works only through a webhook: set [server] public_url to the HTTPS "
                "address where Viber reaches this server"
            )
        self._on_event = on_event
        await self._client.open()
        payload = {
            "url": base + WEBHOOK_PATH,
            "event_types": list(EVENT_TYPES),
            "send_name": True,
            "send_photo": False,
        }
        try:
            answer = await self._client.call("set_webhook", payload)
        except (Unsent, Uncertain) as exc:
            raise StartFailure("network", f"set_webhook: {exc}") from None
        except HttpFailure as exc:
            raise StartFailure("setup", f"set_webhook: {exc}; check [viber] api_base") from None
        if answer["status"] != statuses.OK:
            # Viber checks the URL at once (set_webhook): any other status is the webhook's.
            cause: StartCause = "token" if answer["status"] in statuses.ACCOUNT_WIDE else "webhook"
            raise StartFailure(cause, f"{statuses.describe(answer)}; url {payload['url']}")
        log.info("viber: webhook set to %s", payload["url"])

    async def close(self) -> None:
        await self._client.close()

    async def handle_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookAnswer:
        return self._webhook.answer(headers, body)

    async def prepare_media(self, media: MediaFile) -> str | None:
        """The URL Viber downloads the file from (our server's /media/<sha256>); no upload."""
        base = self.public_url
        return f"{base}/media/{media.sha256}" if base else None

    async def send_poll(self, to: Sequence[str], poll: OutboundPoll) -> list[PollSent]:
        results = await self.send(to, poll_part(poll))
        return [PollSent(result.recipient, result) for result in results]

    async def send(self, to: Sequence[str], msg: Outbound) -> list[DeliveryResult]:
        recipients = list(dict.fromkeys(to))
        if not recipients:
            return []
        if not self._client.is_open:
            raise ChannelError("ViberChannel.start() was not called")
        try:
            message = message_body(msg, await self._media_url(msg.media))
        except Unsendable as exc:
            return [DeliveryResult(r, Status.INVALID, error=str(exc)) for r in recipients]
        if len(recipients) > self.capabilities.max_recipients_per_call:
            # Grouped before the last capabilities change: hand them back to be regrouped.
            return _wait(recipients, REGROUP_WAIT_S, FALLBACK_ERROR)
        if len(recipients) == 1:
            return await self._send_one(recipients[0], message)
        return await self._broadcast(recipients, message)

    async def _media_url(self, media: MediaFile | None) -> str | None:
        if media is None:
            return None
        # Our current public URL wins over a stored ref, which may name an older address.
        url = await self.prepare_media(media) or media.ref
        if url is None:
            raise ChannelError("Viber takes files by URL only: set [server] public_url")
        return url

    async def _send_one(self, recipient: str, message: dict[str, Any]) -> list[DeliveryResult]:
        payload = {"receiver": recipient, "sender": self._sender, **message}
        answer = await self._post("send_message", payload, [recipient])
        if isinstance(answer, list):
            return answer
        if answer["status"] == statuses.OK:
            return [statuses.sent(recipient, answer)]
        return statuses.refused([recipient], answer, with_media="media" in message)

    async def _broadcast(
        self, recipients: list[str], message: dict[str, Any]
    ) -> list[DeliveryResult]:
        payload = {"broadcast_list": recipients, "sender": self._sender, **message}
        answer = await self._post("broadcast_message", payload, recipients)
        if isinstance(answer, list):
            return answer
        if answer["status"] == statuses.OK:
            return statuses.broadcast(recipients, answer)
        if answer["status"] in statuses.BROADCAST_REFUSED:
            return self._fall_back(recipients, answer)
        return statuses.refused(recipients, answer, with_media="media" in message)

    def _fall_back(self, recipients: list[str], answer: Mapping[str, Any]) -> list[DeliveryResult]:
        """Broadcasting opens only after Viber approves it (broadcast guide): send one by
        one from now on; this batch waits and is regrouped, losing nobody and no attempt."""
        if self.capabilities.max_recipients_per_call != 1:
            log.warning("viber: broadcast_message refused (%s); sending one by one",
                        statuses.describe(answer))
            self.capabilities = dataclasses.replace(self.capabilities, max_recipients_per_call=1)
        return _wait(recipients, REGROUP_WAIT_S, FALLBACK_ERROR)

    async def _post(
        self, endpoint: str, payload: dict[str, Any], recipients: list[str]
    ) -> dict[str, Any] | list[DeliveryResult]:
        """The answer, or the results every recipient gets when no usable answer came."""
        try:
            return await self._client.call(endpoint, payload)
        except Unsent as exc:
            return [DeliveryResult(r, Status.FAILED, error=str(exc)) for r in recipients]
        except Uncertain as exc:
            return [DeliveryResult(r, Status.UNCERTAIN, error=str(exc)) for r in recipients]
        except HttpFailure as exc:
            return _http_failure(recipients, exc)


def _wait(recipients: list[str], seconds: float, error: str) -> list[DeliveryResult]:
    return [
        DeliveryResult(r, Status.RETRY_AFTER, retry_after=seconds, error=error) for r in recipients
    ]


def _http_failure(recipients: list[str], exc: HttpFailure) -> list[DeliveryResult]:
    """Viber itself answers HTTP 200 even for failures; other statuses come from its front
    (5xx: transient) or from a wrong api_base."""
    if exc.status >= 500:
        return [DeliveryResult(r, Status.FAILED, error=str(exc)) for r in recipients]
    if exc.status == 429:
        return _wait(recipients, exc.retry_after or statuses.RETRY_AFTER_S, str(exc))
    raise ChannelError(f"Viber answered {exc}; check [viber] api_base")
