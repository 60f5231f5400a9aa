"""Which Python strings are taken as SQL, what text the SQL rules see, and how a position in
that text maps back to the exact line and column of the Python file."""
from __future__ import annotations

from analyzers.model import Edit, apply_edits
from analyzers.sql.embedded import extract_sql_strings


def _only(code: str):
    found = extract_sql_strings(code)
    assert len(found) == 1, [f.sql for f in found]
    return found[0]


def _where(found, needle: str):
    at = found.sql.index(needle)
    return found.span(at, at + len(needle))


def test_module_constant_passed_to_psycopg_cursor():
    code = '''\
import psycopg2

INSERT_EVENT = """
    -- Eventos do provedor (não deduplicados aqui)
    INSERT INTO webhook_events (event_id, payload)
    VALUES (%(event_id)s, %(payload)s)
"""


def store(conn, event):
    with conn.cursor() as cur:
        cur.execute(INSERT_EVENT, {"event_id": event["id"], "payload": event})
'''
    found = _only(code)
    assert "INSERT INTO webhook_events (event_id, payload)\n    VALUES ($1, $2)" in found.sql
    assert _where(found, "webhook_events") == ((5, 16), (5, 30))
    assert _where(found, "$2") == ((6, 26), (6, 37))  # the whole %(payload)s


def test_fstring_holes_become_parameters_and_positions_skip_them():
    code = '''\
async def renew(conn, worker_id, ttl):
    await conn.execute(
        f"UPDATE leases SET holder = '{worker_id}', lease_until = clock_timestamp() + interval '{ttl} seconds' WHERE name = $1",
        "reaper",
    )
'''
    found = _only(code)
    assert found.sql.startswith("UPDATE leases SET holder = '$2', lease_until = clock_timestamp()")
    assert _where(found, "clock_timestamp()") == ((3, 66), (3, 83))


def test_implicit_concatenation_across_lines_and_escapes():
    code = (
        "def reap(cur):\n"
        "    cur.execute(\n"
        "        \"DELETE FROM workers \\t\"\n"
        "        r'WHERE last_heartbeat < now() - interval \\'30 seconds\\' '  # reaper\n"
        "        \"AND name <> \\u0027x\\u0027\"\n"
        "    )\n"
    )
    found = _only(code)
    assert found.sql == "DELETE FROM workers \tWHERE last_heartbeat < now() - interval \\'30 seconds\\' AND name <> 'x'"
    assert _where(found, "last_heartbeat") == ((4, 16), (4, 30))
    assert _where(found, "'x'") == ((5, 21), (5, 34))  # the escapes \u0027 span six columns each


def test_line_continuation_inside_a_string():
    code = 'cur.execute("INSERT INTO inbox (message_id) \\\nVALUES (%s)", (mid,))\n'
    found = _only(code)
    assert found.sql == "INSERT INTO inbox (message_id) VALUES ($1)"
    assert _where(found, "VALUES") == ((2, 0), (2, 6))


def test_local_variable_with_appended_clause_is_read_whole():
    code = '''\
def record(cur, event, upsert):
    sql = "INSERT INTO webhook_events (event_id) VALUES (%s)"
    sql += " ON CONFLICT (event_id) DO NOTHING"
    cur.execute(sql, (event.id,))
'''
    assert _only(code).sql == "INSERT INTO webhook_events (event_id) VALUES ($1) ON CONFLICT (event_id) DO NOTHING"


def test_names_resolve_per_scope_and_class_attributes():
    code = '''\
from sqlalchemy import text

SQL = "SELECT 1"


class LeaseRepo:
    ACQUIRE = "UPDATE leases SET holder = :me WHERE expires_at < now()"

    def acquire(self, session, me):
        return session.execute(text(self.ACQUIRE), {"me": me})


def other(cur):
    SQL = "DELETE FROM workers WHERE last_seen < now() - interval '1 minute'"
    cur.execute(SQL)
'''
    texts = [f.sql for f in extract_sql_strings(code)]
    assert texts == [
        "UPDATE leases SET holder = $1 WHERE expires_at < now()",
        "DELETE FROM workers WHERE last_seen < now() - interval '1 minute'",
        "SELECT 1",  # the module constant, read on its own (after every text seen running)
    ]


def test_asyncpg_databases_django_and_psycopg_sql_forms():
    code = '''\
from django.db import connection, migrations
from psycopg import sql


async def f(pool, db):
    await pool.fetchrow("SELECT pg_try_advisory_lock($1)", 42)
    await db.fetch_all(query="SELECT * FROM jobs WHERE lease_until < now()")


def g(cur):
    with connection.cursor() as c:
        c.execute("UPDATE nodes SET status = 'dead' WHERE last_seen < now() - interval '30s'")
    cur.execute(sql.SQL("INSERT INTO {} (event_id) VALUES (%s)").format(sql.Identifier("inbox")), ("e1",))


class Migration(migrations.Migration):
    operations = [migrations.RunSQL("CREATE INDEX ON workers (last_heartbeat)")]
'''
    texts = [f.sql for f in extract_sql_strings(code)]
    assert texts == [
        "SELECT pg_try_advisory_lock($1)",
        "SELECT * FROM jobs WHERE lease_until < now()",
        "UPDATE nodes SET status = 'dead' WHERE last_seen < now() - interval '30s'",
        "INSERT INTO hole1 (event_id) VALUES ($2)",
        "CREATE INDEX ON workers (last_heartbeat)",
    ]


