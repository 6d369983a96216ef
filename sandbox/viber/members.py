"""What a simulated Viber user can do; each action posts the callback Viber would post.

Actions are synchronous and cheap (they queue callbacks), so a bot-message listener may
call them; `await emulator.drain_callbacks()` waits until the webhook got them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import events
from .audience import BotMessage, BotMessageListener, ViberUser
from .messaging import accept_welcome
from .platform import Platform


class MemberActions:
    """Mixin of ViberEmulator: the member side of the emulated platform."""

    _platform: Platform

    def add_user(
        self,
        user_id: str | None = None,
        *,
        name: str = "Участник",
        avatar: str | None = None,
        country: str = "RU",
        language: str = "ru",
        api_version: int = 10,
        personalization: bool = True,
    ) -> ViberUser:
        """Register a Viber user (not yet subscribed to the bot); returns its platform state."""
        audience = self._platform.audience
        user = ViberUser(
            id=user_id or audience.new_user_id(),
            name=name,
            avatar=avatar,
            country=country,
            language=language,
            api_version=api_version,
            personalization=personalization,
        )
        return audience.add(user)

    def user(self, user_id: str) -> ViberUser:
        """The platform state of one user (KeyError when unknown)."""
        return self._platform.audience.get(user_id)

    def users(self) -> list[ViberUser]:
        """Every registered user, in the order they were added."""
        return list(self._platform.audience.users.values())

    def _active(self, user_id: str) -> ViberUser:
        user = self._platform.audience.get(user_id)
        if not user.registered:
            raise ValueError(f"user {user_id!r} no longer has Viber")
        return user

    def _post(self, payload: dict[str, Any], **kwargs: Any) -> int:
        self._platform.callbacks.enqueue(payload, **kwargs)
        return int(payload["message_token"])

    def _stamp(self) -> tuple[int, int]:
        return self._platform.timestamp_ms(), self._platform.audience.new_token()

    def open_conversation(self, user_id: str, context: str | None = None) -> int:
        """The user opens the chat (a deep link's `context`); the bot may answer a welcome."""
        user = self._active(user_id)
        payload = events.conversation_started(
            user, self._platform.callbacks.webhook, context, *self._stamp()
        )

        async def on_answer(answer: bytes) -> None:
            await accept_welcome(self._platform, user, answer)

        return self._post(payload, on_reply=on_answer)

    def subscribe(self, user_id: str) -> int | None:
        """The user presses "subscribe"; None when already subscribed (no callback)."""
        user = self._active(user_id)
        if user.subscribed:
            return None
        user.subscribed = True
        return self._post(events.subscribed(user, self._platform.callbacks.webhook, *self._stamp()))

    def unsubscribe(self, user_id: str) -> int | None:
        """The user unsubscribes (or blocks the bot); None when not subscribed."""
        user = self._active(user_id)
        if not user.subscribed:
            return None
        user.subscribed = False
        return self._post(events.unsubscribed(user, *self._stamp()))

    def send_text(self, user_id: str, text: str) -> int:
        """The user writes to the bot: subscribes them silently, as Viber does, and resets
        the 100-messages-without-reply count. Returns the message's token."""
        return self._write(self._active(user_id), text, silent=False)

    def _write(self, user: ViberUser, text: str, silent: bool) -> int:
        # "Sending a message to the account will not trigger a subscribed callback".
        user.subscribed = True
        self._platform.audience.user_replied(user)
        webhook = self._platform.callbacks.webhook
        return self._post(events.text_message(user, webhook, text, *self._stamp(), silent=silent))

    def press_button(self, user_id: str, action_body: str) -> int:
        """The user taps a reply button of the keyboard now shown (the last bot message's);
        its ActionBody comes back as the message text, `silent` as the button's Silent."""
        user = self._active(user_id)
        log = self._platform.audience.logs[user.id]
        buttons = log[-1].reply_buttons() if log else []
        pressed = [button for button in buttons if button["ActionBody"] == action_body]
        if not pressed:
            raise ValueError(f"no reply button {action_body!r} is shown to {user_id!r}")
        return self._write(user, action_body, silent=bool(pressed[0].get("Silent", False)))

    def _received(self, user_id: str, message_token: int) -> ViberUser:
        user = self._platform.audience.get(user_id)
        log = self._platform.audience.logs[user.id]
        if not any(message.message_token == message_token for message in log):
            raise ValueError(f"{user_id!r} never received message {message_token}")
        return user

    def report_delivered(self, user_id: str, message_token: int) -> None:
        """The user's device got the message: a `delivered` callback."""
        self._received(user_id, message_token)
        ts = self._platform.timestamp_ms()
        self._post(events.receipt("delivered", user_id, ts, message_token))

    def report_seen(self, user_id: str, message_token: int) -> None:
        """The user read the message: a `seen` callback."""
        self._received(user_id, message_token)
        self._post(events.receipt("seen", user_id, self._platform.timestamp_ms(), message_token))

    def report_failed(self, user_id: str, message_token: int, desc: str = "failed") -> None:
        """The message could not reach the device: a `failed` callback."""
        self._received(user_id, message_token)
        ts = self._platform.timestamp_ms()
        self._post(events.failed(user_id, desc, ts, message_token))

    def deactivate(self, user_id: str) -> None:
        """The user leaves Viber: further sends answer status 5 receiverNotRegistered."""
        user = self._platform.audience.get(user_id)
        user.registered = False
        user.subscribed = False

    def chat_log(self, user_id: str) -> list[BotMessage]:
        """The bot's messages this user received, in order."""
        return list(self._platform.audience.logs[self._platform.audience.get(user_id).id])

    def add_bot_message_listener(self, listener: BotMessageListener) -> None:
        """Call `listener(message)` synchronously each time a bot message is accepted."""
        self._platform.audience.listeners.append(listener)

    def remove_bot_message_listener(self, listener: BotMessageListener) -> None:
        self._platform.audience.listeners.remove(listener)

    async def drain_callbacks(self, timeout: float = 5.0) -> None:
        """Wait until every queued callback was answered with 200 or given up."""
        await self._platform.callbacks.drain(timeout)

    def keyboard_shown(self, user_id: str) -> Mapping[str, Any] | None:
        """The keyboard the user sees now: the last bot message's, if it had one."""
        log = self._platform.audience.logs[self._platform.audience.get(user_id).id]
        return log[-1].keyboard if log else None
