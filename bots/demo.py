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
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from bots.registry import capabilities
from bots.report_view import render_report, write_chart
from bots.suite import Suite
from core.audience.importing.job import import_members
from core.campaigns.store import NewCampaign, create_campaign
from core.config import Settings, settings_from_mapping
from core.reach.report import reach_report
from core.sending import outbox
from core.sending.runs import materialise, start_run
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


class Progress:
    """One line per second while sending: per channel, deliveries done of the total."""

    def __init__(self, totals: dict[str, int]) -> None:
        self.totals = totals
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, suite: Suite) -> None:
        now = time.monotonic()
        if now - self.last < 1.0:
            return
        self.last = now
        parts = []
        for name, sender in suite.senders.items():
            done = sum(sum(c.values()) for c in sender.progress.values())
            parts.append(f"{name} {min(done, self.totals.get(name, 0))}/{self.totals.get(name, 0)}")
        say(f"  {now - self.started:5.1f} s  " + " · ".join(parts))


async def _deliveries_per_channel(settings: Settings) -> dict[str, int]:
    engine = create_engine(settings.database.url, readonly=True)
    try:
        return {name: await outbox.pending_count(engine, [name]) for name in settings.channels()}
    finally:
        await engine.dispose()


async def _prepare(settings: Settings, members_file: Path) -> int:
    """Schema, members, the leaflet campaign and its deliveries; returns the campaign id."""
    url = settings.database.url
    await upgrade_async(url)
    engine = create_engine(url)
    try:
        report = await import_members(session_factory(engine), members_file)
        say(f"Imported {report.rows_imported} members ({len(report.rejected)} rejected) "
            f"from {members_file.name}.")
        leaflet = resources.files("bots") / "assets" / "leaflet.pdf"
        with resources.as_file(leaflet) as path:
            campaign_id = await create_campaign(
                engine,
                NewCampaign(text=LEAFLET_TEXT, media_path=path,
                            title="Информационный листок · декабрь", created_by="demo"),
                capabilities(settings),
            )
        run = await start_run(engine, campaign_id, datetime.now(UTC), settings.channels())
        await materialise(engine, run.run_id)
        return campaign_id
    finally:
        await engine.dispose()


async def _send(settings: Settings) -> float:
    totals = await _deliveries_per_channel(settings)
    say("Sending at the platforms' ceilings (Telegram 30/s, VK 20 requests/s × 100, "
        "Viber 500 requests per 10 s × 300):")
    started = time.monotonic()
    stop = asyncio.Event()
    suite = Suite(settings, on_progress=Progress(totals))
    runner = asyncio.create_task(suite.run(stop, until_idle=True))
    await runner
    elapsed = time.monotonic() - started
    # Keep the suite up a little longer: members open the messages and the platforms report it.
    stop = asyncio.Event()
    listener = asyncio.create_task(Suite(settings).run(stop))
    await asyncio.sleep(RECEIPTS_GRACE_S)
    stop.set()
    await listener
    return elapsed


async def run_demo(base: Path | None = None, *, members: int = 3000, seed: int = 1) -> int:
    workdir = _fresh_directory(base)
    say(f"Rupor demo in {workdir}")
    options = SandboxOptions(seed=seed, members=members, members_file=workdir / "members.csv",
                             console=False, live=True, server_port=free_port())
    sandbox = Sandbox(options)
    config = await sandbox.start()
    try:
        settings = demo_settings(config.toml(), workdir)
        database = f'\n[database]\nurl = "sqlite:///{workdir / "rupor-demo.sqlite3"}"\n'
        (workdir / "config.toml").write_text(config.toml() + database, encoding="utf-8")
        campaign_id = await _prepare(settings, config.members_file)
        elapsed = await _send(settings)
        say(f"Sent in {elapsed:.1f} s.\n")
        engine = create_engine(settings.database.url, readonly=True)
        try:
            report = await reach_report(engine, campaign_id)
        finally:
            await engine.dispose()
        assert report is not None
        text = render_report(report, schools=False)
        (workdir / "report.txt").write_text(render_report(report), encoding="utf-8")
        chart = write_chart(report, workdir / "reach-by-district.png")
        say(text)
        say("\nWhat the emulated platforms saw:")
        for name, line in sandbox.union.stats()["summary"].items():
            say(f"  {name}: {line}")
        say(f"\nFull report (every school): {workdir / 'report.txt'}")
        say(f"Chart of reach per district: {chart}")
        say(f"Database: {settings.database.url}  (rupor --config {workdir / 'config.toml'} …)")
    finally:
        await sandbox.close()
    return 0


def main(base: Path | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    return asyncio.run(run_demo(base))
