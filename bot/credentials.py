"""The App's credentials: from the environment, or from the data directory once registered.

The first-run registration writes `app.json` (id, slug, URLs, webhook secret) and `app.pem`
(the private key, mode 0600) into ARMADILHAS_DATA_DIR. Every process that shares that directory
(gunicorn's workers and threads, the embedded consumer, `armadilhas worker` on the same volume)
notices the files on its next request or job by their modification time: no restart. Workers on
other machines get the same three values through the environment (APP_ID, PRIVATE_KEY_PATH,
WEBHOOK_SECRET), which always win over the files.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from . import logs
from .settings import AppSettings

JSON_NAME = "app.json"
KEY_NAME = "app.pem"


@dataclass(frozen=True)
class AppCredentials:
    app_id: str | None  # None in a web-only process given just WEBHOOK_SECRET
    private_key: str | None = field(repr=False)
    webhook_secret: str = field(repr=False)
    slug: str | None = None
    html_url: str | None = None  # the App's page on GitHub, e.g. https://github.com/apps/armadilhas
    source: str = "environment"  # or "data directory"

    @property
    def install_url(self) -> str | None:
        return f"{self.html_url.rstrip('/')}/installations/new" if self.html_url else None


def _write_private(path: Path, text: str) -> None:
    """Write through a temporary file created 0600, then rename: never a moment world-readable."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)  # the umask cannot widen it, but an existing tmp file might have been wider
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save(data_dir: Path, *, app_id: int | str, private_key: str, webhook_secret: str,
         slug: str | None, html_url: str | None) -> AppCredentials:
    """Store a registration. The key is written first: app.json is what marks the App registered."""
    data_dir.mkdir(parents=True, exist_ok=True)
    _write_private(data_dir / KEY_NAME, private_key if private_key.endswith("\n") else private_key + "\n")
    meta = {"app_id": str(app_id), "slug": slug, "html_url": html_url, "webhook_secret": webhook_secret}
    _write_private(data_dir / JSON_NAME, json.dumps(meta, indent=2) + "\n")
    return load(data_dir)  # type: ignore[return-value]


def load(data_dir: Path) -> AppCredentials | None:
    try:
        meta = json.loads((data_dir / JSON_NAME).read_text(encoding="utf-8"))
        key = (data_dir / KEY_NAME).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise CredentialsError(f"cannot read the stored App registration in {data_dir}: {exc}") from None
    if not isinstance(meta, dict) or not str(meta.get("app_id") or "").isdigit() or not meta.get("webhook_secret"):
        raise CredentialsError(f"{data_dir / JSON_NAME} is not a registration written by armadilhas")
    creds = AppCredentials(str(meta["app_id"]), key, str(meta["webhook_secret"]), meta.get("slug"),
                           meta.get("html_url"), source="data directory")
    _never_log(creds)
    return creds


def _never_log(creds: AppCredentials) -> None:
    logs.add_secret(creds.webhook_secret)
    logs.add_secret(creds.private_key)


class CredentialsError(RuntimeError):
    pass


class Credentials:
    """What the current credentials are, for every thread of this process.

    The environment wins; otherwise the data directory is re-read when app.json changes (one
    `stat` per call, cheap next to a webhook's HMAC)."""

    def __init__(self, settings: AppSettings) -> None:
        self.data_dir = settings.data_dir
        self._api_url = settings.github_api_url
        self._max_wait = settings.max_wait
        self._env: AppCredentials | None = None
        if settings.webhook_secret:  # load_settings insists on it whenever an App id or key is set
            self._env = AppCredentials(settings.app_id, settings.private_key, settings.webhook_secret)
            _never_log(self._env)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._stored: AppCredentials | None = None
        self._gateway = None
        self._gateway_for: AppCredentials | None = None

    def current(self) -> AppCredentials | None:
        if self._env is not None:
            return self._env
        try:
            st = (self.data_dir / JSON_NAME).stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._stored = load(self.data_dir) if stamp is not None else None
                self._stamp = stamp
            return self._stored

    @property
    def registered(self) -> bool:
        return self.current() is not None

    def save(self, **values) -> AppCredentials:
        creds = save(self.data_dir, **values)
        with self._lock:
            self._stamp = None  # re-read on the next call, like every other process will
        return creds

    def gateway(self):
        """A GitHubGateway for the current credentials (rebuilt if they change), None before registration."""
        creds = self.current()
        if creds is None or not creds.app_id or not creds.private_key:
            return None
        with self._lock:
            if self._gateway is None or self._gateway_for != creds:
                from .github.client import GitHubGateway

                self._gateway = GitHubGateway(creds.app_id, creds.private_key, self._api_url, max_wait=self._max_wait)
                self._gateway_for = creds
            return self._gateway


class NotRegistered(RuntimeError):
    """No credentials yet: the job fails this attempt and the queue retries it later."""


class LazyGateway:
    """Stands in for a GitHubGateway in a process that started before the App was registered:
    each job asks for the gateway of the credentials of the moment."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def _current(self):
        gateway = self._credentials.gateway()
        if gateway is None:
            raise NotRegistered("the GitHub App is not registered yet: no APP_ID and private key in the environment "
                                f"nor in {self._credentials.data_dir}")
        return gateway

    def installation(self, installation_id: int):
        return self._current().installation(installation_id)

    def app_slug(self) -> str:
        return self._current().app_slug()

    def close(self) -> None:
        gateway = self._credentials.gateway()
        if gateway is not None:
            gateway.close()
