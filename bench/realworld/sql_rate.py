"""How much of real repositories' SQL the analyzer can read: statements seen vs analysed.

Reads every .sql file of a commit straight from a bare git directory (no checkout), runs
`analyzers.analyze` on it with the SQL counter installed, and prints per project the files,
statements seen and analysed (test files included: their SQL is SQL to read), the rate, the
top reasons for what was not analysed, and the findings per rule (outside test files, as the
CLI reports them).

    python bench/realworld/sql_rate.py --set tuned   # every project but the blind test half's, pinned
    python bench/realworld/sql_rate.py --set all     # every project of the real-code set, pinned
    python bench/realworld/sql_rate.py /work/.mirror/pgflow-dev+pgflow/repo \\
        /work/.mirror/sqlc-dev+sqlc/repo@HEAD --paths-prefix examples/ [--min-rate 0.99] [--notes]

A DIR may be followed by @COMMIT (default HEAD). --paths-prefix keeps only files under one of
the given prefixes (repeatable; applies to every DIR, or to one when written DIR=PREFIX).
--exclude drops paths containing any of the given substrings (e.g. /mysql/).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from analyzers import Settings, analyze_bytes  # noqa: E402
from analyzers.paths import is_test_path  # noqa: E402
from analyzers.sql.stats import SqlStats, counting  # noqa: E402


def sql_files(git_dir: str, commit: str, prefixes: list[str], excludes: list[str]) -> list[tuple[str, bytes]]:
    """(path, bytes) of every .sql file of `commit`, read through one `git cat-file --batch`
    (a mirror may lack its largest blobs, which `git archive` would trip over)."""
    listing = subprocess.run(
        ["git", "--git-dir", git_dir, "ls-tree", "-r", "-z", commit], check=True, capture_output=True
    ).stdout.decode("utf-8", "surrogateescape")
    wanted: list[tuple[str, str]] = []
    for entry in listing.split("\0"):
        if not entry:
            continue
        info, _, name = entry.partition("\t")
        _mode, kind, sha = info.split()
        if kind != "blob" or _mode == "120000" or not name.lower().endswith(".sql"):
            continue  # a symbolic link's blob is the path it points at, not SQL
        if prefixes and not name.startswith(tuple(prefixes)):
            continue
        if any(part in name for part in excludes):
            continue
        wanted.append((name, sha))
    if not wanted:
        return []
    batch = subprocess.run(
        ["git", "--git-dir", git_dir, "cat-file", "--batch"],
        input="".join(sha + "\n" for _, sha in wanted).encode(),
        check=True,
        capture_output=True,
    ).stdout
    files, pos = [], 0
    for name, _sha in wanted:
        line_end = batch.index(b"\n", pos)
        header = batch[pos:line_end].split()
        pos = line_end + 1
        if len(header) < 3 or header[1] != b"blob":
            continue  # missing from the mirror
        size = int(header[2])
        files.append((name, batch[pos:pos + size]))
        pos += size + 1
    return sorted(files)


def project_name(git_dir: str) -> str:
    parts = os.path.normpath(git_dir).split(os.sep)
    for part in reversed(parts):
        if part not in ("repo", ".git") and not part.endswith(".git"):
            return part.replace("+", "/")
    return git_dir


def measure(git_dir: str, commit: str, prefixes: list[str], excludes: list[str], show_notes: bool) -> tuple[SqlStats, Counter, int]:
    stats = SqlStats()
    rules: Counter = Counter()
    # Test SQL is still SQL to read; its findings are left out, as the CLI leaves them out.
    settings = Settings(include_tests=True)
    files = sql_files(git_dir, commit, prefixes, excludes)
    with counting(stats):
        for path, data in files:
            report = analyze_bytes(path, data, settings)
            if not is_test_path(path):
                for finding in report.findings:
                    rules[finding.rule] += 1
            if show_notes:
                for note in report.notes:
                    print(f"    {path}:{note.line or 0}: {note.message}")
    return stats, rules, len(files)


def set_specs(split: str, mirrors: str) -> list[str]:
    """DIR@COMMIT of every labelled project of the real-code set in `split` that has .sql files."""
    from pathlib import Path

    sys.path.insert(0, os.path.dirname(__file__))
    from score import load_projects, mirror_dir

    from score import SPLITS

    # `tuned`: every split but the blind test half, whose SQL is not read until it is retired
    projects = [p for s in SPLITS if s != "test" for p in load_projects(s)] if split == "tuned" else load_projects(split)
    specs = []
    for project in projects:
        git_dir = mirror_dir(Path(mirrors), project.repo)
        names = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", "--name-only", project.commit],
                               capture_output=True, text=True).stdout.split("\n")
        if any(name.endswith(".sql") for name in names):
            specs.append(f"{git_dir}@{project.commit}")
    return specs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("repos", nargs="*", metavar="DIR[@COMMIT]")
    parser.add_argument("--set", choices=("dev", "test", "test1", "test2", "test3", "test4", "test5", "test6", "test7", "test8", "test9", "test10", "test11", "test12", "test13", "test14", "test15", "fresh", "gate", "tuned", "all"),
                        help="every project of the real-code set (bench/realworld) at its pinned commit")
    parser.add_argument("--mirrors", default=os.environ.get("ARMADILHAS_MIRRORS", "/work/.mirror"))
    parser.add_argument("--paths-prefix", action="append", default=[], metavar="[DIR=]PREFIX")
    parser.add_argument("--exclude", action="append", default=[], metavar="SUBSTRING")
    parser.add_argument("--min-rate", type=float, default=None, help="exit 1 when a project is below this rate")
    parser.add_argument("--notes", action="store_true", help="print every note (why a statement was not analysed)")
    parser.add_argument("--samples", action="store_true", help="print the first failing statement of each reason")
    args = parser.parse_args(argv)
    if args.set:
        args.repos += set_specs(args.set, args.mirrors)
    if not args.repos:
        parser.error("give DIR[@COMMIT] arguments or --set")

    total = SqlStats()
    total_rules: Counter = Counter()
    below = []
    header = f"{'project':32} {'files':>6} {'seen':>7} {'analysed':>8} {'rate':>7} {'dynamic':>7} {'fallback':>8} {'secs':>6}"
    print(header)
    rows = []
    for spec in args.repos:
        git_dir, _, commit = spec.partition("@")
        commit = commit or "HEAD"
        prefixes = [p.split("=", 1)[1] for p in args.paths_prefix if "=" in p and p.split("=", 1)[0] == git_dir]
        prefixes += [p for p in args.paths_prefix if "=" not in p]
        started = time.perf_counter()
        stats, rules, files = measure(git_dir, commit, prefixes, args.exclude, args.notes)
        elapsed = time.perf_counter() - started
        name = project_name(git_dir)
        print(f"{name:32} {files:>6} {stats.seen:>7} {stats.analysed:>8} {stats.rate:>7.2%} {stats.dynamic:>7} {stats.fallbacks:>8} {elapsed:>6.1f}")
        rows.append((name, stats, rules))
        total.add(stats)
        total_rules.update(rules)
        if args.min_rate is not None and stats.rate < args.min_rate:
            below.append(name)
    print(f"{'total':32} {'':>6} {total.seen:>7} {total.analysed:>8} {total.rate:>7.2%} {total.dynamic:>7} {total.fallbacks:>8}")
    for name, stats, rules in rows:
        print(f"\n{name}")
        if stats.reasons:
            print("  not analysed (top 10):")
            for reason, count in stats.reasons.most_common(10):
                print(f"    {count:>5}  {reason}")
                if args.samples:
                    print(f"           e.g. {stats.samples.get(reason, '')}")
        if stats.foreign_files:
            print(f"  written for another database: {stats.foreign_files} files, {stats.foreign} statements rejected by PostgreSQL's grammar (not counted)")
        if stats.meta_commands:
            print(f"  psql meta-command lines skipped: {stats.meta_commands}")
        print("  findings: " + (", ".join(f"{rule} {count}" for rule, count in sorted(rules.items())) or "none"))
    if below:
        print(f"\nbelow {args.min_rate:.0%}: {', '.join(below)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
