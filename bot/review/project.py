"""What the App indexes besides a pull request's changed files: the files of the same repository
that the changed Python files import from, one level deep, read at the head commit.

A review sees only the changed files, so a clock helper defined in an unchanged module
(`from .timeutil import utc_moment`) would be known only by its name. Fetching the whole tree
would cost one API call per file; fetching what the changed files import costs a few, bounded:
at most MAX_FETCHES requests and MAX_FILES files of at most MAX_BYTES each. Only relative imports
and absolute imports whose top package is a folder on the changed file's own path are followed
(the project's own packages); third-party imports cost nothing.
"""
from __future__ import annotations

import ast
import logging
import warnings
from typing import Callable

from analyzers.python.project_index import package_of, resolve_relative
from bot.github.errors import RateLimited

log = logging.getLogger("armadilhas.review")

MAX_FETCHES = 30
MAX_FILES = 15
MAX_BYTES = 256 * 1024


def _module_paths(dotted: str, prefix: str) -> list[str]:
    base = prefix + dotted.replace(".", "/")
    return [f"{base}.py", f"{base}/__init__.py"]


def imported_paths(path: str, text: str) -> list[tuple[list[str], list[list[str]]]]:
    """Where the modules a Python file imports from its own project may live in the repository:
    per import, the alternatives for the module (`pkg/a.py`, `pkg/a/__init__.py`) and, for each
    name imported from it, the alternatives should that name be a submodule (`pkg/a/b.py`...).
    `from .a import b` resolves from the file's path; `from pkg.a import b` in `src/pkg/x.py`
    looks under `src/`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return []
    folders = path.replace("\\", "/").split("/")[:-1]
    found: list[tuple[list[str], list[list[str]]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names = [a.name for a in node.names if a.name != "*"]
            if node.level:
                module = resolve_relative(package_of(path), node.level, node.module)
                prefix = ""  # resolved from the file's own path: already rooted at the repository
            else:
                module, prefix = node.module, None
            targets = [(module, names, prefix)] if module else []
        elif isinstance(node, ast.Import):
            targets = [(alias.name, [], None) for alias in node.names]
        else:
            continue
        for module, names, prefix in targets:
            if prefix is None:
                head = module.split(".")[0]
                if head not in folders:
                    continue  # not one of the packages the changed file lives in
                prefix = "".join(f"{part}/" for part in folders[: folders.index(head)])
            found.append((_module_paths(module, prefix), [_module_paths(f"{module}.{n}", prefix) for n in names]))
    return found


def fetch_imported(changed: dict[str, str], read: Callable[[str], str | None]) -> tuple[dict[str, str], list[str]]:
    """(path -> text) of the unchanged files the changed Python files import, and notes on what
    could not be read. `read(path)` returns the file at the head commit or None; it may raise
    (a GitHub error): that file is skipped and the failure noted, the review goes on (a rate
    limit is not swallowed: the job's retry handles it)."""
    texts: dict[str, str] = {}
    notes: list[str] = []
    tried: set[str] = set(changed)
    fetches = 0

    def first_of(alternatives: list[str]) -> str | None:
        nonlocal fetches
        for candidate in alternatives:
            if candidate in texts or candidate in changed:
                return candidate
            if candidate in tried:
                continue
            if fetches >= MAX_FETCHES or len(texts) >= MAX_FILES:
                raise _Budget
            tried.add(candidate)
            fetches += 1
            try:
                text = read(candidate)
            except RateLimited:
                raise
            except Exception as exc:  # a helper of the index must never cost the review
                log.warning("project index: could not read %s: %s", candidate, exc)
                notes.append(f"project index: `{candidate}` could not be read ({type(exc).__name__})")
                continue
            if text is not None and len(text.encode("utf-8", "replace")) <= MAX_BYTES:
                texts[candidate] = text
                return candidate
        return None

    try:
        for path, text in changed.items():
            if not path.endswith((".py", ".pyi")):
                continue
            for module, submodules in imported_paths(path, text):
                hit = first_of(module)
                if hit is not None and not hit.endswith("__init__.py"):
                    continue  # a module file has no submodules
                for alternatives in submodules:
                    first_of(alternatives)
    except _Budget:
        notes.append(f"project index: stopped after {fetches} requests ({len(texts)} imported files read)")
    return texts, notes


class _Budget(Exception):
    """The request or file budget is spent."""
