"""`rupor run`'s log: one line per event, as text or as JSON ([server] log_format).

Core and the scheduler log through `logging` and name an event's context with `extra=`
(event, channel, campaign_id, run_id, …); this module only writes those fields out. A
record's arguments are what its message shows — never a settings object, so no token.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName"}


def context_of(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a call passed with `extra=`, in the order given."""
    return {key: value for key, value in vars(record).items()
            if key not in _STANDARD and not key.startswith("_")}


class JsonLines(logging.Formatter):
    """{"ts", "level", "logger", "event", "message", …context, "exc"}: one JSON object a line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.name,  # replaced by the record's own event name when it has one
            "message": record.getMessage(),
        }
        line.update(context_of(record))
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextWithContext(logging.Formatter):
    """The usual text line, then the event's context as key=value pairs."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = context_of(record)
        if not context:
            return line
        pairs = " ".join(f"{key}={value}" for key, value in context.items())
        head, newline, rest = line.partition("\n")  # a traceback stays below the line
        return f"{head} [{pairs}]{newline}{rest}"


def formatter(log_format: str) -> logging.Formatter:
    return JsonLines() if log_format == "json" else TextWithContext()


def setup_logging(log_format: str, level: int = logging.INFO) -> None:
    """The root logger writes one line per event to stderr in `log_format`."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=level, handlers=[handler])  # no-op where handlers exist
