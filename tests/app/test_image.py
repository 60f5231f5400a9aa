"""What can be checked of the Docker image and compose file without a Docker engine: the lock,
the commands and health checks they run, and that the settings they pass are the ones the code reads."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from bot.settings import ENV_NAMES

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
LOCK_LINE = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)\s*(;[^\\]*)?\\?$")


def locked(name: str) -> dict[str, tuple[str, str | None]]:
    out: dict[str, tuple[str, str | None]] = {}
    lines = (ROOT / name).read_text().splitlines()
    for i, line in enumerate(lines):
        m = LOCK_LINE.match(line.strip())
        if m:
            out[m.group(1).lower().replace("_", "-")] = (m.group(2), (m.group(3) or "").lstrip("; ").strip() or None)
            assert lines[i + 1].strip().startswith("--hash=sha256:"), f"{name}: {m.group(1)} has no hash"
    return out


def test_locks_pin_every_dependency_with_hashes_and_agree():
    runtime, test = locked("requirements.lock"), locked("requirements-test.lock")
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"] + project["optional-dependencies"]["test"]:
        name = re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        assert name in test, f"{name} is not in requirements-test.lock: run `make lock`"
    for name, (version, _) in runtime.items():
        assert test.get(name, (None,))[0] == version, f"{name}: the image and the tests would use different versions"
    assert {"setuptools", "wheel"} <= set(runtime), "the build backend must be locked for --no-build-isolation"


def test_this_environment_runs_the_locked_versions():
    """CI installs requirements-test.lock (make install): the tests ran on the image's versions."""
    from packaging.markers import Marker

    wrong = []
    for name, (version, marker) in locked("requirements-test.lock").items():
        if marker and not Marker(marker).evaluate():
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{name} missing")
            continue
        if installed != version:
            wrong.append(f"{name} {installed} != {version}")
    assert wrong == [], f"run `make install` (or `pip install --require-hashes -r requirements-test.lock`): {wrong}"


def test_dockerfile_installs_the_lock_by_hash_and_runs_as_a_user():
    assert "pip install --require-hashes -r requirements.lock" in DOCKERFILE
    assert "pip install --no-deps --no-build-isolation ." in DOCKERFILE
    assert re.search(r"^USER armadilhas$", DOCKERFILE, re.M)
    assert 'VOLUME ["/data"]' in DOCKERFILE
    assert re.search(r"HEALTHCHECK .*\n.*/healthz", DOCKERFILE)
    assert 'CMD ["armadilhas", "serve"]' in DOCKERFILE
    for copied in re.findall(r"^COPY (.+) \S+$", DOCKERFILE, re.M):
        for path in copied.split():
            assert (ROOT / path).exists(), f"Dockerfile copies {path}, which does not exist"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_entry_points_and_health_commands_exist(tmp_path):
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["armadilhas"] == "bot.cli:main"
    commands = [COMPOSE["services"][s]["command"] for s in ("app", "worker")]
    commands.append(["armadilhas", "serve"])  # the Dockerfile's CMD
    for command in commands:
        assert command[0] == "armadilhas"
        result = _cli(*command[1:], "--help")
        assert result.returncode == 0, (command, result.stderr)

    from bot.settings import AppSettings
    from bot.web import create_app
    from bot.queue import JobQueue
    from huey import SqliteHuey

    queue = JobQueue(SqliteHuey("img", filename=str(tmp_path / "q.db"), results=False))
    settings = AppSettings(data_dir=tmp_path)
    routes = {r.rule for r in create_app(settings, queue, None).url_map.iter_rules()}
    assert {"/healthz", "/readyz", "/metrics", "/webhook", "/"} <= routes
    app_check = " ".join(COMPOSE["services"]["app"]["healthcheck"]["test"])
    assert "/readyz" in app_check
    worker = COMPOSE["services"]["worker"]
    assert str(worker["environment"]["ARMADILHAS_METRICS_PORT"]) in " ".join(worker["healthcheck"]["test"])


def _dockerfile_env() -> set[str]:
    block = re.search(r"^ENV (.+?)\n\n", DOCKERFILE, re.S | re.M).group(1)
    return set(re.findall(r"([A-Z_][A-Z0-9_]*)=", block))


def test_settings_passed_by_image_and_compose_are_the_ones_the_code_reads():
    runtime_only = {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK"}
    passed = _dockerfile_env() - runtime_only
    for service in ("app", "worker"):
        passed |= set(COMPOSE["services"][service].get("environment", {}))
        assert COMPOSE["services"][service]["env_file"] == ".env"
    assert passed <= set(ENV_NAMES), passed - set(ENV_NAMES)
    # The other way round: every setting can be passed (the .env compose reads starts from .env.example).
    example = {line.split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines()
               if line and not line.startswith("#")}
    assert example == set(ENV_NAMES), example ^ set(ENV_NAMES)
    # ENV_NAMES is exactly what load_settings reads: the variables AppEnvironment declares.
    from bot.settings import AppEnvironment

    read = {info.validation_alias for info in AppEnvironment.model_fields.values()}
    assert read == set(ENV_NAMES), read ^ set(ENV_NAMES)
    docs = (ROOT / "docs" / "app.md").read_text()
    undocumented = [n for n in ENV_NAMES if f"`{n}`" not in docs]
    assert undocumented == [], f"docs/app.md does not document {undocumented}"


@pytest.mark.skipif(not os.environ.get("ARMADILHAS_TEST_LOCK_INSTALL"),
                    reason="installs requirements.lock into a fresh virtualenv (slow, needs the package index): "
                           "runs in CI (.ci/run sets ARMADILHAS_TEST_LOCK_INSTALL=1)")
def test_the_image_lock_installs_in_a_fresh_virtualenv(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    run = lambda *a: subprocess.run([str(py), "-m", "pip", *a], cwd=ROOT, capture_output=True, text=True, timeout=900)
    result = run("install", "--quiet", "--require-hashes", "-r", "requirements.lock")
    assert result.returncode == 0, result.stderr[-3000:]
    result = run("install", "--quiet", "--no-deps", "--no-build-isolation", str(ROOT))
    assert result.returncode == 0, result.stderr[-3000:]
    out = subprocess.run([str(env_dir / "bin" / "armadilhas"), "serve", "--help"], capture_output=True, text=True,
                         timeout=60, cwd=tmp_path)
    assert out.returncode == 0 and "--no-worker" in out.stdout
    share = env_dir / "share" / "armadilhas" / "app.yml"
    assert share.is_file(), "app.yml must ship with the package (setup and the home page build the manifest from it)"
