"""The reach report as a tidy text table, and as a PNG chart of reach per district."""

from __future__ import annotations

from pathlib import Path

from core.reach.report import ReachReport, Tally

HEADERS = (
    "targeted",
    "reached",
    "read",
    "deliv.",
    "sent",
    "uncert.",
    "in prog.",
    "failed",
    "blocked",
    "unreach.",
    "flagged",
    "reach %",
)


def _cells(tally: Tally) -> list[str]:
    c = tally.counts
    values = [
        c["targeted"],
        tally.reached,
        c["read"],
        c["delivered"],
        c["sent"],
        c["uncertain"],
        c["in_progress"],
        c["failed"],
        c["blocked"],
        c["unreachable"],
        c["flagged"],
    ]
    return [str(v) for v in values] + [f"{100 * tally.share:.1f}"]


def _table(rows: list[tuple[str, Tally]], first: str) -> list[str]:
    body = [[name, *_cells(tally)] for name, tally in rows]
    header = [first, *HEADERS]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
            for i, cell in enumerate(cells)
        )

    return [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in body)]


def render_report(report: ReachReport, *, schools: bool = True) -> str:
    out = [
        f"Campaign {report.campaign_id}: {report.title}",
        f"Run {report.run_id} ({report.run_status})",
        "",
    ]
    out += _table([(name, tally) for name, tally in report.channels.items()], "channel")
    out.append("")
    rows: list[tuple[str, Tally]] = []
    for district in report.districts:
        rows.append((district.name, district.tally))
        if schools:
            rows += [("  " + school.name, school.tally) for school in district.schools]
    rows.append(("TOTAL (people)", report.total))
    out += _table(rows, "district / organisation")
    out += [
        "",
        "Each person counts once, by their best outcome over all their messengers: "
        "read > delivered > sent > uncertain > in progress > failed > blocked/unsubscribed "
        "> unreachable. 'flagged' = a send whose answer was lost (it may have arrived twice).",
    ]
    return "\n".join(out)


def write_chart(report: ReachReport, path: Path) -> Path:
    """A horizontal bar chart: share of members reached per district."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [d.name for d in report.districts]
    shares = [100 * d.tally.share for d in report.districts]
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(names) + 1.8))
    bars = ax.barh(names, shares, color="#2f6db5")
    ax.set_xlim(0, 115)  # room for the "N из M" labels
    ax.invert_yaxis()
    ax.set_xlabel("Доля членов профсоюза, до которых дошло сообщение, %")
    ax.set_title(f"Доходимость: {report.title}"[:90])
    for bar, district in zip(bars, report.districts, strict=True):
        label = f"{district.tally.reached} из {district.tally.counts['targeted']}"
        ax.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2, label, va="center")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
