#!/usr/bin/env python3
"""Share of findings that carry a fix, on the whole-codebase projects of noise.yml.

    python bench/realworld/fix_share.py [--mirrors DIR] [--project NAME ...]

Each project is exported and checked exactly as noise.py does (the CLI's JSON, default settings);
per rule it prints the findings, how many carry a fix, and how many of those are safe/unsafe.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from noise import check, export  # noqa: E402  (the same export and CLI run as the noise review)
from score import mirror_dir  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=Path(os.environ.get("ARMADILHAS_MIRRORS", "/work/.mirror")))
    parser.add_argument("--project", action="append", help="only these projects")
    args = parser.parse_args()
    projects = yaml.safe_load((HERE / "noise.yml").read_text())["projects"]
    found, fixed = Counter(), Counter()
    for project in projects:
        if args.project and project["name"] not in args.project:
            continue
        with tempfile.TemporaryDirectory() as scratch:
            export(mirror_dir(args.mirrors, project["repo"]), project["commit"], Path(scratch))
            result = check(Path(scratch))
        for f in result["findings"]:
            found[f["rule"]] += 1
            if f.get("fix"):
                fixed[(f["rule"], f["fix"]["applicability"])] += 1
    print(f"{'rule':8} {'findings':>9} {'with fix':>9} {'safe':>6} {'unsafe':>7} {'share':>7}")
    for rule in sorted(found) + ["all"]:
        total = sum(found.values()) if rule == "all" else found[rule]
        safe = sum(n for (r, a), n in fixed.items() if a == "safe" and rule in (r, "all"))
        unsafe = sum(n for (r, a), n in fixed.items() if a == "unsafe" and rule in (r, "all"))
        print(f"{rule:8} {total:>9} {safe + unsafe:>9} {safe:>6} {unsafe:>7} {100 * (safe + unsafe) / max(total, 1):>6.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
