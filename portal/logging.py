"""Log lines an operator can use, and never a BSN in them (DOMAIN.md §6).

- `RedactBsnFilter` (on every handler) blanks any run of nine digits in the message, its
  arguments, extra fields, the exception text and traceback, and stack traces. It renders the
  traceback itself, redacts it and drops the exception object, so no later formatter or handler
  can print the original.
- `RequestIdFilter` puts the request id (portal.request_id), the Celery task and the process's
  role (web, worker, beat, migrate: set by the entrypoint) on every record.
- `JsonFormatter` writes one JSON object per line: timestamp, level, logger, message, request
  id, role, extras, and the traceback as text; every string in it is redacted once more.

Nothing here imports Django, so gunicorn's own configuration can use it too.
"""

from __future__ import annotations

import logging
import os
import re
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter
from stdnum.nl import bsn

from . import request_id

# Any run of exactly nine digits could be a BSN; log lines never need one. One refinement: inside
# a hexadecimal identifier of 12 or more characters (a UUID's last group, a request id, a hash)
# only a run that passes the BSN 11-check is blanked. Random hex holds nine digits in a row
# often (a third of request ids, 3 % of task ids), and blanking all of them would break the very
# ids operators follow; a real BSN glued to hex letters is still blanked.
_NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")
_WORD = re.compile(r"[0-9A-Za-z]+")
_HEX_IDENTIFIER = re.compile(r"(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{12,}")
REDACTED = "*********"

# The attributes every LogRecord has; anything else on a record came in through `extra=`.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName"}


def _redact_word(match: re.Match) -> str:
    word = match.group(0)
    if _HEX_IDENTIFIER.fullmatch(word):
        return _NINE_DIGITS.sub(lambda run: REDACTED if bsn.is_valid(run.group(0)) else run.group(0), word)
    return _NINE_DIGITS.sub(REDACTED, word)


def redact_bsn(text: str) -> str:
    if not _NINE_DIGITS.search(text):
        return text
    return _WORD.sub(_redact_word, text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_bsn(value)
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(item) for item in value]
    return value


class RedactBsnFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_bsn(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info:
            # Render the traceback now and keep only the redacted text: an exception's message
            # (and every frame's line) may hold a BSN. Formatters print exc_text as they would
            # have printed the exception.
            if not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact_bsn(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_bsn(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRIBUTES and isinstance(value, str | dict | list | tuple):
                setattr(record, key, _redact_value(value))
        return True


class RequestIdFilter(logging.Filter):
    """Adds request_id, role and (in a worker) task_id and task_name to every record."""

    role = os.environ.get("PORTAL_ROLE", "")

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            # Django logs a 4xx/5xx response after the middleware finished; the request knows.
            record.request_id = (request_id.current() or getattr(getattr(record, "request", None), "request_id", None)
                                 or "-")
        task = request_id.current_task()
        if task is not None and not hasattr(record, "task_id"):
            record.task_id, record.task_name = task
        if self.role and not hasattr(record, "role"):
            record.role = self.role
        return True


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object per line, with the fields operators filter on first."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("reserved_attrs", sorted(_STANDARD_ATTRIBUTES - {"message"}))
        super().__init__(*args, **kwargs)

    def add_fields(self, log_data: dict, record: logging.LogRecord, message_dict: dict) -> None:
        log_data["timestamp"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.getMessage()
        log_data["request_id"] = getattr(record, "request_id", None) or request_id.current() or "-"
        super().add_fields(log_data, record, message_dict)
        # Django's request object (its repr holds the query string) and asyncio's task name say
        # nothing the request line does not.
        log_data.pop("taskName", None)
        log_data.pop("request", None)

    def process_log_record(self, log_data: dict) -> dict:
        # The filter already redacted; this is the last line of defence for a handler that was
        # configured without it.
        return {key: _redact_value(value) for key, value in log_data.items()}


def gunicorn_logconfig(level: str = "INFO", json_lines: bool = True) -> dict:
    """gunicorn's own log lines (start-up, worker boots and timeouts) in the same format.
    Requests are logged by portal.request_id, so gunicorn's access log stays off."""
    formatter = ({"()": "portal.logging.JsonFormatter"} if json_lines
                 else {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "portal.logging.RequestIdFilter"},
                    "no_bsn": {"()": "portal.logging.RedactBsnFilter"}},
        "formatters": {"portal": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "portal",
                                 "filters": ["request_id", "no_bsn"], "stream": "ext://sys.stderr"}},
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "environ": {"level": "WARNING"},  # "no .env file" at every start: the image has none
        },
        "root": {"handlers": ["console"], "level": level},
    }
