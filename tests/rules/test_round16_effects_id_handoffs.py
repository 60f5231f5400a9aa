"""Round 16: the identifier another system hands back, followed by data flow past the spots the
round 14 form stopped at (ARM402). The value reaches the database through a local name it was
read into (`ref = resp.json()["id"]`), through a setter named for the identifier it fills
(`run.set_job_id(handle)`), through the class's or module's own helper that is handed the result
and stores its identifier, or it comes out of the module's own helper that returns what a
collaborator created. Each shape is written here as another project would spell it; the
look-alikes (lookups, logging, computed values, ids read back) stay quiet."""
from __future__ import annotations

import pytest

from analyzers import Settings

from .helpers import flagged

ARM402 = Settings(select=frozenset({"ARM402"}))


# -- a setter named for the identifier it fills ---------------------------------------------------

SETTERS = {
    # a cluster's handle kept by `set_job_id`
    "batch/launch.py": ("""
        def launch(run, cluster, spec):
            handle = cluster.launch(spec)
            run.set_job_id(handle)
    """, [("ARM402", 3)]),
    # async: the transfer's result kept by a record method named for the number
    "money/payouts.py": ("""
        class Payouts:
            async def send(self, batch):
                out = await self.transfer_agent.start(batch.total, batch.account)
                await batch.record_transfer_number(out)
    """, [("ARM402", 4)]),
    # the opened case handed to another object's link method for a reference
    "support/cases.py": ("""
        def open_case(desk, store, complaint):
            case = desk.cases.open(complaint.subject, complaint.text)
            store.link_case_ref(complaint.pk, case)
    """, [("ARM402", 3)]),
    # a lookup kept by an id setter: nothing was created
    "tasks/assign.py": ("""
        def assign(task, registry, name):
            owner = registry.lookup(name)
            task.set_owner_id(owner)
    """, []),
    # a setter named for no identifier
    "batch/relaunch.py": ("""
        def launch(run, cluster, spec):
            handle = cluster.launch(spec)
            run.set_state(handle)
    """, []),
}


@pytest.mark.parametrize("path", sorted(SETTERS))
def test_a_setter_named_for_an_identifier_is_the_slot_it_fills(path):
    code, expected = SETTERS[path]
    assert flagged(code, ARM402, path) == expected


# -- an identifier read into a local name first --------------------------------------------------

def test_id_read_from_the_json_body_into_a_local_then_stored_is_flagged():
    code = """
        def request_scan(api, scan):
            response = api.submit_scan(scan.target)
            scan_ref = response.json()["id"]
            scan.remote_ref = scan_ref
            scan.save()
    """
    assert flagged(code, ARM402, "scans/request.py") == [("ARM402", 3)]


def test_nested_get_of_the_id_passed_to_an_insert_is_flagged():
    code = """
        from .models import Badge


        def award(issuer, user, template):
            reply = issuer.issue_badge(user.email, template)
            Badge.objects.create(user=user, remote_id=reply.get("data").get("id"))
    """
    assert flagged(code, ARM402, "badges/award.py") == [("ARM402", 6)]


def test_id_read_into_a_local_only_for_logging_is_not_flagged():
    code = """
        import logging

        from .models import Scan

        log = logging.getLogger(__name__)


        def request_scan(api, scan):
            response = api.submit_scan(scan.target)
            scan_ref = response.json()["id"]
            log.info("scan %s queued", scan_ref)
            Scan.objects.filter(pk=scan.pk).update(status="queued")
    """
    assert flagged(code, ARM402, "scans/request.py") == []


# -- the result handed to the class's or module's own helper, which stores its identifier ---------

def test_response_handed_to_an_own_method_that_stores_its_id_is_flagged():
    code = """
        class Submitter:
            def submit(self, run, payload):
                response = self.farm.send_request(endpoint="requests", method="POST", data=payload)
                if response.status_code != 200:
                    return self._failed(run, response)
                return self._submitted(run=run, response=response)

            def _failed(self, run, response):
                run.status = "error"
                run.save()

            def _submitted(self, run, response):
                pipeline_id = response.json()["id"]
                run.set_pipeline_id(pipeline_id)
    """
    assert flagged(code, ARM402, "ci/submitter.py") == [("ARM402", 4)]


def test_reply_handed_to_a_module_function_that_updates_the_row_is_flagged():
    code = """
        from .models import Issue


        def _remember(issue, reply):
            Issue.objects.filter(pk=issue.pk).update(tracker_key=reply["key"], tracker_id=reply["id"])


        def escalate(tracker, issue):
            reply = tracker.create_issue(issue.title)
            _remember(issue, reply)
    """
    assert flagged(code, ARM402, "ops/escalate.py") == [("ARM402", 10)]


