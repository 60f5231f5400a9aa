"""Round 14: effects known by what they hand back (ARM402). A call on a collaborator of unknown
type (an injected client, a driver, a service, the class's own helper acting through one) whose
returned identifier is stored in the database afterwards; records kept by storage-named objects;
and an SDK module handed to a service through its constructor (ARM401)."""
from __future__ import annotations

from analyzers import Settings

from .helpers import flagged

ARM402 = Settings(select=frozenset({"ARM402"}))
ARM401 = Settings(select=frozenset({"ARM401"}))


def test_ticket_number_from_an_injected_tracker_saved_on_the_row_is_flagged():
    code = """
        class Escalation:
            def __init__(self, tracker):
                self.tracker = tracker

            def escalate(self, incident):
                ticket = self.tracker.open_ticket(incident.title, incident.body)
                incident.ticket_number = int(ticket["number"])
                incident.save()
    """
    assert flagged(code, ARM402, "ops/escalation.py") == [("ARM402", 7)]


def test_returned_id_passed_to_an_orm_create_is_flagged():
    code = """
        from .models import Rebuild


        class Rebuilder:
            def run(self, job):
                build_ref = self.ci.trigger_rebuild(job.name, branch=job.branch)
                Rebuild.objects.create(job=job, ci_build_ref=build_ref)
    """
    assert flagged(code, ARM402, "ci/rebuild.py") == [("ARM402", 7)]


def test_returned_url_stored_by_sql_is_flagged():
    code = """
        def publish_review(db, poster, team_id, text):
            issue_url = poster.post(text)
            db.run("UPDATE teams SET issue_url = %s WHERE id = %s", (issue_url, team_id))
    """
    assert flagged(code, ARM402, "reviews/publish.py") == [("ARM402", 3)]


def test_own_helper_acting_through_a_client_with_ids_stored_by_a_db_api_is_flagged():
    code = """
        from inventory.db import api as db_api


        class Allocator:
            def _provision(self, reservation):
                group = self.compute.groups.create(name=reservation["name"])
                return group.id

            def allocate(self, reservation):
                group_id = self._provision(reservation)
                db_api.reservation_update(reservation["id"], {"group_id": group_id})
    """
    assert flagged(code, ARM402, "inventory/allocator.py") == [("ARM402", 11)]


def test_unpacked_results_set_on_an_object_that_updates_itself_are_flagged():
    code = """
        class Conductor:
            def start(self, context, operation):
                request, grant = self.driver.request_grant(context, operation)
                operation.grant_id = grant.id
                operation.update(context)
    """
    assert flagged(code, ARM402, "nfv/conductor.py") == [("ARM402", 4)]


def test_id_handed_to_another_service_that_keeps_it_is_flagged():
    code = """
        class BillingSetup:
            def customer_for(self, org):
                customer = self.billing.create_customer(name=org.name)
                self.accounts.add_billing_customer(org_id=org.id, customer_id=customer["id"])
                return customer["id"]
    """
    assert flagged(code, ARM402, "billing/setup.py") == [("ARM402", 4)]


def test_known_send_recorded_through_a_storage_named_object_is_flagged():
    code = """
        class MailSender:
            def send(self, recipient, raw):
                resp = self._client.send_raw_email(Source="a@example.com", Destinations=[recipient], RawMessage=raw)
                self._db.add(SentMessage(message_id=resp["MessageId"], to=recipient))
    """
    assert flagged(code, ARM402, "mail/sender.py") == [("ARM402", 4)]


# --- look-alikes that stay quiet -------------------------------------------------------------


def test_looked_up_row_stored_as_a_foreign_key_is_not_flagged():
    code = """
        class Orders:
            def assign(self, order, email):
                customer = self.customers.get_by_email(email)
                order.customer_id = customer.id
                order.save()
    """
    assert flagged(code, ARM402, "shop/orders.py") == []


