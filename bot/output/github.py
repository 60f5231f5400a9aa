"""GitHub Actions workflow commands: one `::warning` annotation per finding."""
from __future__ import annotations

from ..scan import ScanResult


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def render(result: ScanResult) -> str:
    lines = []
    for f in result.findings:
        props = f"file={_prop(f.path)},line={f.line},endLine={f.end_line}"
        if f.line == f.end_line:
            props += f",col={f.col},endColumn={f.end_col}"
        props += f",title={_prop(f.rule + ' ' + f.citation.section.split(' — ')[0])}"
        level = "warning" if f.confidence == "high" else "notice"
        lines.append(f"::{level} {props}::{_data(f.message + chr(10) + 'See ' + f.citation.url)}")
    for note in result.notes:
        lines.append(f"::notice file={_prop(note.path)}::{_data(note.message)}")
    return "\n".join(lines) + ("\n" if lines else "")
