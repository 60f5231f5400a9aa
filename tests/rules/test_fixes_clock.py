"""ARM104's fixes: the database's clock in place of the app's, for expiries written or compared
through Django or SQLAlchemy; exact edits, applicability, and the fixed text analysed again."""
from __future__ import annotations

import textwrap

from analyzers import Edit, Settings, analyze, apply_edits

ARM104 = Settings(select=frozenset({"ARM104"}))


def fix_of(code: str, path: str = "app/tokens.py"):
    """(the text, its one finding's fix, the findings of the fixed text)."""
    text = textwrap.dedent(code)
    report = analyze(path, text, ARM104)
    assert report.notes == [] and len(report.findings) == 1, report.findings
    fix = report.findings[0].fix
    after = analyze(path, apply_edits(text, fix.edits), ARM104) if fix else None
    return text, fix, after


def at(text: str, needle: str, occurrence: int = 0) -> int:
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(needle, index + 1)
    return index


DJANGO_CREATE = '''\
from datetime import timedelta

from django.utils import timezone

from .models import InviteToken


def create_invite(user, token):
    InviteToken.objects.create(inviter=user, token=token, expires_at=timezone.now() + timedelta(hours=24))
'''


def test_django_create_whose_result_is_dropped_gets_now_and_its_import_safely():
    text, fix, after = fix_of(DJANGO_CREATE)
    line = at(text, "from .models")
    clock = at(text, "timezone.now()")
    assert fix.applicability == "safe"
    assert fix.edits == (
        Edit(line + len("from .models import InviteToken\n"), line + len("from .models import InviteToken\n"),
             "from django.db.models.functions import Now\n"),
        Edit(clock, clock + len("timezone.now()"), "Now()"),
    )
    fixed = apply_edits(text, fix.edits)
    assert "from django.db.models.functions import Now\n\n\ndef create_invite" in fixed
    assert "expires_at=Now() + timedelta(hours=24))" in fixed
    assert after.findings == [] and after.notes == []


def test_a_created_object_kept_by_the_caller_makes_the_fix_unsafe():
    _, fix, after = fix_of(DJANGO_CREATE.replace("    InviteToken.objects.create(", "    return InviteToken.objects.create("))
    assert fix.applicability == "unsafe"  # the returned object holds Now() + ..., not a datetime
    assert [e.text for e in fix.edits] == ["from django.db.models.functions import Now\n", "Now()"]
    assert after.findings == []


def test_a_queryset_filter_compares_with_now_and_reuses_an_existing_import():
    text, fix, after = fix_of('''\
        from django.db.models.functions import Now as DbNow
        from django.utils import timezone

        from .models import Session


        def purge_expired_sessions():
            Session.objects.filter(expires_at__lt=timezone.now()).delete()
        ''')
    clock = at(text, "timezone.now()")
    assert fix.applicability == "safe"
    assert fix.edits == (Edit(clock, clock + len("timezone.now()"), "DbNow()"),)
    assert after.findings == []


def test_queryset_update_of_a_lease_is_safe():
    text, fix, after = fix_of('''\
        from datetime import timedelta

        from django.utils import timezone

        from .models import Lease


        def renew(lease_id):
            Lease.objects.filter(id=lease_id).update(lease_until=timezone.now() + timedelta(seconds=30))
        ''')
    assert fix.applicability == "safe"
    assert "update(lease_until=Now() + timedelta(seconds=30))" in apply_edits(text, fix.edits)
    assert after.findings == []


SQLALCHEMY_VALUES = '''\
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert

from .models import Token


def issue(session, user_id, value):
    session.execute(insert(Token).values(user_id=user_id, value=value, expires_at=CLOCK + timedelta(hours=1)))
'''


def test_sqlalchemy_values_with_an_aware_clock_gets_func_now_safely():
    text, fix, after = fix_of(SQLALCHEMY_VALUES.replace("CLOCK", "datetime.now(timezone.utc)"))
    clock = at(text, "datetime.now(timezone.utc)")
    imports_end = at(text, "from .models import Token\n") + len("from .models import Token\n")
    assert fix.applicability == "safe"
    assert fix.edits == (Edit(imports_end, imports_end, "from sqlalchemy import func\n"),
                         Edit(clock, clock + len("datetime.now(timezone.utc)"), "func.now()"))
    assert after.findings == []


def test_a_naive_utcnow_makes_the_sqlalchemy_fix_unsafe():
    _, fix, after = fix_of(SQLALCHEMY_VALUES.replace("CLOCK", "datetime.utcnow()"))
    assert fix.applicability == "unsafe"  # a column without time zone would get the session's zone
    assert [e.text for e in fix.edits] == ["from sqlalchemy import func\n", "func.now()"]
    assert after.findings == []


def test_sqlalchemy_module_alias_is_used_and_a_model_instance_is_unsafe():
    text, fix, after = fix_of('''\
        from datetime import datetime, timedelta, timezone

        import sqlalchemy as sa

        from .models import Token


        def issue(session, user_id):
            session.add(Token(user_id=user_id, expires_at=datetime.now(timezone.utc) + timedelta(hours=1)))
            session.commit()
        ''')
    clock = at(text, "datetime.now(timezone.utc) +")
    assert fix.applicability == "unsafe"
    assert fix.edits == (Edit(clock, clock + len("datetime.now(timezone.utc)"), "sa.func.now()"),)
    assert after.findings == []


def test_no_fix_when_the_value_lives_in_a_variable_or_the_name_is_taken():
    _, kept, _ = fix_of('''\
        from datetime import timedelta

        from django.utils import timezone

        from .models import InviteToken


        def create_invite(user, token):
            expires = timezone.now() + timedelta(hours=24)
            InviteToken.objects.create(inviter=user, token=token, expires_at=expires)
            return expires
        ''')
    assert kept is None  # `expires` is also returned: an SQL expression there would mean nothing
    _, taken, _ = fix_of(DJANGO_CREATE.replace("def create_invite(user, token):",
                                               "def create_invite(user, token, Now=None):"))
    assert taken is None  # a parameter called Now would shadow the import
