"""`rupor demo`: a real broadcast to a simulated union, end to end, with no tokens.

It starts the three sandbox emulators and a simulated union, works in a fresh directory of
its own (never a configured database), imports the members, sends the monthly leaflet to
everyone at the platforms' real ceilings, and prints the reach report and the chart's path.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
import tomllib
from datetime import datetime
from pathlib import Path

from rich.table import Table

from bots.console import number, show, table
from bots.demo_chat import post_through_chat
from bots.demo_poll import poll_demo
from bots.registry import capabilities
from bots.report_view import render_report, report_view, write_chart
from bots.run_view import SendingProgress
from bots.suite import Suite
from core.audience.importing.job import import_members
from core.config import Settings, settings_from_mapping
from core.reach.ledger import sending_per_channel
from core.reach.report import reach_report
from core.storage.engine import create_engine, session_factory
from core.storage.schema import upgrade_async
from sandbox.runconfig import free_port
from sandbox.runner import Sandbox, SandboxOptions

LEAFLET_TEXT = (
    "**Информационный листок** за декабрь: индексация зарплаты, отпуск 56 дней, "
    "школа молодого профсоюзного лидера и скидки на санатории. "
    "Вопросы пишите прямо сюда — ответит профком. "
    "Подробнее: [сайт организации](https://example.org/leaflet)"
)
RECEIPTS_GRACE_S = 6.0  # members keep reading after the last send; wait for their receipts


def say(text: str) -> None:
    print(text, flush=True)


def demo_settings(toml_text: str, workdir: Path) -> Settings:
    """The sandbox's sections plus a database inside the demo directory; the environment
    is ignored on purpose so a configured database can never be touched."""
    data = tomllib.loads(toml_text)
    data["database"] = {"url": f"sqlite:///{workdir / 'rupor-demo.sqlite3'}"}
    # The demo tells the leaflet's and the poll's story. Its simulated members write about
    # 150 questions, which a staff chat would get at Telegram's group limit (20 a minute)
    # for minutes after the last send; `rupor sandbox` keeps the staff chat to try it.
    data.get("telegram", {}).pop("staff_chat_id", None)
    return settings_from_mapping(data, source="<demo>", environ={})


def _fresh_directory(base: Path | None) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    workdir = (base or Path.cwd()) / f"rupor-demo-{stamp}"
    suffix = 1
    while workdir.exists():
        suffix += 1
        workdir = workdir.with_name(f"rupor-demo-{stamp}-{suffix}")
    workdir.mkdir(parents=True)
    return workdir


async def _deliveries_per_channel(settings: Settings) -> dict[str, tuple[int, int]]:
    """(finished, in all) per channel: part of the run left while the chat was open."""
    engine = create_engine(settings.database.url, readonly=True)
    try:
        queue = await sending_per_channel(engine)
    finally:
        await engine.dispose()
    return {name: queue.get(name, (0, 0)) for name in settings.channels()}


async def _prepare(settings: Settings, members_file: Path) -> None:
    """Schema and members."""
    url = settings.database.url
    await upgrade_async(url)
    engine = create_engine(url)
    try:
        report = await import_members(session_factory(engine), members_file)
        say(f"Загружено членов профсоюза: {report.rows_imported} (отклонено строк: "
            f"{len(report.rejected)}) из {members_file.name}.")
    finally:
        await engine.dispose()


async def _send(settings: Settings) -> float:
    totals = await _deliveries_per_channel(settings)
    say("Отправка на пределе платформ (Telegram 30 сообщений/с, VK 20 запросов/с × 100 "
        "получателей, Viber 500 запросов за 10 с × 300):")
    started = time.monotonic()
    stop = asyncio.Event()
    progress = SendingProgress(totals)
    suite = Suite(settings, on_progress=progress)
    runner = asyncio.create_task(suite.run(stop, until_idle=True))
    try:
        await runner
    finally:
        progress.stop()
    elapsed = time.monotonic() - started
    # Keep the suite up a little longer: members open the messages and the platforms report it.
    stop = asyncio.Event()
    listener = asyncio.create_task(Suite(settings).run(stop))
    await asyncio.sleep(RECEIPTS_GRACE_S)
    stop.set()
    await listener
    return elapsed


PLATFORM_COLUMNS = (
    ("Принято\nсообщений", "accepted"), ("Запро-\nсов", "requests"),
    ("Отказов\n«слишком часто»", "rate_limited"), ("Превышений\nлимита", "violations"),
    ("Пик за\n1 с", "max_in_1s"), ("Загрузок\nфайлов", "uploads"),
)


def _platforms_view(summary: dict[str, dict[str, int]]) -> Table:
    """What the emulated platforms counted: proof that no limit was crossed."""
    rows = [[name, *(number(int(line[key])) for _, key in PLATFORM_COLUMNS)]
            for name, line in summary.items()]
    return table("Что насчитали эмуляторы платформ",
                 ("Платформа", *(h for h, _ in PLATFORM_COLUMNS)), rows)


async def run_demo(base: Path | None = None, *, members: int = 3000, seed: int = 1) -> int:
    workdir = _fresh_directory(base)
    say(f"Демонстрация Рупора в папке {workdir}")
    options = SandboxOptions(seed=seed, members=members, members_file=workdir / "members.csv",
                             console=False, live=True, server_port=free_port())
    sandbox = Sandbox(options)
    config = await sandbox.start()
    try:
        settings = demo_settings(config.toml(), workdir)
        database = f'\n[database]\nurl = "sqlite:///{workdir / "rupor-demo.sqlite3"}"\n'
        (workdir / "config.toml").write_text(config.toml() + database, encoding="utf-8")
        await _prepare(settings, config.members_file)
        say("\nПресс-секретарь готовит рассылку в Telegram (эмулятор):")
        campaign_id = await post_through_chat(sandbox, settings, LEAFLET_TEXT, say)
        say("")
        elapsed = await _send(settings)
        say(f"Отправлено за {elapsed:.1f} с.\n".replace(".", ",", 1))
        engine = create_engine(settings.database.url, readonly=True)
        try:
            report = await reach_report(engine, campaign_id)
        finally:
            await engine.dispose()
        assert report is not None
        reads = {n for n, c in capabilities(settings).items() if c.read_receipts}
        (workdir / "report.txt").write_text(
            render_report(report, read_receipts=reads), encoding="utf-8")
        chart = write_chart(report, workdir / "reach-by-district.png")
        show(report_view(report, schools=False, read_receipts=reads))
        show(_platforms_view(sandbox.union.stats()["summary"]))
        say(f"\nПолный отчёт (каждая школа): {workdir / 'report.txt'}")
        say(f"Диаграмма доходимости по районам: {chart}")
        say("\nОпрос совета молодых педагогов — пресс-секретарь создаёт его в Telegram:")
        poll_chart = await poll_demo(sandbox, settings, workdir, say)
        say(f"Диаграмма итогов опроса: {poll_chart}")
        say(f"База данных: {settings.database.url}  "
            f"(rupor --config {workdir / 'config.toml'} …)")
    finally:
        await sandbox.close()
    return 0


def main(base: Path | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    return asyncio.run(run_demo(base))
