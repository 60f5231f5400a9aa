"""Lines added since a git ref, for `armadilhas diff`: the same filter the App applies to a
pull request (only lines on the RIGHT side of the diff that were added)."""
from __future__ import annotations

import subprocess
from pathlib import Path

from .review.diffmap import parse_patch


class GitError(RuntimeError):
    pass


def _git(root: Path, *args: str) -> str:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, encoding="utf-8", errors="replace"
        )
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    if proc.returncode != 0:
        raise GitError(proc.stderr.strip() or f"git {' '.join(args)} failed")
    return proc.stdout


def repo_root(start: Path) -> Path:
    return Path(_git(start, "rev-parse", "--show-toplevel").strip())


def default_base(root: Path) -> str:
    """The upstream default branch when known, else main/master."""
    for ref in ("origin/HEAD", "origin/main", "origin/master", "main", "master"):
        try:
            _git(root, "rev-parse", "--verify", "--quiet", ref + "^{commit}")
            return ref
        except GitError:
            continue
    raise GitError("no base given and none of origin/HEAD, main, master exists; pass --base REF")


def added_lines(diff_text: str) -> dict[str, set[int]]:
    """Parse `git diff` output into {path: {added line numbers}} (new side), through the same
    patch parser the App uses on GitHub's per-file patches."""
    result: dict[str, set[int]] = {}
    path: str | None = None
    hunks: list[str] = []

    def flush() -> None:
        if path is not None:
            result[path] = parse_patch("\n".join(hunks)).added

    for line in diff_text.splitlines():
        if line.startswith("diff --git "):
            flush()
            path, hunks = None, []
        elif line.startswith("+++ ") and not hunks:
            target = line[4:]
            path = None if target == "/dev/null" else (target[2:] if target.startswith("b/") else target)
        elif path is not None and (hunks or line.startswith("@@")):
            hunks.append(line)
    flush()
    return result


def changed_lines(root: Path, base: str) -> dict[str, set[int]]:
    """Added lines of the working tree against the merge base of `base` and HEAD (three-dot,
    as a pull request compares), untracked files counting as wholly added."""
    merge_base = _git(root, "merge-base", base, "HEAD").strip()
    diff = _git(root, "diff", "--unified=0", "--no-color", "--no-ext-diff", "--no-renames", merge_base, "--")
    result = added_lines(diff)
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    for path in filter(None, untracked.split("\0")):
        try:
            count = (root / path).read_bytes().count(b"\n") + 1
        except OSError:
            continue
        result[path] = set(range(1, count + 1))
    return result
