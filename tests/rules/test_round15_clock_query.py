"""Round 15: a query condition that compares a stored column with this node's clock is judged the
same way however it is written: the column or the cut-off named before the query, an operator
call, or a condition handed over as data."""
from __future__ import annotations

from .helpers import CLOCK, flagged


# --- operands named before the query ------------------------------------------------------------
def test_a_column_held_in_a_local_is_still_the_column():
    code = """
        from oslo_utils import timeutils


        def purge_lapsed_grants(session, owner):
            lapses = models.Grant.expires_at
            query = session.query(models.Grant).filter(models.Grant.owner == owner)
            query = query.filter(lapses <= timeutils.utcnow())
            query.update({"revoked": True})
    """
    assert flagged(code, CLOCK, "app/db/api.py") == [("ARM104", 8)]


def test_a_column_in_a_local_inside_or_with_a_stale_claim_cutoff_is_flagged():
    code = """
        import datetime

        import sqlalchemy as sa


        def claimable_runs(session, claim_timeout):
            claimed_col = models.Run.claimed_at
            stale_before = datetime.datetime.utcnow() - datetime.timedelta(seconds=claim_timeout)
            query = session.query(models.Run).filter(
                sa.or_(claimed_col == sa.null(), claimed_col <= stale_before)
            )
            return query.all()
    """
    assert flagged(code, CLOCK, "app/db/runs.py") == [("ARM104", 9)]


def test_a_cutoff_rebound_in_each_branch_is_reported_once_per_branch():
    code = """
        import datetime

        from oslo_utils import timeutils


        def find_slow(query, opts):
            if "deploy_window" in opts:
                limit = timeutils.utcnow() - datetime.timedelta(seconds=opts["deploy_window"])
                query = query.filter(models.Box.deploy_touched_at < limit)
            if "probe_window" in opts:
                limit = timeutils.utcnow() - datetime.timedelta(seconds=opts["probe_window"])
                query = query.filter(models.Box.probe_touched_at < limit)
            return query.all()
    """
    assert flagged(code, CLOCK, "app/db/boxes.py") == [("ARM104", 9), ("ARM104", 12)]


def test_a_cutoff_returned_by_a_helper_of_the_manager_is_a_cutoff():
    code = """
        from datetime import timedelta

        from django.utils.timezone import now


        class BasketManager(Manager):
            def expiry_cutoff(self):
                return now() - timedelta(minutes=settings.BASKET_EXPIRY_MINUTES)

            def expired(self):
                return self.filter(updated_at__lt=self.expiry_cutoff())
    """
    assert flagged(code, CLOCK, "app/shop/managers.py") == [("ARM104", 9)]


def test_a_classmethod_compares_cls_columns():
    code = """
        from datetime import datetime

        from sqlalchemy import or_


        class ApiKey(Base):
            @classmethod
            def usable(cls, db, prefix):
                found = db.query(cls).filter_by(prefix=prefix)
                return found.filter(or_(cls.expires_at == None, cls.expires_at >= datetime.utcnow()))
    """
    assert flagged(code, CLOCK, "app/orm.py") == [("ARM104", 11)]


def test_getattr_columns_compared_through_op_calls_are_flagged():
    code = """
        from oslo_utils import timeutils


        def lapsed_handovers(context):
            query = model_query(context, models.Handover)
            lapses_attr = getattr(models.Handover, "expires_at", None)
            now_time = timeutils.utcnow()
            return query.filter(lapses_attr.op("<=")(now_time)).all()
    """
    assert flagged(code, CLOCK, "app/db/handovers.py") == [("ARM104", 9)]


def test_a_column_under_cast_or_moved_by_a_leeway_is_the_column():
    code = """
        from datetime import datetime, timedelta

        import arrow
        from sqlalchemy import cast


        def drop_unseen(source, ttl_hours):
            cutoff = arrow.utcnow() - timedelta(hours=ttl_hours)
            rows = session.query(Target).filter(cast(Target.last_updated, ArrowType) <= cutoff)
            for row in rows:
                session.delete(row)


        def live_grant(db):
            return db.query(Grant).filter(
                (Grant.expires_at - timedelta(seconds=30)) >= datetime.now()
            ).one_or_none()
    """
    assert flagged(code, CLOCK, "app/targets.py") == [("ARM104", 9), ("ARM104", 17)]


def test_look_alikes_of_named_operands_stay_quiet():
    code = """
        import datetime

        from oslo_utils import timeutils


        def recent_boxes(query, window):
            touched = models.Box.touched_at
            since = timeutils.utcnow() - datetime.timedelta(seconds=window)
            return query.filter(touched >= since).count()


        def by_parameter(query, limit):
            touched = models.Box.touched_at
            return query.filter(touched < limit).all()


        def retention(session):
            deleted_col = models.Box.deleted_at
            cutoff = timeutils.utcnow() - datetime.timedelta(days=30)
            session.query(models.Box).filter(deleted_col < cutoff).delete()


        class Purger:
            def horizon(self):
                return datetime.datetime.today() - datetime.timedelta(days=self.age_in_days)

            def find(self):
                return objects.Plan.list(self.ctx, filters=dict(deleted_at__lt=self.horizon()))
    """
    assert flagged(code, CLOCK, "app/db/quiet.py") == []


# --- conditions handed over as data -------------------------------------------------------------
def test_lookup_keys_in_a_filters_dict_are_a_query_condition():
    code = """
        import datetime

        from oslo_utils import timeutils


        class Supersede:
            def check_expired(self, context):
                expiry_hours = CONF.engine.plan_expiry
                created_before = timeutils.utcnow() - datetime.timedelta(hours=expiry_hours)
                filters = {"state__eq": "PENDING", "created_at__lt": created_before}
                for plan in objects.Plan.list(context, filters=filters):
                    plan.state = "SUPERSEDED"
                    plan.save()
    """
    assert flagged(code, CLOCK, "app/objects/plan.py") == [("ARM104", 10)]


def test_operator_pairs_and_operator_dicts_are_query_conditions():
    code = """
        import datetime

        import frappe
        from oslo_utils import timeutils


        def invite(email):
            if frappe.db.exists("Invite", {"email": email, "key_expiration_time": (">", frappe.utils.now_datetime())}):
                frappe.throw("already invited")


        class Chef:
            def clean_expired(self, grace):
                moment = timeutils.utcnow() - datetime.timedelta(seconds=grace)
                found = self.index.list_resources(attribute_filter={"<": {"ended_at": moment}})
                for resource in found:
                    self.index.delete_resource(resource)
    """
    assert flagged(code, CLOCK, "app/invites.py") == [("ARM104", 9), ("ARM104", 15)]


def test_data_condition_look_alikes_stay_quiet():
    code = """
        import datetime

        import frappe


        def upcoming(self):
            soon = datetime.datetime.now() + datetime.timedelta(days=7)
            return frappe.get_all("Event", filters={"starts_on": ("<", soon)})


        def created_recently(self, window):
            since = datetime.datetime.now() - datetime.timedelta(days=window)
            return self.search_count([("create_date", ">=", since)])


        def by_user_date(self, day):
            return frappe.get_all("Event", filters={"starts_on": ("<", day)})
    """
    assert flagged(code, CLOCK, "app/events.py") == []
