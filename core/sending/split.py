"""A message longer than its channel takes, as several messages: never cut silently.

Cuts fall at a paragraph break, else a line break, else a sentence's end, else between
words (the whitespace at the cut is dropped); never inside a bold, italic or link span
unless that span alone is longer than the limit; inside a word only in a run of text with
no space at all, and then never inside a character cluster (an emoji with its modifiers, a
flag, a letter with its accents). Every part is within the limit as the platform counts it
(core.campaigns.content.visible_length: Telegram in UTF-16 units of the visible text, the
others in characters of the plain text, a link with its address). Each part renders on its
own, so its markup is always whole. Buttons go with the last part; a file whose caption is
too long goes alone, its text after it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace

from core.campaigns.content import render_plain, visible_length
from core.ports import Capabilities, Outbound, Span

Spans = tuple[Span, ...]

# A break must leave the part at least this share of the limit, or a finer break is taken:
# a paragraph break two lines into 4,096 characters would make a needlessly short message.
MIN_SHARE = 0.5
_WHITESPACE = re.compile(r"\s+")
_SENTENCE_ENDS = frozenset(".!?…;:")
_ZWJ = "\u200d"
_MODIFIERS = range(0x1F3FB, 0x1F400)  # emoji skin tones
_TAGS = range(0xE0020, 0xE0080)  # emoji tag sequences (subdivision flags)


def message_parts(message: Outbound, caps: Capabilities) -> list[Outbound]:
    """The messages that carry `message` on a channel with these limits, in order (one when
    it fits). Part 0 keeps the message's key; part i is keyed "<key>p<i>"."""
    fmt, text = caps.text_format, message.text
    if message.media is not None and not message.caption_separate and _has_words(text):
        if visible_length(text, fmt) <= caps.max_caption_len:
            return [message]
        first = replace(message, text=(), buttons=(), caption_separate=True)
        rest = [Outbound(key="", text=part, thread=message.thread)
                for part in split_spans(text, caps.max_text_len, fmt)]
        return _keyed([first, *rest], message)
    if message.media is not None or visible_length(text, fmt) <= caps.max_text_len:
        return [message]
    pieces = split_spans(text, caps.max_text_len, fmt)
    return _keyed([replace(message, text=piece, buttons=()) for piece in pieces], message)


def _keyed(parts: list[Outbound], message: Outbound) -> list[Outbound]:
    last = len(parts) - 1
    return [replace(part, key=message.key if index == 0 else f"{message.key}p{index}",
                    buttons=message.buttons if index == last else ())
            for index, part in enumerate(parts)]


def split_spans(spans: Sequence[Span], limit: int, fmt: str) -> list[Spans]:
    """`spans` as parts of at most `limit` (as `fmt`'s platform counts); one part when it
    fits or when there is nothing to send but whitespace."""
    rest = tuple(s for s in spans if s.text)
    if limit <= 0 or visible_length(rest, fmt) <= limit or not _has_words(rest):
        return [rest]
    parts: list[Spans] = []
    while visible_length(rest, fmt) > limit:
        fit = _fit(rest, limit, fmt)
        if fit == 0:  # a link whose address alone is too long: written out as plain text
            rest = (Span(visible_text(rest[:1], fmt)), *rest[1:])
            continue
        head_end, tail_start = _cut(rest, fit)
        head = _slice(rest, 0, head_end)
        if _has_words(head):
            parts.append(head)
        rest = _slice(rest, tail_start, _flat_len(rest))
        if not _has_words(rest):
            return parts
    parts.append(rest)
    return parts


def visible_text(spans: Spans, fmt: str) -> str:
    """What a reader sees of `spans` ("label (address)" for a link on a plain platform)."""
    return "".join(s.text for s in spans) if fmt == "html" else render_plain(spans)


def _has_words(spans: Sequence[Span]) -> bool:
    return any(s.text.strip() for s in spans)


def _flat_len(spans: Spans) -> int:
    return sum(len(s.text) for s in spans)


