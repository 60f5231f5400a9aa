"""Round 18: SQL forms from real repositories that the analyzer could not read, each read now
with its findings on the file's lines, beside a look-alike that must stay a note (or stay
counted as another database's SQL)."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze
from analyzers.sql.dialect import foreign_dialect
from analyzers.sql.stats import counting

CLOCK = Settings(select=frozenset({"ARM101"}))


def read(code: str, path: str = "db/functions.sql"):
    """(findings as (rule, line), notes, statements seen, statements analysed)."""
    with counting() as stats:
        report = analyze(path, textwrap.dedent(code), CLOCK)
    return [(f.rule, f.line) for f in report.findings], [n.message for n in report.notes], stats.seen, stats.analysed


def test_format_template_continued_on_the_next_line_is_one_literal():
    # PostgreSQL reads 'a' newline 'b' as 'ab': the template is the three lines together; the
    # second call's literals are separated by a comma, two arguments, so its template stays
    # unfinished and a note
    code = """\
    create function jobs.claim(p_table text) returns void
    language plpgsql as $$
    begin
      execute format('update jobs.%I '
                     'set lease_until = clock_timestamp() + interval ''30 seconds'' '
                     'where id = 1', p_table);
      execute format('update jobs.%I set a = 1 where id = ',
                     'x', p_table);
    end;
    $$;
    """
    assert read(code) == (
        [("ARM101", 5)],
        ["statement not analysed (line 7): syntax error at end of input"],
        3,
        2,
    )
