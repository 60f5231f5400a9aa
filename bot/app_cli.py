"""The App's subcommands of `armadilhas`: serve, worker, setup (wired in by bot/cli.py)."""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import yaml

from .settings import SettingsError, load_settings

def _default_manifest() -> Path:
    """app.yml of the current checkout, else the one beside the package (editable installs)."""
    here = Path("app.yml")
    return here if here.is_file() else Path(__file__).resolve().parent.parent / "app.yml"


def add_app_commands(subparsers) -> None:
    serve = subparsers.add_parser("serve", help="run the webhook server (gunicorn) with the embedded queue worker")
    serve.add_argument("--env-file", default=".env", help="dotenv file to read (default: .env)")
    group = serve.add_mutually_exclusive_group()
    group.add_argument("--with-worker", dest="with_worker", action="store_true", default=None,
                       help="consume the queue in this process too (default with SQLite)")
    group.add_argument("--no-worker", dest="with_worker", action="store_false",
                       help="only accept webhooks; `armadilhas worker` processes consume the queue")
    serve.set_defaults(func=_serve)

    worker = subparsers.add_parser("worker", help="consume the job queue (several may run against Redis)")
    worker.add_argument("--env-file", default=".env")
    worker.set_defaults(func=_worker)

    setup = subparsers.add_parser("setup", help="register the GitHub App from app.yml (manifest flow)")
    setup.add_argument("--manifest", default=None, help="path to app.yml (default: the one shipped)")
    setup.add_argument("--url", required=False, default="https://example.com",
                       help="public base URL where `armadilhas serve` is reachable (webhooks go to URL/webhook)")
    setup.add_argument("--org", default=None, help="register the App under this organization")
    setup.add_argument("--github-url", default="https://github.com", help="GitHub (Enterprise) web URL")
    setup.set_defaults(func=_setup)


def _load(args):
    try:
        return load_settings(dotenv_path=getattr(args, "env_file", ".env"))
    except SettingsError as exc:
        print(f"armadilhas: invalid setting {exc}", file=sys.stderr)
        return None


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _serve(args) -> int:
    settings = _load(args)
    if settings is None:
        return 2
    _logging()
    from .serve import serve

    try:
        return serve(settings, with_worker=args.with_worker)
    except SettingsError as exc:
        print(f"armadilhas: invalid setting {exc}", file=sys.stderr)
        return 2


def _worker(args) -> int:
    settings = _load(args)
    if settings is None:
        return 2
    _logging()
    from .worker import run_worker

    try:
        settings.require_app()
    except SettingsError as exc:
        print(f"armadilhas: invalid setting {exc}", file=sys.stderr)
        return 2
    return run_worker(settings)


def manifest(path: Path, public_url: str) -> dict:
    """GitHub's App manifest (docs: "Registering a GitHub App from a manifest") from app.yml."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    base = public_url.rstrip("/")
    data["url"] = data.get("url") or base
    data["hook_attributes"] = {"url": f"{base}/webhook", "active": True}
    data["redirect_url"] = f"{base}/setup/done"
    return data


def _setup(args) -> int:
    path = Path(args.manifest) if args.manifest else _default_manifest()
    if not path.is_file():
        print(f"armadilhas: manifest not found: {path}", file=sys.stderr)
        return 2
    data = manifest(path, args.url)
    web = args.github_url.rstrip("/")
    target = f"{web}/organizations/{args.org}/settings/apps/new" if args.org else f"{web}/settings/apps/new"
    print(json.dumps(data, indent=2))
    print(
        f"""
To register the App (GitHub's manifest flow):
  1. Serve an HTML form that POSTs a field named "manifest" holding the JSON above to
       {target}?state=<random string>
     (or open {target} and copy the settings by hand, see docs/app.md).
  2. GitHub redirects to {data['redirect_url']}?code=<code>&state=<state>; within one hour exchange it:
       curl -X POST {('https://api.github.com' if web == 'https://github.com' else web + '/api/v3')}/app-manifests/<code>/conversions
     The answer holds id (APP_ID), pem (the private key) and webhook_secret (WEBHOOK_SECRET).
  3. Put them in .env (PRIVATE_KEY_PATH pointing at the saved pem), then run `armadilhas serve`.""",
    )
    return 0
