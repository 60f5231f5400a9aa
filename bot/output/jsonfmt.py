from __future__ import annotations

import json

from analyzers import Finding

from ..scan import ScanResult

SCHEMA_VERSION = "1"


def finding_dict(finding: Finding) -> dict:
    data = {
        "rule": finding.rule,
        "family": finding.family,
        "path": finding.path,
        "line": finding.line,
        "end_line": finding.end_line,
        "col": finding.col,
        "end_col": finding.end_col,
        "message": finding.message,
        "citation": {
            "skill": finding.citation.skill,
            "section": finding.citation.section,
            "url": finding.citation.url,
        },
        "fingerprint": finding.fingerprint,
        "confidence": finding.confidence,
    }
    if finding.related:
        data["related_lines"] = list(finding.related)
    if finding.fix is not None:
        data["fix"] = {
            "description": finding.fix.description,
            "applicability": finding.fix.applicability,
            "edits": [{"start": e.start, "end": e.end, "text": e.text} for e in finding.fix.edits],
        }
    return data


def render(result: ScanResult, version: str) -> str:
    payload = {
        "version": version,
        "findings": [finding_dict(f) for f in result.findings],
        "notes": [
            {"path": n.path, "message": n.message, **({"line": n.line} if n.line else {})}
            for n in result.notes
        ],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
