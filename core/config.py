"""Settings: one validated object built once from a TOML file and the environment.

Any key may come from the environment as RUPOR_<SECTION>__<KEY> (e.g. RUPOR_TELEGRAM__TOKEN),
which overrides the file; that is where secrets belong in production. A variable naming no
known section or key, or holding a bad value, is reported by its name, not as the file's.

Every message reaches a person (the CLI prints it as is), so it is Russian, one line, and says
what is wrong and what to do: pydantic's own messages for the common error types are mapped
to Russian (_PYDANTIC_RU); a rarer type keeps pydantic's English text after a Russian prefix.
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
    """A settings file that cannot be used; the message is one Russian line naming the file
    (or the environment variable) and the [section] key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _origin(value: str) -> str:
    """An api_base is an origin (scheme://host[:port][/prefix]) without a trailing slash."""
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
        raise ValueError("нужен адрес http:// или https://, например https://example.org")
    return value.rstrip("/")


class DatabaseSettings(_Section):
    url: str = DEFAULT_DATABASE_URL

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not re.match(r"^(sqlite(\+aiosqlite)?|postgres(ql)?(\+asyncpg)?)://", value):
            raise ValueError("адрес базы должен начинаться с sqlite:/// или postgresql://")
        return value


class TelegramSettings(_Section):
    token: Annotated[str, Field(pattern=r"^\d+:[A-Za-z0-9_-]+$")]
    api_base: str = "https://api.telegram.org"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_secret: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,256}$")] | None = None
    staff_chat_id: int | None = None
    # The union's public channel for /post's "＋ Канал Telegram": "@name" or its -100… id.
    channel_id: str | None = None

    _base = field_validator("api_base")(_origin)

    @field_validator("channel_id", mode="before")
    @classmethod
    def _channel(cls, value: object) -> str | None:
        text = None if value is None else str(value).strip()
        if text is None or re.fullmatch(r"@[A-Za-z][A-Za-z0-9_]{4,31}|-\d{5,20}", text):
            return text
        raise ValueError("нужен @адрес канала или его номер, например \"@profsoyuz_perm\" "
                         "или -1001234567890")


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
    metrics: bool = True  # /healthz and /metrics, so the server starts without webhooks too
    log_format: Literal["text", "json"] = "text"

    @field_validator("public_url")
    @classmethod
    def _public(cls, value: str | None) -> str | None:
        return None if value is None else _origin(value)


class SchedulerSettings(_Section):
    timezone: str = "Asia/Yekaterinburg"
    quiet_hours: Annotated[str, Field(pattern=r"^$|^\d{2}:\d{2}-\d{2}:\d{2}$")] = "21:00-09:00"
    lateness_limit_minutes: Annotated[int, Field(ge=0)] = 360

    @field_validator("quiet_hours")
    @classmethod
    def _clock_times(cls, value: str) -> str:
        from datetime import time

        for part in filter(None, value.split("-")):
            try:
                time.fromisoformat(part)
            except ValueError as exc:
                raise ValueError(f"нет такого времени «{part}» (пример: 21:00-09:00)") from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"неизвестный часовой пояс «{value}» (пример: Asia/Yekaterinburg)"
            ) from exc
        return value


class SendingSettings(_Section):
    telegram_ceiling: Annotated[int, Field(ge=1, le=1000)] = 30
    uncertain_policy: Literal["resend", "hold"] = "resend"
    max_attempts: Annotated[int, Field(ge=1, le=50)] = 5
    lease_seconds: Annotated[float, Field(gt=0)] = 60.0
    batch_size: Annotated[int, Field(ge=1, le=50_000)] = 5000
    http_timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 30.0
    retry_backoff_seconds: Annotated[float, Field(gt=0, le=3600)] = 2.0


class StaffSettings(_Section):
    two_person_rule: bool = False
    bridge: bool = False  # relay the Telegram and the VK staff chats to each other


class Settings(_Section):
    database: DatabaseSettings = DatabaseSettings()
    telegram: TelegramSettings | None = None
    vk: VkSettings | None = None
    viber: ViberSettings | None = None
    server: ServerSettings = ServerSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    sending: SendingSettings = SendingSettings()
    staff: StaffSettings = StaffSettings()

    def channels(self) -> list[str]:
        """Names of the channels whose section is present (only those are started)."""
        return [name for name in ("telegram", "vk", "viber") if getattr(self, name) is not None]


