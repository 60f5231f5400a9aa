"""The `armadilhas` command: check, diff, rules, explain (and the App's serve/worker/setup).

Exit codes, as linters do: 0 nothing found, 1 findings, 2 usage or configuration error.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from importlib.metadata import PackageNotFoundError, version as dist_version
from pathlib import Path

from analyzers.catalog import all_rules, get_rule

from .config import CONFIG_PATH, ConfigError, RepoConfig, load_repo_config

FORMATS = ("text", "json", "sarif", "github")


def _version() -> str:
    try:
        return dist_version("armadilhas-bot")
    except PackageNotFoundError:
        return "0+unknown"


class UsageError(Exception):
    pass


def _find_config(explicit: str | None, cwd: Path) -> Path | None:
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise UsageError(f"config file not found: {explicit}")
        return path
    for folder in (cwd, *cwd.parents):
        candidate = folder / CONFIG_PATH
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists():
            break
    return None


def _load_config(args) -> RepoConfig:
    path = _find_config(args.config, Path.cwd())
    if path is None:
        config = RepoConfig()
    else:
        try:
            config = load_repo_config(path.read_text(encoding="utf-8"))
        except (ConfigError, UnicodeDecodeError) as exc:
            raise UsageError(str(exc).replace(CONFIG_PATH, str(path), 1)) from None
    settings = config.settings
    overrides = {}
    for flag in ("select", "ignore"):
        value = getattr(args, flag, None)
        if value:
            ids = frozenset(part.strip().upper() for part in value.split(",") if part.strip())
            for rule_id in ids:
                if len(rule_id) == 6 and get_rule(rule_id) is None or not rule_id.startswith("ARM"):
                    raise UsageError(f"--{flag}: unknown rule {rule_id!r} (see `armadilhas rules`)")
            overrides[flag] = ids if flag == "select" else settings.ignore | ids
    if getattr(args, "language", None):
        overrides["language"] = args.language
    if getattr(args, "preview", False):
        overrides["preview"] = True
    if overrides:
        from dataclasses import replace

        config = replace(config, settings=replace(settings, **overrides))
    return config


def _emit(result, args, config: RepoConfig, elapsed: float) -> int:
    from .output import github, jsonfmt, sarif, text

    fmt = args.format
    if fmt == "json":
        out = jsonfmt.render(result, _version())
    elif fmt == "sarif":
        out = sarif.render(result, _version(), config.settings.citation_base_url)
    elif fmt == "github":
        out = github.render(result)
    else:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        out = text.render(result, color=color, elapsed=elapsed, language=config.settings.language)
    sys.stdout.write(out)
    return 1 if result.findings else 0


def cmd_check(args) -> int:
    from .output.text import Progress
    from .scan import iter_files, project_index, scan, sql_files
    from .superseded import drop_superseded

    config = _load_config(args)
    if args.unsafe_fixes and not (args.fix or args.diff):
        raise UsageError("--unsafe-fixes goes with --fix or --diff")
    # Parsing allocates millions of short-lived nodes: at the default thresholds that sets off some
    # thirty full collections a Django scan, each walking every live object (the project index,
    # the open tree), a tenth of the scan. Parse trees hold no reference cycles (a few small classes
    # that rules define per call do), so collecting seldom costs little memory in a one-check process.
    gc.set_threshold(10_000, 20, 20)
    started = time.perf_counter()
    files, notes = iter_files(args.paths, config, Path.cwd())
    result = scan(files, config.settings, jobs=args.jobs, progress=Progress(),
                  project=project_index(files, config.settings))
    result.notes = notes + result.notes
    result.findings = drop_superseded(result.findings, sql_files(files, config.settings))
    if notes and not files:
        for note in notes:
            print(f"armadilhas: {note.path}: {note.message}", file=sys.stderr)
        return 2
    if args.fix or args.diff:
        return _apply_fixes(result, files, args, config, started)
    return _emit(result, args, config, time.perf_counter() - started)


def _apply_fixes(result, files, args, config: RepoConfig, started: float) -> int:
    """--fix writes the fixes and reports what is left; --diff prints them and writes nothing."""
    from .fixes import fix_file, unified_diff
    from .scan import MAX_FILE_BYTES

    unsafe = bool(args.unsafe_fixes)
    fixable = {f.path for f in result.findings if f.fix is not None}
    applied = unsafe_left = 0
    diffs: list[str] = []
    for file, shown in files:
        if shown not in fixable:
            continue
        outcome, notes = fix_file(file, shown, config.settings, unsafe=unsafe, write=not args.diff,
                                  max_bytes=MAX_FILE_BYTES)
        result.notes.extend(notes)
        if outcome is None:
            continue
        result.notes.extend(outcome.notes)
        unsafe_left += outcome.unsafe_skipped
        if outcome.changed:
            applied += len(outcome.applied)
            diffs.append(unified_diff(shown, outcome.original, outcome.fixed))
            result.findings = [f for f in result.findings if f.path != shown] + outcome.remaining
    result.findings.sort(key=lambda f: f.sort_key)
    noun = "fix" if applied == 1 else "fixes"
    hint = (f" ({unsafe_left} more with --unsafe-fixes)" if unsafe_left else "")
    if args.diff:
        sys.stdout.write("".join(diffs))
        for note in result.notes:
            print(f"armadilhas: {note.path}: {note.message}", file=sys.stderr)
        print(f"armadilhas: would apply {applied} {noun} in {len(diffs)} file(s){hint}", file=sys.stderr)
        return 1 if diffs else 0
    print(f"armadilhas: applied {applied} {noun} in {len(diffs)} file(s), {len(result.findings)} finding(s) "
          f"remaining{hint}", file=sys.stderr)
    return _emit(result, args, config, time.perf_counter() - started)


def cmd_diff(args) -> int:
    from . import gitdiff
    from .scan import scan

    config = _load_config(args)
    started = time.perf_counter()
    try:
        root = gitdiff.repo_root(Path.cwd())
        base = args.base or gitdiff.default_base(root)
        changed = gitdiff.changed_lines(root, base)
    except gitdiff.GitError as exc:
        raise UsageError(str(exc)) from None
    from .scan import sniffed_language

    files = []
    for path, lines in sorted(changed.items()):
        full = root / path
        if lines and full.is_file() and sniffed_language(full, config.settings) and config.included(path):
            files.append((full, os.path.relpath(full, Path.cwd())))
    # the index covers the analysed files and the files of the repository they import (one level),
    # as the App builds it for a pull request
    result = scan(files, config.settings, jobs=args.jobs, project=_diff_index(root, files, config.settings))
    by_shown = {shown: changed[os.path.relpath(full, root)] for full, shown in files}
    # a finding whose related line changed is the change's too (the lock a diff adds around
    # writes it left alone: Finding.related)
    result.findings = [
        f for f in result.findings
        if f.line in by_shown.get(f.path, ()) or not by_shown.get(f.path, set()).isdisjoint(f.related)
    ]
    return _emit(result, args, config, time.perf_counter() - started)


def _diff_index(root: Path, files, settings):
    from analyzers import build_project_index, decode_python, language_of

    from .review.project import fetch_imported

    def read(path: str) -> str | None:
        try:
            return decode_python((root / path).read_bytes())
        except OSError:
            return None

    changed = {}
    for full, _ in files:
        rel = os.path.relpath(full, root).replace(os.sep, "/")
        if language_of(rel, settings) == "python":
            text = read(rel)
            if text is not None:
                changed[rel] = text
    imported, _ = fetch_imported(changed, read)
    return build_project_index([*changed.items(), *imported.items()])


def cmd_rules(args) -> int:
    rules = all_rules()
    if args.format == "markdown":
        from .ruledoc import render_catalog

        sys.stdout.write(render_catalog(rules, args.language or "en"))
        return 0
    if args.format == "json":
        import json

        print(json.dumps([
            {"id": r.id, "name": r.slug, "family": r.family, "language": r.language,
             "fixable": r.fixable, "message": r.message.get(args.language or "en")}
            for r in rules
        ], indent=2, ensure_ascii=False))
        return 0
    width = max(len(r.slug) for r in rules) if rules else 0
    for r in rules:
        fix = "fix" if r.fixable else "   "
        print(f"{r.id}  {r.slug:<{width}}  {r.family:<15} {r.language:<6} {fix}  {r.message.get(args.language or 'en')}")
    return 0


def cmd_explain(args) -> int:
    from .ruledoc import render_markdown

    rule = get_rule(args.rule)
    if rule is None:
        known = ", ".join(r.id for r in all_rules())
        raise UsageError(f"unknown rule {args.rule!r}; known rules: {known}")
    sys.stdout.write(render_markdown(rule, args.language or "en"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="armadilhas",
        description="Find distributed-systems pitfalls (wall clock, unfenced locks, fixed timeouts, "
        "non-idempotent side effects) in Python and PostgreSQL code.",
    )
    parser.add_argument("--version", action="version", version=f"armadilhas {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def scan_options(p):
        p.add_argument("--format", choices=FORMATS, default="text")
        p.add_argument("--select", metavar="IDS", help="comma-separated rule ids or prefixes (ARM1, ARM201)")
        p.add_argument("--ignore", metavar="IDS", help="comma-separated rule ids or prefixes to skip")
        p.add_argument("--config", metavar="FILE", help=f"config file (default: {CONFIG_PATH} of the repo)")
        p.add_argument("--language", choices=("en", "pt-BR"), help="language of messages")
        p.add_argument("--preview", action="store_true",
                       help="also run the preview forms (more pitfalls found, more noise; see README)")
        p.add_argument("--jobs", type=int, default=None, help="worker processes (default: CPU count)")

    check = sub.add_parser("check", help="analyse files and folders")
    check.add_argument("paths", nargs="+", metavar="PATH")
    scan_options(check)
    check.add_argument("--fix", action="store_true", help="apply the safe fixes in place")
    check.add_argument("--diff", action="store_true",
                       help="print the fixes as a unified diff instead of writing them (exit 1 if there are any)")
    check.add_argument("--unsafe-fixes", action="store_true",
                       help="also apply fixes that may change behaviour beyond the pitfall")
    check.set_defaults(func=cmd_check)

    diff = sub.add_parser("diff", help="only findings on lines changed against a git ref")
    diff.add_argument("--base", metavar="REF", help="compare against REF (default: origin/HEAD, main or master)")
    scan_options(diff)
    diff.set_defaults(func=cmd_diff)

    rules = sub.add_parser("rules", help="list the rules")
    rules.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    rules.add_argument("--language", choices=("en", "pt-BR"))
    rules.set_defaults(func=cmd_rules)

    explain = sub.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("rule", metavar="ID")
    explain.add_argument("--language", choices=("en", "pt-BR"))
    explain.set_defaults(func=cmd_explain)

    try:
        from .app_cli import add_app_commands
    except ImportError:  # the App's commands need its optional modules
        pass
    else:
        add_app_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"armadilhas: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
