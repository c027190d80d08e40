"""Log lines that name their request: the request id on every record, and one JSON object
per line when COMMENTSVC_LOG_FORMAT is "json" (plain text otherwise).

`core.request_id` puts the current request's id, method and path in a context variable;
a record factory copies them onto every log record made meanwhile, whichever logger
makes it (ours, Flask's, SQLAlchemy's, gunicorn's). gunicorn.conf.py hands gunicorn's
own loggers the same formatters, so its access lines come out in the same format (their
request id is the response's X-Request-Id header).
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.logging import default_handler

# (request id, method, path) of the request being answered; None between requests.
current_request: ContextVar[tuple[str, str, str] | None] = ContextVar(
    "commentsvc_request", default=None
)

FORMATS = ("text", "json")
TEXT_FORMAT = "[%(asctime)s] %(levelname)s %(name)s [%(request_id)s] %(message)s"
# Fields of gunicorn's access line (its "atoms") that the JSON line carries.
ACCESS_FIELDS = {"m": "method", "U": "path", "s": "status", "M": "duration_ms"}


def _with_request(factory: Any) -> Any:
    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = factory(*args, **kwargs)
        now = current_request.get()
        if now is None:
            record.request_id = "-"
        else:
            record.request_id, record.method, record.path = now
        return record

    make_record.commentsvc = True  # type: ignore[attr-defined]
    return make_record


def install_record_factory() -> None:
    """Give every log record a request_id ("-" outside a request), once per process."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "commentsvc", False):
        logging.setLogRecordFactory(_with_request(factory))


def access_atoms(record: logging.LogRecord) -> dict[str, Any] | None:
    """The fields of a gunicorn access line (made after the request, from its response:
    the request id is the X-Request-Id header sent)."""
    if record.name == "gunicorn.access" and isinstance(record.args, dict):
        return record.args
    return None


def request_id_of(record: logging.LogRecord) -> str:
    atoms = access_atoms(record)
    if atoms is not None:
        return str(atoms["{x-request-id}o"])
    return str(getattr(record, "request_id", "-"))


class TextFormatter(logging.Formatter):
    """One readable line per record, with its request id."""

    def __init__(self, fmt: str | None = None, datefmt: str | None = None) -> None:
        super().__init__(fmt or TEXT_FORMAT, datefmt)

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = request_id_of(record)
        return super().format(record)


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, and for a
    request's lines its method and path; gunicorn's access lines add status and
    duration_ms. A traceback is the "exception" field, never lines of its own."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_of(record),
        }
        for name in ("method", "path"):
            if hasattr(record, name):
                line[name] = getattr(record, name)
        atoms = access_atoms(record)
        if atoms is not None:
            line.update({field: atoms[atom] for atom, field in ACCESS_FIELDS.items()})
            line["status"] = int(line["status"]) if str(line["status"]).isdigit() else None
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def formatter(log_format: str) -> logging.Formatter:
    return JSONFormatter() if log_format == "json" else TextFormatter()


def logging_config(log_format: str) -> dict[str, Any]:
    """gunicorn.conf.py's logconfig_dict: gunicorn's error log and every other logger on
    stderr, its access log on stdout, all in log_format."""
    stream = {"class": "logging.StreamHandler", "formatter": "commentsvc"}
    factory = JSONFormatter if log_format == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"commentsvc": {"()": f"{factory.__module__}.{factory.__qualname__}"}},
        "handlers": {
            "stderr": {**stream, "stream": "ext://sys.stderr"},
            "stdout": {**stream, "stream": "ext://sys.stdout"},
        },
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        },
    }


def init_app(app: Flask) -> None:
    """Records get their request's id; Flask's own handler (used when nothing else
    configured logging, as under `make run`) writes them in the configured format."""
    install_record_factory()
    default_handler.setFormatter(formatter(app.config["LOG_FORMAT"]))
