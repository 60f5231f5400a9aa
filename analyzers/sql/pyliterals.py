"""The text of Python string literals, with the source position of every character.

`ast`/libcst's evaluated values lose where each character came from; a finding inside an
embedded SQL string must point at the exact line of the construct, and a fix must edit the
exact source characters. So literals are decoded here by hand: prefixes (r, u, f, rf...),
single and triple quotes, backslash escapes, line continuations, implicit concatenation and
f-string holes (which become HOLE placeholders).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import libcst as cst

from .placeholders import HOLE

_SIMPLE_ESCAPES = {
    "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f",
    "n": "\n", "r": "\r", "t": "\t", "v": "\v",
}
_OCTAL = re.compile(r"[0-7]{1,3}")
_HEX = {"x": 2, "u": 4, "U": 8}
_PERCENT_FIELD = re.compile(r"%%|%(?:\([^()]*\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa]")


@dataclass(frozen=True)
class Piece:
    """One source node contributing text: a string token, or an expression filling a hole."""

    node: cst.CSTNode
    token: str  # source text of the token (without surrounding parentheses)
    quote: str = ""  # closing quote: ', ", ''' or """; empty for expression holes
    raw: bool = False
    braces: bool = False  # `{`/`}` are special here (f-strings, str.format templates)

    @property
    def triple(self) -> bool:
        return len(self.quote) == 3


@dataclass
class LiteralText:
    """Decoded value and, per value character, (piece index, start, end) in that piece's token."""

    value: str = ""
    spans: list[tuple[int, int, int]] = field(default_factory=list)
    pieces: list[Piece] = field(default_factory=list)
    chars: list[str] = field(default_factory=list)

    def push(self, ch: str, piece: int, start: int, end: int) -> None:
        self.chars.append(ch)
        self.spans.append((piece, start, end))

    def seal(self) -> "LiteralText":
        self.value = "".join(self.chars)
        return self

    def extend(self, other: "LiteralText") -> None:
        base = len(self.pieces)
        self.pieces.extend(other.pieces)
        self.chars.extend(other.chars)
        self.spans.extend((p + base, s, e) for p, s, e in other.spans)
        self.value = "".join(self.chars)

    @property
    def has_holes(self) -> bool:
        return HOLE in self.value

    def exact(self, index: int) -> bool:
        """The value character at `index` is exactly one source character of a string token."""
        piece, start, end = self.spans[index]
        return end - start == 1 and self.pieces[piece].quote != "" and self.chars[index] != HOLE


def split_prefix(token: str) -> tuple[str, str, str] | None:
    """(prefix, quote, body) of a string token; None when it is not a well-formed one."""
    i = 0
    while i < len(token) and token[i] not in "'\"":
        i += 1
    prefix, rest = token[:i].lower(), token[i:]
    for quote in ('"""', "'''", '"', "'"):
        if rest.startswith(quote) and rest.endswith(quote) and len(rest) >= 2 * len(quote):
            return prefix, quote, rest[len(quote) : len(rest) - len(quote)]
    return None


def decode_into(out: LiteralText, piece: int, body: str, offset: int, raw: bool, braces: bool) -> None:
    """Append the value of `body` (source text of a literal's content, starting at `offset` in
    the piece's token) to `out`. `braces` undoes f-string `{{`/`}}` doubling."""
    i = 0
    n = len(body)
    while i < n:
        ch = body[i]
        if braces and ch in "{}" and i + 1 < n and body[i + 1] == ch:
            out.push(ch, piece, offset + i, offset + i + 2)
            i += 2
            continue
        if ch != "\\" or i + 1 >= n:
            out.push(ch, piece, offset + i, offset + i + 1)
            i += 1
            continue
        nxt = body[i + 1]
        if raw:
            # In raw strings a backslash only protects the next character; both are kept.
            out.push(ch, piece, offset + i, offset + i + 1)
            out.push(nxt, piece, offset + i + 1, offset + i + 2)
            i += 2
            continue
        if nxt == "\n":
            i += 2
            continue
        if nxt == "\r":
            i += 3 if body.startswith("\r\n", i + 1) else 2
            continue
        if nxt in _SIMPLE_ESCAPES:
            out.push(_SIMPLE_ESCAPES[nxt], piece, offset + i, offset + i + 2)
            i += 2
            continue
        octal = _OCTAL.match(body, i + 1)
        if octal:
            out.push(chr(int(octal.group(0), 8)), piece, offset + i, offset + octal.end())
            i = octal.end()
            continue
        if nxt in _HEX:
            digits = body[i + 2 : i + 2 + _HEX[nxt]]
            try:
                value = chr(int(digits, 16)) if len(digits) == _HEX[nxt] else None
            except ValueError:
                value = None
            if value is not None:
                out.push(value, piece, offset + i, offset + i + 2 + _HEX[nxt])
                i += 2 + _HEX[nxt]
                continue
        if nxt == "N" and body.startswith("{", i + 2):
            close = body.find("}", i + 3)
            if close > 0:
                try:
                    out.push(unicodedata.lookup(body[i + 3 : close]), piece, offset + i, offset + close + 1)
                    i = close + 1
                    continue
                except KeyError:
                    pass
        # An unknown escape keeps its backslash (Python warns but does the same).
        out.push(ch, piece, offset + i, offset + i + 1)
        i += 1


