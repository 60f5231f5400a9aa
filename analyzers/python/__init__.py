"""Python analysis with libcst: see engine.py."""
