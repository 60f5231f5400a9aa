"""The App's subcommands of `armadilhas`: serve, worker, setup (wired in by bot/cli.py)."""
from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from . import logs
from .settings import AppSettings, SettingsError, load_settings


def add_app_commands(subparsers) -> None:
    serve = subparsers.add_parser("serve", help="run the web process (gunicorn) with the embedded queue worker")
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

    setup = subparsers.add_parser("setup", help="register the GitHub App from a browser (GitHub's manifest flow)")
    setup.add_argument("--env-file", default=".env")
    setup.add_argument("--manifest", default=None, help="path to app.yml (default: the one shipped)")
    setup.add_argument("--url", default=None,
                       help="public base URL where `armadilhas serve` will be reachable (webhooks go to URL/webhook; "
                            "default: PUBLIC_URL)")
    setup.add_argument("--port", type=int, default=None, help="local port of the registration page (default: PORT)")
    setup.add_argument("--print-manifest", action="store_true", help="only print the manifest as JSON")
    setup.set_defaults(func=_setup)


def _load(args) -> AppSettings | None:
    try:
        return load_settings(dotenv_path=getattr(args, "env_file", ".env"))
    except SettingsError as exc:
        print(f"armadilhas: invalid setting {exc}", file=sys.stderr)
        return None


def _serve(args) -> int:
    settings = _load(args)
    if settings is None:
        return 2
    logs.configure(settings.log_level, settings.log_format)
    from .serve import serve

    return serve(settings, with_worker=args.with_worker)


def _worker(args) -> int:
    settings = _load(args)
    if settings is None:
        return 2
    logs.configure(settings.log_level, settings.log_format)
    import logging

    from . import metrics
    from .credentials import Credentials
    from .latency import make_latency_log
    from .serve import prepare_runtime
    from .worker import build_runtime

    credentials = Credentials(settings)
    runtime = build_runtime(settings)
    prepare_runtime(runtime, credentials, make_latency_log(settings))
    log = logging.getLogger("armadilhas.worker")
    if not credentials.registered:
        log.warning("no App credentials yet (environment or %s): jobs wait for them", settings.data_dir)
    if settings.metrics_port:
        metrics.serve_metrics(settings.metrics_port, settings.host, runtime.queue)
    consumer = runtime.queue.consumer(workers=settings.worker_threads)
    log.info("worker consuming the %s queue with %d threads", settings.backend, settings.worker_threads)
    consumer.run()
    return 0


def _setup(args) -> int:
    """The registration page of `serve`, on its own, until GitHub has handed the credentials back."""
    settings = _load(args)
    if settings is None:
        return 2
    from .registration import RegistrationError, default_manifest_path, manifest

    try:
        path = Path(args.manifest) if args.manifest else default_manifest_path()
        if not path.is_file():
            raise RegistrationError(f"manifest not found: {path}")
        public = (args.url or settings.public_url or "").rstrip("/") or None
        if args.print_manifest:
            print(json.dumps(manifest(path, public or "https://bot.example.com"), indent=2))
            return 0
    except RegistrationError as exc:
        print(f"armadilhas: {exc}", file=sys.stderr)
        return 2
    from .credentials import Credentials

    credentials = Credentials(settings)
    if credentials.registered:
        creds = credentials.current()
        print(f"armadilhas: already registered (App {creds.slug or creds.app_id}, from the {creds.source}).")
        return 0
    port = settings.port if args.port is None else args.port
    return run_setup_server(settings, credentials, path, public, port)


def run_setup_server(settings: AppSettings, credentials, manifest_path: Path, public_url: str | None,
                     port: int, *, out=sys.stdout, stop: threading.Event | None = None) -> int:
    from werkzeug.serving import make_server

    from .registration import blueprint
    from flask import Flask

    local = f"http://localhost:{port}"
    app = Flask("armadilhas", root_path=str(Path(__file__).parent))
    # GitHub's browser redirect comes back to this terminal's server; webhooks go to the public URL.
    app.register_blueprint(blueprint(credentials, settings.github_api_url, public_url or local,
                                     manifest_path=manifest_path, redirect_base=local))
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
    thread.start()
    print(f"Open {local}/ in your browser and press \"Register the GitHub App\".", file=out, flush=True)
    if not public_url:
        print("(No --url/PUBLIC_URL: the webhook URL will point at this machine; change it in the App's settings "
              "on GitHub once the bot is public.)", file=out, flush=True)
    stop = stop or threading.Event()
    try:
        while not stop.is_set() and not credentials.registered:
            stop.wait(0.2)
    except KeyboardInterrupt:
        print("\narmadilhas: setup interrupted; nothing was registered.", file=out)
        return 1
    finally:
        server.shutdown()
        server.server_close()
    creds = credentials.current()
    if creds is None:
        return 1
    print(f"Registered App {creds.slug or creds.app_id} (id {creds.app_id}); credentials stored in "
          f"{settings.data_dir} (app.json, app.pem). Install it: {creds.install_url or 'see the App page on GitHub'}",
          file=out, flush=True)
    print("Then run `armadilhas serve` with the same ARMADILHAS_DATA_DIR.", file=out, flush=True)
    return 0
