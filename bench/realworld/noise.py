#!/usr/bin/env python3
"""Noise review: `armadilhas check` over whole real codebases, findings per 100k lines, and the
share of findings a person judged real, from the hand review in noise_review.yml.

    python bench/realworld/noise.py                  # run, compare with the review, print figures
    python bench/realworld/noise.py --pending FILE   # also write the findings nobody reviewed yet

The codebases are listed in noise.yml (repository and pinned commit), read from bare git mirrors
like score.py (--mirrors / $ARMADILHAS_MIRRORS). Each tree is exported with `git archive` into a
scratch folder and checked exactly as a user would run the CLI there (default settings: test code
is not reported). A review entry matches a finding by project, path, rule and fingerprint, so the
review survives line shifts of unrelated code.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
VERDICTS = ("real", "debatable", "false")

sys.path.insert(0, str(HERE))
from score import mirror_dir  # noqa: E402  (the same mirror layout rules as the scorer)


def export(git_dir: Path, commit: str, dest: Path) -> tuple[int, int]:
    """Write the .py/.sql files of `commit` under dest, and the Python scripts without an extension
    (a Python shebang, as the CLI reads them); (files, lines) of non-test code.
    Blobs are read one by one (`cat-file --batch`): snapshots may lack large unrelated files,
    which would make `git archive` of the whole tree fail."""
    from analyzers import extensionless, python_script
    from analyzers.paths import is_test_path

    listing = subprocess.run(["git", f"--git-dir={git_dir}", "ls-tree", "-r", "-z", commit],
                             capture_output=True, check=True).stdout.decode("utf-8", "surrogateescape")
    wanted = []
    for entry in filter(None, listing.split("\0")):
        meta, name = entry.split("\t", 1)
        if meta.split()[1] == "blob" and (name.endswith((".py", ".sql")) or extensionless(name)):
            wanted.append((meta.split()[2], name))
    batch = subprocess.run(["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
                           input="".join(f"{sha}\n" for sha, _ in wanted).encode(), capture_output=True, check=True)
    out, pos = batch.stdout, 0
    files = lines = 0
    for _, name in wanted:
        header_end = out.index(b"\n", pos)
        header = out[pos:header_end].split()
        pos = header_end + 1
        if header[-1] == b"missing":
            continue
        size = int(header[2])
        data = out[pos:pos + size]
        pos += size + 1
        if not name.endswith((".py", ".sql")) and not python_script(name, data[:200]):
            continue  # an extensionless file that is no Python script (`Makefile`, a shell script)
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        if not is_test_path(name):
            files += 1
            lines += data.count(b"\n")
    return files, lines


def check(tree: Path, preview: bool = False) -> dict:
    flags = ["--preview"] if preview else []
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "check", ".", "--format", "json", *flags], cwd=tree,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    if proc.returncode not in (0, 1):
        raise SystemExit(f"armadilhas check failed in {tree}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=Path(os.environ.get("ARMADILHAS_MIRRORS", "/work/.mirror")))
    parser.add_argument("--preview", action="store_true", help="also run the preview forms (README)")
    parser.add_argument("--pending", type=Path, help="write unreviewed findings here (YAML, ready to judge)")
    parser.add_argument("--project", action="append", help="only these projects")
    parser.add_argument("--show", choices=VERDICTS, action="append", default=[],
                        help="list the findings reviewed with this verdict (e.g. --show false after a rule change)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))

    projects = yaml.safe_load((HERE / "noise.yml").read_text())["projects"]
    # The code is pinned, so a finding at the same line of the same file is the same finding;
    # fingerprints are the fallback (they count occurrences of identical code, so one finding
    # going quiet would hand its verdict to the next look-alike of the file).
    verdicts, by_line = {}, {}
    for path in sorted(HERE.glob("noise_review*.yml")):  # one file per reviewer or per round
        for r in (yaml.safe_load(path.read_text()) or {}).get("findings") or ():
            if r.get("verdict") not in VERDICTS:
                raise SystemExit(f"{path.name}: {r.get('path')}:{r.get('line')}: verdict must be one of {VERDICTS}")
            verdicts[(r["project"], r["path"], r["rule"], r["fingerprint"])] = r
            by_line[(r["project"], r["path"], r["rule"], r["line"])] = r

    total_lines = 0
    found, pending = [], []
    print(f"{'project':24} {'files':>6} {'lines':>9} {'findings':>9} {'per 100k':>9}")
    for project in projects:
        if args.project and project["name"] not in args.project:
            continue
        git_dir = mirror_dir(args.mirrors, project["repo"])
        with tempfile.TemporaryDirectory() as scratch:
            files, lines = export(git_dir, project["commit"], Path(scratch))
            result = check(Path(scratch), preview=args.preview)
        total_lines += lines
        items = result["findings"]
        print(f"{project['name']:24} {files:>6} {lines:>9,} {len(items):>9} {100_000 * len(items) / max(lines, 1):>9.1f}")
        for f in items:
            review = by_line.get((project["name"], f["path"], f["rule"], f["line"]))
            key = ((review["project"], review["path"], review["rule"], review["fingerprint"]) if review
                   else (project["name"], f["path"], f["rule"], f["fingerprint"]))
            found.append((key, f))
            if key not in verdicts:
                pending.append({"project": project["name"], "path": f["path"], "line": f["line"], "rule": f["rule"],
                                "fingerprint": f["fingerprint"], "confidence": f["confidence"],
                                "verdict": "", "reason": f["message"][:160]})
    count = len(found)
    print(f"{'all':24} {'':>6} {total_lines:>9,} {count:>9} {100_000 * count / max(total_lines, 1):>9.1f}")
    judged = Counter(verdicts[key]["verdict"] for key, _ in found if key in verdicts)
    reviewed = sum(judged.values())
    if reviewed:
        ok = judged["real"] + judged["debatable"]
        print(f"\nreviewed {reviewed} of {count}: real {judged['real']}, debatable {judged['debatable']}, "
              f"false {judged['false']}  ->  real or debatable {100 * ok / reviewed:.2f}%")
    for verdict in args.show:
        print(f"\n{verdict}:")
        for key, f in found:
            if key in verdicts and verdicts[key]["verdict"] == verdict:
                print(f"  {key[0]} {f['path']}:{f['line']} {f['rule']}  {verdicts[key].get('reason', '')[:110]}")
    by_rule = Counter(f["rule"] for _, f in found)
    print("by rule:", ", ".join(f"{r} {n}" for r, n in sorted(by_rule.items())))
    if pending:
        print(f"\n{len(pending)} findings not reviewed yet" + (f" (written to {args.pending})" if args.pending else ""))
        if args.pending:
            args.pending.write_text(yaml.safe_dump({"findings": pending}, sort_keys=False, allow_unicode=True, width=200))
    return 0


if __name__ == "__main__":
    sys.exit(main())
