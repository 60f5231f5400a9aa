#!/usr/bin/env python3
"""Measure a deliberately broad wall-clock rule against the labelled sites before building it
(round 24, docs/realworld.md): what it would add to the analyzers' TRUE sites, and at what NEAR cost.

The broad rule fires on any ordering comparison (`<`, `>`, `<=`, `>=`) or ORM range lookup
(`__lt`, `__gte`, `__range`, ...) that involves a wall-clock reading or a name or attribute assigned
from one, and on any `now + x`. `--words` gates it on the words of the statements it fires on
(any of them present) and `--not-words` vetoes it. Files are read with Python's `ast`: this is a
measuring stick, not a rule of the product.

    python bench/realworld/broad_rule.py --dump /tmp/sites.json            # analyse, then measure
    python bench/realworld/broad_rule.py --load /tmp/sites.json \\
        --words timeout,ttl,heartbeat,lease,token,expire,expires,expiry,expiration,deadline \\
        --not-words cutoff,ago,today,date,days                             # measure again, fast

Per split: the analyzers' TRUE recall and NEAR rate on wall-clock sites, and the same with the
broad rule's firings (within score.TOLERANCE lines of a site) added. Projects without a mirror
are left out (and counted).
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import sys
from collections import Counter, defaultdict
from multiprocessing import Pool
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import score  # noqa: E402

_CLOCK = re.compile(r"(^|\.)(time|time_ns|now|utcnow|today|now_ms|_now|get_now|utc_now|now_utc)$")
_NOT_CLOCK = re.compile(r"(^|\.)(monotonic|perf_counter|process_time|loop)(\.|$)")
_RANGE = re.compile(r"__(lt|lte|gt|gte|range)$")


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value) or '?'}.{node.attr}"
    if isinstance(node, ast.Call):
        return _dotted(node.func) + "()"
    return ""


def _reads_clock(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = _dotted(node.func)
    if not name or _NOT_CLOCK.search(name):
        return False
    parts = name.split(".")
    # `x.time()` is a clock only on the time module or a clock object; `x.today()` only on a date class
    if parts[-1] == "time" and len(parts) > 1 and parts[-2] not in ("time", "_time", "timeutils", "clock", "_clock"):
        return False
    if parts[-1] == "today" and len(parts) > 1 and not re.search(r"(date|datetime|timezone|Date)$", parts[-2]):
        return False
    return bool(_CLOCK.search(name))


def fired_lines(text: str) -> dict[int, set[str]] | None:
    """line -> kinds ('cmp', 'orm', 'deadline') where the broad rule fires; None if unparsable."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return None
    out: dict[int, set[str]] = defaultdict(set)
    attrs = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(_reads_clock(x) for x in ast.walk(node.value)):
            for target in node.targets:
                if isinstance(target, ast.Attribute):
                    attrs.add(target.attr)
    scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))] + [tree]
    for scope in scopes:
        nodes = list(ast.walk(scope))
        names: set[str] = set()
        for _ in range(2):  # a name assigned from a name assigned from the clock
            for node in nodes:
                value = getattr(node, "value", None) if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) else None
                if value is None or not any(_reads_clock(x) or (isinstance(x, ast.Name) and x.id in names) for x in ast.walk(value)):
                    continue
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    names.update(x.id for x in ast.walk(target) if isinstance(x, ast.Name))

        def hot(x: ast.AST) -> bool:
            return _reads_clock(x) or (isinstance(x, ast.Name) and x.id in names) or (isinstance(x, ast.Attribute) and x.attr in attrs)

        for node in nodes:
            if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Lt, ast.Gt, ast.LtE, ast.GtE)) for op in node.ops):
                if any(hot(x) for x in ast.walk(node)):
                    out[node.lineno].add("cmp")
            elif isinstance(node, ast.Call):
                if any(k.arg and _RANGE.search(k.arg) and any(hot(x) for x in ast.walk(k.value)) for k in node.keywords):
                    out[node.lineno].add("orm")
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and any(_reads_clock(x) for x in ast.walk(node)):
                out[node.lineno].add("deadline")
    return out


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", text)) if len(w) > 2}


def _dump_project(project: score.Project) -> tuple[list[dict], bool]:
    root = Path(os.environ.get("ARMADILHAS_MIRRORS", "/work/.mirror"))
    git_dir = score.mirror_dir(root, project.repo)
    if not git_dir.exists():
        return [], False
    score.score_project(project, root, [], [])
    rows, texts = [], {}
    for site in project.sites:
        if site.family != "wall-clock":
            continue
        if site.path not in texts:
            text = score.read_at(git_dir, project.commit, site.path)
            fired = fired_lines(text) if text and site.path.endswith(".py") else None
            texts[site.path] = (text.splitlines() if text else [], fired or {})
        lines, fired = texts[site.path]
        near = sorted(line for line in fired if min(abs(line - a) for a in (site.line, *site.also)) <= score.TOLERANCE)
        rows.append({"split": project.split, "project": project.name, "path": site.path, "line": site.line,
                     "label": site.label, "hit": bool(site.hits), "fires": near,
                     "words": sorted(set().union(*(_words(lines[n - 1]) for n in near if n <= len(lines))))})
    return rows, True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--splits", default=",".join(s for s in score.SPLITS if s != "test"),
                        help="comma-separated tuned splits (never the blind `test`)")
    parser.add_argument("--dump", type=Path, help="analyse the splits and write the per-site rows here")
    parser.add_argument("--load", type=Path, help="read per-site rows written by --dump")
    parser.add_argument("--words", default="", help="fire only where one of these words is in the statement")
    parser.add_argument("--not-words", default="", help="never fire where one of these words is")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    if "test" in args.splits.split(","):
        parser.error("the blind half `test` is measured once, at the round's end, with score.py")
    if args.load:
        rows = json.loads(args.load.read_text())
    else:
        projects = [p for split in args.splits.split(",") for p in score.load_projects(split)]
        rows, missing = [], 0
        with Pool(args.jobs) as pool:
            for found, mirrored in pool.imap_unordered(_dump_project, projects):
                rows += found
                missing += not mirrored
        print(f"{len(projects) - missing} projects measured, {missing} without a mirror")
        if args.dump:
            args.dump.write_text(json.dumps(rows))
    wanted, vetoed = set(filter(None, args.words.split(","))), set(filter(None, args.not_words.split(",")))
    table: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        fires = bool(row["fires"]) and (not wanted or bool(wanted & set(row["words"]))) and not (vetoed & set(row["words"]))
        for key in (row["split"], "all"):
            table[key][row["label"]] += 1
            table[key][row["label"], "hit"] += row["hit"]
            table[key][row["label"], "with"] += row["hit"] or fires
    print(f"{'split':8} {'TRUE':>6} {'found':>7} {'+broad':>7}   {'NEAR':>6} {'flagged':>8} {'+broad':>7}")
    for key in sorted(table, key=lambda k: (k == "all", k)):
        c = table[key]
        t, n = c["TRUE"] or 1, c["NEAR"] or 1
        print(f"{key:8} {c['TRUE']:6} {c['TRUE', 'hit'] / t:7.1%} {c['TRUE', 'with'] / t:7.1%}   "
              f"{c['NEAR']:6} {c['NEAR', 'hit'] / n:8.1%} {c['NEAR', 'with'] / n:7.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
