"""Every `rupor` command masks the configured secrets (bots.logs.mask_secrets, installed
when a command reads its settings), not only `rupor run`: a command that logs a token,
writes it to stderr and dies with it in a traceback shows "***" each time."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "7000000002:SECRETcli-token-x"
VK_ADMIN = "vk1.a.SECRET-admin-token"

# A command added to the real root group, as any command of bots/cli is: it reads the
# settings through the shared AppContext, then leaks the token three ways.
LEAKY = textwrap.dedent("""
    import logging, sys
    from bots.cli.context import AppContext, pass_app
    from bots.cli.main import cli

    @cli.command("leak")
    @pass_app
    def leak(app: AppContext) -> None:
        token = app.settings.telegram.token
        logging.getLogger("rupor.test").warning("the platform refused %s", token)
        print(f"rupor: refused bot{token} and {app.settings.vk.admin_user_token}",
              file=sys.stderr)
        raise RuntimeError(f"https://api.telegram.org/bot{token}/getMe: 401")

    cli(["--config", sys.argv[1], "leak"])
""")


def test_a_commands_errors_show_the_token_masked(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "r.sqlite3"}"\n'
        f'[telegram]\ntoken = "{TOKEN}"\n'
        f'[vk]\ntoken = "vk-group-SECRET"\ngroup_id = 1\nadmin_user_token = "{VK_ADMIN}"\n',
        encoding="utf-8")
    environ = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", LEAKY, str(config)], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path, env=environ, check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "RuntimeError" in done.stderr, output
    assert "SECRET" not in output, output
    assert "the platform refused ***" in done.stderr  # the log, never set up: last resort
    assert "rupor: refused bot*** and ***" in done.stderr  # a line written to stderr
    assert "/bot***/getMe: 401" in done.stderr  # the traceback
