#!/usr/bin/env python3
"""Precision/recall of the analyzers against the held-out labelled corpus.

The corpus lives in bench/eval/corpus/. Every expected finding is labelled on its line with
an end-of-line marker comment:

    deadline = time.time() + 30  # expect: ARM103
    values ($1, clock_timestamp());  -- expect: ARM102

Either comment style is accepted in any file (SQL embedded in Python strings carries `--`
markers). Several expected findings on one line are separated by commas
(`# expect: ARM401, ARM402`). `ARM201|ARM202` means one finding of either rule is expected
(the catalog is ambiguous about which of the two owns the construct).

A finding matches an expected label of the same rule within +/-2 lines; each label and each
finding is matched at most once (closest first). Unmatched findings are false positives,
unmatched labels false negatives. Look-alikes (lines that must not be flagged) are marked
`# ok: ...` / `-- ok: ...` only for the reader's benefit; every unlabelled finding counts as
a false positive whether or not the line carries such a comment.

Usage: python bench/eval_precision.py [--corpus DIR | corpus_dir]     (always exits 0)
(default corpus: bench/eval/corpus/)
"""
from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import analyzers  # noqa: E402

TOLERANCE = 2
MARKER = re.compile(r"(?:#|--)\s*expect:\s*([A-Z0-9|,\s]+)")
RULE = re.compile(r"^ARM\d{3}$")
OK_MARKER = re.compile(r"(?:#|--)\s*ok\b")


@dataclass
class Label:
    path: str
    line: int
    rules: tuple[str, ...]  # alternatives

    @property
    def name(self) -> str:
        return "|".join(self.rules)


def parse_labels(path: str, text: str) -> list[Label]:
    labels = []
    for lineno, line in enumerate(text.splitlines(), 1):
        m = MARKER.search(line)
        if not m:
            continue
        for item in m.group(1).split(","):
            alts = tuple(a.strip() for a in item.split("|") if a.strip())
            if not alts:
                continue
            bad = [a for a in alts if not RULE.match(a)]
            if bad:
                print(f"warning: {path}:{lineno}: bad label {item!r}")
                continue
            labels.append(Label(path, lineno, alts))
    return labels


def match(labels, findings):
    """Greedy closest-first matching; returns (pairs, unmatched labels, unmatched findings)."""
    cands = []
    for li, lab in enumerate(labels):
        for fi, f in enumerate(findings):
            d = abs(f.line - lab.line)
            if f.rule in lab.rules and d <= TOLERANCE:
                cands.append((d, li, fi))
    cands.sort()
    used_l, used_f, pairs = set(), set(), []
    for _, li, fi in cands:
        if li in used_l or fi in used_f:
            continue
        used_l.add(li)
        used_f.add(fi)
        pairs.append((labels[li], findings[fi]))
    fn = [lab for i, lab in enumerate(labels) if i not in used_l]
    fp = [f for i, f in enumerate(findings) if i not in used_f]
    return pairs, fn, fp


def ratio(a, b):
    return a / b if b else float("nan")


def fmt(x):
    return "  n/a" if x != x else f"{x:5.2f}"


def main(argv):
    args = list(argv[1:])
    corpus_arg = None
    for i, a in enumerate(args):
        if a == "--corpus" and i + 1 < len(args):
            corpus_arg = args[i + 1]
            break
        if a.startswith("--corpus="):
            corpus_arg = a.split("=", 1)[1]
            break
    else:
        positional = [a for a in args if not a.startswith("--")]
        corpus_arg = positional[0] if positional else None
    corpus = Path(corpus_arg) if corpus_arg else REPO / "bench" / "eval" / "corpus"
    if not corpus.is_absolute() and not corpus.exists() and (REPO / corpus).exists():
        corpus = REPO / corpus
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix in (".py", ".sql"))
    tp = defaultdict(int)
    fpc = defaultdict(int)
    fnc = defaultdict(int)
    fps, fns, notes, crashes = [], [], [], []
    n_labels = n_ok = 0
    for p in files:
        rel = p.relative_to(corpus).as_posix()
        text = p.read_text(encoding="utf-8")
        labels = parse_labels(rel, text)
        n_labels += len(labels)
        n_ok += sum(1 for line in text.splitlines() if OK_MARKER.search(line))
        try:
            report = analyzers.analyze(rel, text)
        except Exception as exc:  # keep scoring the rest
            crashes.append(f"{rel}: {type(exc).__name__}: {exc}")
            for lab in labels:
                fnc[lab.rules[0]] += 1
                fns.append((rel, lab.line, lab.name, "(analyzer crashed)"))
            continue
        for n in getattr(report, "notes", []) or []:
            notes.append(f"{rel}: {n}")
        pairs, fn, fp = match(labels, list(report.findings))
        for _, f in pairs:
            tp[f.rule] += 1
        for lab in fn:
            fnc[lab.rules[0]] += 1
            line_text = text.splitlines()[lab.line - 1].strip()
            fns.append((rel, lab.line, lab.name, f"(missed) {line_text[:110]}"))
        for f in fp:
            fpc[f.rule] += 1
            fps.append((rel, f.line, f.rule, f.message))

    rules = sorted(set(tp) | set(fpc) | set(fnc))
    print(f"corpus: {corpus.relative_to(REPO) if corpus.is_relative_to(REPO) else corpus}")
    print(f"files: {len(files)}  expected findings: {n_labels}  marked look-alikes (ok): {n_ok}")
    print(f"matching: same rule, +/-{TOLERANCE} lines\n")
    print(f"{'rule':8} {'TP':>4} {'FP':>4} {'FN':>4} {'prec':>6} {'recall':>6}")
    for r in rules:
        print(f"{r:8} {tp[r]:4} {fpc[r]:4} {fnc[r]:4} {fmt(ratio(tp[r], tp[r] + fpc[r])):>6} "
              f"{fmt(ratio(tp[r], tp[r] + fnc[r])):>6}")
    T, F, N = sum(tp.values()), sum(fpc.values()), sum(fnc.values())
    p, rc = ratio(T, T + F), ratio(T, T + N)
    f1 = 2 * p * rc / (p + rc) if (p + rc) else float("nan")
    print(f"{'overall':8} {T:4} {F:4} {N:4} {fmt(p):>6} {fmt(rc):>6}   F1 {fmt(f1)}")

    print(f"\nFalse positives ({len(fps)}):")
    for path, line, rule, msg in sorted(fps):
        print(f"  {path}:{line} {rule} {msg}")
    print(f"\nFalse negatives ({len(fns)}):")
    for path, line, rule, msg in sorted(fns):
        print(f"  {path}:{line} {rule} {msg}")
    if notes:
        print(f"\nAnalyzer notes ({len(notes)}):")
        for n in notes:
            print(f"  {n}")
    if crashes:
        print(f"\nAnalyzer crashes ({len(crashes)}):")
        for c in crashes:
            print(f"  {c}")
    return 0


if __name__ == "__main__":
    try:
        main(sys.argv)
    except Exception as exc:  # the scorer never fails the build
        print(f"eval_precision: error: {type(exc).__name__}: {exc}")
    sys.exit(0)