SECTIONS: dict[str, type[_Section]] = {
    "database": DatabaseSettings, "telegram": TelegramSettings, "vk": VkSettings,
    "viber": ViberSettings, "server": ServerSettings, "scheduler": SchedulerSettings,
    "sending": SendingSettings, "staff": StaffSettings,
}
Variables = dict[tuple[str, str], str]  # (section, key) -> the environment variable's name


def _did_you_mean(word: str, known: Any, form: str) -> str:
    close = difflib.get_close_matches(word, sorted(known), n=1)
    return f"; возможно, {form.format(close[0])}?" if close else ""


def _hint_or_example(word: str, known: Any, form: str) -> str:
    return _did_you_mean(word, known, form) or "; все разделы и ключи — в config.example.toml"


def _check_variable(name: str, section: str, key: str) -> None:
    """An override names a known section and key, or the error names the variable."""
    if section not in SECTIONS:
        hint = _did_you_mean(section, SECTIONS, "[{}]")
        raise SettingsError(f"переменная окружения {name}: нет раздела [{section}]{hint}")
    keys = SECTIONS[section].model_fields
    if key not in keys:
        hint = _did_you_mean(key, keys, "{}")
        raise SettingsError(
            f"переменная окружения {name}: в разделе [{section}] нет ключа {key}{hint}"
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


# What a value of a patterned key looks like, said instead of the bare regular expression
# (and without echoing the value: it may be a token).
_PATTERN_HINTS = {
    ("telegram", "token"): "нужен токен бота от @BotFather вида 123456789:AAE…",
    ("telegram", "webhook_secret"): "нужно 1–256 символов из A-Z, a-z, 0-9, _ и -",
    ("scheduler", "quiet_hours"): "нужно ЧЧ:ММ-ЧЧ:ММ, например 21:00-08:00, или \"\" без тишины",
}


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"«{value}»" if isinstance(value, str) else str(value)


# pydantic's error types people meet, in Russian; {now} is " (сейчас <value>)", the other
# fields come from the error's ctx. A value is echoed only where it cannot be a secret.
_PYDANTIC_RU = {
    "missing": "обязательный ключ не задан — добавьте его",
    "int_parsing": "нужно целое число{now}",
    "int_type": "нужно целое число{now}",
    "int_from_float": "нужно целое число{now}",
    "float_parsing": "нужно число{now}",
    "float_type": "нужно число{now}",
    "bool_parsing": "нужно true или false{now}",
    "bool_type": "нужно true или false{now}",
    "greater_than_equal": "должно быть не меньше {ge}{now}",
    "greater_than": "должно быть больше {gt}{now}",
    "less_than_equal": "должно быть не больше {le}{now}",
    "less_than": "должно быть меньше {lt}{now}",
    "literal_error": "можно {expected}{now}",
    "string_too_long": "слишком длинно: можно не больше {max_length} символов",
    "string_type": "нужна строка в кавычках",
    "model_type": "должен быть разделом (таблицей TOML), а не отдельным значением",
    "dict_type": "должен быть разделом (таблицей TOML), а не отдельным значением",
}


def _pydantic_ru(error: Any) -> str:
    """pydantic's message for one error, in Russian for the types people meet."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:  # our own validators: already Russian
        return str(ctx["error"])
    if kind == "string_pattern_mismatch":  # said by example, the value not echoed
        loc = [str(part) for part in error["loc"]]
        hint = _PATTERN_HINTS.get((loc[0], loc[-1])) if len(loc) == 2 else None
        return hint or f"значение не подходит под шаблон {ctx['pattern']}"
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return "не может быть пустым"
        return f"слишком коротко: нужно не меньше {ctx['min_length']} символов"
    if kind not in _PYDANTIC_RU:
        return f"недопустимое значение: {error['msg']}"
    fields = {name: _shown(value) for name, value in ctx.items()}
    if kind == "literal_error":  # "'polling' or 'webhook'" -> "«polling» или «webhook»"
        expected = re.sub(r"'([^']*)'", r"«\1»", str(ctx["expected"]))
        fields["expected"] = expected.replace(" or ", " или ")
    return _PYDANTIC_RU[kind].format(now=f" (сейчас {_shown(error.get('input'))})", **fields)


def _where(loc: list[str]) -> str:
    """("sending", "batch_size") -> "[sending] batch_size"; ("nonsense",) -> "[nonsense]"."""
    if not loc:
        return "(весь файл)"
    return " ".join([f"[{loc[0]}]", ".".join(loc[1:])]).rstrip()


def _describe(path: str, error: ValidationError, variables: Variables) -> str:
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"]]
    where = _where(loc)
    variable = variables.get((loc[0], loc[1])) if len(loc) >= 2 else None
    if variable is not None:  # the value came from the environment, not from the file
        return f"переменная окружения {variable} ({where}): {_pydantic_ru(first)}"
    if first["type"] == "extra_forbidden":
        if len(loc) == 1:
            hint = _hint_or_example(loc[0], SECTIONS, "[{}]")
            return f"{path}: неизвестный раздел [{loc[0]}]{hint}"
        fields = SECTIONS[loc[0]].model_fields if loc[0] in SECTIONS else {}
        hint = _hint_or_example(loc[-1], fields, "{}")
        return f"{path}: {where}: неизвестный ключ{hint}"
    return f"{path}: {where}: {_pydantic_ru(first)}"


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


# tomllib's commonest complaints, in Russian; a rarer one keeps its English text.
_TOML_RU = {
    "Invalid statement": "непонятная строка",
    "Expected '=' after a key in a key/value pair": "после ключа нужен знак =",
    "Cannot overwrite a value": "ключ задан дважды",
    "Expected ']' at the end of a table declaration": "в названии раздела не хватает ]",
    "Invalid value": "непонятное значение (текст берите в кавычки)",
    "Unterminated string": "не закрыта кавычка",
    "Invalid initial character for a key part": "ключ начинается с недопустимого символа",
    "Unclosed array": "список не закрыт скобкой ]",
}


def _toml_error_ru(text: str) -> str:
    """"Invalid value (at line 3, column 7)" -> "ошибка в записи TOML в строке 3, столбце 7: …"."""
    match = re.fullmatch(r"(.*) \((?:at line (\d+), column (\d+)|at end of document)\)", text)
    if match is None:
        return f"ошибка в записи TOML: {text}"
    detail, line, column = match.groups()
    twice = re.fullmatch(r"Cannot declare (.*) twice", detail)
    expected = re.fullmatch(r"Expected (['\"])(.+)\1", detail)
    if detail in _TOML_RU:
        detail = _TOML_RU[detail]
    elif twice:  # the key is printed as a tuple: ('sending',)
        section = ".".join(re.findall(r"'([^']*)'", twice[1]))
        detail = f"раздел [{section}] объявлен дважды"
    elif expected:
        detail = f"не хватает {expected[2]}"
    place = f"в строке {line}, столбце {column}" if line else "в конце файла"
    return f"ошибка в записи TOML {place}: {detail}"


def load_settings(path: str | Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate a settings file; raise SettingsError with a one-line reason."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(
            f"{file}: файл настроек не найден "
            f"(скопируйте config.example.toml в {file.name})"
        ) from None
    except UnicodeDecodeError:
        raise SettingsError(
            f"{file}: файл настроек не в кодировке UTF-8 — сохраните его в UTF-8"
        ) from None
    except PermissionError:
        raise SettingsError(f"{file}: нет прав на чтение файла настроек") from None
    except IsADirectoryError:
        raise SettingsError(f"{file}: это папка, а нужен файл настроек") from None
    except OSError as exc:
        raise SettingsError(
            f"{file}: не удаётся прочитать файл настроек: {exc.strerror or exc}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{file}: {_toml_error_ru(str(exc))}") from None
    return settings_from_mapping(data, source=str(file), environ=environ)


def async_database_url(url: str) -> str:
    """Pick the async driver for a plain sqlite:/// or postgresql:// URL."""
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://"):]
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    return url.replace("postgres+asyncpg://", "postgresql+asyncpg://", 1)
