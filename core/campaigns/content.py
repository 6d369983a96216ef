"""Campaign content: the markup subset, per-channel rendering and limits, message parts.

Markup (what the press secretary types): **bold**, __italic__, [text](https://link).
Everything else is literal text; rendering escapes every inserted value.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from core.ports import Button, Capabilities, MediaFile, Outbound, Span

_TOKEN = re.compile(
    r"\*\*(?P<bold>.+?)\*\*"
    r"|__(?P<italic>.+?)__"
    r"|\[(?P<label>[^\]\n]+)\]\((?P<url>https?://[^\s)]+)\)",
    re.DOTALL,
)


class ContentError(ValueError):
    """Content that cannot be sent as it is; the message is Russian, for the press secretary."""


def parse_markup(source: str) -> tuple[Span, ...]:
    """Spans of plain, bold, italic and linked text; nesting is not supported."""
    spans: list[Span] = []
    position = 0
    for match in _TOKEN.finditer(source):
        if match.start() > position:
            spans.append(Span(source[position : match.start()]))
        if match.group("bold") is not None:
            spans.append(Span(match.group("bold"), bold=True))
        elif match.group("italic") is not None:
            spans.append(Span(match.group("italic"), italic=True))
        else:
            spans.append(Span(match.group("label"), url=match.group("url")))
        position = match.end()
    if position < len(source):
        spans.append(Span(source[position:]))
    return tuple(spans)


def render_html(spans: tuple[Span, ...]) -> str:
    """Telegram HTML; every value is escaped, so member names or links cannot break it."""
    out: list[str] = []
    for span in spans:
        text = html.escape(span.text, quote=False)
        if span.url:
            text = f'<a href="{html.escape(span.url, quote=True)}">{text}</a>'
        if span.bold:
            text = f"<b>{text}</b>"
        if span.italic:
            text = f"<i>{text}</i>"
        out.append(text)
    return "".join(out)


def render_plain(spans: tuple[Span, ...]) -> str:
    """Plain text for platforms without markup; a link keeps its address visible."""
    return "".join(f"{s.text} ({s.url})" if s.url and s.url != s.text else s.text for s in spans)


def visible_length(spans: tuple[Span, ...], text_format: str) -> int:
    """Length as the platform counts it (Telegram: UTF-16 units of the visible text)."""
    if text_format == "html":
        return sum(len(s.text.encode("utf-16-le")) // 2 for s in spans)
    return len(render_plain(spans))


@dataclass(frozen=True)
class Content:
    """What a campaign sends: text in the markup subset, an optional leaflet, link buttons."""

    text: str = ""
    media: MediaFile | None = None
    buttons: tuple[tuple[Button, ...], ...] = ()

    @property
    def spans(self) -> tuple[Span, ...]:
        return parse_markup(self.text)


def check(content: Content, channel: str, caps: Capabilities) -> None:
    """Refuse, with the reason, what the channel cannot carry; never cut anything."""
    if not content.text.strip() and content.media is None:
        raise ContentError("Пустое сообщение: добавьте текст или файл.")
    length = visible_length(content.spans, caps.text_format)
    if length > caps.max_text_len:
        raise ContentError(
            f"Текст длиннее, чем позволяет {channel}: {length} знаков при пределе "
            f"{caps.max_text_len}. Сократите текст или разбейте его на два сообщения."
        )
    if content.media is not None:
        _check_size(content.media, channel, caps)


def _megabytes(size: int) -> str:
    if size < 2**20:
        return f"{size // 1024} КБ"
    return f"{size / 2**20:.1f}".removesuffix(".0").replace(".", ",") + " МБ"


def _check_size(media: MediaFile, channel: str, caps: Capabilities) -> None:
    limit = caps.max_image_bytes if media.is_image else caps.max_file_bytes
    if limit and media.size > limit:
        kind = "картинки" if media.is_image else "файлы"
        raise ContentError(
            f"Файл {media.filename} ({_megabytes(media.size)}) слишком велик для {channel}: "
            f"{channel} принимает {kind} не больше {_megabytes(limit)}."
        )


def parts(content: Content, run_id: int, caps: Capabilities) -> list[Outbound]:
    """The messages one recipient gets, in order; a caption over the limit follows the file."""
    spans = content.spans
    key = f"r{run_id}"
    if content.media is None:
        return [Outbound(key=f"{key}p0", text=spans, buttons=content.buttons)]
    caption_fits = caps.max_caption_len > 0 and (
        visible_length(spans, caps.text_format) <= caps.max_caption_len
    )
    if caption_fits or not spans:
        return [Outbound(key=f"{key}p0", text=spans, media=content.media, buttons=content.buttons)]
    return [
        Outbound(key=f"{key}p0", media=content.media, caption_separate=True),
        Outbound(key=f"{key}p1", text=spans, buttons=content.buttons),
    ]


def content_to_json(content: Content) -> dict[str, object]:
    return {
        "text": content.text,
        "media_id": content.media.media_id if content.media else None,
        "buttons": [[{"text": b.text, "url": b.url} for b in row] for row in content.buttons],
    }


def buttons_from_json(rows: object) -> tuple[tuple[Button, ...], ...]:
    if not isinstance(rows, list):
        return ()
    return tuple(
        tuple(Button(text=str(b["text"]), url=b.get("url"), payload=b.get("payload")) for b in row)
        for row in rows
    )
