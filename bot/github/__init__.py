"""The bot's only door to GitHub: an App gateway and per-installation clients built on PyGithub."""
from .errors import GitHubError, RateLimited, ReviewRejected
from .models import ChangedFile, PostedComment, PullRequestInfo

__all__ = ["ChangedFile", "GitHubError", "PostedComment", "PullRequestInfo", "RateLimited", "ReviewRejected"]
