"""The fake's world: repositories (file trees per ref), pull requests and what was posted.

Trees map path -> str (text), bytes (binary), Symlink or Submodule. A pull request keeps the
tree of every head it had, so a review on an older commit is checked against that commit's diff.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from .diffing import count_changes, unified_patch


@dataclass(frozen=True)
class Symlink:
    target: str


@dataclass(frozen=True)
class Submodule:
    git_url: str


Tree = dict[str, object]


def blob_sha(value: object) -> str:
    """git's blob id for text or bytes (symlinks and submodules get a stable stand-in)."""
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, str):
        data = value.encode()
    else:
        data = repr(value).encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def tree_sha(tree: Tree, salt: str = "") -> str:
    digest = hashlib.sha1(salt.encode())
    for path in sorted(tree):
        digest.update(path.encode() + b"\0" + blob_sha(tree[path]).encode())
    return digest.hexdigest()


@dataclass
class Repo:
    id: int
    full_name: str
    default_branch: str
    private: bool = False
    refs: dict[str, Tree] = field(default_factory=dict)  # branch names and commit shas
    permissions: dict[str, str] = field(default_factory=dict)

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[1]


@dataclass
class FileEntry:
    path: str
    status: str
    sha: str
    additions: int
    deletions: int
    patch: str | None
    previous_path: str | None = None


@dataclass
class PullState:
    repo: str
    number: int
    id: int
    base_ref: str
    base_sha: str
    head_sha: str
    head_ref: str
    head_repo: str
    user: str
    draft: bool = False
    state: str = "open"
    title: str = "Change things"
    omit_patch_for: set[str] = field(default_factory=set)
    renames: dict[str, str] = field(default_factory=dict)  # new path -> old path
    # Every head this PR has had, oldest first; files per head.
    commits: dict[str, list[FileEntry]] = field(default_factory=dict)

    @property
    def files(self) -> list[FileEntry]:
        return self.commits[self.head_sha]


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def changed_files(base: Tree, head: Tree, renames: dict[str, str], omit_patch_for: set[str]) -> list[FileEntry]:
    """GitHub's `pulls/{n}/files` entries, sorted by path like GitHub."""
    entries: list[FileEntry] = []
    renamed_from = {old for new, old in renames.items() if new in head and old not in head}
    for path in sorted(set(base) | set(head)):
        if path in renamed_from:
            continue
        old_path = renames.get(path) if path not in base else None
        old = base.get(old_path) if old_path else base.get(path)
        new = head.get(path)
        if old == new and not old_path:
            continue
        if new is None:
            status = "removed"
        elif old_path and old is not None:
            status = "renamed"
        elif old is None:
            status = "added"
        else:
            status = "modified"
        patch: str | None = None
        additions = deletions = 0
        if _is_text(old if old is not None else "") and _is_text(new if new is not None else ""):
            patch = unified_patch(old or "", new or "")
            additions, deletions = count_changes(patch)
            if path in omit_patch_for:
                patch = None
        entries.append(
            FileEntry(
                path=path,
                status=status,
                sha=blob_sha(new) if new is not None else "0" * 40,
                additions=additions,
                deletions=deletions,
                patch=patch or None,  # a pure rename has no patch at all
                previous_path=old_path if status == "renamed" else None,
            )
        )
    return entries
