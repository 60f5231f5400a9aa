"""Round 23: `SELECT clock_timestamp() INTO v` is an assignment of the wall clock.

Read in the misses of round 22's half (now `test13`): a lease procedure takes the wall clock once
with `SELECT clock_timestamp() INTO _now` and writes `_now + _ttl` as the lease's end. The same
procedure written with `_now := clock_timestamp()` was already flagged; the SELECT ... INTO
spelling was silent. Look-alikes stay quiet: the same SELECT INTO from `now()`, a start time taken
with SELECT INTO only to report a duration, and an expiry loaded from a table into the variable.
"""
from __future__ import annotations

import textwrap

from analyzers import analyze


def findings(code: str) -> list[tuple[str, int]]:
    report = analyze("db/acquirelock.sql", textwrap.dedent(code))
    assert not report.notes
    return [(f.rule, f.line) for f in report.findings]


LEASE = """\
    CREATE OR REPLACE PROCEDURE storage.acquirelock(_id BIGINT, _ttl INTERVAL, _by TEXT, INOUT _result TEXT DEFAULT NULL)
    LANGUAGE plpgsql
    AS $BODY$
    DECLARE
        _held BOOLEAN;
        _now TIMESTAMPTZ;
    BEGIN
        SELECT {clock}
        INTO _now;

        SELECT true FROM storage.locks WHERE lockid = _id AND lockeduntil > _now INTO _held;
        IF _held THEN
            _result := 'lock_held';
            RETURN;
        END IF;

        INSERT INTO storage.locks (lockid, lockedat, lockeduntil, lockedby)
        VALUES (_id, _now, _now + _ttl, _by);
        _result := 'ok';
    END;
    $BODY$;
"""


def test_wall_clock_selected_into_a_variable_then_written_as_a_lease_end():
    assert ("ARM101", 8) in findings(LEASE.format(clock="clock_timestamp()"))


def test_transaction_time_selected_into_the_same_variable_is_quiet():
    assert not [f for f in findings(LEASE.format(clock="now()")) if f[0].startswith("ARM10")]


def test_start_time_selected_into_a_variable_for_a_duration_is_quiet():
    code = """\
        CREATE OR REPLACE FUNCTION refresh_stats() RETURNS void
        LANGUAGE plpgsql AS $$
        DECLARE
            t0 timestamptz;
        BEGIN
            SELECT clock_timestamp() INTO t0;
            REFRESH MATERIALIZED VIEW stats;
            RAISE NOTICE 'refresh took %', clock_timestamp() - t0;
        END;
        $$;
    """
    assert findings(code) == []


def test_expiry_selected_from_a_table_replaces_the_wall_clock_in_the_variable():
    code = """\
        CREATE OR REPLACE FUNCTION extend(_id bigint) RETURNS void
        LANGUAGE plpgsql AS $$
        DECLARE
            v timestamptz;
        BEGIN
            SELECT clock_timestamp() INTO v;
            RAISE NOTICE 'now %', v;
            SELECT lockeduntil INTO v FROM locks WHERE lockid = _id;
            UPDATE locks SET lockeduntil = v + interval '1 minute' WHERE lockid = _id;
        END;
        $$;
    """
    assert findings(code) == []
