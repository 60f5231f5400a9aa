"""Reading Lua scripts run on Redis (`register_script`, `eval`) for a lock: an expiring SET taken
only when the key is free, with no fencing counter handed out alongside (ARM201).

A script that does its own writes right after a SETEX is a throttle, lock and work in one atomic
step, and is not reported.
"""
from __future__ import annotations

import re


# A Lua script that takes a lock: SET with an expiry, conditional on the key being free (NX, or
# a GET of the key compared with the caller's id first).
_LUA_SET = re.compile(
    r"redis\.call\(\s*['\"]set['\"][^)]*['\"](?:px|ex)['\"]"
    # SETNX then (P)EXPIRE on the same key: the older spelling of SET NX PX
    r"|redis\.call\(\s*['\"]setnx['\"](?=(?s:.*)redis\.call\(\s*['\"]p?expire['\"])"
    # SETEX: the key and its lifetime in one command
    r"|redis\.call\(\s*['\"]p?setex['\"]",
    re.I,
)
_LUA_GUARD = re.compile(r"['\"]nx['\"]|['\"]setnx['\"]|redis\.call\(\s*['\"](?:get|exists)['\"]\s*,\s*KEYS\[1\]", re.I)


# A script that also increments a counter hands out a fencing token with the lease.
_LUA_TOKEN = re.compile(r"redis\.call\(\s*['\"](?:h?incr|h?incrby)['\"]", re.I)


# Writes a script makes itself: when a SETEX-guarded script also does its work, lock and work are
# one atomic step (a throttle), and no pause can fall between them.
_LUA_WRITES = re.compile(
    r"redis\.call\(\s*['\"](?:set|del|unlink|[hlrsz]?(?:add|push|set|rem|pop)\w*|incr\w*|expire)['\"]", re.I
)


def lua_lock_script(text: str) -> bool:
    found = _LUA_SET.search(text)
    if not (found and _LUA_GUARD.search(text)) or _LUA_TOKEN.search(text):
        return False
    if re.match(r"redis\.call\(\s*['\"]p?setex", found.group(0), re.I):
        return not any(w.start() != found.start() for w in _LUA_WRITES.finditer(text))
    return True


def lua_set_offset(text: str) -> int:
    """Where the script's expiring SET starts (0 when it cannot be found)."""
    found = _LUA_SET.search(text)
    return found.start() if found else 0
