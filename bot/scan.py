"""Walk paths, read files, analyse them (in parallel on big trees), collect the results.

The analyzers are pure; everything that touches the file system for the CLI lives here.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from analyzers import (
    Finding, Note, Settings, analyze_bytes, build_project_index, decode_python, extensionless, language_of,
)

from .config import RepoConfig

SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".nox",
             ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist", ".eggs"}
MAX_FILE_BYTES = 10 * 1024 * 1024
PARALLEL_THRESHOLD = 40  # below this, starting worker processes costs more than it saves


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    files: int = 0
    lines: int = 0


def display_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def iter_files(paths: Iterable[str], config: RepoConfig, root: Path) -> tuple[list[tuple[Path, str]], list[Note]]:
    """(file, display path) of every supported file under `paths`, and notes for bad paths.
    Files named explicitly are analysed even when excluded by config, like ruff does."""
    found: list[tuple[Path, str]] = []
    notes: list[Note] = []
    settings = config.settings
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found.append((path, display_path(path, root)))
        elif path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
                for name in sorted(filenames):
                    file = Path(dirpath, name)
                    shown = display_path(file, root)
                    if sniffed_language(file, settings) and config.included(shown):
                        found.append((file, shown))
        else:
            notes.append(Note(raw, "no such file or directory"))
    return found, notes


def sniffed_language(file: Path, settings: Settings) -> str | None:
    """The language of a file found on disk: by extension, or a Python shebang on the first line
    of a file without one (`bin/worker`); only those files are opened here."""
    language = language_of(file.name, settings)
    if language is None and extensionless(file.name):
        try:
            with open(file, "rb") as handle:
                language = language_of(file.name, settings, handle.read(200))
        except OSError:
            return None
    return language


def sql_files(files: list[tuple[Path, str]], settings: Settings) -> list[tuple[Path, str]]:
    return [(file, shown) for file, shown in files if language_of(shown, settings) == "sql"]


def project_index(files: list[tuple[Path, str]], settings: Settings):
    """Clock helpers of the project, from every Python file about to be analysed (by display
    path, so module names follow the tree as the user sees it). Unreadable files are skipped."""
    texts = []
    for file, shown in files:
        if language_of(shown, settings) != "python":
            continue
        try:
            if os.path.getsize(file) > MAX_FILE_BYTES:
                continue
            with open(file, "rb") as handle:
                text = decode_python(handle.read())
        except OSError:
            continue
        if text is not None:
            texts.append((shown, text))
    return build_project_index(texts)


_PROJECT = None  # the project index, set once per worker process


def _set_project(project) -> None:
    global _PROJECT
    _PROJECT = project


def _analyze_file(args: tuple[str, str, Settings]):
    file, shown, settings = args
    try:
        size = os.path.getsize(file)
        if size > MAX_FILE_BYTES:
            return [], [Note(shown, f"skipped: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")], 0
        with open(file, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return [], [Note(shown, f"could not read: {exc.strerror or exc}")], 0
    report = analyze_bytes(shown, data, settings, _PROJECT)
    return report.findings, report.notes, data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def scan(
    files: list[tuple[Path, str]],
    settings: Settings,
    *,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    project=None,
) -> ScanResult:
    """`project`: the index of the project's clock helpers (`project_index`), or None."""
    result = ScanResult()
    work = [(str(file), shown, settings) for file, shown in files]
    jobs = jobs or os.cpu_count() or 1
    _set_project(project)
    if jobs > 1 and len(work) >= PARALLEL_THRESHOLD:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_set_project, initargs=(project,)) as pool:
            outputs = pool.map(_analyze_file, work, chunksize=16)
            for done, output in enumerate(outputs, 1):
                _collect(result, output)
                if progress:
                    progress(done, len(work))
    else:
        for done, item in enumerate(work, 1):
            _collect(result, _analyze_file(item))
            if progress:
                progress(done, len(work))
    result.files = len(work)
    result.findings.sort(key=lambda f: f.sort_key)
    return result


def _collect(result: ScanResult, output) -> None:
    findings, notes, lines = output
    result.findings.extend(findings)
    result.notes.extend(notes)
    result.lines += lines
