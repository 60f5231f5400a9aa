"""Webhook load: signed deliveries replayed at a real `armadilhas serve --no-worker` process on
loopback, with the embedded SQLite queue and with Redis (a redis-server this script starts).

    .venv/bin/python bench/bench_load.py [--rate 200] [--count 2000] [--burst 2000] [--backend sqlite|redis|both]

Two phases per backend, each bounded in count and in time (--max-seconds):
1. paced: `--count` deliveries at `--rate`/s (open loop: send times are fixed in advance, so a slow
   answer does not slow the sender down); prints ack latency p50/p95/p99/max.
2. burst: `--burst` deliveries as fast as 16 client threads can send; prints sustained deliveries/s.
Every answer must be 202 (each delivery id is new and leads to work).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import queue as queue_mod
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.app.deliveries import encode, pull_request_event, signed_headers  # noqa: E402

SECRET = "bench-secret"
REPO = "acme/payments"
CLIENTS = 16


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, seconds: float = 20.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def deliveries(n: int, tag: str):
    for i in range(n):
        body = encode(pull_request_event("synchronize", REPO, 1 + i % 500, f"{i:040x}", 5))
        yield body, signed_headers(body, SECRET, "pull_request", delivery=f"{tag}-{i}")


def replay(port: int, items: list, rate: float | None, max_seconds: float) -> tuple[list[float], float, int]:
    """Send every item (at `rate`/s when given); (latencies ms, elapsed s, non-202 answers)."""
    work: queue_mod.Queue = queue_mod.Queue()
    latencies: list[float] = []
    bad = [0]
    lock = threading.Lock()
    start = time.monotonic()
    for i, item in enumerate(items):
        work.put((start + i / rate if rate else 0.0, item))
    for _ in range(CLIENTS):
        work.put(None)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while (entry := work.get()) is not None:
            at, (body, headers) = entry
            if time.monotonic() - start > max_seconds:
                continue  # the time bound: drain without sending
            if at:
                time.sleep(max(0.0, at - time.monotonic()))
            sent = time.monotonic()
            try:
                conn.request("POST", "/webhook", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                status = 0
            took = (time.monotonic() - sent) * 1000
            with lock:
                latencies.append(took)
                bad[0] += status != 202
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.monotonic() - start, bad[0]


def run_backend(backend: str, args, tmp: Path) -> None:
    redis_proc = None
    env = dict(os.environ, APP_ID="4242", WEBHOOK_SECRET=SECRET, GITHUB_API_URL="http://127.0.0.1:9",
               HOST="127.0.0.1", ARMADILHAS_DATA_DIR=str(tmp / backend), ARMADILHAS_WEB_THREADS="8",
               LOG_LEVEL="WARNING")
    key = tmp / "app.pem"
    if not key.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        key.write_bytes(pem)
    env["PRIVATE_KEY_PATH"] = str(key)
    env.pop("REDIS_URL", None)
    if backend == "redis":
        binary = shutil.which("redis-server")
        if binary is None:
            print("redis: skipped (no redis-server binary)")
            return
        rport = free_port()
        redis_proc = subprocess.Popen([binary, "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(tmp)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(rport)
        env["REDIS_URL"] = f"redis://127.0.0.1:{rport}/0"
    port = free_port()
    env["PORT"] = str(port)
    code = "import sys; from bot.cli import main; sys.exit(main(['serve', '--no-worker', '--env-file', '/nonexistent']))"
    server = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=tmp,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        replay(port, list(deliveries(50, f"{backend}-warm")), None, args.max_seconds)  # warm-up, not counted
        paced, elapsed, bad = replay(port, list(deliveries(args.count, f"{backend}-paced")), args.rate,
                                     args.max_seconds)
        print(f"{backend}: paced {len(paced)} deliveries at {args.rate:.0f}/s in {elapsed:.1f}s "
              f"(achieved {len(paced) / elapsed:.0f}/s, {bad} not 202): ack p50 {percentile(paced, .5):.1f} ms, "
              f"p95 {percentile(paced, .95):.1f} ms, p99 {percentile(paced, .99):.1f} ms, max {max(paced):.1f} ms; "
              f"p99 / 50 ms goal = {percentile(paced, .99) / 50:.2f}")
        burst, elapsed, bad = replay(port, list(deliveries(args.burst, f"{backend}-burst")), None, args.max_seconds)
        print(f"{backend}: burst {len(burst)} deliveries, {CLIENTS} clients: sustained {len(burst) / elapsed:.0f} "
              f"deliveries/s ({bad} not 202), ack p50 {percentile(burst, .5):.1f} ms, p99 {percentile(burst, .99):.1f} ms")
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--max-seconds", type=float, default=60.0, help="bound on each phase")
    parser.add_argument("--backend", choices=["sqlite", "redis", "both"], default="both")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in (["sqlite", "redis"] if args.backend == "both" else [args.backend]):
            run_backend(backend, args, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
