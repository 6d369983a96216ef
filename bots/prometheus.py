"""The Prometheus text exposition format (0.0.4) of the suite's figures, written by hand:
a few counters and gauges need no client library."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from bots.startup import ChannelState, ChannelStatus
from core.ports import Status
from core.sending.dispatch import ChannelSender
from core.sending.metrics import QUEUED

Sample = tuple[dict[str, str], float]

HELP = {
    "rupor_sends_total": ("counter", "Platform answers to sends (broadcasts and replies), "
                                     "by channel and status; status!=\"sent\" are failures."),
    "rupor_retry_after_waits_total": ("counter", "Pauses of a channel for a platform's "
                                                 "retry_after."),
    "rupor_retry_after_wait_seconds_total": ("counter", "Seconds a channel paused for "
                                                        "retry_after."),
    "rupor_inbound_updates_total": ("counter", "Platform updates that reached the inbox."),
    "rupor_queue_depth": ("gauge", "Deliveries pending or claimed, by channel and status."),
    "rupor_channel_up": ("gauge", "1 when the channel runs, 0 while starting or failed."),
    "rupor_inbox_waiting": ("gauge", "Inbound updates stored but not yet handled."),
    "rupor_scheduler_next_fire_timestamp_seconds": ("gauge", "When the scheduler fires next "
                                                             "(Unix time)."),
}


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def family(name: str, samples: Iterable[Sample]) -> list[str]:
    kind, text = HELP[name]
    lines = [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        inner = ",".join(f'{key}="{_label(val)}"' for key, val in labels.items())
        lines.append(f"{name}{{{inner}}} {_number(value)}" if inner else
                     f"{name} {_number(value)}")
    return lines


def _sender_samples(names: Iterable[str], senders: Mapping[str, ChannelSender]
                    ) -> dict[str, list[Sample]]:
    found: dict[str, list[Sample]] = {"rupor_sends_total": [],
                                      "rupor_retry_after_waits_total": [],
                                      "rupor_retry_after_wait_seconds_total": []}
    for name in names:
        sender = senders.get(name)
        answers = sender.metrics.answers if sender else {}
        for status in Status:
            found["rupor_sends_total"].append(
                ({"channel": name, "status": status.value}, answers.get(status.value, 0)))
        waits = sender.metrics.retry_after_waits if sender else 0
        seconds = sender.metrics.retry_after_seconds if sender else 0.0
        found["rupor_retry_after_waits_total"].append(({"channel": name}, waits))
        found["rupor_retry_after_wait_seconds_total"].append(({"channel": name}, seconds))
    return found


def exposition(statuses: Mapping[str, ChannelStatus], senders: Mapping[str, ChannelSender],
               inbound: Mapping[str, int], depth: Mapping[tuple[str, str], int],
               inbox_waiting: int, next_fire: datetime | None) -> str:
    """Every family, a sample per configured channel (zeros included), newline-terminated."""
    names = list(statuses)
    samples = _sender_samples(names, senders)
    samples["rupor_inbound_updates_total"] = [
        ({"channel": n}, inbound.get(n, 0)) for n in names]
    samples["rupor_queue_depth"] = [({"channel": n, "status": q}, depth.get((n, q), 0))
                                    for n in names for q in QUEUED]
    samples["rupor_channel_up"] = [
        ({"channel": n}, int(s.state == ChannelState.RUNNING)) for n, s in statuses.items()]
    samples["rupor_inbox_waiting"] = [({}, inbox_waiting)]
    if next_fire is not None:
        samples["rupor_scheduler_next_fire_timestamp_seconds"] = [({}, next_fire.timestamp())]
    lines = [line for name, found in samples.items() for line in family(name, found)]
    return "\n".join(lines) + "\n"
