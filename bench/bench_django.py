#!/usr/bin/env python3
"""Scan a real corpus (the Django 5.2.19 source distribution, ~490k lines of Python) with
`armadilhas check` and with bandit, in the same run, and print lines/s, peak memory and ratios.

    .venv/bin/python bench/bench_django.py [--runs 3] [--corpus DIR]

Each tool runs as its own process, alternating A B A B so drift of a shared machine hits both;
the median of the runs is quoted. Peak memory is the child's max RSS from wait4().
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / ".corpus"
DJANGO = "django==5.2.19"
BIN = Path(sys.executable).parent


def fetch_django() -> Path:
    target = CORPUS / "django-5.2.19"
    if target.is_dir():
        return target
    CORPUS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", DJANGO, "--no-deps", "--no-binary", ":all:", "-d", str(CORPUS), "-q"],
        check=True,
    )
    with tarfile.open(CORPUS / "django-5.2.19.tar.gz") as archive:
        archive.extractall(CORPUS, filter="data")
    return target


def count_lines(root: Path) -> tuple[int, int]:
    files = lines = 0
    for path in root.rglob("*.py"):
        files += 1
        with open(path, "rb") as handle:
            lines += handle.read().count(b"\n")
    return files, lines


def run(cmd: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus", type=Path)
    args = parser.parse_args()
    corpus = args.corpus or fetch_django()
    files, lines = count_lines(corpus)
    tools = {
        "armadilhas": [str(BIN / "armadilhas"), "check", str(corpus), "--format", "json"],
        "bandit": [str(BIN / "bandit"), "-r", str(corpus), "-q", "-f", "json"],
    }
    if not Path(tools["bandit"][0]).exists():
        print("bandit is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in tools}
    for _ in range(args.runs):
        for name, cmd in tools.items():
            samples[name].append(run(cmd))
    print(f"corpus: {corpus.name}: {files:,} Python files, {lines:,} lines; {args.runs} runs each, cores={os.cpu_count()}")
    print(f"{'tool':<12}{'median s':>10}{'lines/s':>12}{'peak MiB':>10}{'exit':>6}")
    medians = {}
    for name, rows in samples.items():
        wall = statistics.median(r[0] for r in rows)
        peak = max(r[1] for r in rows)
        medians[name] = wall
        print(f"{name:<12}{wall:>10.2f}{lines / wall:>12,.0f}{peak:>10.0f}{rows[-1][2]:>6}")
    ratios = [a[0] / b[0] for a, b in zip(samples["armadilhas"], samples["bandit"])]
    print(f"ratio armadilhas/bandit (wall, pairwise median): {statistics.median(ratios):.3f}"
          f"  (< 1 means armadilhas is faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
