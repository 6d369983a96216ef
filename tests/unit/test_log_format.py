"""bots/logs.py: a record's `extra=` fields become JSON keys or `[key=value]` pairs; the
message and a traceback keep their place; nothing else of the record is added."""

from __future__ import annotations

import json
import logging
import sys

from bots.logs import JsonLines, TextWithContext, formatter


def record(msg: str, *args: object, extra: dict[str, object] | None = None,
           exc: bool = False) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise ValueError("сбой")
        except ValueError:
            info = sys.exc_info()
    made = logging.LogRecord("rupor.runs", logging.INFO, __file__, 1, msg, args, info)
    for key, value in (extra or {}).items():
        setattr(made, key, value)
    return made


def test_json_line_carries_the_event_and_its_ids() -> None:
    line = JsonLines().format(record("запуск №%s завершён", 7, extra={
        "event": "run.finished", "run_id": 7, "campaign_id": 3}))
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["event"] == "run.finished" and parsed["run_id"] == 7
    assert parsed["campaign_id"] == 3 and parsed["message"] == "запуск №7 завершён"
    assert parsed["level"] == "info" and parsed["logger"] == "rupor.runs"
    assert set(parsed) == {"ts", "level", "logger", "event", "message", "run_id", "campaign_id"}


def test_json_without_extra_names_the_logger_and_keeps_a_traceback_in_one_line() -> None:
    parsed = json.loads(JsonLines().format(record("не удалось", exc=True)))
    assert parsed["event"] == "rupor.runs" and "ValueError: сбой" in parsed["exc"]


def test_text_line_appends_the_fields_and_keeps_the_traceback_below() -> None:
    text = TextWithContext().format(record("ошибка", extra={"event": "channel.fault",
                                                           "channel": "vk"}, exc=True))
    first, *rest = text.splitlines()
    assert first.endswith("rupor.runs: ошибка [event=channel.fault channel=vk]")
    assert rest and "ValueError" in rest[-1]
    plain = TextWithContext().format(record("состояние"))
    assert plain.endswith("rupor.runs: состояние")


def test_formatter_by_setting() -> None:
    assert isinstance(formatter("json"), JsonLines)
    assert isinstance(formatter("text"), TextWithContext)
