"""Structured logs: one JSON object per line (python-json-logger), with the context of the work.

`bind(delivery=..., repo=..., pr=..., head_sha=..., job=...)` puts fields on every record logged
inside it, in this thread or task (contextvars). Every line also goes through `redact`: tokens,
JWTs, PEM keys, webhook signatures and the secrets registered with `add_secret` never reach a log,
whoever logged them (our code, PyGithub, huey, gunicorn).
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import sys
import threading

from pythonjsonlogger.json import JsonFormatter

CONTEXT_FIELDS = ("delivery", "repo", "pr", "head_sha", "job", "task")
_context: contextvars.ContextVar[dict] = contextvars.ContextVar("armadilhas_log_context", default={})

# What a credential looks like, whatever the code that logged it.
_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
    re.compile(r"\bgh[opsuvr]_[A-Za-z0-9_]{16,}"),  # installation, user and OAuth tokens
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),  # JWTs
    re.compile(r"sha(?:1|256)=[0-9a-fA-F]{40,64}"),  # webhook signatures
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(?:bearer|token)\s+[^\s\"',}]+"),
]
_secrets: set[str] = set()
_secrets_lock = threading.Lock()
REDACTED = "[redacted]"


def add_secret(value: str | None) -> None:
    """Redact this exact value (a webhook secret, an API key) from every later log line."""
    if value and len(value) >= 6:
        with _secrets_lock:
            _secrets.add(value)
            # A PEM also travels with its newlines escaped (JSON, repr): redact each body line.
            if "PRIVATE KEY" in value:
                _secrets.update(line for line in value.splitlines() if len(line) >= 16 and "-----" not in line)


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.re.groups else "") + REDACTED, text)
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, REDACTED)
    return text


@contextlib.contextmanager
def bind(**fields):
    """Add fields (None values are dropped) to every record logged in this context."""
    merged = {**_context.get(), **{k: v for k, v in fields.items() if v is not None}}
    token = _context.set(merged)
    try:
        yield merged
    finally:
        _context.reset(token)


def set_context(**fields) -> contextvars.Token:
    return _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})


def reset_context(token: contextvars.Token) -> None:
    _context.reset(token)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class RedactingJsonFormatter(JsonFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RedactingTextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = " ".join(f"{k}={getattr(record, k)}" for k in CONTEXT_FIELDS if hasattr(record, k))
        return redact(f"{line} {extra}" if extra else line)


def formatter(fmt: str = "json") -> logging.Formatter:
    if fmt == "text":
        return RedactingTextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    return RedactingJsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                  rename_fields={"levelname": "level", "name": "logger", "asctime": "time"})


def configure(level: str = "INFO", fmt: str = "json", stream=None) -> None:
    """The process's logging: one handler on the root logger, context and redaction included."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(fmt))
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


def gunicorn_logconfig(level: str = "INFO", fmt: str = "json") -> dict:
    """gunicorn's own loggers (error and access) through the same JSON formatter."""
    handler = {"class": "logging.StreamHandler", "formatter": "armadilhas", "stream": "ext://sys.stderr",
               "filters": ["context"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": _ContextFilter}},
        "formatters": {"armadilhas": {"()": formatter, "fmt": fmt}},
        "handlers": {"default": handler},
        "root": {"level": level, "handlers": ["default"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["default"], "propagate": False},
            "gunicorn.access": {"level": level, "handlers": ["default"], "propagate": False},
        },
    }
