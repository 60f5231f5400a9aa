"""Where a piece of SQL text came from: every text handed to pglast is a `Snippet` that knows
the character offset, in the analysed text, of each of its characters.

pglast reports UTF-8 *byte* offsets into the text it parsed; `Snippet.offset_of_byte` turns
them into character offsets of the analysed text, through string-literal unescaping
(`'it''s'`, `E'\\n'`) and added prefixes (an expression parsed as `SELECT <expr>`).
"""
from __future__ import annotations

import bisect
import re

from .split import quote_end

_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\u0080-\uffff][A-Za-z_0-9\u0080-\uffff]*)?\$")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


class Snippet:
    __slots__ = ("text", "base", "charmap", "_byte_starts", "_bytes")

    def __init__(self, text: str, base: int = 0, charmap: list[int] | None = None):
        self.text = text
        self.base = base  # offset of text[0] when the mapping is linear
        self.charmap = charmap  # explicit offset per character when it is not
        self._byte_starts: list[int] | None = None
        self._bytes = 0

    def offset(self, index: int) -> int:
        """Offset in the analysed text of self.text[index] (index may be len(text))."""
        if self.charmap is None:
            return self.base + index
        if not self.charmap:
            return self.base
        if index >= len(self.charmap):
            return self.charmap[-1] + 1 + (index - len(self.charmap))
        return self.charmap[max(index, 0)]

    def char_of_byte(self, byte: int) -> int:
        if byte <= 0:
            return 0
        if self.text.isascii():
            return min(byte, len(self.text))
        if self._byte_starts is None:
            starts, total = [], 0
            for char in self.text:
                starts.append(total)
                total += len(char.encode("utf-8", "surrogatepass"))
            self._byte_starts, self._bytes = starts, total
        if byte >= self._bytes:
            return len(self.text)
        return bisect.bisect_right(self._byte_starts, byte) - 1

    def offset_of_byte(self, byte: int) -> int:
        return self.offset(self.char_of_byte(byte))

    def sub(self, start: int, end: int) -> Snippet:
        if self.charmap is None:
            return Snippet(self.text[start:end], self.base + start)
        return Snippet(self.text[start:end], 0, self.charmap[start:end])

    def with_prefix(self, prefix: str) -> Snippet:
        """The same text behind `prefix` (e.g. "SELECT "); prefix characters map to the start."""
        first = self.offset(0)
        if self.charmap is None:
            return Snippet(prefix + self.text, first - len(prefix))
        return Snippet(prefix + self.text, 0, [first] * len(prefix) + self.charmap)

    def rebind(self, text: str, charmap: list[int]) -> None:
        """Point this snippet at other text with an explicit map (a rewrite of another length)."""
        self.text, self.base, self.charmap = text, 0, charmap
        self._byte_starts = None

    def replaced(self, new_text: str) -> Snippet:
        """Same-length rewrite (placeholders); the mapping is unchanged."""
        assert len(new_text) == len(self.text)
        return Snippet(new_text, self.base, self.charmap)


# PostgreSQL reads `'a'` and `'b'` separated only by blanks holding a line break (and `--`
# comments after it) as one constant `'ab'`: code splits a long format() template that way.
_CONTINUATION = re.compile(r"[ \t\f]*(?:\r?\n|\r)(?:\s|--[^\n]*\n)*(?=')")


def literal_at(text: str, pos: int, end: int | None = None) -> tuple[Snippet, int] | None:
    """The content of the string literal starting at text[pos] ('...', E'...', $tag$...$tag$)
    as a Snippet of `text`, and the index just past the literal; None if there is none. A
    quoted literal continued on the next line (`'a'` newline `'b'`) is read whole."""
    end = len(text) if end is None else end
    if pos >= end:
        return None
    char = text[pos]
    if char == "$":
        tag = _DOLLAR_TAG.match(text, pos, end)
        if not tag:
            return None
        close = text.find(tag.group(), tag.end(), end)
        if close < 0:
            return None
        return Snippet(text[tag.end():close], tag.end()), close + len(tag.group())
    escapes = False
    if char in "eE" and text.startswith("'", pos + 1):
        escapes, pos = True, pos + 1
    elif char != "'":
        return None
    out: list[str] = []
    charmap: list[int] = []
    stop = _quoted_content(text, pos - 1 if escapes else pos, pos, end, escapes, out, charmap)
    if stop < 0:
        return None
    pieces = 1
    while (more := _CONTINUATION.match(text, stop, end)) is not None:
        # the continuation keeps the first part's escape rule (E'' or not), as PostgreSQL does
        after = _quoted_content(text, more.end(), more.end(), end, escapes, out, charmap)
        if after < 0:
            break
        stop, pieces = after, pieces + 1
    content = "".join(out)
    if pieces == 1 and len(content) == stop - pos - 2:  # nothing unescaped: the cheap linear mapping
        return Snippet(content, pos + 1), stop
    return Snippet(content, pos + 1, charmap), stop


def _quoted_content(text: str, start: int, quote: int, end: int, escapes: bool, out: list[str], charmap: list[int]) -> int:
    """Append the characters of the literal opening at `start` (its `'` at `quote`) to `out`,
    with their offsets to `charmap`; the index just past it, or -1 when it never closes (then
    nothing is appended)."""
    stop = quote_end(text, start, end)
    if stop < 0:
        return -1
    i = quote + 1
    last = stop - 1
    while i < last:
        c = text[i]
        if c == "'" and i + 1 < last + 1 and text[i + 1] == "'":
            out.append("'")
            charmap.append(i)
            i += 2
            continue
        if escapes and c == "\\" and i + 1 < last:
            nxt = text[i + 1]
            out.append(_SIMPLE_ESCAPES.get(nxt, nxt))
            charmap.append(i)
            i += 2
            continue
        out.append(c)
        charmap.append(i)
        i += 1
    return stop


class LineIndex:
    """Character offset -> (1-based line, 0-based column)."""

    def __init__(self, text: str):
        self.starts = [0]
        find = text.find
        i = find("\n")
        while i >= 0:
            self.starts.append(i + 1)
            i = find("\n", i + 1)

    def line_col(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line]

    def line_start(self, line: int) -> int:
        """Offset of the start of 1-based `line` (clamped)."""
        return self.starts[min(max(line, 1), len(self.starts)) - 1]
