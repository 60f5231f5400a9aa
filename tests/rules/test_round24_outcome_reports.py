"""Round 24, noise mends for ARM402 (read in the noise corpus: luigi's worker).

(The fixtures are luigi's shape cut down, with its imports and a `task.run()`: the rule only
reads files whose text has both a send and a write.)

1. An alert mail sent in one branch (`if failed: self._email_failure(task)`) and then, after the
   `if`, a keeper call that runs whatever happened (`self._add_task(task_id=..., status=...)`, a
   status report to the scheduler) is no record of the mail: the report is the work's outcome.
   The same keeper call inside the branch that sent the mail still records it.
2. A local helper counts as a database writer by its code, not by the words of its error
   messages: "requires() can not return Target objects. Wrap it ..." holds `objects.` as prose.
"""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze

SEND = Settings(select=frozenset({"ARM402"}))


def findings(code: str) -> list[tuple[str, int]]:
    report = analyze("app/worker.py", textwrap.dedent(code), SEND)
    return [(f.rule, f.line) for f in report.findings]


# luigi's result handler: an alert mail on failure, then a status report to the scheduler
# placed at `{report}` (after the `if`, or inside it).
HANDLER = """\
from luigi import notifications
from luigi.task import Task


class Worker:
    def _handle_result(self, task_id, status, expl):
        task = self._scheduled_tasks[task_id]
        if status == "FAILED":
            self._email_task_failure(task, expl)
{report}

    def _email_task_failure(self, task, expl):
        if self._config.send_failure_email:
            notifications.send_error_email(f"{{task}} failed", expl, task.owner_email)

    def _run(self, task):
        task.run()  # what the worker is for (and what the rule's trigger reads as a record verb)
"""
REPORT = "self._add_task(worker=self._id, task_id=task_id, status=status, expl=expl)"

# luigi's dependency check: an alert mail, then a local helper whose body is `{validate}`.
CHECK = """\
from luigi import notifications
from luigi.task import Task


class Worker:
    def _check(self, task, formatted_traceback, deps):
        if formatted_traceback is not None:
            self._email_complete_error(task, formatted_traceback)
        for d in deps:
            self._validate_dependency(d)

    def _email_complete_error(self, task, formatted_traceback):
        if self._config.send_failure_email:
            notifications.send_error_email(f"{{task}} failed", formatted_traceback, task.owner_email)

    def _validate_dependency(self, dependency):
{validate}
"""


def test_alert_mail_then_unconditional_status_report_is_quiet():
    assert findings(HANDLER.format(report=" " * 8 + REPORT)) == []


def test_mail_then_keeper_call_in_the_same_branch_is_flagged():
    assert findings(HANDLER.format(report=" " * 12 + REPORT)) == [("ARM402", 9)]


def test_helper_whose_error_message_says_objects_is_no_writer():
    validate = """\
        if not isinstance(dependency, Task):
            raise Exception("requires() can not return Target objects. Wrap it in an ExternalTask class")"""
    assert findings(CHECK.format(validate=validate)) == []


def test_helper_that_queries_objects_is_a_writer():
    validate = "        TaskRecord.objects.filter(pk=dependency.pk).update(alerted=True)"
    assert findings(CHECK.format(validate=validate)) == [("ARM402", 8)]
