"""Settings: one validated object built once from a TOML file and the environment.

Any key may come from the environment as RUPOR_<SECTION>__<KEY> (e.g. RUPOR_TELEGRAM__TOKEN),
which overrides the file; that is where secrets belong in production. A variable naming no
known section or key, or holding a bad value, is reported by its name, not as the file's.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ENV_PREFIX = "RUPOR_"
DEFAULT_CONFIG = "config.toml"
DEFAULT_DATABASE_URL = "sqlite:///var/rupor.sqlite3"


class SettingsError(Exception):
    """A settings file that cannot be used; the message is one line naming file and key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _origin(value: str) -> str:
    """An api_base is an origin (scheme://host[:port][/prefix]) without a trailing slash."""
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
        raise ValueError("must be an http(s) URL such as https://api.telegram.org")
    return value.rstrip("/")


class DatabaseSettings(_Section):
    url: str = DEFAULT_DATABASE_URL

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not re.match(r"^(sqlite(\+aiosqlite)?|postgres(ql)?(\+asyncpg)?)://", value):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value


class TelegramSettings(_Section):
    token: Annotated[str, Field(pattern=r"^\d+:[A-Za-z0-9_-]+$")]
    api_base: str = "https://api.telegram.org"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_secret: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,256}$")] | None = None
    staff_chat_id: int | None = None

    _base = field_validator("api_base")(_origin)


class VkSettings(_Section):
    token: Annotated[str, Field(min_length=1)]
    group_id: Annotated[int, Field(gt=0)]
    api_base: str = "https://api.vk.ru"
    mode: Literal["longpoll", "callback"] = "longpoll"
    secret: str | None = None
    confirmation: str | None = None
    admin_user_token: str | None = None
    staff_peer_id: int | None = None

    _base = field_validator("api_base")(_origin)


class ViberSettings(_Section):
    token: Annotated[str, Field(min_length=1)]
    name: Annotated[str, Field(min_length=1, max_length=28)] = "Профсоюз"
    avatar: str | None = None
    api_base: str = "https://chatapi.viber.com"

    _base = field_validator("api_base")(_origin)


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8080
    public_url: str | None = None

    @field_validator("public_url")
    @classmethod
    def _public(cls, value: str | None) -> str | None:
        return None if value is None else _origin(value)


class SchedulerSettings(_Section):
    timezone: str = "Asia/Yekaterinburg"
    quiet_hours: Annotated[str, Field(pattern=r"^$|^\d{2}:\d{2}-\d{2}:\d{2}$")] = "21:00-08:00"
    lateness_limit_minutes: Annotated[int, Field(ge=0)] = 180

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class SendingSettings(_Section):
    telegram_ceiling: Annotated[int, Field(ge=1, le=1000)] = 30
    uncertain_policy: Literal["resend", "hold"] = "resend"
    max_attempts: Annotated[int, Field(ge=1, le=50)] = 5
    lease_seconds: Annotated[float, Field(gt=0)] = 60.0
    batch_size: Annotated[int, Field(ge=1, le=50_000)] = 5000
    http_timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 30.0
    retry_backoff_seconds: Annotated[float, Field(gt=0, le=3600)] = 2.0


class Settings(_Section):
    database: DatabaseSettings = DatabaseSettings()
    telegram: TelegramSettings | None = None
    vk: VkSettings | None = None
    viber: ViberSettings | None = None
    server: ServerSettings = ServerSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    sending: SendingSettings = SendingSettings()

    def channels(self) -> list[str]:
        """Names of the channels whose section is present (only those are started)."""
        return [name for name in ("telegram", "vk", "viber") if getattr(self, name) is not None]


SECTIONS: dict[str, type[_Section]] = {
    "database": DatabaseSettings, "telegram": TelegramSettings, "vk": VkSettings,
    "viber": ViberSettings, "server": ServerSettings, "scheduler": SchedulerSettings,
    "sending": SendingSettings,
}
Variables = dict[tuple[str, str], str]  # (section, key) -> the environment variable's name


def _did_you_mean(word: str, known: Any, form: str) -> str:
    close = difflib.get_close_matches(word, sorted(known), n=1)
    return f"; did you mean {form.format(close[0])}?" if close else ""


def _check_variable(name: str, section: str, key: str) -> None:
    """An override names a known section and key, or the error names the variable."""
    if section not in SECTIONS:
        hint = _did_you_mean(section, SECTIONS, "[{}]")
        raise SettingsError(f"environment variable {name}: no section [{section}]{hint}")
    keys = SECTIONS[section].model_fields
    if key not in keys:
        hint = _did_you_mean(key, keys, "{}")
        raise SettingsError(
            f"environment variable {name}: no key {key!r} in section [{section}]{hint}"
        )


def _env_overrides(environ: Mapping[str, str]) -> tuple[dict[str, dict[str, str]], Variables]:
    overrides: dict[str, dict[str, str]] = {}
    variables: Variables = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX):].lower().partition("__")
        _check_variable(name, section, key)
        overrides.setdefault(section, {})[key] = value
        variables[(section, key)] = name
    return overrides, variables


def _merge(data: dict[str, Any], overrides: dict[str, dict[str, str]]) -> dict[str, Any]:
    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    for section, keys in overrides.items():
        target = merged.setdefault(section, {})
        if isinstance(target, dict):
            target.update(keys)
    return merged


def _describe(path: str, error: ValidationError, variables: Variables) -> str:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    loc = [str(part) for part in first["loc"]]
    variable = variables.get((loc[0], loc[1])) if len(loc) >= 2 else None
    if variable is not None:  # the value came from the environment, not from the file
        return f"environment variable {variable} (key {key!r}): {first['msg']}"
    if first["type"] == "extra_forbidden":
        return f"{path}: unknown key {key!r}"
    if first["type"] == "missing":
        return f"{path}: key {key!r} is required"
    return f"{path}: key {key!r}: {first['msg']}"


def settings_from_mapping(
    data: Mapping[str, Any], *, source: str = "<settings>", environ: Mapping[str, str] | None = None
) -> Settings:
    """Validate a parsed TOML mapping merged with RUPOR_* environment overrides."""
    overrides, variables = _env_overrides(os.environ if environ is None else environ)
    merged = _merge(dict(data), overrides)
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise SettingsError(_describe(source, exc, variables)) from None


def load_settings(path: str | Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate a settings file; raise SettingsError with a one-line reason."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{file}: settings file not found (copy config.example.toml)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{file}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{file}: not valid TOML: {exc}") from None
    return settings_from_mapping(data, source=str(file), environ=environ)


def async_database_url(url: str) -> str:
    """Pick the async driver for a plain sqlite:/// or postgresql:// URL."""
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://"):]
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    return url.replace("postgres+asyncpg://", "postgresql+asyncpg://", 1)