def test_async_reply_handed_by_keyword_to_an_own_coroutine_that_saves_is_flagged():
    code = """
        class Orders:
            async def place(self, order):
                reply = await self.gateway.place(order.lines)
                await self._persist(order=order, reply=reply)

            async def _persist(self, order, reply):
                order.gateway_ref = reply.reference
                await order.save()
    """
    assert flagged(code, ARM402, "shop/orders.py") == [("ARM402", 4)]


def test_response_handed_to_a_helper_that_only_logs_it_is_not_flagged():
    code = """
        import logging

        log = logging.getLogger(__name__)


        class Submitter:
            def submit(self, run, payload):
                response = self.farm.send_request(endpoint="requests", method="POST", data=payload)
                self._report(run, response)
                run.status = "submitted"
                run.save()

            def _report(self, run, response):
                log.info("run %s: request %s", run.pk, response.json()["id"])
    """
    assert flagged(code, ARM402, "ci/submitter.py") == []


def test_lookup_handed_to_a_helper_that_stores_its_id_is_not_flagged():
    code = """
        class Linker:
            def link(self, user, email):
                account = self.directory.find_account(email)
                self._keep(user, account)

            def _keep(self, user, account):
                user.account_id = account["id"]
                user.save()
    """
    assert flagged(code, ARM402, "accounts/link.py") == []


# -- the identifier comes out of the module's own helper -----------------------------------------

def test_id_returned_by_a_module_helper_that_registers_at_a_provider_is_flagged():
    code = """
        from .backends import provider_for
        from .models import Attempt


        def _register(user, exam):
            external_id = None
            try:
                external_id = provider_for(exam).register_attempt(exam, user=user.pk)
            except ProviderError:
                pass
            return external_id, exam.name


        def start_attempt(user, exam):
            external_id, name = _register(user, exam)
            Attempt.objects.create(user=user, exam=exam, external_id=external_id)
    """
    assert flagged(code, ARM402, "exams/attempts.py") == [("ARM402", 16)]


def test_id_returned_by_an_async_helper_that_opens_a_session_is_flagged():
    code = """
        from .clients import session_client
        from .models import Checkout


        async def _open(cart):
            created = await session_client(cart.region).open_session(cart.total)
            return created["id"]


        async def begin(cart):
            session_ref = await _open(cart)
            await Checkout.objects.acreate(cart=cart, session_ref=session_ref)
    """
    assert flagged(code, ARM402, "shop/checkout.py") == [("ARM402", 12)]


def test_value_returned_by_a_helper_that_looks_it_up_is_not_flagged():
    code = """
        from .directory import directory_for
        from .models import Membership


        def _find(org, email):
            return directory_for(org).find_member(email)


        def join(org, email):
            member_id = _find(org, email)
            Membership.objects.create(org=org, member_id=member_id)
    """
    assert flagged(code, ARM402, "orgs/join.py") == []


def test_helper_that_writes_its_own_record_is_judged_where_it_is_defined():
    code = """
        from .models import Job


        def _submit(client, spec):
            job_id = client.submit_job(spec)
            Job.objects.create(spec=spec, job_id=job_id)
            return job_id


        def run(client, spec, run):
            job_id = _submit(client, spec)
            Job.objects.filter(pk=run.pk).update(job_id=job_id)
    """
    assert flagged(code, ARM402, "batch/run.py") == [("ARM402", 6)]


def test_ids_computed_from_a_set_operation_and_counted_are_not_flagged():
    code = """
        class Upload:
            def process(self, rows):
                all_ids = set(self.extract(rows))
                known = set(self.catalogue.codes())
                existing_ids = known.union(self.range.codes())
                missing_ids = all_ids - existing_ids
                self.mark_as_processed(len(all_ids), len(missing_ids))

            def mark_as_processed(self, found, missing):
                Upload.objects.filter(pk=self.pk).update(found=found, missing=missing)
    """
    assert flagged(code, ARM402, "catalogue/upload.py") == []


def test_copy_a_helper_builds_and_fills_in_is_not_flagged():
    code = """
        def clone_for(ctxt, obj):
            new_obj = obj.obj_clone()
            new_obj._context = ctxt
            return new_obj


        def migrate(ctxt, instance, tags):
            inst = clone_for(ctxt, instance)
            inst.create()
            TagList.create(ctxt, inst.uuid, tags)
    """
    assert flagged(code, ARM402, "cells/migrate.py") == []
