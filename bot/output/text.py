"""Output for people: `path:line:col: ID message`, the cited section under it, colour only on
a terminal, a summary line at the end."""
from __future__ import annotations

import sys

from ..scan import ScanResult

_BOLD, _RED, _CYAN, _DIM, _RESET = "\033[1m", "\033[31m", "\033[36m", "\033[2m", "\033[0m"


def render(result: ScanResult, *, color: bool, elapsed: float | None = None, language: str = "en") -> str:
    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    out = []
    for f in result.findings:
        where = paint(_BOLD, f"{f.path}:{f.line}:{f.col}:")
        hedge = "" if f.confidence == "high" else paint(_DIM, f" [{f.confidence} confidence]")
        out.append(f"{where} {paint(_RED, f.rule)}{hedge} {f.message}")
        out.append(f"    {paint(_DIM, '→')} {paint(_CYAN, f.citation.skill + ' › ' + f.citation.section)}")
        out.append(f"      {paint(_DIM, f.citation.url)}")
        if f.fix is not None:
            unsafe = "" if f.fix.safe else " (unsafe: applied only with --unsafe-fixes)"
            out.append(f"    {paint(_DIM, 'fix:')} {f.fix.description}{unsafe}")
    for note in result.notes:
        line = f":{note.line}" if note.line else ""
        out.append(f"{note.path}{line}: note: {note.message}")
    count = len(result.findings)
    noun = ("achado" if count == 1 else "achados") if language == "pt-BR" else ("finding" if count == 1 else "findings")
    summary = f"{count} {noun} in {result.files} files ({result.lines:,} lines"
    summary += f", {elapsed:.2f} s)" if elapsed is not None else ")"
    if language == "pt-BR":
        summary = summary.replace(" in ", " em ").replace(" files ", " arquivos ").replace(" lines", " linhas")
    out.append(paint(_BOLD, summary) if count else summary)
    return "\n".join(out) + "\n"


class Progress:
    """A one-line progress bar on stderr, only on a terminal and only for long runs."""

    def __init__(self, stream=sys.stderr, minimum: int = 200) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.minimum = minimum

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < self.minimum:
            return
        if done % 50 and done != total:
            return
        width = 30
        filled = width * done // total
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} files")
        if done == total:
            self.stream.write("\r" + " " * (width + 30) + "\r")
        self.stream.flush()
