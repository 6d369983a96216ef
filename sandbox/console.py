"""A terminal member: line commands on a stream (a TTY or a pipe) to act as any member.

    who [N] [tg|vk|viber|TEXT]   list members with their ids per platform
    as tg:ID | vk:ID | viber:ID | #N   become that member
    chat [N]     the bot's last N messages to me, buttons numbered
    say TEXT     write to the bot          press N     press button N of the last message
    start [CODE] join (Telegram /start CODE, VK allow messages, Viber open the chat)
    vote N       answer the last poll      read        send read receipts (VK, Viber)
    block        block / deny / unsubscribe            stats       what each platform saw
    help, quit

Bot messages to the current member are printed as they arrive ("<<").
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterable
from typing import TextIO

from sandbox.union import ActionError, Actor, ChatLine, Person, Union

HELP = __doc__.split("\n\n")[1] if __doc__ else ""
SHORT = {"tg": "telegram", "vk": "vk", "viber": "viber"}
PREFIX = {"telegram": "tg", "vk": "vk", "viber": "viber"}


def render(line: ChatLine, indent: str = "  ") -> list[str]:
    """A bot message as console lines: its text, media, numbered buttons and poll options."""
    text_lines = line.text.splitlines() or [""]
    out = [f"[{line.ref}] {text_lines[0]}", *(f"{indent}{more}" for more in text_lines[1:])]
    if line.media:
        out.append(f"{indent}({line.media})")
    if line.pressable:
        out.append(indent + "buttons: " + _numbered(b.label for b in line.pressable))
    if line.options:
        out.append(indent + "poll: " + _numbered(b.label for b in line.options))
    return out


def _numbered(labels: Iterable[str]) -> str:
    return "  ".join(f"[{n}] {label}" for n, label in enumerate(labels, start=1))


def describe(person: Person, union: Union) -> str:
    accounts = " ".join(
        f"{PREFIX[a.platform]}:{a.external_id} ({union.state(a.platform, a.external_id)})"
        for a in person.accounts
    )
    roles = ",".join(r for r in person.roles if r != "member")
    where = " / ".join(person.org_path[1:])
    return (
        f"#{person.index} {person.full_name} — {where}"
        + (f" — {roles}" if roles else "")
        + f" — {accounts or 'no messenger'}"
    )


class Console:
    """Executes member commands against a Union and writes the answers to `out`."""

    def __init__(self, union: Union, out: TextIO) -> None:
        self.union = union
        self.out = out
        self.actor: Actor | None = None
        self._commands: dict[str, Callable[[str], None]] = {
            "help": self._help,
            "who": self._who,
            "as": self._as,
            "chat": self._chat,
            "say": self._say,
            "press": self._press,
            "start": self._start,
            "vote": self._vote,
            "read": self._read,
            "block": self._block,
            "stats": self._stats,
        }
        union.add_message_hook(self._watch)

    def close(self) -> None:
        self.union.remove_message_hook(self._watch)

    def write(self, *lines: str) -> None:
        for line in lines:
            self.out.write(line + "\n")
        self.out.flush()

    def execute(self, command_line: str) -> bool:
        """Run one command; False when the console should stop (quit, exit)."""
        name, _, rest = command_line.strip().partition(" ")
        name = name.lower()
        if not name or name.startswith("#"):
            return True
        if name in ("quit", "exit"):
            self.write("console closed; the sandbox keeps running (Ctrl-C stops it)")
            return False
        command = self._commands.get(name)
        if command is None:
            self.write(f"unknown command {name!r}; type help")
            return True
        try:
            command(rest.strip())
        except (ActionError, LookupError, ValueError) as exc:
            self.write(f"! {exc}")
        return True

    async def run(self, stream: TextIO) -> None:
        """Read commands from `stream` until end of input or quit."""
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def pump() -> None:
            try:
                for text in stream:
                    loop.call_soon_threadsafe(queue.put_nowait, text)
            except (OSError, ValueError):
                pass  # the stream was closed under us: same as end of input
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, None)

        # A daemon thread: a blocking read cannot be cancelled, and must not hold exit up.
        threading.Thread(target=pump, name="sandbox-console", daemon=True).start()
        self.write('member console ready: type "help"')
        while (text := await queue.get()) is not None:
            if not self.execute(text):
                return

    def _watch(self, line: ChatLine) -> None:
        actor = self.actor
        if actor is not None and (line.platform, line.member) == (
            actor.platform,
            actor.external_id,
        ):
            self.write(*("<< " + part for part in render(line)))

    def _me(self) -> Actor:
        if self.actor is None:
            raise ActionError(
                'choose a member first: "as tg:ID", "as vk:ID", "as viber:ID", "as #N"'
            )
        return self.actor

    def _help(self, _: str) -> None:
        self.write(*HELP.splitlines())

    def _who(self, args: str) -> None:
        words = args.split()
        limit = int(words.pop(0)) if words and words[0].isdigit() else 15
        wanted = " ".join(words).casefold()
        platform = SHORT.get(wanted)
        shown = 0
        for person in self.union.people:
            if shown >= limit:
                break
            if platform and person.account(platform) is None:
                continue
            if wanted and not platform and wanted not in describe(person, self.union).casefold():
                continue
            self.write(describe(person, self.union))
            shown += 1
        self.write(f"({shown} shown of {len(self.union)} members)")

    def _as(self, ref: str) -> None:
        self.actor = self.union.find(ref.strip())
        self.write(
            f"you are now {describe(self.actor.person, self.union)}, on {self.actor.platform}"
        )

    def _chat(self, args: str) -> None:
        lines = self._me().chat()
        count = int(args) if args.isdigit() else 10
        if not lines:
            self.write("(no messages from the bot yet)")
        for line in lines[-count:]:
            self.write(*render(line))

    def _say(self, text: str) -> None:
        if not text:
            raise ActionError("say what? e.g. say Здравствуйте!")
        self._me().say(text)
        self.write("sent")

    def _press(self, choice: str) -> None:
        button = self._me().press(choice or "1")
        self.write(f"pressed {button.label!r}")

    def _start(self, code: str) -> None:
        self._me().start(code or None)
        self.write("started" + (f" with {code!r}" if code else ""))

    def _vote(self, choice: str) -> None:
        button = self._me().vote(choice or "1")
        self.write(f"voted {button.label!r}")

    def _read(self, _: str) -> None:
        me = self._me()
        if me.platform == "telegram":
            self.write("Telegram tells bots nothing about reading: no receipt to send")
            return
        self.write(f"{me.read()} read receipt(s) sent")

    def _block(self, _: str) -> None:
        self._me().block()
        self.write("blocked: the bot can no longer write to me (start again to come back)")

    def _stats(self, _: str) -> None:
        stats = self.union.stats()
        for platform, summary in stats["summary"].items():
            self.write(f"{platform}: " + json.dumps(summary))
        self.write("members: " + json.dumps(stats["members"], ensure_ascii=False))
