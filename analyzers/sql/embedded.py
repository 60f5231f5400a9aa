"""SQL inside Python string literals (placeholder until the SQL analyzer lands)."""
