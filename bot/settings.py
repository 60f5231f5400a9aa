"""Process settings of the App (12-factor: environment, plus an optional `.env` file).

Read once, validated, and passed down: `create_app(settings)` and the worker are the only places
that wire parts together, so nothing reads the environment behind their back. An invalid value
stops start-up with a message naming the variable.

Two classes, two jobs. `AppEnvironment` (pydantic-settings) declares every variable the App reads:
its exact name, type and bounds; pydantic converts and checks them, python-dotenv reads `.env`.
`AppSettings` is the plain frozen value the rest of the App (and the tests) build and pass around:
constructing it reads nothing and checks nothing, and `dataclasses.replace` works on it.
`load_settings` goes from the first to the second, adding the checks that span variables.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping, get_args
from urllib.parse import urlparse

import annotated_types
from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUseDefault
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

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


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("json", "text")


def _url(*schemes: str) -> AfterValidator:
    def check(raw: str) -> str:
        parsed = urlparse(raw)
        if parsed.scheme not in schemes or not parsed.netloc:
            raise ValueError(f"must be a URL starting with {' or '.join(s + '://' for s in schemes)}")
        return raw.rstrip("/")

    return AfterValidator(check)


def _numeric_app_id(raw: str) -> str:
    if not raw.isdigit():
        raise ValueError(f"must be the numeric App ID, got {raw!r}")
    return raw


def _directory(path: Path) -> Path:
    path = path.expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path} exists and is not a directory")
    return path


def _any_case(choices: tuple[str, ...], convert) -> BeforeValidator:
    """Accept a choice in any case (`info`, `Text`); a value that is no choice stays as written, for the message."""
    return BeforeValidator(lambda raw: convert(raw) if isinstance(raw, str) and convert(raw) in choices else raw)


Url = Annotated[str, _url("https", "http")]
_DEFAULT = AppSettings  # a variable's default is the AppSettings field's (written once, there), or None


class AppEnvironment(BaseSettings):
    """Every variable the App reads, by its exact name (they share no single prefix: `APP_ID`,
    `PORT` and `REDIS_URL` are the names GitHub Apps and containers use; the App's own knobs are
    `ARMADILHAS_*`). An unset or empty variable takes the default; values are stripped, except the
    two secrets, which are taken as written."""

    model_config = SettingsConfigDict(frozen=True, case_sensitive=True, extra="ignore", env_file=None)

    app_id: Annotated[str, AfterValidator(_numeric_app_id)] | None = Field(None, validation_alias="APP_ID")
    private_key: SecretStr | None = Field(None, validation_alias="PRIVATE_KEY")
    private_key_path: str | None = Field(None, validation_alias="PRIVATE_KEY_PATH")
    webhook_secret: SecretStr | None = Field(None, validation_alias="WEBHOOK_SECRET")
    github_api_url: Url = Field(_DEFAULT.github_api_url, validation_alias="GITHUB_API_URL")
    public_url: Url | None = Field(None, validation_alias="PUBLIC_URL")
    host: str = Field(_DEFAULT.host, validation_alias="HOST")
    port: int = Field(_DEFAULT.port, ge=1, le=65535, validation_alias="PORT")
    data_dir: Annotated[Path, AfterValidator(_directory)] = Field(_DEFAULT.data_dir,
                                                                  validation_alias="ARMADILHAS_DATA_DIR")
    redis_url: Annotated[str, _url("redis", "rediss", "unix")] | None = Field(None, validation_alias="REDIS_URL")
    openai_base_url: Url | None = Field(None, validation_alias="OPENAI_BASE_URL")
    openai_api_key: SecretStr | None = Field(None, validation_alias="OPENAI_API_KEY")
    llm_model: str | None = Field(None, validation_alias="ARMADILHAS_LLM_MODEL")
    llm_max_calls_per_pr: int = Field(_DEFAULT.llm_max_calls_per_pr, ge=0, le=1000,
                                      validation_alias="ARMADILHAS_LLM_MAX_CALLS_PER_PR")
    llm_max_tokens_per_pr: int = Field(_DEFAULT.llm_max_tokens_per_pr, ge=0, le=10_000_000,
                                       validation_alias="ARMADILHAS_LLM_MAX_TOKENS_PER_PR")
    llm_max_output_tokens: int = Field(_DEFAULT.llm_max_output_tokens, ge=16, le=100_000,
                                       validation_alias="ARMADILHAS_LLM_MAX_OUTPUT_TOKENS")
    llm_timeout: float = Field(_DEFAULT.llm_timeout, ge=1, le=600, validation_alias="ARMADILHAS_LLM_TIMEOUT")
    llm_concurrency: int = Field(_DEFAULT.llm_concurrency, ge=1, le=64, validation_alias="ARMADILHAS_LLM_CONCURRENCY")
    max_wait: float = Field(_DEFAULT.max_wait, ge=0, le=3600, validation_alias="ARMADILHAS_MAX_WAIT")
    web_threads: int = Field(_DEFAULT.web_threads, ge=1, le=256, validation_alias="ARMADILHAS_WEB_THREADS")
    worker_threads: int = Field(_DEFAULT.worker_threads, ge=1, le=64, validation_alias="ARMADILHAS_WORKERS")
    job_retries: int = Field(_DEFAULT.job_retries, ge=0, le=50, validation_alias="ARMADILHAS_JOB_RETRIES")
    lease_ttl: float = Field(_DEFAULT.lease_ttl, ge=1, le=3600, validation_alias="ARMADILHAS_LEASE_TTL")
    recheck_interval: int = Field(_DEFAULT.recheck_interval, ge=0, le=86400,
                                  validation_alias="ARMADILHAS_RECHECK_INTERVAL")
    ready_p99: float = Field(_DEFAULT.ready_p99, ge=0.1, le=86400, validation_alias="ARMADILHAS_READY_P99")
    ready_window: int = Field(_DEFAULT.ready_window, ge=10, le=86400, validation_alias="ARMADILHAS_READY_WINDOW")
    metrics_port: int = Field(0, ge=0, le=65535, validation_alias="ARMADILHAS_METRICS_PORT")  # 0: not served
    log_level: Annotated[Literal[LOG_LEVELS], _any_case(LOG_LEVELS, str.upper)] = Field(
        _DEFAULT.log_level, validation_alias="LOG_LEVEL")
    log_format: Annotated[Literal[LOG_FORMATS], _any_case(LOG_FORMATS, str.lower)] = Field(
        _DEFAULT.log_format, validation_alias="LOG_FORMAT")

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str):
            if info.field_name not in ("webhook_secret", "openai_api_key"):
                value = value.strip()
            if not value:
                raise PydanticUseDefault()
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_settings hands the environment in as init values (the process's, or the mapping a
        # test gives), so a test never depends on the variables of the shell that runs it; it
        # comes first, so a real environment variable wins over the `.env` file.
        return init_settings, dotenv_settings


# Every variable load_settings reads: the Docker image, compose file and docs are checked against it.
ENV_NAMES = tuple(info.validation_alias for info in AppEnvironment.model_fields.values())


def load_settings(environ: Mapping[str, str] | None = None,
                  dotenv_path: str | os.PathLike | None = ".env") -> AppSettings:
    """Settings from `environ` (default: the process environment) over a `.env` file.

    A real environment variable always wins over the file, as with python-dotenv's default."""
    environ = os.environ if environ is None else environ
    given = {name: environ[name] for name in ENV_NAMES if name in environ}
    env_file = dotenv_path if dotenv_path is not None and Path(dotenv_path).is_file() else None
    try:
        env = AppEnvironment(_env_file=env_file, **given)
    except ValidationError as exc:
        raise _settings_error(exc) from None

    private_key = _private_key(env)
    app_id = env.app_id
    secret = _reveal(env.webhook_secret)
    if (app_id or private_key) and not secret:
        raise SettingsError("WEBHOOK_SECRET", "is required once App credentials are set (deliveries must be verified)")
    if app_id and not private_key:
        raise SettingsError("PRIVATE_KEY", "APP_ID is set but neither PRIVATE_KEY nor PRIVATE_KEY_PATH is")
    if private_key and not app_id:
        raise SettingsError("APP_ID", "a private key is set but APP_ID is not")

    values = {f.name: getattr(env, f.name) for f in fields(AppSettings) if f.name in AppEnvironment.model_fields}
    values.update(private_key=private_key, webhook_secret=secret, openai_api_key=_reveal(env.openai_api_key),
                  metrics_port=env.metrics_port or None)
    return AppSettings(**values)


