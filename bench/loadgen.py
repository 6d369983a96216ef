"""A webhook load generator in its own process: platforms posting updates to Rupor.

    python -m bench.loadgen '{"url": ..., "kind": "telegram"|"viber"|"<channel>_vote", "count": N,
                              "connections": C, "first_id": F, "members": M, "secret": S}'

Posts `count` member text messages (member first_id + i % members) over `connections`
concurrent keep-alive HTTP/1.1 connections, the raw requests built before the clock starts
(stopping early after `max_s` seconds, if given), each authenticated as the platform does
it (Telegram's secret header; Viber's HMAC-SHA256 signature of the body), and prints one
JSON line: statuses, updates/s over the whole run and latency percentiles in milliseconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sys
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SIGNATURE_HEADER = "X-Viber-Content-Signature"


def telegram_update(n: int, user_id: int) -> dict[str, Any]:
    """A private text message from a member, as Telegram posts it to a webhook."""
    person = {"id": user_id, "is_bot": False, "first_name": "Участник", "language_code": "ru"}
    return {
        "update_id": 500_000_000 + n,
        "message": {
            "message_id": 10 + n, "from": person,
            "chat": {"id": user_id, "type": "private", "first_name": "Участник"},
            "date": int(time.time()), "text": f"Вопрос профкому № {n}: когда индексация?",
        },
    }


def viber_message(n: int, user_id: str) -> dict[str, Any]:
    """A member's text message callback, built by the Viber emulator's own event builder."""
    from sandbox.viber.audience import ViberUser
    from sandbox.viber.callbacks import WebhookConfig
    from sandbox.viber.events import text_message

    user = ViberUser(id=user_id, name="Участник")
    return text_message(user, WebhookConfig(send_name=True),
                        f"Вопрос профкому № {n}: когда индексация?",
                        int(time.time() * 1000), 5_000_000_000_000_000_000 + n)


def request(spec: dict[str, Any], n: int) -> tuple[bytes, dict[str, str]]:
    member = int(spec["first_id"]) + n % int(spec["members"])
    if spec["kind"].endswith("_vote"):  # poll votes (bench.votes)
        from bench.vote_requests import vote_request

        return vote_request(spec, n, member)
    headers = {"Content-Type": "application/json"}
    if spec["kind"] == "telegram":
        body = json.dumps(telegram_update(n, member)).encode()
        headers[SECRET_HEADER] = spec["secret"]
    else:
        body = json.dumps(viber_message(n, str(member))).encode()
        headers[SIGNATURE_HEADER] = hmac.new(spec["secret"].encode(), body,
                                             hashlib.sha256).hexdigest()
    return body, headers


def raw_requests(spec: dict[str, Any]) -> list[bytes]:
    """Every request as the bytes a platform writes, built before the clock starts: the
    generator shares the machine with the server and should spend its CPU on sending."""
    parsed = urlsplit(spec["url"])
    made = []
    for n in range(int(spec["count"])):
        body, headers = request(spec, n)
        lines = [f"POST {parsed.path} HTTP/1.1", f"Host: {parsed.netloc}",
                 f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers.items())]
        made.append("\r\n".join(lines).encode() + b"\r\n\r\n" + body)
    return made


async def _read_response(reader: asyncio.StreamReader) -> int:
    """The status of one HTTP/1.1 response (its body read and dropped)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _worker(spec: dict[str, Any], queue: list[bytes], latencies: list[float],
                  statuses: Counter[int], deadline: float) -> None:
    parsed = urlsplit(spec["url"])
    reader, writer = await asyncio.open_connection(parsed.hostname, parsed.port)
    try:
        while queue and time.perf_counter() < deadline:
            raw = queue.pop()
            began = time.perf_counter()
            writer.write(raw)
            statuses[await _read_response(reader)] += 1
            latencies.append(time.perf_counter() - began)
    finally:
        writer.close()


def _percentile(ordered: list[float], share: float) -> float | None:
    if not ordered:
        return None
    return round(1000 * ordered[max(0, int(share * len(ordered) + 0.5) - 1)], 2)


async def main(spec: dict[str, Any]) -> dict[str, Any]:
    queue = raw_requests(spec)[::-1]
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    began = time.perf_counter()
    deadline = began + float(spec.get("max_s", 1e9))
    await asyncio.gather(*(_worker(spec, queue, latencies, statuses, deadline)
                           for _ in range(int(spec["connections"]))))
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {
        "count": len(latencies), "statuses": {str(k): v for k, v in statuses.items()},
        "elapsed_s": round(elapsed, 3), "updates_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": _percentile(ordered, 0.50), "p99_ms": _percentile(ordered, 0.99),
        "max_ms": round(1000 * ordered[-1], 2) if ordered else None,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))), flush=True)
