"""An OpenAI-compatible fake (`POST /v1/chat/completions`) for tests (see server.py)."""
from .server import FakeOpenAI

__all__ = ["FakeOpenAI"]
