"""Hostile input for the analyzers: generated Python (hypothesmith) and mutated SQL/PL/pgSQL written
for this test. No crash, no hang, and findings that do not move when only comments and blank lines
change. CI runs a bounded number of examples; bench/fuzz_analyzers.py runs long campaigns."""
from __future__ import annotations

import os
import signal
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import analyzers
from analyzers import Settings

EXAMPLES = int(os.environ.get("ARMADILHAS_FUZZ_EXAMPLES", "25"))
HANG_LIMIT = 20  # seconds: far above any real file; only a hang (or a pathological blow-up) reaches it
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])

SEED_SQL = """
create table job_leases (job_id bigint primary key, holder text, expires_at timestamptz not null);

update job_leases set holder = 'w1', expires_at = clock_timestamp() + interval '30 seconds'
 where job_id = 42 and expires_at < now();

insert into payment_events (order_id, kind, amount) values (1, 'charged', 1990);

create or replace function claim_job(p_worker text) returns bigint
language plpgsql as $$
declare v_id bigint;
begin
  select id into v_id from jobs where locked_until < clock_timestamp() order by id limit 1 for update skip locked;
  update jobs set locked_by = p_worker, locked_until = clock_timestamp() + interval '5 minutes' where id = v_id;
  insert into job_events (job_id, what) values (v_id, 'claimed');
  return v_id;
end $$;

delete from workers where last_heartbeat < now() - interval '30 seconds';
select pg_advisory_lock(7); update accounts set balance = balance - 10 where id = 1;
"""
SEED_PY = '''import time
import stripe


def renew(lock, ttl=30):
    deadline = time.time() + ttl
    while time.time() < deadline:
        lock.extend(ttl)


def pay(order):
    return stripe.Charge.create(amount=order.cents, currency="brl", source=order.token)


QUERY = "insert into outbox (id, payload) values (%s, %s)"
'''
SQL_WORDS = ["select", "insert into t values (1);", "update", "set", "where", "now()", "clock_timestamp()",
             "$$", "'", '"', "(", ")", ";", "begin", "end;", "declare", "--", "/*", "*/", "interval '1 s'",
             "on conflict do nothing", "for update skip locked", "\n", "\x00", "é", "create function f()"]


@contextmanager
def hang_limit(seconds: int):
    """Abort a call that runs away (SIGALRM, main thread only): a hang fails the test, never the run."""
    def on_alarm(signum, frame):
        raise TimeoutError(f"analysis ran longer than {seconds}s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def analyse(path: str, text: str):
    with hang_limit(HANG_LIMIT):
        report = analyzers.analyze(path, text, Settings())
    assert isinstance(report.findings, list) and isinstance(report.notes, list)
    return report


def keys(report) -> set[tuple[str, str]]:
    return {(f.rule, f.fingerprint) for f in report.findings}


@st.composite
def mutated(draw, seed: str, words: list[str]):
    text = seed
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["delete", "duplicate", "insert", "truncate"]))
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 200)))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif op == "insert":
            text = text[:i] + " " + draw(st.sampled_from(words)) + " " + text[i:]
        else:
            text = text[:i]
    return text


@FUZZ
@given(mutated(SEED_SQL, SQL_WORDS))
def test_mutated_sql_never_crashes(text):
    analyse("migrations/0001_fuzz.sql", text)


@FUZZ
@given(mutated(SEED_PY, SQL_WORDS + ["def", "lambda", "time.time()", "await", "async ", "((((", "))))", "\t"]))
def test_mutated_python_never_crashes(text):
    analyse("app/fuzz.py", text)


@settings(FUZZ, max_examples=max(3, EXAMPLES // 4))  # hypothesmith's grammar is slow to draw from
@given(st.data())
def test_generated_python_never_crashes(data):
    hypothesmith = pytest.importorskip("hypothesmith")
    source = data.draw(hypothesmith.from_grammar())
    analyse("gen/module.py", source)


@FUZZ
@given(st.lists(st.sampled_from(["-- note", "", "   ", "/* block */"]), min_size=1, max_size=5),
       st.integers(0, 50))
def test_sql_findings_stable_under_comments_and_blank_lines(extra, where):
    base = analyse("db/leases.sql", SEED_SQL)
    assert base.findings  # the seed has something to lose
    statements = SEED_SQL.split(";\n")
    k = where % len(statements)
    noise = "\n".join(extra) + "\n"
    changed = ";\n".join(statements[:k] + [noise + statements[k]] + statements[k + 1:]) + "\n" + noise
    assert keys(analyse("db/leases.sql", changed)) == keys(base)


@FUZZ
@given(st.lists(st.sampled_from(["# note", "", "    ", "# armadilhas is watching"]), min_size=1, max_size=5))
def test_python_findings_stable_under_comments_and_blank_lines(extra):
    base = analyse("app/renew.py", SEED_PY)
    assert base.findings
    noise = "\n".join(extra) + "\n"
    changed = noise + SEED_PY.replace("\n\n\ndef pay", "\n\n" + noise + "\ndef pay") + noise
    assert keys(analyse("app/renew.py", changed)) == keys(base)
