"""The reach report for people: Russian tables that fit an 80-column terminal, with what
each column means, and a PNG chart of reach per district."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from bots.console import NOT_AVAILABLE, number, table
from core.reach.report import COLUMNS, OrgLine, ReachReport, Tally
from core.sending.split import shortened

RUN_STATUS = {
    "materialising": "готовится список получателей",
    "sending": "идёт отправка",
    "done": "завершена",
    "cancelled": "отменена",
    "paused": "приостановлена",
}
# Headers break where a Russian word may be hyphenated, so the tables fit 80 characters.
CHANNEL_HEADERS = ("Мессенджер", "Всего", "Дошло", "%", "Прочли", "Не\nясно", "В оче-\nреди",
                   "Не\nдошло")
ORG_HEADERS = ("Район /\nорганизация", "Всего", "Дошло", "%", "Прочли", "Не\nясно",
               "Не\nдошло", "Недос-\nтупны")


def _not_reached(tally: Tally) -> int:
    """Failed, blocked, left, wrong id, cancelled: every outcome that is not on its way."""
    c = tally.counts
    pending = c["uncertain"] + c["in_progress"] + c["unreachable"]
    return c["targeted"] - tally.reached - pending


def _share(tally: Tally) -> str:
    return f"{100 * tally.share:.1f}".replace(".", ",")


def _channel_row(name: str, tally: Tally, reads: bool) -> list[str]:
    c = tally.counts
    read = number(c["read"]) if reads else NOT_AVAILABLE
    return [name, number(c["targeted"]), number(tally.reached), _share(tally), read,
            number(c["uncertain"]), number(c["in_progress"]), number(_not_reached(tally))]


def _org_row(name: str, tally: Tally) -> list[str]:
    c = tally.counts
    return [name, number(c["targeted"]), number(tally.reached), _share(tally),
            number(c["read"]), number(c["uncertain"]), number(_not_reached(tally)),
            number(c["unreachable"])]


def _org_rows(report: ReachReport, schools: bool) -> list[list[str]]:
    rows = []
    for district in report.districts:
        rows.append(_org_row(district.name, district.tally))
        if schools:
            rows += [_org_row("  " + school.name, school.tally) for school in district.schools]
    return rows


def _legend(report: ReachReport, unread: list[str]) -> Text:
    lines = [
        "Каждый человек считается один раз — по лучшему результату среди его мессенджеров.",
        "Дошло — отправлено, доставлено или прочитано; % — доля дошедших от всех адресатов.",
        "Не ясно — ответ платформы потерян: сообщение могло дойти, возможно дважды "
        f"(за рассылку таких отметок: {number(report.total.counts['flagged'])}).",
        "Не дошло — ошибка, заблокировали бота, отписались, неверный id или отмена.",
        f"Из них неверный id (платформа не знает такого пользователя — исправьте id в списке "
        f"членов): {number(report.total.counts['wrong_id'])}.",
        "Недоступны — нет действующей подписки ни в одном мессенджере этой рассылки.",
    ]
    if unread:
        lines.append(f"{NOT_AVAILABLE} — {', '.join(unread)} не сообщает ботам о прочтении; "
                     "в строках районов «Прочли» считает только остальные мессенджеры.")
    return Text("\n".join(lines), style="dim")


def _tally_data(tally: Tally) -> dict[str, Any]:
    counts = {column: tally.counts[column] for column in COLUMNS}
    return {"counts": counts, "reached": tally.reached, "share": round(tally.share, 4)}


def _org_data(line: OrgLine) -> dict[str, Any]:
    return {"id": line.org_id, "name": line.name, "kind": line.kind,
            **_tally_data(line.tally), "schools": [_org_data(s) for s in line.schools]}


def report_data(report: ReachReport) -> dict[str, Any]:
    """The report for scripts (`--json`): every column present, zeros included."""
    return {
        "campaign_id": report.campaign_id, "title": report.title, "run_id": report.run_id,
        "run_status": report.run_status, "total": _tally_data(report.total),
        "channels": {name: _tally_data(t) for name, t in report.channels.items()},
        "districts": [_org_data(d) for d in report.districts],
    }


def report_view(
    report: ReachReport, *, schools: bool = True, read_receipts: Collection[str] = ()
) -> RenderableType:
    """The whole report; `read_receipts` names the channels that report reading."""
    status = RUN_STATUS.get(report.run_status, report.run_status)
    head = Text(f"Рассылка №{report.campaign_id}: {report.title}\n"
                f"Запуск №{report.run_id} — {status}")
    channels: Table = table(
        "По мессенджерам",
        CHANNEL_HEADERS,
        [_channel_row(n, t, n in read_receipts) for n, t in report.channels.items()],
    )
    orgs: Table = table(
        "По районам и организациям",
        ORG_HEADERS,
        _org_rows(report, schools),
        total=_org_row("Итого (людей)", report.total),
    )
    unread = [name for name in report.channels if name not in read_receipts]
    return Group(head, channels, orgs, _legend(report, [n.capitalize() for n in unread]))


def render_report(
    report: ReachReport, *, schools: bool = True, read_receipts: Collection[str] = (),
    width: int = 80,
) -> str:
    """The report as plain text of at most `width` columns (for files, chat and tests)."""
    import io

    from rich.console import Console

    out = Console(width=width, record=True, file=io.StringIO(), highlight=False,
                  color_system=None)
    out.print(report_view(report, schools=schools, read_receipts=read_receipts))
    return "\n".join(line.rstrip() for line in out.export_text().splitlines())


def write_chart(report: ReachReport, path: Path) -> Path:
    """A horizontal bar chart: share of members reached per district."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [d.name + (f"\n(неверный id: {d.tally.counts['wrong_id']})"
                       if d.tally.counts["wrong_id"] else "") for d in report.districts]
    shares = [100 * d.tally.share for d in report.districts]
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(names) + 1.8))
    bars = ax.barh(names, shares, color="#2f6db5")
    ax.set_xlim(0, 115)  # room for the "N из M" labels
    ax.invert_yaxis()
    ax.set_xlabel("Доля членов профсоюза, до которых дошло сообщение, %")
    ax.set_title(shortened(f"Доходимость: {report.title}", 90))
    for bar, district in zip(bars, report.districts, strict=True):
        label = f"{district.tally.reached} из {district.tally.counts['targeted']}"
        ax.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2, label, va="center")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
