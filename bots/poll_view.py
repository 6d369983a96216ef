"""A poll's results for people: Russian text (overall, per district, turnout), tables for
the terminal, a PNG bar chart with Cyrillic labels, and the figures as JSON."""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Group, RenderableType

from bots.console import number, table
from core.polls import texts
from core.polls.results import PollResults


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "—"


def _when(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%d.%m.%Y %H:%M") if value else "—"


def results_text(results: PollResults, tz: ZoneInfo) -> str:
    """The results as one message (the chat's /results, the staff chat, the log)."""
    lines = [texts.RESULTS_TITLE.format(poll_id=results.poll_id, question=results.question)]
    for option, count in zip(results.options, results.counts, strict=True):
        lines.append(f"• {option} — {count} ({_share(count, results.voters)})")
    lines.append(texts.TURNOUT.format(voters=results.voters, reached=results.reached,
                                      share=_share(results.voters, results.reached)))
    if results.districts:
        lines.append("По районам:")
        for line in results.districts:
            counts = ", ".join(str(c) for c in line.counts)
            lines.append(f"  {line.name}: {line.voters} чел. ({counts})")
    if results.anonymous:
        lines.append(texts.ANONYMOUS_NOTE)
    lines.append(texts.CLOSED_AT.format(closed=_when(results.closed_at, tz))
                 if results.closed_at else
                 texts.OPEN_UNTIL.format(deadline=_when(results.closes_at, tz)))
    return "\n".join(lines)


def results_view(results: PollResults, tz: ZoneInfo) -> RenderableType:
    """Tables for the terminal: the options, then the districts (votes per option)."""
    overall = table(
        texts.RESULTS_TITLE.format(poll_id=results.poll_id, question=results.question),
        ("Вариант", "Голосов", "%"),
        [[option, number(count), _share(count, results.voters)]
         for option, count in zip(results.options, results.counts, strict=True)],
    )
    headers = ("Район", "Голосо-\nвали", *(f"№{i + 1}" for i in range(len(results.options))))
    districts = table(None, headers, [
        [line.name, number(line.voters), *(number(c) for c in line.counts)]
        for line in results.districts])
    legend = "  ".join(f"№{i + 1} — {option}" for i, option in enumerate(results.options))
    turnout = texts.TURNOUT.format(voters=number(results.voters), reached=number(results.reached),
                                   share=_share(results.voters, results.reached))
    status = (texts.CLOSED_AT.format(closed=_when(results.closed_at, tz)) if results.closed_at
              else texts.OPEN_UNTIL.format(deadline=_when(results.closes_at, tz)))
    parts: list[RenderableType] = [overall, turnout, status]
    if results.districts:
        parts += [districts, legend]
    if results.anonymous:
        parts.append(texts.ANONYMOUS_NOTE)
    return Group(*parts)


def results_data(results: PollResults) -> dict[str, Any]:
    return {
        "poll_id": results.poll_id, "question": results.question,
        "options": list(results.options), "multiple": results.multiple,
        "anonymous": results.anonymous,
        "closes_at": results.closes_at.isoformat() if results.closes_at else None,
        "closed_at": results.closed_at.isoformat() if results.closed_at else None,
        "reached": results.reached, "voters": results.voters,
        "turnout": round(results.turnout, 4), "counts": list(results.counts),
        "districts": [{"district_id": d.district_id, "name": d.name, "voters": d.voters,
                       "counts": list(d.counts)} for d in results.districts],
    }


def write_poll_chart(results: PollResults, path: Path) -> Path:
    """A horizontal bar chart: votes per option, with the turnout in the title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [textwrap.fill(option, 40) for option in results.options]
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(names) + 2.0))
    bars = ax.barh(names, results.counts, color="#2f6db5")
    ax.set_xlim(0, max(results.counts or (0,)) * 1.25 + 1)
    ax.invert_yaxis()
    ax.set_xlabel("Голосов")
    title = textwrap.fill(f"Опрос №{results.poll_id}: {results.question}", 80)
    turnout = texts.TURNOUT.format(voters=results.voters, reached=results.reached,
                                   share=_share(results.voters, results.reached))
    ax.set_title(f"{title}\n{turnout}", fontsize=10)
    for bar, count in zip(bars, results.counts, strict=True):
        ax.text(bar.get_width() + 0.2, bar.get_y() + bar.get_height() / 2,
                f"{count} ({_share(count, results.voters)})", va="center")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
