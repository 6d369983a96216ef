"""Entry point of a child process the crash tests kill while it materialises a run:
`main()` with sys.argv = [_, DB_URL, CAMPAIGN_ID, CHUNK, CHANNEL…] starts the campaign's run
and materialises it in chunks of CHUNK people (tiny, so the kill lands in the middle)."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from core.sending.runs import materialise, start_run
from core.storage.engine import create_engine


async def _materialise(url: str, campaign_id: int, chunk: int, channels: list[str]) -> int:
    engine = create_engine(url)
    try:
        run = await start_run(engine, campaign_id, datetime.now(UTC), channels)
        return await materialise(engine, run.run_id, chunk=chunk)
    finally:
        await engine.dispose()


def main() -> int:
    url, campaign_id, chunk, *channels = sys.argv[1:]
    inserted = asyncio.run(_materialise(url, int(campaign_id), int(chunk), channels))
    print(f"materialised {inserted} deliveries")
    return 0
