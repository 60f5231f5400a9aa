"""Process settings of the App (12-factor: environment, plus an optional `.env` file).

Read once, validated, and passed down: `create_app(settings)` and the worker are the only places
that wire parts together, so nothing reads the environment behind their back. An invalid value
stops start-up with a message naming the variable.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from urllib.parse import urlparse

from dotenv import dotenv_values

MAX_BODY_BYTES = 25 * 1024 * 1024  # GitHub never delivers a payload above 25 MB


class SettingsError(ValueError):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


@dataclass(frozen=True)
class AppSettings:
    app_id: str | None = None
    private_key: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    github_api_url: str = "https://api.github.com"
    host: str = "0.0.0.0"
    port: int = 3000
    data_dir: Path = Path(".armadilhas")
    redis_url: str | None = None
    openai_base_url: str | None = None
    openai_api_key: str | None = field(default=None, repr=False)
    llm_model: str | None = None
    # Limits of the optional LLM fixes (bot/llm_fix.py LlmLimits reads these by name).
    llm_max_calls_per_pr: int = 10
    llm_max_tokens_per_pr: int = 30_000
    llm_max_output_tokens: int = 800
    llm_timeout: float = 20.0
    llm_concurrency: int = 4
    max_wait: float = 60.0  # longest in-request sleep on a rate limit before re-scheduling the job
    web_threads: int = 8
    worker_threads: int = 2
    job_retries: int = 6
    lease_ttl: float = 30.0  # seconds a worker's claim on a job lasts without a heartbeat (bot/leases.py)
    dedupe_ttl: int = 8 * 24 * 3600  # GitHub lets a delivery be redelivered for 3 days (7 on GHES)
    recheck_interval: int = 60  # seconds between two accepted `/armadilhas recheck` on one PR
    max_body_bytes: int = MAX_BODY_BYTES
    public_url: str | None = None  # where GitHub reaches the bot; else taken from each request
    ready_p99: float = 120.0  # /readyz fails when the p99 of delivery-to-done latency exceeds this
    ready_window: int = 300  # ... measured over the jobs finished in the last this many seconds
    metrics_port: int | None = None  # `armadilhas worker` serves /metrics here when set
    log_level: str = "INFO"
    log_format: str = "json"  # or "text" for people at a terminal

    @property
    def has_app_credentials(self) -> bool:
        return bool(self.app_id and self.private_key)

    @property
    def llm_configured(self) -> bool:
        return bool(self.openai_api_key and self.llm_model)

    @property
    def backend(self) -> str:
        return "redis" if self.redis_url else "sqlite"

    def require_app(self) -> None:
        """Processes that talk to GitHub need the credentials; the error names what is missing."""
        if not self.app_id:
            raise SettingsError("APP_ID", "is required to talk to GitHub")
        if not self.private_key:
            raise SettingsError("PRIVATE_KEY", "PRIVATE_KEY or PRIVATE_KEY_PATH is required")
        if not self.webhook_secret:
            raise SettingsError("WEBHOOK_SECRET", "is required once APP_ID and a private key are set")


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(name, f"must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(name, f"must be between {low} and {high}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise SettingsError(name, f"must be a number of seconds, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(name, f"must be between {low:g} and {high:g}, got {value:g}")
    return value


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("json", "text")

# Every variable load_settings reads: the Docker image, compose file and docs are checked against it.
ENV_NAMES = (
    "APP_ID", "PRIVATE_KEY", "PRIVATE_KEY_PATH", "WEBHOOK_SECRET", "GITHUB_API_URL", "PUBLIC_URL", "HOST", "PORT",
    "ARMADILHAS_DATA_DIR", "REDIS_URL", "OPENAI_BASE_URL", "OPENAI_API_KEY", "ARMADILHAS_LLM_MODEL",
    "ARMADILHAS_MAX_WAIT", "ARMADILHAS_WEB_THREADS", "ARMADILHAS_WORKERS", "ARMADILHAS_JOB_RETRIES",
    "ARMADILHAS_RECHECK_INTERVAL", "ARMADILHAS_READY_P99", "ARMADILHAS_READY_WINDOW", "ARMADILHAS_METRICS_PORT",
    "ARMADILHAS_LEASE_TTL", "LOG_LEVEL", "LOG_FORMAT",
    "ARMADILHAS_LLM_MAX_CALLS_PER_PR", "ARMADILHAS_LLM_MAX_TOKENS_PER_PR", "ARMADILHAS_LLM_MAX_OUTPUT_TOKENS",
    "ARMADILHAS_LLM_TIMEOUT", "ARMADILHAS_LLM_CONCURRENCY",
)


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...], upper: bool) -> str:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    value = raw.upper() if upper else raw.lower()
    if value not in choices:
        raise SettingsError(name, f"must be one of {', '.join(choices)}, got {raw!r}")
    return value


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in schemes or not parsed.netloc:
        raise SettingsError(name, f"must be a URL starting with {' or '.join(s + '://' for s in schemes)}")
    return raw.rstrip("/")


def _private_key(env: Mapping[str, str]) -> str | None:
    inline = (env.get("PRIVATE_KEY") or "").strip()
    path = (env.get("PRIVATE_KEY_PATH") or "").strip()
    if inline and path:
        raise SettingsError("PRIVATE_KEY", "set PRIVATE_KEY or PRIVATE_KEY_PATH, not both")
    if path:
        try:
            inline = Path(path).expanduser().read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError("PRIVATE_KEY_PATH", f"cannot read {path}: {exc.strerror}") from None
        name = "PRIVATE_KEY_PATH"
    else:
        name = "PRIVATE_KEY"
    if not inline:
        return None
    # Single-line secrets stores often turn newlines into literal "\n" (Probot accepts this too).
    inline = inline.replace("\\n", "\n")
    if "-----BEGIN" not in inline or "PRIVATE KEY-----" not in inline:
        raise SettingsError(name, "is not a PEM private key (expected '-----BEGIN ... PRIVATE KEY-----')")
    return inline + "\n"


def load_settings(environ: Mapping[str, str] | None = None, dotenv_path: str | os.PathLike | None = ".env") -> AppSettings:
    """Settings from `environ` (default: the process environment) over a `.env` file.

    A real environment variable always wins over the file, as with python-dotenv's default."""
    env: dict[str, str] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        env.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    env.update(os.environ if environ is None else environ)

    app_id = (env.get("APP_ID") or "").strip() or None
    if app_id is not None and not app_id.isdigit():
        raise SettingsError("APP_ID", f"must be the numeric App ID, got {app_id!r}")
    private_key = _private_key(env)
    secret = env.get("WEBHOOK_SECRET") or None
    if (app_id or private_key) and not secret:
        raise SettingsError("WEBHOOK_SECRET", "is required once App credentials are set (deliveries must be verified)")
    if app_id and not private_key:
        raise SettingsError("PRIVATE_KEY", "APP_ID is set but neither PRIVATE_KEY nor PRIVATE_KEY_PATH is")
    if private_key and not app_id:
        raise SettingsError("APP_ID", "a private key is set but APP_ID is not")

    api_url = _url(env, "GITHUB_API_URL", ("https", "http")) or "https://api.github.com"
    redis_url = _url(env, "REDIS_URL", ("redis", "rediss", "unix"))
    openai_base_url = _url(env, "OPENAI_BASE_URL", ("https", "http"))
    public_url = _url(env, "PUBLIC_URL", ("https", "http"))
    metrics_port = _int(env, "ARMADILHAS_METRICS_PORT", 0, 0, 65535) or None

    host = (env.get("HOST") or "0.0.0.0").strip()
    data_dir = Path((env.get("ARMADILHAS_DATA_DIR") or ".armadilhas").strip()).expanduser()
    if data_dir.exists() and not data_dir.is_dir():
        raise SettingsError("ARMADILHAS_DATA_DIR", f"{data_dir} exists and is not a directory")

    return AppSettings(
        app_id=app_id,
        private_key=private_key,
        webhook_secret=secret,
        github_api_url=api_url,
        host=host,
        port=_int(env, "PORT", 3000, 1, 65535),
        data_dir=data_dir,
        redis_url=redis_url,
        openai_base_url=openai_base_url,
        openai_api_key=env.get("OPENAI_API_KEY") or None,
        llm_model=(env.get("ARMADILHAS_LLM_MODEL") or "").strip() or None,
        llm_max_calls_per_pr=_int(env, "ARMADILHAS_LLM_MAX_CALLS_PER_PR", 10, 0, 1000),
        llm_max_tokens_per_pr=_int(env, "ARMADILHAS_LLM_MAX_TOKENS_PER_PR", 30_000, 0, 10_000_000),
        llm_max_output_tokens=_int(env, "ARMADILHAS_LLM_MAX_OUTPUT_TOKENS", 800, 16, 100_000),
        llm_timeout=_float(env, "ARMADILHAS_LLM_TIMEOUT", 20.0, 1, 600),
        llm_concurrency=_int(env, "ARMADILHAS_LLM_CONCURRENCY", 4, 1, 64),
        max_wait=_float(env, "ARMADILHAS_MAX_WAIT", 60.0, 0, 3600),
        web_threads=_int(env, "ARMADILHAS_WEB_THREADS", 8, 1, 256),
        worker_threads=_int(env, "ARMADILHAS_WORKERS", 2, 1, 64),
        job_retries=_int(env, "ARMADILHAS_JOB_RETRIES", 6, 0, 50),
        lease_ttl=_float(env, "ARMADILHAS_LEASE_TTL", 30.0, 1, 3600),
        recheck_interval=_int(env, "ARMADILHAS_RECHECK_INTERVAL", 60, 0, 86400),
        public_url=public_url,
        ready_p99=_float(env, "ARMADILHAS_READY_P99", 120.0, 0.1, 86400),
        ready_window=_int(env, "ARMADILHAS_READY_WINDOW", 300, 10, 86400),
        metrics_port=metrics_port,
        log_level=_choice(env, "LOG_LEVEL", "INFO", LOG_LEVELS, upper=True),
        log_format=_choice(env, "LOG_FORMAT", "json", LOG_FORMATS, upper=False),
    )
