"""Effects reached through dispatch (ARM402): a method the project declares as an interface and
implements in several places. The base class spells a stub (`raise NotImplementedError`, `pass`,
`...`, `@abstractmethod`) and each backend, provider or plugin overrides it: a mail backend's
`_send`, every phone provider's `make_call`, each certificate authority's `create_certificate`.
The call site names only the interface (`cls._send(...)`, `self.provider.make_call(...)`), and
which implementation runs is decided at run time.

When every concrete definition of that method in the project performs an external effect, the
call is that effect whatever implementation runs: a crash before the caller records it makes the
retry repeat it. One implementation that performs none (an in-app notification, a dry-run
backend) is enough to leave the call alone, so the stub is evidence of an interface, never of an
effect. Pure functions of the project's text; the project index holds the answers.
"""
from __future__ import annotations

import re

from ._effect_summaries import EffectFact, same_effect

_DEF = re.compile(r"^([ \t]*)(?:async[ \t]+)?def[ \t]+(\w+)", re.MULTILINE)
# The one statement of a stub body (after its docstring and comments).
_STUB = re.compile(r"^(?:raise[ \t]+NotImplementedError\b.*|pass|\.\.\.|return[ \t]+NotImplemented)$")
_INLINE_BODY = re.compile(r"^.*\)\s*(?:->[^:]+)?:\s*(\S.*)$")
_CAMEL = re.compile(r"[a-z0-9][A-Z]")
_ABSTRACT = re.compile(r"@(?:\w+\.)*abstract(?:method|property)\b")


def compound_name(name: str) -> bool:
    """`send_invoice`, `setSendAttemptNumber`: a name of the project's own making. One-word
    names (`send`, `save`, `record`) are what libraries' objects answer to as well."""
    return "_" in name.strip("_") or bool(_CAMEL.search(name))


def abstract_definitions(text: str, names: set[str] | None = None) -> dict[str, int]:
    """How many definitions of each function or method name in this module (of `names`, when
    given) are stubs."""
    from ..project_index import _block_end

    if "def " not in text:
        return {}
    lines = text.splitlines()
    starts: dict[int, int] = {}
    offset = 0
    for number, line in enumerate(lines):
        starts[offset] = number
        offset += len(line) + 1
    found: dict[str, int] = {}
    for match in _DEF.finditer(text):
        if names is not None and match.group(2) not in names:
            continue
        number = starts.get(match.start())
        if number is None:
            continue
        indent = len(match.group(1).expandtabs())
        if _decorated_abstract(lines, number) or _stub_body(lines, number, _block_end(lines, number, indent)):
            name = match.group(2)
            found[name] = found.get(name, 0) + 1
    return found


def _decorated_abstract(lines: list[str], number: int) -> bool:
    i = number - 1
    while i >= 0 and lines[i].lstrip().startswith(("@", "#")):
        if _ABSTRACT.search(lines[i]):
            return True
        i -= 1
    return False


def _stub_body(lines: list[str], start: int, end: int) -> bool:
    """The block's code, signature aside, is a single stub statement (or only a docstring)."""
    code = _code_statements(lines[start:end])
    if not code:
        return False
    header, *body = code
    inline = _INLINE_BODY.match(header)  # `def f(self): raise NotImplementedError` on one line
    if inline:
        body = [inline.group(1).strip(), *body]
    return len(body) <= 1 and all(_STUB.match(statement) for statement in body)


def _code_statements(block: list[str]) -> list[str]:
    """The block's logical lines without comments and string statements (docstrings); the
    signature, however many lines it spans, is the first."""
    statements: list[str] = []
    pending = ""
    depth = 0
    quote: str | None = None
    for line in block:
        stripped = line.strip()
        if quote is not None:
            if stripped.count(quote) % 2 == 1:
                quote = None
            continue
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        opener = next((q for q in ('"""', "'''") if stripped.lstrip("rRbBuU").startswith(q)), None)
        if not pending and statements and opener is not None:
            if stripped.count(opener) % 2 == 1:
                quote = opener
            continue  # a docstring
        body = stripped.split("#", 1)[0].rstrip()
        pending = f"{pending} {body}".strip()
        depth += sum(body.count(c) for c in "([{") - sum(body.count(c) for c in ")]}")
        if depth <= 0 and not body.endswith(("\\", ",")):
            statements.append(pending)
            pending = ""
            depth = 0
    if pending:
        statements.append(pending)
    return statements


def dispatched_effect(facts: list[EffectFact]) -> EffectFact | None:
    """One fact for the implementations of an interface method, all of which perform an external
    effect: theirs when they agree, else a send of some kind (medium: which one runs is out of
    sight). Payments are left to their own forms (whether a key reaches the provider differs by
    implementation)."""
    same = same_effect(facts)
    if same is not None:
        return same
    if any(f.kind is None or f.provider is not None or f.verb_param is not None for f in facts):
        return None
    return EffectFact("dispatch", depth=max(f.depth for f in facts), confidence="medium")
