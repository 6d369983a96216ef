from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from core.config import SettingsError, async_database_url, load_settings, settings_from_mapping

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_is_valid_and_documents_every_key() -> None:
    example = ROOT / "config.example.toml"
    settings = load_settings(example, environ={})
    assert settings.channels() == ["telegram", "vk", "viber"]
    lines = example.read_text(encoding="utf-8").splitlines()
    data = tomllib.loads(example.read_text(encoding="utf-8"))
    for section, keys in data.items():
        for key in keys:
            index = next(
                i for i, line in enumerate(lines) if line.lstrip("# ").startswith(f"{key} =")
            )
            comment = "\n".join(lines[max(0, index - 4) : index])
            assert "REQUIRED" in comment or "OPTIONAL" in comment, (section, key)


def test_every_settings_field_is_in_the_example() -> None:
    from core.config import Settings

    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    for section, field in Settings.model_fields.items():
        model = field.annotation
        inner = getattr(model, "__args__", (model,))[0]
        assert f"[{section}]" in text
        for key in inner.model_fields:
            assert f"{key} =" in text, f"[{section}] {key} is not documented"


def test_defaults_need_no_channel_sections(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""), environ={})
    assert settings.channels() == []
    assert settings.database.url == "sqlite:///var/rupor.sqlite3"
    assert settings.sending.telegram_ceiling == 30


def test_environment_overrides_and_supplies_secrets(tmp_path: Path) -> None:
    path = write(tmp_path, '[vk]\ngroup_id = 5\ntoken = "from-file"\n')
    env = {"RUPOR_TELEGRAM__TOKEN": "123:abc", "RUPOR_VK__TOKEN": "from-env"}
    settings = load_settings(path, environ=env)
    assert settings.telegram is not None and settings.telegram.token == "123:abc"
    assert settings.vk is not None and settings.vk.token == "from-env"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[telegram]\ntoken = '1:a'\ncolour = 'red'\n",
         ": [telegram] colour: неизвестный ключ; все разделы и ключи — в config.example.toml"),
        ("[telegram]\ntoken = '1:a'\nmdoe = 'polling'\n",
         ": [telegram] mdoe: неизвестный ключ; возможно, mode?"),
        ("[nonsense]\nx = 1\n", ": неизвестный раздел [nonsense]"),
        ("[sendng]\nbatch_size = 1\n", ": неизвестный раздел [sendng]; возможно, [sending]?"),
        ("[vk]\ntoken = 'x'\n", ": [vk] group_id: обязательный ключ не задан"),
        ("[telegram]\ntoken = 'no-colon'\n", ": [telegram] token: нужен токен бота от @BotFather"),
        ("[telegram]\ntoken = '1:a'\nmode = 'push'\n",
         ": [telegram] mode: можно «polling» или «webhook» (сейчас «push»)"),
        ("[database]\nurl = 'mysql://x'\n",
         ": [database] url: адрес базы должен начинаться с sqlite:/// или postgresql://"),
        ("[scheduler]\ntimezone = 'Mars/Olympus'\n",
         ": [scheduler] timezone: неизвестный часовой пояс «Mars/Olympus»"),
        ("[viber]\ntoken = 'x'\napi_base = 'ftp://x'\n",
         ": [viber] api_base: нужен адрес http:// или https://"),
        ("[sending]\nbatch_size = 0\n",
         ": [sending] batch_size: должно быть не меньше 1 (сейчас 0)"),
        ("[sending]\nbatch_size = 60000\n",
         ": [sending] batch_size: должно быть не больше 50000 (сейчас 60000)"),
        ("[sending]\nlease_seconds = 0\n", ": [sending] lease_seconds: должно быть больше 0"),
        ("[server]\nport = 'x'\n", ": [server] port: нужно целое число (сейчас «x»)"),
        ("[scheduler]\nquiet_hours = '9-18'\n", ": [scheduler] quiet_hours: нужно ЧЧ:ММ-ЧЧ:ММ"),
        ("telegram = 5\n", ": [telegram]: должен быть разделом"),
        ("this is = = not toml",
         ": ошибка в записи TOML в строке 1, столбце 6: после ключа нужен знак ="),
        ("[a]\nx = 1\n[a]\n", ": ошибка в записи TOML в строке 3, столбце 3: раздел [a] объявлен "
         "дважды"),
    ],
)
def test_bad_settings_name_the_file_and_key(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as info:
        load_settings(path, environ={})
    message = str(info.value)
    assert message.startswith(f"{path}{fragment}")
    assert "\n" not in message


def test_api_base_keeps_a_path_prefix_and_drops_the_slash() -> None:
    settings = settings_from_mapping(
        {"telegram": {"token": "1:a", "api_base": "http://127.0.0.1:9000/tg/"}}, environ={}
    )
    assert settings.telegram is not None
    assert settings.telegram.api_base == "http://127.0.0.1:9000/tg"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_database_urls_get_async_drivers(url: str, expected: str) -> None:
    assert async_database_url(url) == expected


def test_cli_reports_a_bad_file_in_one_line_with_status_2(tmp_path: Path) -> None:
    path = write(tmp_path, "[telegram]\ntoken = '1:a'\ncolour = 'red'\n")
    result = subprocess.run(
        [sys.executable, "-m", "bots.cli", "--config", str(path), "db", "upgrade"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "colour" in result.stderr and "Traceback" not in result.stderr


def test_cli_missing_file_is_status_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bots.cli",
            "--config",
            str(tmp_path / "nope.toml"),
            "db",
            "upgrade",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert "файл настроек не найден (скопируйте config.example.toml в nope.toml)" in result.stderr


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"RUPOR_TELGRAM__TOKEN": "1:a"},
         "переменная окружения RUPOR_TELGRAM__TOKEN: нет раздела [telgram]; "
         "возможно, [telegram]?"),
        ({"RUPOR_NONSENSE__X": "1"}, "переменная окружения RUPOR_NONSENSE__X: нет раздела "
         "[nonsense]"),
        ({"RUPOR_TELEGRAM__TOKN": "1:a"},
         "переменная окружения RUPOR_TELEGRAM__TOKN: в разделе [telegram] нет ключа tokn; "
         "возможно, token?"),
        ({"RUPOR_TELEGRAM__TOKEN": "no-colon"},
         "переменная окружения RUPOR_TELEGRAM__TOKEN ([telegram] token): нужен токен бота "
         "от @BotFather вида 123456789:AAE…"),
        ({"RUPOR_SENDING__BATCH_SIZE": "many"},
         "переменная окружения RUPOR_SENDING__BATCH_SIZE ([sending] batch_size): нужно целое "
         "число (сейчас «many»)"),
        ({"RUPOR_SENDING__BATCH_SIZE": "0"},
         "переменная окружения RUPOR_SENDING__BATCH_SIZE ([sending] batch_size): должно быть "
         "не меньше 1 (сейчас «0»)"),
    ],
)
def test_a_bad_environment_variable_is_named_not_the_file(
    tmp_path: Path, environ: dict[str, str], expected: str
) -> None:
    path = write(tmp_path, "[telegram]\ntoken = '1:a'\n")
    with pytest.raises(SettingsError) as info:
        load_settings(path, environ=environ)
    assert str(info.value) == expected


