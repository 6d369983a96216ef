"""Build the digest of a month: gather its content (core.digest), fetch the reports' files,
and render the PDF in a worker thread (matplotlib and fpdf2 are CPU work)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bots.digest.pdf import render
from core.digest.content import MonthContent, gather, union_of
from core.digest.month import Month
from core.digest.reports import media_content


@dataclass(frozen=True)
class Built:
    """A rendered digest. `path` is where it was written (the monthly job's copy is in a
    temporary folder, gone once the job has stored it); `pdf` is the document itself, which
    whoever delivers it reads."""

    path: Path
    content: MonthContent
    pdf: bytes = field(default=b"", repr=False)

    @property
    def counts(self) -> dict[str, int]:
        content = self.content
        return {"reports": len(content.reports), "authors": len(content.authors),
                "campaigns": len(content.campaigns), "polls": len(content.polls)}


def default_name(month: Month) -> str:
    return f"информационный-сборник-{month.key}.pdf"


async def build_digest(engine: AsyncEngine, month: Month, out: Path, default_tz: str,
                       now: datetime | None = None) -> Built:
    """Write the digest of `month` to `out` (the union's time zone, else `default_tz`)."""
    union, tz = await union_of(engine, default_tz)
    content = await gather(engine, month, tz, union)
    files = {a.media_id: await media_content(engine, a.media_id)
             for report in content.reports for a in report.attachments}
    await asyncio.to_thread(render, content, out, files.__getitem__, tz,
                            now or datetime.now(UTC))
    return Built(out, content, out.read_bytes())