def test_orm_created_row_whose_id_is_stored_is_not_flagged():
    code = """
        from .models import Invoice


        def bill(order, session):
            invoice = session.add_invoice(order)
            order.invoice_id = invoice.id
            order.save()
            row = Invoice.objects.create(order=order)
            order.last_invoice_id = row.id
            order.save()
    """
    assert flagged(code, ARM402, "shop/billing.py") == []


def test_computed_value_stored_is_not_flagged():
    code = """
        class Links:
            def shorten(self, page):
                slug = self.codec.encode_id(page.pk)
                token = self.signer.sign_url(page.url)
                page.short_url = slug
                page.signed_url = token
                page.save()
    """
    assert flagged(code, ARM402, "site/links.py") == []


def test_result_that_is_no_identifier_is_not_flagged():
    code = """
        class Scoring:
            def rescore(self, submission):
                result = self.grader.grade(submission.body)
                submission.score = result.score
                submission.save()
    """
    assert flagged(code, ARM402, "grading/scoring.py") == []


def test_identifier_that_is_never_stored_is_not_flagged():
    code = """
        class Notifier:
            def notify(self, user):
                message_id = self.chat.post_message(user.handle, "hello")
                return message_id
    """
    assert flagged(code, ARM402, "chat/notify.py") == []


def test_own_helper_that_writes_its_own_record_is_not_flagged():
    code = """
        class Allocator:
            def _provision(self, reservation):
                group = self.compute.groups.create(name=reservation.name)
                reservation.group_id = group.id
                reservation.save()
                return group.id

            def allocate(self, reservation, audit):
                group_id = self._provision(reservation)
                audit.group_id = group_id
                audit.save()
    """
    assert flagged(code, ARM402, "inventory/allocator.py") == [("ARM402", 4)]


def test_id_recorded_before_the_call_is_not_flagged():
    code = """
        class Escalation:
            def escalate(self, incident):
                incident.ticket_number = incident.id
                incident.save()
                self.tracker.open_ticket(incident.title)
    """
    assert flagged(code, ARM402, "ops/escalation.py") == []


# --- an SDK handed to a service through its constructor (ARM401) --------------------------------


SERVICE = """
    import stripe


    class BillingService:
        def __init__(self, api, publishable_key):
            self.api = api
            self.publishable_key = publishable_key

        def create_customer(self, name):
            return self.api.Customer.create(name=name)

        def portal(self, customer_id):
            return self.api.billing_portal.Session.create(customer=customer_id)


    class StripeBillingService(BillingService):
        @classmethod
        def create_service(cls, settings):
            return cls(stripe, settings["stripe.publishable_key"])
"""


def test_stripe_module_injected_through_the_constructor_is_the_sdk():
    assert flagged(SERVICE, ARM401, "billing/services.py") == [("ARM401", 11)]


def test_injected_object_that_is_no_sdk_is_not_read_as_one():
    code = SERVICE.replace("return cls(stripe,", "return cls(FakeApi(),")
    assert flagged(code, ARM401, "billing/services.py") == []


def test_unconstructed_service_parameter_is_not_guessed():
    code = SERVICE.split("    class StripeBillingService")[0]
    assert flagged(code, ARM401, "billing/services.py") == []


# --- records kept by other objects, effects in this module's own helpers ------------------------


def test_publish_then_an_object_keeps_the_task_id_is_flagged():
    code = """
        import json
        import uuid


        def dispatch(channel, tracker, stage, payload):
            task_id = uuid.uuid4().hex
            channel.basic_publish(exchange="", routing_key=stage, body=json.dumps(payload))
            tracker.add_task(task_id, stage)
    """
    assert flagged(code, ARM402, "work/dispatch.py") == [("ARM402", 8)]


def test_publish_then_a_display_message_is_not_a_record():
    code = """
        import json


        def dispatch(channel, messages, request, stage, payload):
            channel.basic_publish(exchange="", routing_key=stage, body=json.dumps(payload))
            messages.add_message(request, messages.INFO, "queued")
    """
    assert flagged(code, ARM402, "work/dispatch.py") == []


