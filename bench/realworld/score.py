#!/usr/bin/env python3
"""Recall and precision of the analyzers on labelled sites of real public projects.

Each `labels/<project>.yml` pins a commit of a public repository and lists sites labelled TRUE
(a pitfall of the catalog) or NEAR (a look-alike that is not one) by people who read RULES.md
and the guidance but not the rule code. This script reads every labelled file at its pinned
commit from a bare git mirror, analyses it as a user would (default settings), and prints per
family: TRUE sites found and NEAR sites flagged.

A finding counts for the closest site of the same family within TOLERANCE lines of the site's
`line` or any of its `also` lines, measured from the finding's line or any of its `related` lines
(the lines of the same pitfall it names, e.g. the lock acquisition of an ARM201 reported at the
guarded write; since round 24) (ties go to a TRUE site); findings near no site are listed as
unlabelled, for review. Confidence does not matter for the score: the CLI shows every finding.

    python bench/realworld/score.py                 # the development half
    python bench/realworld/score.py --split test    # the test half: measure once, at the end
    python bench/realworld/score.py --split test1   # the first test half, retired into tuning
    python bench/realworld/score.py --split test2   # round 10's test half (25.0% at its one measurement)
    python bench/realworld/score.py --split test3   # round 12's test half (30.5% before and after the round)
    python bench/realworld/score.py --split test4   # round 13's test half (36.9% before the round, 44.2% after)
    python bench/realworld/score.py --split test5   # round 14's test half (44.4% before the round, 45.8% after)
    python bench/realworld/score.py --split test6   # round 15's test half (53.7% before the round and after)
    python bench/realworld/score.py --split test7   # round 16's test half (40.8% before the round, 41.4% after)
    python bench/realworld/score.py --split test8   # round 17's test half (47.7% before the round, 48.2% after)
    python bench/realworld/score.py --split test9   # round 18's test half (46.3% before the round and after)
    python bench/realworld/score.py --split test10  # round 19's test half (43.6% before the round and after)
    python bench/realworld/score.py --split test11  # round 20's test half (49.1% before the round, 52.1% after)
    python bench/realworld/score.py --split test12  # round 21's test half (50.0% before the round, 50.5% after)
    python bench/realworld/score.py --split test13  # round 22's test half (50.0% before the round, 50.7% after)
    python bench/realworld/score.py --split test14  # round 23's test half (52.7% before the round, 52.9% after)
    python bench/realworld/score.py --split test15  # round 24's test half (48.6% before the round, 52.4% after)
    python bench/realworld/score.py --split fresh   # labelled after the test half was measured
    python bench/realworld/score.py --split gate    # labelled blind in round 8, the generalisation gate
    python bench/realworld/score.py --show-misses   # every missed TRUE / flagged NEAR (dev)
    python bench/realworld/score.py --json out.json

Mirrors: <root>/<owner>+<name>/repo, root from --mirrors or $ARMADILHAS_MIRRORS (default
/work/.mirror, where the search tool's fetch puts them). Any clone of the repository that has the
pinned commit will do: `git clone --bare https://github.com/OWNER/NAME <root>/OWNER+NAME/repo`.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import analyzers  # noqa: E402

TOLERANCE = 3
FAMILIES = ("wall-clock", "unfenced-lock", "fixed-timeout", "non-idempotent")
LABELS = ("TRUE", "NEAR")


@dataclass
class Site:
    project: str
    path: str
    line: int
    also: tuple[int, ...]
    family: str
    rule: str
    label: str
    reason: str
    hits: list = field(default_factory=list)

    def distance(self, line: int) -> int:
        return min(abs(line - anchor) for anchor in (self.line, *self.also))


@dataclass
class Project:
    name: str
    repo: str
    commit: str
    split: str
    sites: list[Site]


# test1 to test15 are earlier test halves, each retired into tuning once measured and read.
SPLITS = ("dev", "test", "test1", "test2", "test3", "test4", "test5", "test6", "test7", "test8", "test9", "test10",
          "test11", "test12", "test13", "test14", "test15", "fresh", "gate")


def load_projects(split: str) -> list[Project]:
    splits = yaml.safe_load((HERE / "projects.yml").read_text())
    where = {name: key for key in SPLITS for name in splits.get(key) or ()}
    projects = []
    for path in sorted((HERE / "labels").glob("*.yml")):
        data = yaml.safe_load(path.read_text())
        name = data["project"]
        if name not in where:
            # a labeller's file lands before the project is filed under a split: never score it by accident
            print(f"warning: {path.name}: project {name!r} is in no split of projects.yml; skipped", file=sys.stderr)
            continue
        if split != "all" and where[name] != split:
            continue
        sites = []
        for i, raw in enumerate(data.get("sites") or ()):
            label, family = str(raw["label"]).upper(), raw["family"]
            if label not in LABELS or family not in FAMILIES:
                sys.exit(f"{path.name}: site {i}: bad label {label!r} or family {family!r}")
            sites.append(Site(name, raw["path"], int(raw["line"]), tuple(int(x) for x in raw.get("also") or ()),
                              family, raw.get("rule", ""), label, raw.get("reason", "")))
        projects.append(Project(name, data["repo"], data["commit"], where[name], sites))
    return projects


def mirror_dir(root: Path, repo: str) -> Path:
    """The git directory of a repository's mirror: bare (`repo/`) or with a `.git` inside."""
    base = root / repo.replace("/", "+") / "repo"
    return base / ".git" if (base / ".git").is_dir() else base