def _slice(spans: Spans, start: int, end: int) -> Spans:
    """The spans' characters [start, end) of their joined text, each keeping its markup."""
    out: list[Span] = []
    position = 0
    for span in spans:
        low, high = max(start, position), min(end, position + len(span.text))
        if low < high:
            out.append(replace(span, text=span.text[low - position : high - position]))
        position += len(span.text)
    return tuple(out)


def _fit(spans: Spans, limit: int, fmt: str) -> int:
    """The longest prefix (in characters) within the limit; lengths only grow with it."""
    low, high = 0, _flat_len(spans)
    while low < high:
        middle = (low + high + 1) // 2
        if visible_length(_slice(spans, 0, middle), fmt) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def _cut(spans: Spans, fit: int) -> tuple[int, int]:
    """(where the head ends, where the tail starts) for a head of at most `fit` characters:
    the best whitespace, else a span's edge, else a cluster boundary (see the module)."""
    flat = "".join(s.text for s in spans)
    marked = _marked_ranges(spans)
    runs = []
    for match in _WHITESPACE.finditer(flat):
        if match.start() > fit:
            break
        if match.start() > 0:
            runs.append((match.start(), match.end()))
    free = [(a, b) for a, b in runs if not any(s < a < e or s < b < e for s, e in marked)]
    shortest = int(fit * MIN_SHARE)
    for level in range(3):
        found = [(a, b) for a, b in free if a >= shortest and _level(flat, a, b) <= level]
        if found:
            return found[-1]
    if free:
        return free[-1]
    edges = [edge for s, e in marked for edge in (s, e) if 0 < edge <= fit]
    if edges:  # a span that fits is never cut: the cut goes before or after it
        return max(edges), max(edges)
    if runs:
        return runs[-1]
    point = _cluster_boundary(flat, fit)
    return point, point


def _level(flat: str, start: int, end: int) -> int:
    """0: a paragraph break, 1: a line break, 2: a sentence's end, 3: between words."""
    newlines = flat.count("\n", start, end)
    if newlines >= 2:
        return 0
    if newlines:
        return 1
    return 2 if flat[start - 1] in _SENTENCE_ENDS else 3


def _marked_ranges(spans: Spans) -> list[tuple[int, int]]:
    """[start, end) of every bold, italic or linked span in the joined text."""
    found, position = [], 0
    for span in spans:
        end = position + len(span.text)
        if span.bold or span.italic or span.url:
            found.append((position, end))
        position = end
    return found


def _cluster_boundary(flat: str, fit: int) -> int:
    """The last point at or before `fit` that splits no character cluster (or `fit` itself
    when a single cluster is longer than the limit)."""
    point = fit
    while point > 0 and not _splits_cleanly(flat, point):
        point -= 1
    return point or fit


def _splits_cleanly(flat: str, point: int) -> bool:
    before, after = flat[point - 1], flat[point]
    if before == _ZWJ or after == _ZWJ or (before == "\r" and after == "\n"):
        return False
    code = ord(after)
    if code in _MODIFIERS or code in _TAGS or 0xFE00 <= code <= 0xFE0F:
        return False
    if unicodedata.category(after) in ("Mn", "Mc", "Me"):
        return False
    if _regional(after) and _regional(before):
        run = point
        while run > 0 and _regional(flat[run - 1]):
            run -= 1
        return (point - run) % 2 == 0  # a flag is a pair of regional indicators
    return True


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def shortened(text: str, limit: int) -> str:
    """`text` when it has at most `limit` characters, else its start and «…» — where a short
    line must stay short (a button, a list line, a title), the cut is shown, never silent.
    The start ends at a word when one ends in its last third."""
    if len(text) <= limit:
        return text
    start = text[: max(0, limit - 1)]
    word = start.rsplit(" ", 1)[0].rstrip()
    return (word if len(word) >= limit * 2 // 3 else start.rstrip()) + "…"
