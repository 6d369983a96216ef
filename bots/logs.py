"""`rupor run`'s log: one line per event, as text or as JSON ([server] log_format).

Core and the scheduler log through `logging` and name an event's context with `extra=`
(event, channel, campaign_id, run_id, …); this module only writes those fields out. A
record's arguments are what its message shows — never a settings object, so no token.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO, cast
from urllib.parse import quote, urlsplit

from core.config import Settings

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
            line["exc"] = record.exc_text or self.formatException(record.exc_info)
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


MASK = "***"
SHORTEST_SECRET = 6  # shorter values would mask ordinary words


def secrets_of(settings: Settings) -> list[str]:
    """Every secret the settings hold: bot tokens, webhook secrets, the VK admin token and
    a database password."""
    found = [settings.telegram.token, settings.telegram.webhook_secret] if settings.telegram \
        else []
    if settings.vk is not None:
        found += [settings.vk.token, settings.vk.secret, settings.vk.admin_user_token]
    if settings.viber is not None:
        found.append(settings.viber.token)
    found.append(urlsplit(settings.database.url).password)
    return [secret for secret in found if secret]


class Redactor(logging.Filter):
    """Writes "***" for every secret — as configured and URL-encoded — in a record's message,
    its context fields and its traceback. A safety net: call sites keep secrets out of
    their messages in the first place (tests/e2e/test_secrets_in_logs.py)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        forms = {form for secret in secrets if len(secret) >= SHORTEST_SECRET
                 for form in (secret, quote(secret, safe=""), quote(secret))}
        self.forms = sorted(forms, key=len, reverse=True)  # the longest form first

    def redact(self, text: str) -> str:
        for form in self.forms:
            text = text.replace(form, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        for key, value in context_of(record).items():
            if isinstance(value, str):
                setattr(record, key, self.redact(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def redact_secrets(settings: Settings) -> None:
    """Mask the settings' secrets in everything the root logger's handlers write (and
    Python's last-resort handler, which writes when logging was never set up)."""
    redactor = Redactor(secrets_of(settings))
    handlers = [*logging.getLogger().handlers, logging.lastResort]
    for handler in [h for h in handlers if h is not None]:
        for old in [f for f in handler.filters if isinstance(f, Redactor)]:
            handler.removeFilter(old)
        handler.addFilter(redactor)


class RedactingStream:
    """A text stream that masks the secrets in what is written to it: the `rupor` command's
    stderr (click's error lines, a traceback, a warning), whatever wrote it."""

    def __init__(self, stream: TextIO, redactor: Redactor) -> None:
        self.stream, self.redactor = stream, redactor

    def write(self, text: str) -> int:
        self.stream.write(self.redactor.redact(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def mask_secrets(settings: Settings) -> None:
    """For every `rupor` command once it has read its settings: the secrets masked in the
    log and in everything the command writes to stderr."""
    redact_secrets(settings)
    stream = sys.stderr
    if isinstance(stream, RedactingStream):
        stream = stream.stream
    sys.stderr = cast(TextIO, RedactingStream(stream, Redactor(secrets_of(settings))))