def _reveal(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None


def _private_key(env: AppEnvironment) -> str | None:
    inline, path = _reveal(env.private_key), env.private_key_path
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


def _settings_error(exc: ValidationError) -> SettingsError:
    """The first problem, as one line naming the variable (pydantic's own wording is for developers)."""
    error = exc.errors(include_url=False)[0]
    name = str(error["loc"][0]) if error["loc"] else "settings"
    info = next((f for f in AppEnvironment.model_fields.values() if f.validation_alias == name), None)
    return SettingsError(name, _message(error, info))


def _message(error: dict, info: FieldInfo | None) -> str:
    kind, raw = error["type"], error["input"]
    if kind == "value_error":  # one of the validators above: its message is already ours
        return str(error["ctx"]["error"])
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return f"must be a whole number, got {raw!r}"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return f"must be a number of seconds, got {raw!r}"
    if kind in ("greater_than_equal", "less_than_equal") and info is not None:
        low = next(m.ge for m in info.metadata if isinstance(m, annotated_types.Ge))
        high = next(m.le for m in info.metadata if isinstance(m, annotated_types.Le))
        return f"must be between {_number(low)} and {_number(high)}, got {raw}"
    if kind == "literal_error" and info is not None:
        choices = get_args(info.annotation)
        return f"must be one of {', '.join(choices)}, got {raw!r}"
    return error["msg"]


def _number(bound: float) -> str:
    return f"{bound:g}" if isinstance(bound, float) else str(bound)