def read_at(git_dir: Path, commit: str, path: str) -> str | None:
    proc = subprocess.run(["git", f"--git-dir={git_dir}", "show", f"{commit}:{path}"], capture_output=True)
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", "replace")


def python_files_at(git_dir: Path, commit: str) -> list[tuple[str, str]]:
    """(path, text) of every Python file of the tree at `commit` (missing blobs skipped)."""
    listing = subprocess.run(["git", f"--git-dir={git_dir}", "ls-tree", "-r", "-z", commit],
                             capture_output=True).stdout.decode("utf-8", "surrogateescape")
    wanted = []
    for entry in filter(None, listing.split("\0")):
        meta, name = entry.split("\t", 1)
        if meta.split()[1] == "blob" and name.endswith((".py", ".pyi")):
            wanted.append((meta.split()[2], name))
    batch = subprocess.run(["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
                           input="".join(f"{sha}\n" for sha, _ in wanted).encode(), capture_output=True).stdout
    files, pos = [], 0
    for _, name in wanted:
        header_end = batch.index(b"\n", pos)
        header = batch[pos:header_end].split()
        pos = header_end + 1
        if header[-1] == b"missing":
            continue
        size = int(header[2])
        text = analyzers.decode_python(batch[pos:pos + size])
        pos += size + 1
        if text is not None:
            files.append((name, text))
    return files


def closest_site(sites: list[Site], finding) -> Site | None:
    """The site a finding counts for: the closest of its family within TOLERANCE lines, a TRUE
    one on a tie. A finding names the lines of its pitfall: where it is reported and its
    `related` lines (ARM201: the guarded write it reports and the lock acquisition)."""
    anchors = (finding.line, *finding.related)
    near = [(d, s.label != "TRUE", i) for i, s in enumerate(sites)
            if s.family == finding.family and (d := min(s.distance(a) for a in anchors)) <= TOLERANCE]
    return sites[min(near)[2]] if near else None


def score_project(project: Project, root: Path, unlabelled: list, problems: list, use_index: bool = True,
                  settings: analyzers.Settings = analyzers.DEFAULT) -> None:
    git_dir = mirror_dir(root, project.repo)
    if not git_dir.exists():
        problems.append(f"{project.name}: no mirror at {git_dir} (fetch github:{project.repo})")
        return
    # as `armadilhas check` over the repository would: every Python file feeds the project index
    index = analyzers.build_project_index(python_files_at(git_dir, project.commit)) if use_index else None
    by_path = defaultdict(list)
    for site in project.sites:
        by_path[site.path].append(site)
    for path, sites in sorted(by_path.items()):
        text = read_at(git_dir, project.commit, path)
        if text is None:
            problems.append(f"{project.name}: {path} not found at {project.commit[:12]}")
            continue
        report = analyzers.analyze(path, text, settings, project=index)
        for note in report.notes:
            problems.append(f"{project.name}: {path}: {note.message}")
        for finding in report.findings:
            site = closest_site(sites, finding)
            if site is not None:
                site.hits.append(finding)
            else:
                unlabelled.append((project.name, finding))


def summarise(projects: list[Project]) -> dict:
    table = {}
    for family in FAMILIES:
        sites = [s for p in projects for s in p.sites if s.family == family]
        true = [s for s in sites if s.label == "TRUE"]
        near = [s for s in sites if s.label == "NEAR"]
        table[family] = {
            "true": len(true), "found": sum(1 for s in true if s.hits),
            "near": len(near), "flagged": sum(1 for s in near if s.hits),
        }
    table["all"] = {k: sum(table[f][k] for f in FAMILIES) for k in ("true", "found", "near", "flagged")}
    return table


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f}%" if b else "   - "


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="dev")
    parser.add_argument("--mirrors", type=Path, default=Path(os.environ.get("ARMADILHAS_MIRRORS", "/work/.mirror")))
    parser.add_argument("--show-misses", action="store_true", help="list missed TRUE and flagged NEAR sites")
    parser.add_argument("--preview", action="store_true", help="also run the preview forms (README)")
    parser.add_argument("--project", action="append", help="only these projects")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--no-index", action="store_true",
                        help="analyse each file alone, without the project index (to measure what it adds)")
    args = parser.parse_args()

    projects = load_projects(args.split)
    if args.project:
        projects = [p for p in projects if p.name in args.project]
    unlabelled: list = []
    problems: list[str] = []
    for project in projects:
        score_project(project, args.mirrors, unlabelled, problems, use_index=not args.no_index,
                      settings=analyzers.Settings(preview=args.preview))

    print(f"split: {args.split}  projects: {len(projects)}  sites: {sum(len(p.sites) for p in projects)}"
          f"  tolerance: ±{TOLERANCE} lines\n")
    table = summarise(projects)
    print(f"{'family':16} {'TRUE found':>14} {'recall':>7}   {'NEAR flagged':>14} {'rate':>7}")
    for family, row in table.items():
        print(f"{family:16} {row['found']:>6} / {row['true']:<5} {pct(row['found'], row['true'])}   "
              f"{row['flagged']:>6} / {row['near']:<5} {pct(row['flagged'], row['near'])}")
    print("\nper project (TRUE found/total, NEAR flagged/total):")
    for project in projects:
        row = summarise([project])["all"]
        print(f"  {project.name:24} {project.split:4} {row['found']:>3}/{row['true']:<3}  {row['flagged']:>3}/{row['near']:<3}"
              f"  {project.commit[:12]}")
    rules = Counter(f.rule for p in projects for s in p.sites for f in s.hits)
    rules.update(f.rule for _, f in unlabelled)
    print("\nfindings by rule in the labelled files:", ", ".join(f"{r} {n}" for r, n in sorted(rules.items())) or "none")

    if args.show_misses:
        print("\nmissed TRUE sites:")
        for p in projects:
            for s in p.sites:
                if s.label == "TRUE" and not s.hits:
                    print(f"  {p.name}:{s.path}:{s.line} {s.family} {s.rule}: {s.reason}")
        print("\nflagged NEAR sites:")
        for p in projects:
            for s in p.sites:
                if s.label == "NEAR" and s.hits:
                    rules_hit = ",".join(sorted({f.rule for f in s.hits}))
                    print(f"  {p.name}:{s.path}:{s.line} {s.family} ({rules_hit}): {s.reason}")
    if unlabelled and (args.split == "dev" or args.show_misses):
        print(f"\nunlabelled findings in labelled files ({len(unlabelled)}), to review:")
        for name, f in unlabelled:
            print(f"  {name}:{f.path}:{f.line} {f.rule} [{f.confidence}] {f.message[:100]}")
    elif unlabelled:
        print(f"\nunlabelled findings in labelled files: {len(unlabelled)} (listed with --show-misses)")
    for problem in problems:
        print(f"problem: {problem}")
    if args.json:
        args.json.write_text(json.dumps({"split": args.split, "families": table,
                                         "unlabelled": len(unlabelled), "problems": problems}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
