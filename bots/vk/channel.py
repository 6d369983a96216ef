"""VkChannel: the Channel port on VK API 5.199 through vk_api, for one community."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from bots import texts
from bots.transport import ChannelDeps, WebhookAnswer
from bots.vk import files, setup
from bots.vk.api import VkApiPool
from bots.vk.callback import FORBIDDEN, CallbackCheck, confirmation_answer, receive
from bots.vk.clients import ButtonSupport, text_keyboard
from bots.vk.errors import Verdict, failure_verdict
from bots.vk.inbound import CHANNEL, ButtonEvent
from bots.vk.longpoll import LongPoller
from bots.vk.media import MediaRefs, UploadRefused
from bots.vk.outgoing import (
    KeyboardError,
    edit_values,
    keyboard,
    peer_ids,
    poll_buttons,
    poll_text,
    random_id,
    results_of,
)
from bots.vk.wall import WallPoster
from core.campaigns.content import render_plain
from core.config import Settings, SettingsError, VkSettings
from core.ports import (
    Button,
    Capabilities,
    DeliveryResult,
    EventHandler,
    MediaFile,
    MessageEdit,
    Outbound,
    OutboundPoll,
    PollSent,
    Span,
    Status,
)

log = logging.getLogger("rupor.vk")

WEBHOOK_PATH = "/webhooks/vk"
Peers = list[tuple[str, int]]
MIB = 1024 * 1024


def vk_capabilities(settings: Settings) -> Capabilities:
    """VK for a community token (PLATFORMS.md); a message carries a file and text together."""
    return Capabilities(
        max_recipients_per_call=100, calls_per_second=20, per_chat_interval_s=0,
        per_group_interval_s=0, native_polls=False, delivery_receipts=False,
        read_receipts=True, group_chats=True, max_text_len=9000, max_caption_len=9000,
        media_by_url_only=False, text_format="plain", idempotent_sends=True,
        # Documents up to 200 MB (dev.vk.com, docs.getMessagesUploadServer; the sandbox's
        # max_upload_bytes); message photos up to 50 MB (dev.vk.com, photos upload) [U]:
        # neither is in PLATFORMS.md or the schema.
        max_file_bytes=200 * MIB, max_image_bytes=50 * MIB,
        edits_messages=True,  # messages.edit on the community's own messages
    )


class VkChannel:
    """Sends with messages.send(peer_ids), receives by Bots Long Poll or the Callback API."""

    name = CHANNEL
    webhook_path = WEBHOOK_PATH

    def __init__(
        self, settings: VkSettings, deps: ChannelDeps, capabilities: Capabilities,
        *, instances: int = 8,
    ) -> None:
        if settings.mode == "callback" and not settings.secret:
            raise SettingsError("[vk] secret is required when mode = \"callback\"")
        self.settings, self.deps, self.capabilities = settings, deps, capabilities
        self.api = VkApiPool(
            settings.token, settings.api_base, read_timeout_s=deps.http_timeout_s,
            instances=instances, calls_per_second=capabilities.calls_per_second,
        )
        self.media = MediaRefs(self.api)
        # The community wall for /post, only with a community admin's user token (bots.vk.wall).
        token = settings.admin_user_token
        self.wall = WallPoster(settings, token, deps.http_timeout_s) if token else None
        # Members whose VK app shows no callback buttons get text buttons (bots.vk.clients).
        self.clients = ButtonSupport(deps.state, settings.group_id)
        self.poller = LongPoller(self.api, settings.group_id, deps.state, self.answer_press,
                                 on_client=self.clients.note)
        self._check = CallbackCheck(settings.group_id, settings.secret or "")
        self._confirmation = settings.confirmation
        self._tasks: set[asyncio.Task[Any]] = set()

    @classmethod
    def from_settings(cls, settings: Settings, deps: ChannelDeps) -> VkChannel:
        if settings.vk is None:
            raise SettingsError("the [vk] section is missing")
        return cls(settings.vk, deps, vk_capabilities(settings))

    async def start(self, on_event: EventHandler) -> None:
        """Long poll: switch it on for our events and poll in a task. Callback: register
        {public_url}/webhooks/vk with VK when public_url is known."""
        await self.clients.load()
        if self.settings.mode == "longpoll":
            await setup.enable_long_poll(self.api, self.settings.group_id)
            await self.poller.position()
            self._spawn(self.poller.run(on_event), name="vk-longpoll")
        elif self.deps.public_url:
            url = self.deps.public_url.rstrip("/") + WEBHOOK_PATH
            await setup.register_callback(self.api, self.settings, url)

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.api.close()
        if self.wall is not None:
            self.wall.close()

    def _spawn(self, work: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def prepare_media(self, media: MediaFile) -> str | None:
        """None until a send uploads the file: VK's upload servers need a dialog (peer_id)."""
        return self.media.known(media)

    async def fetch_file(self, ref: str, url: str | None = None) -> bytes:
        """A file someone sent the community (core.ports.FileFetcher; bots.vk.files)."""
        return await files.fetch(self.api, ref, url)

    async def send(self, to: Sequence[str], msg: Outbound) -> list[DeliveryResult]:
        """One messages.send(peer_ids) for up to 100 recipients; one result per recipient
        (members whose app shows no callback buttons: a second call, with text buttons)."""
        older = [r for r in to if not self.clients.shows_callbacks(r)] if msg.buttons else []
        if not older:
            return await self._send_keyed(to, msg, keyboard)
        newer = [r for r in to if self.clients.shows_callbacks(r)]
        first = await self._send_keyed(newer, msg, keyboard) if newer else []
        return first + await self._send_keyed(older, msg, text_keyboard)

    async def _send_keyed(self, to: Sequence[str], msg: Outbound,
                          board: Callable[[Sequence[Sequence[Button]]], str | None]
                          ) -> list[DeliveryResult]:
        peers, refused = peer_ids(to)
        if not peers:
            return refused
        values: dict[str, Any] = {"random_id": random_id(msg.key)}
        text = "" if msg.caption_separate else render_plain(msg.text)
        if text:
            values["message"] = text
        try:
            markup = board(msg.buttons)
        except KeyboardError as exc:
            return _all(peers, Verdict(Status.INVALID, str(exc))) + refused
        if markup:
            values["keyboard"] = markup
        return await self._send(peers, msg.media, values) + refused

    async def _send(
        self, peers: Peers, media: MediaFile | None, values: dict[str, Any]
    ) -> list[DeliveryResult]:
        media_ref: str | None = None
        if media is not None:
            try:
                attachment, uploaded = await self.media.ref_for(media, peers[0][1])
            except UploadRefused as exc:
                return _all(peers, Verdict(Status.INVALID, str(exc)))
            except Exception as exc:  # mapped: nothing reached a member yet
                return _all(peers, failure_verdict(exc, sending=False))
            values["attachment"] = attachment
            media_ref = attachment if uploaded else None
        if "message" not in values and "attachment" not in values:
            return _all(peers, Verdict(Status.INVALID, "empty message"))
        values["peer_ids"] = ",".join(str(peer) for _, peer in peers)
        try:
            answer = await self.api.call("messages.send", values)
        except Exception as exc:  # every failure is mapped to a status
            return _all(peers, failure_verdict(exc, sending=True), media_ref)
        return results_of(peers, answer, media_ref)

    async def send_poll(self, to: Sequence[str], poll: OutboundPoll) -> list[PollSent]:
        """The question as text with one callback button per option ("vote:<poll>:<i>")."""
        question = poll_text(poll, texts.VK_POLL_MULTIPLE)
        msg = Outbound(key=poll.key, text=(Span(question),), buttons=poll_buttons(poll))
        return [PollSent(r.recipient, r) for r in await self.send(to, msg)]

    async def edit(self, recipient: str, change: MessageEdit) -> DeliveryResult:
        """messages.edit of a community message (capabilities.edits_messages)."""
        try:
            values = edit_values(recipient, change)
        except (KeyboardError, ValueError) as exc:
            return DeliveryResult(recipient, Status.INVALID, error=str(exc))
        if not self.clients.shows_callbacks(recipient):
            values.pop("keyboard")  # its text buttons stay under the input field
        try:
            await self.api.call("messages.edit", values)
        except Exception as exc:  # every failure is mapped to a status
            verdict = failure_verdict(exc, sending=False)
            return DeliveryResult(recipient, verdict.status, retry_after=verdict.retry_after,
                                  error=verdict.error)
        return DeliveryResult(recipient, Status.SENT, change.message_id)

    async def handle_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookAnswer:
        """Callback API: the confirmation string, 403 without the secret, else the events."""
        received = receive(self._check, body)
        await self.clients.note(received.client)
        if received.wants_confirmation:
            code = await self._confirmation_code()
            return confirmation_answer(code) if code else FORBIDDEN
        if received.press is not None:
            # The press is answered at once (it only stops the button's spinner); a retry of
            # the same event gets "event_id is invalid" from VK, which is logged and ignored.
            self._spawn(self.answer_press(received.press), name="vk-press-answer")
        return received.answer

    async def _confirmation_code(self) -> str | None:
        if not self._confirmation:
            self._confirmation = await setup.confirmation_code(self.api, self.settings.group_id)
        return self._confirmation

    async def answer_press(self, press: ButtonEvent) -> None:
        """messages.sendMessageEventAnswer without event_data: the button stops spinning.
        Made here directly (one rare call, not worth the core's queue); failures are logged."""
        values = {"event_id": press.event_id, "user_id": press.user_id, "peer_id": press.peer_id}
        try:
            await self.api.call("messages.sendMessageEventAnswer", values)
        except Exception as exc:  # an unanswered press only spins a while
            log.info("vk: callback press %s not answered: %r", press.event_id, exc)


def _all(peers: Peers, verdict: Verdict, media_ref: str | None = None) -> list[DeliveryResult]:
    return [
        DeliveryResult(recipient, verdict.status, retry_after=verdict.retry_after,
                       error=verdict.error, media_ref=media_ref)
        for recipient, _ in peers
    ]
