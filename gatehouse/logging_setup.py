"""One log format for every line the server writes, uvicorn's and every worker's included.

`log_config` is a `logging.config.dictConfig` dictionary. The CLI applies it at start and
hands it to uvicorn, which applies it again in each worker process it spawns, so workers log
exactly like a single process does. Fields passed with `extra=` become JSON keys with
`LOG_FORMAT=json` and `key=value` pairs after the message with `LOG_FORMAT=text`.
"""

from __future__ import annotations

import logging
import logging.config
import re
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from core.config import Settings
from core.observability import current_request
from core.text import shown

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
# uvicorn passes a coloured copy of its messages that no plain handler wants.
_NOT_FIELDS = frozenset([*RESERVED_ATTRS, "taskName", "color_message"])
_QUIET_VALUE = re.compile(r"[A-Za-z0-9_.:/@+,-]+")
_last_second: list[tuple[int, str]] = [(-1, "")]


def _utc_timestamp(record: logging.LogRecord) -> str:
    # Formatting the date is most of a line's cost; it changes once a second.
    second = int(record.created)
    cached_second, prefix = _last_second[0]
    if second != cached_second:
        prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        _last_second[0] = (second, prefix)
    return f"{prefix}{int((record.created - second) * 1000):03d}Z"


def _extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in record.__dict__.items() if key not in _NOT_FIELDS}


def _text_value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    # Quoted when it could be misread, so that no value can forge a field or a line.
    if _QUIET_VALUE.fullmatch(text):
        return text
    return '"' + text.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return _utc_timestamp(record)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802
        # A message may quote stored text (a key's name in `keys revoke`): its control and
        # bidi characters are escaped, so that no row can forge a line or rewrite the
        # terminal. Newlines stay: a few of our own messages span lines.
        message = record.message
        record.message = shown(message, keep_newlines=True)
        try:
            return super().formatMessage(record)
        finally:
            record.message = message

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = _extra_fields(record)
        if not fields:
            return line
        head, newline, trace = line.partition("\n")
        pairs = " ".join(f"{key}={_text_value(value)}" for key, value in fields.items())
        return f"{head} {pairs}{newline}{trace}"


class JsonFormatter(_JsonFormatter):
    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            reserved_attrs=sorted(_NOT_FIELDS),
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return _utc_timestamp(record)


class LineContextFilter(logging.Filter):
    """Stamps every line logged while a request runs with that request's id, and gives
    uvicorn's own logger a plain name."""

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn logs its start and stop as "uvicorn.error", which reads like a failure.
        if record.name == "uvicorn.error":
            record.name = "uvicorn"
        request = current_request()
        if request is not None and not hasattr(record, "request_id"):
            record.request_id = request.request_id
        return True


def log_config(level: str, log_format: str) -> dict[str, Any]:
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    numeric_level = logging.getLevelName(level)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"gatehouse": {"()": f"{__name__}.{formatter.__name__}"}},
        "filters": {"request_id": {"()": f"{__name__}.LineContextFilter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "gatehouse",
                "filters": ["request_id"],
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            # uvicorn's loggers keep no handlers of their own and reach the root's.
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            # Every request gets our own line (gatehouse.request) instead.
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            # Tortoise's INFO lines are object reprs and "shutdown" notices, and its DEBUG
            # lines, like the drivers', carry SQL parameters, which hold hashes: warnings
            # and errors only.
            **{
                name: {"level": max(logging.WARNING, numeric_level), "propagate": True}
                for name in ("tortoise", "aiosqlite", "asyncpg")
            },
            # httpx logs every request the webhook sender makes at INFO with its full URL,
            # credentials (`https://user:password@…`, `?token=…`) included; the sender
            # writes its own lines, with the URL redacted.
            **{
                name: {"level": max(logging.WARNING, numeric_level), "propagate": True}
                for name in ("httpx", "httpcore")
            },
        },
    }


def configure_logging(settings: Settings) -> dict[str, Any]:
    """Apply the settings' logging to this process; returns the dictionary for uvicorn."""
    config = log_config(settings.log_level, settings.log_format)
    logging.config.dictConfig(config)
    logging.captureWarnings(True)
    return config