def simple_string(node: cst.SimpleString) -> LiteralText | None:
    parts = split_prefix(node.value)
    if parts is None or "b" in parts[0]:
        return None  # byte strings are skipped: SQL in bytes is rare and drivers decode anyway
    prefix, quote, body = parts
    out = LiteralText(pieces=[Piece(node, node.value, quote, raw="r" in prefix)])
    decode_into(out, 0, body, len(prefix) + len(quote), "r" in prefix, False)
    return out.seal()


def formatted_string(node: cst.FormattedString, code_for) -> LiteralText | None:
    prefix = node.prefix.lower()
    if "b" in prefix:
        return None
    quote = node.end
    raw = "r" in prefix
    token_parts = [node.start]
    out = LiteralText()
    offset = len(node.start)
    decoded: list[tuple[cst.CSTNode, int, str]] = []
    for part in node.parts:
        text = code_for(part)
        decoded.append((part, offset, text))
        token_parts.append(text)
        offset += len(text)
    token_parts.append(node.end)
    out.pieces.append(Piece(node, "".join(token_parts), quote, raw=raw, braces=True))
    for part, start, text in decoded:
        if isinstance(part, cst.FormattedStringText):
            decode_into(out, 0, text, start, raw, True)
        else:
            out.push(HOLE, 0, start, start + len(text))
    return out.seal()


def expression_hole(node: cst.CSTNode, code_for) -> LiteralText:
    """A HOLE standing for a non-literal operand (`"... FROM " + table + " WHERE ..."`)."""
    code = code_for(node)
    out = LiteralText(pieces=[Piece(node, code)])
    out.push(HOLE, 0, 0, len(code))
    return out.seal()


def format_fields_to_holes(text: LiteralText) -> LiteralText:
    """Template of `"...".format(...)`: `{field}` becomes a HOLE, `{{`/`}}` one brace."""
    out = LiteralText(pieces=[
        Piece(p.node, p.token, p.quote, p.raw, braces=True) if p.quote else p for p in text.pieces
    ])
    chars, spans = text.chars, text.spans
    i = 0
    n = len(chars)
    while i < n:
        ch = chars[i]
        if ch in "{}" and i + 1 < n and chars[i + 1] == ch:
            piece, start, _ = spans[i]
            out.push(ch, piece, start, spans[i + 1][2])
            i += 2
            continue
        if ch == "{":
            close = i + 1
            depth = 1
            while close < n and depth:
                if chars[close] == "{":
                    depth += 1
                elif chars[close] == "}":
                    depth -= 1
                close += 1
            if depth == 0:
                piece, start, _ = spans[i]
                end_piece, _, end = spans[close - 1]
                out.push(HOLE, piece, start, end if end_piece == piece else start + 1)
                i = close
                continue
        out.push(ch, *spans[i])
        i += 1
    return out.seal()


def percent_fields_to_holes(text: LiteralText) -> LiteralText:
    """Template of `"..." % args` (Python-side interpolation, done before any driver sees the
    text): each `%s`/`%(name)d` directive becomes a HOLE and `%%` one percent sign."""
    out = LiteralText(pieces=list(text.pieces))
    i = 0
    for match in _PERCENT_FIELD.finditer(text.value):
        for j in range(i, match.start()):
            out.push(text.chars[j], *text.spans[j])
        piece, start, _ = text.spans[match.start()]
        end_piece, _, end = text.spans[match.end() - 1]
        out.push("%" if match.group(0) == "%%" else HOLE, piece, start, end if end_piece == piece else start + 1)
        i = match.end()
    for j in range(i, len(text.chars)):
        out.push(text.chars[j], *text.spans[j])
    return out.seal()