def test_a_bad_value_in_the_file_still_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[telegram]\ntoken = 'no-colon'\n")
    with pytest.raises(SettingsError) as info:
        load_settings(path, environ={"RUPOR_TELEGRAM__MODE": "webhook"})
    assert str(info.value).startswith(f"{path}: [telegram] token: ")


def test_public_pages_of_post_are_read_from_the_file_and_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, '[telegram]\ntoken = "1:a"\nchannel_id = "@profsoyuz_perm"\n'
                           '[vk]\ngroup_id = 5\ntoken = "t"\n')
    settings = load_settings(path, environ={"RUPOR_VK__ADMIN_USER_TOKEN": "vk1.a.admin"})
    assert settings.telegram is not None and settings.telegram.channel_id == "@profsoyuz_perm"
    assert settings.vk is not None and settings.vk.admin_user_token == "vk1.a.admin"
    numeric = load_settings(write(tmp_path, '[telegram]\ntoken = "1:a"\n'
                                            "channel_id = -1001234567890\n"), environ={})
    assert numeric.telegram is not None and numeric.telegram.channel_id == "-1001234567890"
    absent = load_settings(write(tmp_path, '[telegram]\ntoken = "1:a"\n'), environ={})
    assert absent.telegram is not None and absent.telegram.channel_id is None


@pytest.mark.parametrize("value", ['"profsoyuz"', '"@ab"', "12345", '"https://t.me/x"'])
def test_a_channel_id_that_is_no_channel_is_refused(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, f'[telegram]\ntoken = "1:a"\nchannel_id = {value}\n')
    with pytest.raises(SettingsError, match=r"\[telegram\] channel_id.*@profsoyuz_perm"):
        load_settings(path, environ={})
