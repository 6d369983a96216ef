"""What the adapters share to turn a member's file, sticker or location into inbox text:
a Russian description for the staff (wording in bots/texts.py) and a file reference."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from bots import texts


class Attachment(NamedTuple):
    """One thing a message carries besides text: its description and, for a file, where
    the platform keeps it ("<channel>:<kind>:<handle>"), else None."""

    description: str
    ref: str | None = None


def describe(kind: str, detail: str = "") -> str:
    """"[фото]", "[документ: zayavlenie.pdf]", "[голосовое сообщение, 0:12]"."""
    label = texts.ATTACHMENT_LABELS.get(kind, texts.ATTACHMENT_LABELS["other"])
    if not detail:
        return f"[{label}]"
    template = texts.ATTACHMENT_WITH_DETAIL.get(kind, texts.ATTACHMENT_DETAIL_DEFAULT)
    return template.format(label=label, detail=detail)


def duration(seconds: object) -> str:
    """Seconds as "m:ss" ("" when the platform gave none)."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        return ""
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def reference(channel: str, kind: str, handle: object) -> str | None:
    return f"{channel}:{kind}:{handle}" if handle not in (None, "") else None


def combined(caption: str | None, found: Sequence[Attachment]) -> tuple[str, str | None]:
    """The inbox text (the member's words first, then what they attached) and the file
    references joined by spaces (None when there is no file)."""
    if not found:
        return caption or "", None
    described = " ".join(item.description for item in found)
    if not caption or not caption.strip():
        return described, _refs(found)
    return f"{caption}\n{described}", _refs(found)  # the member's words as they sent them


def _refs(found: Sequence[Attachment]) -> str | None:
    return " ".join(item.ref for item in found if item.ref) or None
