"""A rule's documentation page, generated from its metadata (the same text feeds
`armadilhas explain`, SARIF help and the docs), so docs cannot drift from the code."""
from __future__ import annotations

from analyzers.catalog import RuleMeta
from analyzers.citations import citation_for

_HEADINGS = {
    "en": ("What it does", "Why is this bad?", "Example", "Use instead", "When it is fine", "Reference"),
    "pt-BR": ("O que detecta", "Por que é um problema?", "Exemplo", "Use em vez disso", "Quando está tudo bem", "Referência"),
}


def rule_title(rule: RuleMeta) -> str:
    return f"{rule.id} {rule.slug}"


def render_markdown(rule: RuleMeta, language: str = "en", base_url: str | None = None) -> str:
    what, why, example, instead, fine, ref = _HEADINGS["pt-BR" if language == "pt-BR" else "en"]
    fence = "sql" if rule.language == "sql" else "python"
    citation = citation_for(rule.section_key, base_url)
    parts = [
        f"# {rule_title(rule)}",
        f"Family: `{rule.family}` · Language: {rule.language}" + (" · Fix available" if rule.fixable else ""),
        f"## {what}\n{rule.message.get(language)}",
        f"## {why}\n{rule.why.get(language)}",
        f"## {example}\n```{fence}\n{rule.bad[0].code.rstrip()}\n```",
        f"## {instead}\n{rule.use_instead.get(language)}\n```{fence}\n{rule.good[0].code.rstrip()}\n```",
        f"## {fine}\n{rule.when_fine.get(language)}",
        f"## {ref}\n[{citation.skill} › {citation.section}]({citation.url})",
    ]
    return "\n\n".join(parts) + "\n"
