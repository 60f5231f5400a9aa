"""SARIF 2.1.0 as GitHub code scanning accepts it (rules with help text and help URIs,
partialFingerprints so alerts follow code that moves)."""
from __future__ import annotations

import json

from analyzers.catalog import all_rules
from analyzers.citations import citation_for

from ..ruledoc import render_markdown
from ..scan import ScanResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/armadilhas-bot/armadilhas-bot"


def _rule_descriptor(rule, base_url):
    citation = citation_for(rule.section_key, base_url)
    markdown = render_markdown(rule, "en", base_url)
    return {
        "id": rule.id,
        "name": rule.slug,
        "shortDescription": {"text": rule.message.en},
        "fullDescription": {"text": rule.why.en},
        "helpUri": citation.url,
        "help": {"text": f"{rule.why.en}\n\n{rule.use_instead.en}\n\n{citation.url}", "markdown": markdown},
        "defaultConfiguration": {"level": "warning"},
        "properties": {
            "tags": ["distributed-systems", rule.family, rule.language],
            "precision": "high",
            "problem.severity": "warning",
        },
    }


def _fixes(f) -> list[dict]:
    """SARIF `fixes`: character-offset replacements (columnKind unicodeCodePoints), with ruff's
    applicability in the property bag."""
    if f.fix is None or not f.fix.edits:
        return []
    return [{
        "description": {"text": f.fix.description},
        "artifactChanges": [{
            "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
            "replacements": [
                {"deletedRegion": {"charOffset": e.start, "charLength": e.end - e.start},
                 "insertedContent": {"text": e.text}}
                for e in sorted(f.fix.edits, key=lambda e: e.start)
            ],
        }],
        "properties": {"applicability": f.fix.applicability},
    }]


def render(result: ScanResult, version: str, base_url: str | None = None) -> str:
    rules = all_rules()
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = []
    for f in result.findings:
        region = {"startLine": f.line, "startColumn": f.col, "endLine": f.end_line, "endColumn": f.end_col}
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": "warning" if f.confidence == "high" else "note",
                "message": {"text": f"{f.message} ({f.citation.url})"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                            "region": region,
                        }
                    }
                ],
                "partialFingerprints": {"armadilhas/v1": f.fingerprint},
                "properties": {"confidence": f.confidence},
            }
        )
        if f.related:  # where the pitfall's cause sits (the lock taken for an unfenced write)
            results[-1]["relatedLocations"] = [
                {
                    "id": i,
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": line},
                    },
                }
                for i, line in enumerate(f.related, start=1)
            ]
        if f.fix is not None and f.fix.edits:
            results[-1]["fixes"] = _fixes(f)
    notifications = [
        {
            "level": "note",
            "message": {"text": n.message},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": n.path, "uriBaseId": "%SRCROOT%"}}}],
        }
        for n in result.notes
    ]
    sarif = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "armadilhas",
                        "informationUri": INFO_URI,
                        "version": version,
                        "semanticVersion": version,
                        "rules": [_rule_descriptor(rule, base_url) for rule in rules],
                    }
                },
                "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"