def test_module_helper_that_posts_counts_as_the_post_at_its_callers():
    code = """
        import requests


        def _deliver(url, body):
            try:
                reply = requests.post(url, data=body, timeout=10)
            except requests.ConnectionError:
                return False, "unreachable"
            return reply.ok, reply.text


        def push(submission, worker_url):
            ok, reply = _deliver(worker_url, submission.body)
            submission.reply = reply
            submission.save()
    """
    assert flagged(code, ARM402, "grading/push.py") == [("ARM402", 14)]


def test_module_helper_that_records_its_own_send_is_judged_where_it_is_defined():
    code = """
        import requests


        def _deliver(submission, url):
            reply = requests.post(url, data=submission.body, timeout=10)
            submission.delivered = True
            submission.save()
            return reply.ok


        def push(submission, worker_url):
            _deliver(submission, worker_url)
            submission.attempts += 1
            submission.save()
    """
    assert flagged(code, ARM402, "grading/push.py") == [("ARM402", 6)]


def test_exchanging_a_one_time_code_from_a_module_helper_is_not_an_effect_to_repeat():
    code = """
        import requests


        def exchange(api_url, code):
            url = f"{api_url}/manifests/{code}/conversions"
            reply = requests.post(url, timeout=10)
            return reply.json()


        def finish(store, api_url, code):
            answer = exchange(api_url, code)
            store.save(app_id=answer["id"], secret=answer["secret"])
    """
    assert flagged(code, ARM402, "setup/finish.py") == []


def test_method_named_for_the_identifier_it_returns_is_a_getter():
    code = """
        class Checkout:
            def place(self, basket, order):
                order.order_number = self.numbers.order_number(basket)
                number = self.numbers.next_invoice_number(basket)
                server = self.driver.choose_server_for(basket)
                order.server_id = server.id
                order.invoice_number = number
                order.save()
    """
    assert flagged(code, ARM402, "shop/checkout.py") == []


def test_store_read_commands_on_a_pool_are_not_effects():
    code = """
        class Poller:
            async def poll(self, count):
                due = await self.pool.zrangebyscore(self.queue_name, min=0, max=self.now(), num=count)
                await self.start_jobs(due)
                job_ids = await self.redis.hmget("jobs", due)
                await self.start_jobs(job_ids)
    """
    assert flagged(code, ARM402, "worker/poller.py") == []


def test_regex_groups_are_not_an_effect():
    code = """
        import re


        def protect(asg, builder):
            match = re.match(r"([a-z-]+)-(i-[a-f0-9]+)", builder)
            group_name, instance_id = match.groups()
            asg.set_instance_protection(InstanceIds=[instance_id], AutoScalingGroupName=group_name)
    """
    assert flagged(code, ARM402, "builds/scaling.py") == []


def test_an_upsert_finds_before_it_creates():
    code = """
        class Desk:
            def create_user(self, user):
                remote = self.client.users.create_or_update(self.as_remote(user))
                user.profile.desk_user_id = remote.id
                user.profile.save()
    """
    assert flagged(code, ARM402, "support/desk.py") == []


def test_the_id_a_lookup_was_given_read_back_is_not_a_created_id():
    code = """
        class Reporter:
            def push(self, context, uuids):
                new_tree = self.tree.copy()
                for uuid in uuids:
                    node = new_tree.data(uuid)
                    with guarded(node.uuid):
                        self.set_inventory_for_provider(context, node.uuid, node.inventory)
                        self.set_traits_for_provider(context, node.uuid, node.traits)
    """
    assert flagged(code, ARM402, "scheduler/report.py") == []


def test_a_create_handed_another_things_id_still_counts():
    code = """
        class Billing:
            def subscribe(self, organization):
                customer = self.billing.create_customer(organization_id=organization.id)
                self.subscriptions.add_customer(customer_id=customer.id)

            def invoice(self, organization):
                invoice = self.billing.open_invoice(organization.id)
                self.ledger.record_invoice(invoice.id)
    """
    assert flagged(code, ARM402, "billing/views.py") == [("ARM402", 4), ("ARM402", 8)]
