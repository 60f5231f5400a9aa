"""A stateful fake of the GitHub REST API for tests (see server.py)."""
from .server import FakeGitHub, HttpError, RecordedRequest
from .state import PullState, Submodule, Symlink

__all__ = ["FakeGitHub", "HttpError", "PullState", "RecordedRequest", "Submodule", "Symlink"]
