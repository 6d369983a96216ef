"""What every command shares: the settings file, loaded only when a command needs it.
Imports no command module, so each command group can import it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from bots.logs import mask_secrets
from core.config import DEFAULT_CONFIG, Settings, SettingsError, load_settings


class AppContext:
    """Lazily loaded settings: commands that need none (demo, sandbox) never read the file."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path or os.environ.get("RUPOR_CONFIG") or DEFAULT_CONFIG
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(Path(self.config_path))
            except SettingsError as exc:
                click.echo(f"rupor: {exc}", err=True)
                sys.exit(2)
            mask_secrets(self._settings)  # every command: no token in its log or errors
        return self._settings


pass_app = click.make_pass_decorator(AppContext)


pass_app = click.make_pass_decorator(AppContext)
