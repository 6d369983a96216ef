"""The settings sections that point `rupor run` at a running sandbox, as TOML text."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (for `rupor run`'s own server, which starts later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def _value(value: str | int) -> str:
    # A JSON string is a valid TOML basic string (same escapes, \uXXXX included).
    return str(value) if isinstance(value, int) else json.dumps(value, ensure_ascii=False)


def _section(name: str, keys: dict[str, str | int | None]) -> list[str]:
    lines = [f"[{name}]"]
    lines += [f"{key} = {_value(value)}" for key, value in keys.items() if value is not None]
    return [*lines, ""]


@dataclass(frozen=True)
class SandboxConfig:
    """Where the sandbox's emulators listen and the credentials they accept."""

    telegram_token: str
    telegram_api_base: str
    vk_token: str
    vk_group_id: int
    vk_api_base: str
    vk_admin_user_token: str
    viber_token: str
    viber_name: str
    viber_api_base: str
    server_host: str
    server_port: int
    members_file: Path
    telegram_staff_chat_id: int | None = None
    telegram_channel_id: str | None = None  # the union's channel, the bot its admin

    def toml(self) -> str:
        """[telegram] (polling), [vk] (longpoll), [viber], [server], with comment lines."""
        lines = [
            "# Rupor sandbox: loopback emulators of Telegram, VK and Viber (no real messenger).",
            f"# members file: {self.members_file}",
            f"#   import it first: rupor --config THIS_FILE audience import {self.members_file}",
            "",
        ]
        for name, keys in self.sections().items():
            lines += _section(name, keys)
        return "\n".join(lines)

    def sections(self) -> dict[str, dict[str, str | int | None]]:
        """The settings as a mapping (None: leave the key out)."""
        return {
            "telegram": {
                "token": self.telegram_token,
                "api_base": self.telegram_api_base,
                "mode": "polling",
                "staff_chat_id": self.telegram_staff_chat_id,
                "channel_id": self.telegram_channel_id,
            },
            "vk": {
                "token": self.vk_token,
                "group_id": self.vk_group_id,
                "api_base": self.vk_api_base,
                "mode": "longpoll",
                "admin_user_token": self.vk_admin_user_token,
            },
            "viber": {
                "token": self.viber_token,
                "name": self.viber_name,
                "api_base": self.viber_api_base,
            },
            "server": {
                "host": self.server_host,
                "port": self.server_port,
                "public_url": f"http://{self.server_host}:{self.server_port}",
            },
        }
