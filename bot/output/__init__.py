"""Renderers of a finished scan for the CLI: text (people), json, sarif (code scanning),
github (workflow-command annotations)."""
