"""What a member can do in VK, as Python calls; each emits the event VK would send the bot.

Call these on the emulator's event loop thread (they touch asyncio primitives).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sandbox.vk.events import Event, client_info
from sandbox.vk.keyboard import buttons
from sandbox.vk.member_files import member_document, member_files, member_photo
from sandbox.vk.methods_posts import record_vote
from sandbox.vk.model import BotMessage, Member, MemberMessage
from sandbox.vk.world import BotMessageListener, World


class MemberActions:
    """Members registering, allowing, writing, pressing buttons, reading and voting."""

    world: World

    def register_user(
        self, user_id: int, first_name: str = "", last_name: str = "", *, allowed: bool = False
    ) -> Member:
        """Make a VK user known; `allowed` as if they had allowed messages long ago."""
        if user_id <= 0:
            raise ValueError("VK user ids are positive")
        member = Member(user_id, first_name, last_name, allowed=allowed)
        self.world.members[user_id] = member
        return member

    def allow_messages(self, user_id: int, key: str = "") -> Event:
        """The member allows messages (message_allow; `key` is the ref of the link used)."""
        self.world.member(user_id).allowed = True
        return self.world.events.publish("message_allow", {"user_id": user_id, "key": key})

    def deny_messages(self, user_id: int) -> Event:
        """The member forbids messages from the community (message_deny)."""
        self.world.member(user_id).allowed = False
        return self.world.events.publish("message_deny", {"user_id": user_id})

    def write(
        self,
        user_id: int,
        text: str,
        *,
        ref: str | None = None,
        ref_source: str | None = None,
        payload: str | None = None,
        attachments: tuple[dict[str, Any], ...] = (),
    ) -> MemberMessage:
        """The member writes to the community (message_new).

        `ref`/`ref_source` come from a vk.me/club...?ref= link; `payload` from a keyboard
        button; `attachments` from send_document/send_photo. [U] Writing lets the
        community answer, as VK's "allowed" status does.
        """
        member = self.world.member(user_id)
        member.allowed = True
        dialog = self.world.dialog(user_id)
        message = MemberMessage(
            message_id=self.world.take_message_id(),
            conversation_message_id=dialog.take_cmid(),
            peer_id=user_id,
            from_id=user_id,
            date=self.world.date(),
            text=text,
            payload=payload,
            ref=ref,
            ref_source=ref_source,
            attachments=attachments,
        )
        dialog.messages.append(message)
        self.world.events.publish(
            "message_new",
            {"message": message.as_vk(), "client_info": client_info(self.world.member(
                user_id).old_client)},
        )
        return message

    def send_document(
        self, user_id: int, filename: str, content: bytes, text: str = ""
    ) -> MemberMessage:
        """The member sends a document with an optional text (message_new); the doc's `url`
        downloads `content` from the emulator."""
        self.world.member(user_id)
        doc = member_document(self.world, user_id, filename, content)
        return self.write(user_id, text, attachments=(doc,))

    def send_photo(self, user_id: int, content: bytes, text: str = "") -> MemberMessage:
        """The member sends a photo (PNG, GIF, JPEG, WebP) with an optional text."""
        self.world.member(user_id)
        return self.write(user_id, text, attachments=(member_photo(self.world, user_id, content),))

    def send_files(self, user_id: int, *, photos: Sequence[bytes] = (),
                   documents: Sequence[tuple[str, bytes]] = (), text: str = ""
                   ) -> MemberMessage:
        """The member sends several photos and documents ((filename, content) each) in one
        message, with an optional text: one message_new whose attachments list them all."""
        self.world.member(user_id)
        attachments = member_files(self.world, user_id, photos, documents)
        return self.write(user_id, text, attachments=attachments)

    def press_text_button(self, user_id: int, label: str) -> MemberMessage:
        """The member taps a text button of the latest keyboard: its label and payload."""
        _, button = self._find_button(user_id, "text", label=label)
        return self.write(user_id, label, payload=button["action"].get("payload"))

    def press_callback_button(
        self,
        user_id: int,
        *,
        label: str | None = None,
        payload: str | None = None,
        message_id: int | None = None,
    ) -> str:
        """The member taps a callback button (message_event); returns the event_id to answer.

        The button is looked up by label or payload in `message_id`, or else in the latest
        community message that has one. VK hands the payload over decoded, as an object.
        """
        if self.world.member(user_id).old_client:
            raise LookupError(f"user {user_id}'s client shows no callback buttons")
        message, button = self._find_button(user_id, "callback", label, payload, message_id)
        event_id = self.world.events.new_id()[:14]
        raw = button["action"].get("payload")
        self.world.pending_button_events[event_id] = (user_id, user_id)
        self.world.events.publish(
            "message_event",
            {
                "user_id": user_id,
                "peer_id": user_id,
                "event_id": event_id,
                "payload": json.loads(raw) if raw else {},
                "conversation_message_id": message.conversation_message_id,
            },
        )
        return event_id

    def _find_button(
        self,
        user_id: int,
        kind: str,
        label: str | None = None,
        payload: str | None = None,
        message_id: int | None = None,
    ) -> tuple[BotMessage, dict[str, Any]]:
        for message in reversed(self.dialog(user_id)):
            if message_id is not None and message.message_id != message_id:
                continue
            for button in buttons(message.keyboard):
                action = button["action"]
                if action["type"] != kind:
                    continue
                label_fits = label is None or action.get("label") == label
                if label_fits and (payload is None or action.get("payload") == payload):
                    return message, button
        raise LookupError(f"user {user_id} sees no {kind} button like that")

    def read(self, user_id: int, up_to_message_id: int | None = None) -> int | None:
        """The member reads the dialog up to a community message (the latest by default)."""
        mine = self.dialog(user_id)
        if up_to_message_id is not None:
            mine = [m for m in mine if m.message_id <= up_to_message_id]
        if not mine:
            return None
        last = mine[-1]
        self.world.events.publish(
            "message_read",
            {
                "from_id": user_id,
                "peer_id": user_id,
                "read_message_id": last.message_id,
                "conversation_message_id": last.conversation_message_id,
            },
        )
        return last.message_id

    def vote(self, user_id: int, poll_id: int, answer_ids: int | list[int]) -> None:
        """The member votes; poll_vote_new goes out for public (non-anonymous) polls only."""
        self.world.member(user_id)
        chosen = [answer_ids] if isinstance(answer_ids, int) else list(answer_ids)
        record_vote(self.world, poll_id, user_id, chosen)
        poll = self.world.polls[poll_id]
        if poll["anonymous"]:
            return
        for answer_id in chosen:
            self.world.events.publish(
                "poll_vote_new",
                {
                    "owner_id": poll["owner_id"],
                    "poll_id": poll_id,
                    "option_id": answer_id,
                    "user_id": user_id,
                },
            )

    def use_old_client(self, user_id: int, old: bool = True) -> None:
        """The member's VK app knows no callback buttons: its message_new says so in
        client_info.button_actions, and it can press text buttons only."""
        self.world.member(user_id).old_client = old

    def set_privacy(self, user_id: int, closed: bool = True) -> None:
        """Privacy settings that refuse community messages (error 902)."""
        self.world.member(user_id).privacy_closed = closed

    def delete_user(self, user_id: int) -> None:
        """The page is deleted or banned (error 18)."""
        self.world.member(user_id).deleted = True

    def blacklist(self, user_id: int, on: bool = True) -> None:
        """The community blacklisted the user (error 900)."""
        self.world.member(user_id).blacklisted = on

    def add_bot_message_listener(self, listener: BotMessageListener) -> None:
        """Call `listener(message)` each time the community's message reaches a member."""
        self.world.listeners.append(listener)

    def dialog(self, peer_id: int) -> list[BotMessage]:
        """The community's messages in that dialog, in order, as the member sees them."""
        dialog = self.world.dialogs.get(peer_id)
        return [] if dialog is None else dialog.bot_messages()

    def conversation(self, peer_id: int) -> list[BotMessage | MemberMessage]:
        """Both directions of the dialog, in order."""
        dialog = self.world.dialogs.get(peer_id)
        return [] if dialog is None else list(dialog.messages)

    def event_answers(self) -> list[dict[str, Any]]:
        """messages.sendMessageEventAnswer calls, in order (snackbars the members saw)."""
        return list(self.world.event_answers)
