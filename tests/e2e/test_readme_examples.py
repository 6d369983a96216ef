"""Every `rupor` command the README shows in its shell examples runs as written against the
sandbox (the example's files made in a temporary directory; `rupor sandbox` itself is the
rig): a README that promises a command that fails is a defect."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

from tests.e2e.processes import Launcher
from tests.e2e.rig import open_rig

ROOT = Path(__file__).resolve().parents[2]
LEAFLET = ROOT / "bots" / "assets" / "leaflet.pdf"
BLOCK = re.compile(r"```sh\n(.*?)```", re.S)


def readme_commands() -> list[list[str]]:
    """The `rupor …` lines of the README's ```sh blocks (continuations joined, comments
    dropped), except `rupor sandbox`, which the test's rig stands for."""
    commands = []
    for block in BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8")):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["rupor"] and words[1:2] != ["sandbox"]:
                commands.append(words[1:])
    return commands


def test_the_readme_shows_the_sandbox_walk_through_and_a_segment() -> None:
    shown = [" ".join(words) for words in readme_commands()]
    assert any("audience import" in c for c in shown)
    assert any("run --until-idle" in c for c in shown)
    assert any("org:" in c and "role:" in c for c in shown)


async def test_every_readme_command_runs_as_written(tmp_path: Path, launcher: Launcher) -> None:
    rig = await open_rig(tmp_path, tmp_path / "rupor.sqlite3", members=300, seed=2)
    try:
        config = rig.write_config()
        shutil.copy(config, tmp_path / "sandbox.toml")
        for name in ("leaflet.pdf", "листок.pdf"):
            shutil.copy(LEAFLET, tmp_path / name)
        members = str(rig.config.members_file)
        for number, words in enumerate(readme_commands()):
            argv = [members if word == "MEMBERS.csv" else word for word in words]
            job = await launcher.run(argv, tmp_path, f"readme-{number}", timeout=120)
            assert job.returncode() == 0, f"rupor {' '.join(argv)}\n{job.output()}"
            if argv[0] == "post" or "post" in argv[:3]:
                assert re.search(r"Рассылка №\d+ создана, запуск №\d+: [1-9]", job.stdout()), (
                    f"rupor {' '.join(argv)} reached nobody\n{job.output()}")
    finally:
        await rig.close()
