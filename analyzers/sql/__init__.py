"""PostgreSQL analysis with pglast."""
