"""How much a channel's sender claims at once and holds in flight, and its pacer."""

from __future__ import annotations

import math
from collections.abc import Hashable

from core.ports import Capabilities, Channel
from core.sending.ratelimit import KeyedSpacing, Pacer

WAVE_S = 0.5  # seconds of sending claimed at once
MAX_WAVE = 5_000  # deliveries: bounds memory and what a crash can leave uncertain
IN_FLIGHT_S = 1.0  # seconds of sending a sender may hold claimed (at least two waves)


def wave_size(caps: Capabilities, max_wave: int = MAX_WAVE) -> int:
    """Deliveries claimed at once: half a second of sending, at most `max_wave`."""
    per_call = caps.max_recipients_per_call
    calls = max(1, math.ceil(caps.calls_per_second * WAVE_S))
    # A cap that is a multiple of the call size leaves no short call in a wave
    # (5,000 = 16 x 300 + 200 would cost Viber one request in seventeen).
    cap = max(per_call, max_wave // per_call * per_call)
    return min(cap, calls * per_call)


def in_flight_limit(caps: Capabilities, max_wave: int = MAX_WAVE) -> int:
    """Deliveries a sender holds claimed but unrecorded (what a crash can leave uncertain):
    two waves, and whole waves enough for IN_FLIGHT_S of sending at the sustained ceiling,
    so claiming and recording never leave the pacer without work while answers are slow."""
    wave = wave_size(caps, max_wave)
    calls_per_s = caps.calls_per_second
    if caps.window_calls and caps.window_s:
        calls_per_s = min(calls_per_s, caps.window_calls / caps.window_s)
    per_s = calls_per_s * caps.max_recipients_per_call
    return wave * max(2, math.ceil(per_s * IN_FLIGHT_S / wave))


def chat_keys(chat: Hashable, is_group: bool) -> dict[str, Hashable]:
    """The pacer's keys of a message to one chat: every chat's window (Telegram: 1/s) and,
    for a group chat (the staff chat), the group's own slower one (20 per minute)."""
    return dict.fromkeys(("chat", "group") if is_group else ("chat",), chat)


def build_pacer(channel: Channel) -> Pacer:
    caps = channel.capabilities
    per_key: dict[str, KeyedSpacing] = {}
    if caps.per_chat_interval_s > 0:
        per_key["chat"] = KeyedSpacing(1, caps.per_chat_interval_s)
    if caps.per_group_interval_s > 0:
        per_minute = max(1, round(60 / caps.per_group_interval_s))
        per_key["group"] = KeyedSpacing(per_minute, 60.0)
    return Pacer(
        caps.calls_per_second,
        window_calls=caps.window_calls,
        window_s=caps.window_s,
        per_key=per_key,
    )