def test_strings_not_run_as_sql_are_ignored():
    code = '''\
import logging

log = logging.getLogger(__name__)
DOC = "INSERT INTO webhook_events is done by the worker"


def handler(request, cache):
    log.info("INSERT INTO webhook_events failed for %s", request.id)
    cache.set("lease:" + request.id, "clock_timestamp()")
    message = "DELETE FROM workers WHERE last_seen < now() - interval '1 minute'"
    print(message)
    queue.enqueue(b"INSERT INTO inbox VALUES (1)")
'''
    assert extract_sql_strings(code) == []


def test_byte_strings_are_skipped_and_unresolvable_arguments_too():
    code = '''\
query = "INSERT INTO inbox (message_id) VALUES (%s)"


def f(cur, query):
    cur.execute(b"INSERT INTO inbox (message_id) VALUES (%s)")
    cur.execute(query)
    cur.execute(build_query())
'''
    # Only the module constant, read on its own; the parameter `query` shadows it in f().
    assert [(f.sql, f.embedded.implicit) for f in extract_sql_strings(code)] == [
        ("INSERT INTO inbox (message_id) VALUES ($1)", True)
    ]


def test_format_template_fields_are_holes():
    code = 'cur.execute("INSERT INTO {table} (id) VALUES ({{1}}) -- {0}".format(0, table=t))\n'
    assert _only(code).sql == "INSERT INTO hole1 (id) VALUES ({1}) -- hole"


def test_python_percent_interpolation_fields_are_holes_and_sqlite_marks_parameters():
    # huey's SQLite storage: `%s` is filled by Python before sqlite3 sees the `?` parameters
    code = '''\
def delete_keys(conn, queue, keys):
    conn.execute("DELETE FROM kv WHERE queue = ? AND key IN (%s) AND note <> '100%%'" % ", ".join("?" * len(keys)), [queue, *keys])
    conn.execute("DROP TABLE IF EXISTS %s" % self.table_name)
'''
    texts = [f.sql for f in extract_sql_strings(code)]
    assert texts == ["DELETE FROM kv WHERE queue = $1 AND key IN ($2) AND note <> '100%'", "DROP TABLE IF EXISTS hole1"]


def test_a_string_assigned_once_and_used_twice_is_analysed_once():
    code = '''\
Q = "UPDATE leases SET holder = %s WHERE name = %s AND expires_at < now()"

def a(cur):
    cur.execute(Q, (1, 2))

def b(cur):
    cur.execute(Q, (3, 4))
'''
    assert len(extract_sql_strings(code)) == 1


def test_edit_of_the_sql_maps_to_an_exact_edit_of_the_python_file():
    code = '''\
def renew(cur, worker):
    cur.execute(
        """
        -- renovação do lease (comentário com acentos: ç, ã, é)
        UPDATE leases
           SET lease_until = clock_timestamp() + interval '30 seconds'
         WHERE holder = %s
        """,
        (worker,),
    )
'''
    found = _only(code)
    at = found.sql.index("clock_timestamp()")
    edit = found.file_edit(Edit(at, at + len("clock_timestamp()"), "now()"))
    assert edit is not None
    assert apply_edits(code, [edit]) == code.replace("clock_timestamp()", "now()")


def test_no_file_edit_across_escapes_placeholders_or_joins():
    code = 'cur.execute("SET a = clock_\\x74imestamp(), b = %s, c = \'x\' \'y\'", (1,))\n'
    found = _only(code)
    at = found.sql.index("clock_timestamp()")
    assert found.file_edit(Edit(at, at + len("clock_timestamp()"), "now()")) is None
    param = found.sql.index("$1")
    assert found.file_edit(Edit(param, param + 2, "now()")) is None
    code = 'cur.execute("SET a = clock_" "timestamp()")\n'
    found = _only(code)
    at = found.sql.index("clock_timestamp()")
    assert found.file_edit(Edit(at, at + len("clock_timestamp()"), "now()")) is None


def test_edit_text_that_cannot_live_in_the_literal_is_refused():
    code = "cur.execute(f'SET a = clock_timestamp(), b = {x}')\n"
    found = _only(code)
    at = found.sql.index("clock_timestamp()")
    span = (at, at + len("clock_timestamp()"))
    assert found.file_edit(Edit(*span, "now()")) == Edit(22, 39, "now()")
    assert found.file_edit(Edit(*span, "'now'")) is None  # closes the quote
    assert found.file_edit(Edit(*span, "{now}")) is None  # an f-string hole
    assert found.file_edit(Edit(*span, "a\nb")) is None  # newline in a one-line string


def test_files_without_a_sql_call_or_without_a_rule_word_are_not_parsed_for_embedded_sql():
    from analyzers.sql.embedded import EmbeddedSqlCollector

    triggers = EmbeddedSqlCollector.TRIGGERS
    assert triggers.search('cur.execute("INSERT INTO inbox (message_id) VALUES (%s)", (m,))')
    assert triggers.search('await conn.fetchrow("SELECT pg_try_advisory_lock($1)", 1)')
    assert not triggers.search('cur.execute("SELECT name FROM users WHERE id = %s", (uid,))')
    assert not triggers.search('items.insert(0, "clock_timestamp")')
