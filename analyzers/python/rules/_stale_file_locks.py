"""Lock files broken when they look stale: a lock with a lifetime on a file system (ARM201).

A lock file created exclusively (`os.open(path, O_CREAT | O_EXCL)`, `open(path, "x")`,
`os.mkdir(lockdir)`) is held until its holder removes it. When the code that takes it also
removes someone else's lock file once its age passes a limit (`time.time() -
os.path.getmtime(path) > stale`, `st_mtime < now - timeout`), ownership lapses after that
lifetime exactly like a TTL in Redis: a holder paused past the limit loses the lock to the next
process and both go on writing. Nothing hands the holder a number the guarded writes could be
fenced with. An `fcntl`/`flock` lock is different: the kernel drops it when the holder dies, never
while it lives, so those are left alone (they are in-process locks for this rule).

Reported at the exclusive create (the acquisition), medium confidence: where the lock lives on
a shared volume, and what it guards, is usually out of sight.
"""
from __future__ import annotations

import re

import libcst as cst

from ._call_args import module_code as _code, positional
from ..walk import walk

_AGE = re.compile(r"getmtime|getctime|st_mtime|st_ctime|getatime|st_atime")
_REMOVE = re.compile(r"(?:^|\.)(?:remove|unlink|rmdir|rmtree)$")
_TOKEN = re.compile(r"fenc|epoch|generation|nextval", re.I)
# A file cache also creates files and evicts old ones; a lock says so in its names or messages.
_LOCK_WORD = re.compile(r"lock", re.I)



def _chain(func: cst.BaseExpression) -> str:
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return f"{_chain(func.value)}.{func.attr.value}"
    return ""


class _Scan(cst.CSTVisitor):
    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self.module = module
        self.creates: list[cst.Call] = []
        self.stale_break = False
        self._age_tests = 0

    def visit_If(self, node: cst.If) -> None:
        if _AGE.search(_code(self.module, node.test)):
            self._age_tests += 1

    def leave_If(self, original_node: cst.If) -> None:
        if _AGE.search(_code(self.module, original_node.test)):
            self._age_tests -= 1

    def visit_Call(self, node: cst.Call) -> None:
        chain = _chain(node.func)
        args = positional(node)
        if chain == "os.open" and "O_EXCL" in _code(self.module, node):
            self.creates.append(node)
        elif chain == "open" and len(args) > 1 and isinstance(args[1], cst.SimpleString) and "x" in args[1].value:
            self.creates.append(node)
        elif chain in ("os.mkdir", "mkdir") or chain.endswith(".mkdir") and not node.args:
            self.creates.append(node)
        elif _REMOVE.search(chain) and self._age_tests > 0:
            self.stale_break = True


def stale_file_locks(module: cst.Module) -> list[cst.Call]:
    """Exclusive creates in a class or top-level function that also breaks lock files by age."""
    found: list[cst.Call] = []
    for statement in module.body:
        if not isinstance(statement, (cst.ClassDef, cst.FunctionDef)):
            continue
        text = _code(module, statement)
        if not _AGE.search(text) or _TOKEN.search(text) or not _LOCK_WORD.search(text):
            continue
        scan = _Scan(module)
        walk(statement, scan)
        if scan.stale_break:
            found.extend(scan.creates)
    return found
