"""Driver placeholders rewritten to `$n`, with every output character mapped to its input."""
from __future__ import annotations

import pytest

from analyzers.sql.placeholders import HOLE, normalise


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        # psycopg2/psycopg3: positional, named, binary/text formats; %% is a literal percent
        (
            "UPDATE jobs SET state = %s WHERE id = %(job_id)s AND tag LIKE 'x%%' AND b = %b",
            "UPDATE jobs SET state = $1 WHERE id = $2 AND tag LIKE 'x%' AND b = $3",
        ),
        # SQLAlchemy text(): :name, never ::type casts or PL/pgSQL :=
        (
            "SELECT :since::timestamptz, now() - (:ttl || ' seconds')::interval WHERE id=:id",
            "SELECT $1::timestamptz, now() - ($2 || ' seconds')::interval WHERE id=$3",
        ),
        # sqlite ?: a parameter after an operator or keyword, the jsonb operator after a name
        (
            "SELECT * FROM t WHERE a = ? AND data ? 'k' AND data ?| array['x'] AND b IN (?, ?) LIMIT ?",
            "SELECT * FROM t WHERE a = $1 AND data ? 'k' AND data ?| array['x'] AND b IN ($2, $3) LIMIT $4",
        ),
        # asyncpg: already $n; a ? next to them is the jsonb operator
        ("SELECT * FROM t WHERE a = $1 AND data ? 'k'", "SELECT * FROM t WHERE a = $1 AND data ? 'k'"),
        # psycopg: `data ? %s` is the operator with a parameter for the key
        ("SELECT * FROM t WHERE data ? %s AND a = %s", "SELECT * FROM t WHERE data ? $1 AND a = $2"),
        # placeholders inside literals, comments and dollar quotes are text, not parameters
        (
            "SELECT '12:30', ':x', $$ :y $$, arr[lo:hi] FROM t -- :z\nWHERE a = :a",
            "SELECT '12:30', ':x', $$ :y $$, arr[lo:hi] FROM t -- :z\nWHERE a = $1",
        ),
        # new numbers continue after the highest $n already written
        ("SELECT $2, :a", "SELECT $2, $3"),
        # E'' strings: a backslash-escaped quote does not end the literal
        ("SELECT E'it\\'s :x', :y", "SELECT E'it\\'s :x', $1"),
    ],
)
def test_placeholders_become_dollar_parameters(sql, expected):
    assert normalise(sql).text == expected


def test_holes_are_parameters_or_identifiers_by_position():
    sql = f"INSERT INTO {HOLE} (a, b) VALUES ({HOLE}, {HOLE}) -- {HOLE}"
    assert normalise(sql).text == "INSERT INTO hole1 (a, b) VALUES ($2, $3) -- hole"
    glued = f"SELECT * FROM {HOLE}.events_{HOLE} WHERE x = '{HOLE}'"
    assert normalise(glued).text == "SELECT * FROM hole1.events_hole2 WHERE x = '$3'"
    assert normalise(f"SELECT {HOLE}", holes_as_identifiers=True).text == "SELECT hole1"


def test_percent_is_literal_without_psycopg_placeholders():
    sql = "SELECT * FROM t WHERE name LIKE 'a%' AND id = $1"
    result = normalise(sql)
    assert result.text == sql
    assert result.pyformat is False


def test_offsets_map_every_output_character_back():
    sql = "UPDATE t SET a = %(value)s, b = 'x%%' WHERE expires_at < clock_timestamp()"
    result = normalise(sql)
    at = result.text.index("clock_timestamp()")
    start, end = result.source_span(at, at + len("clock_timestamp()"))
    assert sql[start:end] == "clock_timestamp()"
    assert result.is_verbatim(at, at + len("clock_timestamp()"))
    param = result.text.index("$1")
    assert result.source_span(param, param + 2) == (17, 26)
    assert not result.is_verbatim(param, param + 2)
    percent = result.text.index("x%") + 1
    assert result.source_span(percent, percent + 1) == (sql.index("%%"), sql.index("%%") + 2)
    assert not result.is_verbatim(percent, percent + 1)
    assert result.input_offset(len(result.text)) == len(sql)


def test_unterminated_quotes_and_comments_do_not_raise():
    for sql in ["SELECT 'abc", 'SELECT "abc', "SELECT /* :a", "SELECT $$ :a", "SELECT $tag$", "%", "?", ":", ""]:
        result = normalise(sql)
        assert len(result.starts) == len(result.text) == len(result.ends)
