"""`rupor invites` against the sandbox: a link per primary organisation and channel, with the
bot's name asked from each platform, a QR PNG per link that encodes exactly that link, an
index, and links that, followed, bring the member into the dialogue at their own school."""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner, Result
from PIL import Image

from bots import invites as invites_module
from bots.cli.main import cli
from bots.texts import DIALOG
from sandbox.runner import VIBER_TOKEN
from sandbox.union import Actor
from tests.e2e.subs_support import POLLING, Rig, answer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def rig(tmp_path: Path, db_url: str) -> AsyncIterator[Rig]:
    opened = await Rig.open(tmp_path, db_url, POLLING)
    try:
        yield opened
    finally:
        await opened.close()


def config_file(rig: Rig, tmp_path: Path) -> Path:
    assert rig.sandbox.config is not None
    path = tmp_path / "config.toml"
    database = json.dumps(rig.settings.database.url)
    path.write_text(rig.sandbox.config.toml() + f"\n[database]\nurl = {database}\n",
                    encoding="utf-8")
    return path


async def run_invites(config: Path, *args: str) -> Result:
    """The command in a worker thread: it runs its own event loop while the emulators keep
    serving on this one."""
    runner = CliRunner()
    return await asyncio.to_thread(
        runner.invoke, cli, ["--config", str(config), "invites", *args], catch_exceptions=False
    )


def qr_matrix(path: Path) -> list[list[bool]]:
    """The modules of a QR PNG, read back from the centre pixel of each module."""
    with Image.open(path) as png:
        png.verify()
    image = Image.open(path).convert("L")
    box = invites_module.QR_BOX_PIXELS
    width = image.width // box
    assert image.width == image.height == width * box
    return [[_dark(image, c * box + box // 2, r * box + box // 2) for c in range(width)]
            for r in range(width)]


def _dark(image: Image.Image, x: int, y: int) -> bool:
    value = image.getpixel((x, y))
    return isinstance(value, int | float) and value < 128


def query(link: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}


async def follow(rig: Rig, actor: Actor, link: str) -> None:
    """What opening the link does on each platform, up to "your organisation is ...".

    VK: vk.me/<community>?ref=<code> opens the dialog; the member's first message (the
    "Начать" button) arrives as message_new carrying `ref` (dev.vk.com, Callback API
    message_new; messages_message.ref in the VK schema).
    """
    params = query(link)
    if actor.platform == "telegram":
        await answer(actor, lambda: actor.start(params["start"]), contains="согласие")
    elif actor.platform == "vk":
        start = json.dumps({"command": "start"})
        await answer(actor, lambda: rig.sandbox.vk.write(
            int(actor.external_id), "Начать", ref=params["ref"], ref_source="qr",
            payload=start), contains="согласие")
    else:
        await answer(actor, lambda: actor.start(params["context"]), contains="Начать")
        await answer(actor, lambda: actor.press("Начать"), contains="согласие")
    found = await answer(actor, lambda: actor.press(DIALOG.consent_yes), contains="фамилию")
    assert actor.person.organisation in found.text


async def test_invites_links_qr_codes_and_index(rig: Rig, tmp_path: Path) -> None:
    config, out = config_file(rig, tmp_path), tmp_path / "invites"
    result = await run_invites(config, "--out", str(out))
    assert result.exit_code == 0, result.output
    with (out / "index.csv").open(encoding="utf-8") as index:
        rows = list(csv.DictReader(index))
    schools = {p.org_path for p in rig.union.people if len(p.org_path) == 3}
    assert {r["path"] for r in rows} == {"/".join(path) for path in schools}
    assert len(rows) == 3 * len(schools)
    for row in rows:
        link, code = row["link"], row["code"]
        assert row["qr_file"] == f"{code}-{row['channel']}.png" and row["qr_file"].isascii()
        assert link in result.output and row["path"] in result.output
        assert code == await rig.org_code(tuple(row["path"].split("/")))
        parts = urlsplit(link)
        if row["channel"] == "telegram":
            assert (parts.scheme, parts.netloc, parts.path) == ("https", "t.me",
                                                                "/rupor_sandbox_bot")
            assert query(link) == {"start": code}
        elif row["channel"] == "vk":
            screen = rig.sandbox.vk.knobs.group_screen_name
            assert (parts.scheme, parts.netloc, parts.path) == ("https", "vk.me", f"/{screen}")
            assert query(link) == {"ref": code}
        else:
            assert link.startswith("viber://pa?")
            assert query(link) == {"chatURI": "rupor-sandbox", "context": code}
        png = out / row["qr_file"]
        assert png.read_bytes().startswith(PNG_SIGNATURE)
        assert qr_matrix(png) == invites_module.qr_code(link).get_matrix()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert all(row["qr_file"] in page for row in rows)

    await rig.start()
    by_channel = {r["channel"]: r for r in rows}
    for platform in ("telegram", "vk", "viber"):
        actor = rig.newcomer(platform)
        path = "/".join(actor.person.org_path)
        link = next(r["link"] for r in rows if r["path"] == path and r["channel"] == platform)
        await follow(rig, actor, link)
    assert set(by_channel) == {"telegram", "vk", "viber"}


async def test_invites_for_one_district_and_unknown_organisations(rig: Rig,
                                                                  tmp_path: Path) -> None:
    config, out = config_file(rig, tmp_path), tmp_path / "district"
    district = next(p.org_path[:2] for p in rig.union.people if len(p.org_path) == 3)
    result = await run_invites(config, "--out", str(out), "--org", await rig.org_code(district))
    assert result.exit_code == 0, result.output
    paths = {line.split("  [")[0] for line in result.output.splitlines() if "  [" in line}
    expected = {"/".join(p.org_path) for p in rig.union.people
                if len(p.org_path) == 3 and p.org_path[:2] == district}
    assert paths == expected
    assert len(list(out.glob("*.png"))) == 3 * len(expected)
    missing = await run_invites(config, "--org", "Нет такой организации/Школа")
    assert missing.exit_code == 2 and "не найдена" in missing.output
    wrong = tmp_path / "wrong-token.toml"
    wrong.write_text(config.read_text(encoding="utf-8").replace(VIBER_TOKEN, "not-a-token"),
                     encoding="utf-8")
    refused = await run_invites(wrong, "--out", str(tmp_path / "none"))
    assert refused.exit_code == 2 and "Viber" in refused.output, refused.output
    assert not (tmp_path / "none").exists()
