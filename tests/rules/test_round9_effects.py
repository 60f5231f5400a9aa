"""Round 9, non-idempotent family in general form: mail-queue workers (a message object sent
with a bare `.send()`, the queue row deleted or the batch marked only afterwards), PayPal calls
reached through helpers and constants, and payment gateway clients known by their class.
A trailing `# ARM40x` (or `# ARM40x medium`) marks where a finding must start; every other line
must stay quiet."""
from __future__ import annotations

from tests.rules.test_realcode_effects import check

# --------------------------------------------------------------------------------------------
# ARM402: mail sent, then the queue row deleted / the status saved


def test_outgoing_row_sent_then_deleted():
    check(
        '''
        from django.core.mail import get_connection

        from .models import Outgoing


        def flush_outgoing(limit=50):
            conn = get_connection()
            for row in Outgoing.objects.order_by("created")[:limit]:
                mail = row.to_django_mail()
                mail.connection = conn
                mail.send()  # ARM402
                row.delete()
        ''',
        path="notify/worker.py",
    )


def test_message_built_by_a_helper_then_status_saved():
    check(
        '''
        class Notice(models.Model):
            state = models.CharField(max_length=10)

            def build_message(self):
                return make_mime(self.subject, self.body, [self.to])

            def deliver(self):
                msg = self.build_message()
                msg.send(fail_silently=False)  # ARM402
                self.state = "sent"
                self.save(update_fields=["state"])
        ''',
        path="notices/models.py",
    )


def test_campaign_loop_marks_done_after_every_recipient():
    check(
        '''
        from django.core.mail import EmailMultiAlternatives


        def run_campaign(campaign):
            campaign.in_progress = True
            campaign.save()
            try:
                for member in campaign.audience():
                    note = EmailMultiAlternatives(campaign.title, campaign.text, to=[member.address])
                    note.send()  # ARM402 medium
                campaign.finished = True
            finally:
                campaign.in_progress = False
                campaign.save()
        ''',
        path="campaigns/sending.py",
    )


def test_mail_lookalikes_stay_quiet():
    check(
        '''
        from django.core.mail import EmailMessage

        from .models import Outgoing


        def claim_then_send(pk):
            # the row is claimed (and its state written) before the send: a retry skips it
            claimed = Outgoing.objects.filter(pk=pk, state="queued").update(state="sending")
            if claimed:
                row = Outgoing.objects.get(pk=pk)
                EmailMessage(row.subject, row.body, to=[row.to]).send()


        def per_item_record_first(batch):
            for item in batch.items.all():
                item.state = "sending"
                item.save()
                message = EmailMessage(item.subject, item.body, to=[item.to])
                message.send()


        def push_over_socket(ws, payload):
            ws.send(payload)
            Outgoing.objects.create(kind="ws", body=payload)


        def cleanup(tmp, pk):
            mail = EmailMessage("hi", "there", to=["a@example.com"])
            mail.send()
            tmp.delete()
        ''',
        path="notify/jobs.py",
    )


def test_signal_and_channel_sends_are_not_mail():
    check(
        '''
        def announce(channel, order):
            channel.send()
            order.announced = True
            order.save()
        ''',
        path="shop/announce.py",
    )


# --------------------------------------------------------------------------------------------
# ARM401 / ARM402: PayPal through the project's helpers


def test_nvp_operation_passed_to_a_helper():
    check(
        '''
        from decimal import Decimal

        from .client import nvp_call

        CAPTURE_OP = "DoCapture"
        REFUND_OP = "RefundTransaction"
        DETAILS_OP = "GetTransactionDetails"


        def capture(authorization_id, amount: Decimal):
            return nvp_call(CAPTURE_OP, {"AUTHORIZATIONID": authorization_id, "AMT": amount})  # ARM401


        def give_back(paypal_txn, amount):
            return nvp_call(REFUND_OP, {"TRANSACTIONID": paypal_txn, "AMT": amount, "REFUNDTYPE": "Partial"})  # ARM401


        def look_up(paypal_txn):
            return nvp_call(DETAILS_OP, {"TRANSACTIONID": paypal_txn})
        ''',
        path="shop/paypal_ops.py",
    )


def test_nvp_helper_keyed_by_msgsubid_or_only_logging_stays_quiet():
    check(
        '''
        from .client import nvp_call

        CAPTURE_OP = "DoCapture"


        def capture(order, authorization_id, amount):
            log.info("running %s", CAPTURE_OP)
            return nvp_call(CAPTURE_OP, {"AUTHORIZATIONID": authorization_id, "AMT": amount, "MSGSUBID": order.ref})
        ''',
        path="shop/paypal_ops.py",
    )


def test_checkout_sdk_request_class_from_a_mapping():
    check(
        '''
        from paypalcheckoutsdk.orders import OrdersCaptureRequest, OrdersGetRequest
        from paypalcheckoutsdk.payments import AuthorizationsCaptureRequest

        FINISH = {"capture": OrdersCaptureRequest, "authorize": AuthorizationsCaptureRequest}
        READ = {"order": OrdersGetRequest}


        class Checkout:
            def finish(self, kind, ref):
                make = FINISH[kind]
                req = make(ref)
                return self.client.execute(req)  # ARM401

            def read(self, ref):
                req = READ["order"](ref)
                return self.client.execute(req)
        ''',
        path="store/pp.py",
    )


def test_post_to_a_literal_provider_url_then_row_saved():
    check(
        '''
        from . import transport
        from .models import GatewayCall


        def settle(params, live):
            if live:
                endpoint = "https://payments.acquirer-example.com/v2/settle"
            else:
                endpoint = "https://sandbox.acquirer-example.com/v2/settle"
            reply = transport.post(endpoint, params)  # ARM402 medium
            GatewayCall.objects.create(raw=reply, kind="settle")
            return reply


        def ask(params):
            reply = transport.post("https://auth.acquirer-example.com/oauth/token", params)
            GatewayCall.objects.create(raw=reply, kind="token")


        def local(params):
            reply = transport.post("http://localhost:8080/hook", params)
            GatewayCall.objects.create(raw=reply, kind="local")
        ''',
        path="acq/gateway.py",
    )


def test_gateway_client_creates_or_authorises_then_row_written():
    check(
        '''
        from .clients import AcquirerGateway
        from .models import Attempt, Purchase


        def open_purchase(cart):
            remote = AcquirerGateway().create_order(total=cart.total, currency=cart.currency)  # ARM402 medium
            Purchase.objects.create(remote_id=remote.id, total=cart.total)
            return remote


        def hold_funds(self, purchase):
            result = self.payment_client.authorize_payment(purchase.remote_id)  # ARM402 medium
            purchase.hold_id = result.id
            purchase.save()


        def build_order(cart):
            # a local order: not a gateway receiver
            order = cart.create_order()
            order.save()
            return order


        def record_then_authorise(self, purchase):
            Attempt.objects.create(purchase=purchase, kind="authorize")
            return self.payment_client.authorize_payment(purchase.remote_id)
        ''',
        path="checkout/flow.py",
    )


# --------------------------------------------------------------------------------------------
# ARM403: the next occurrence of a repeating job inserted by the run


def test_recurring_job_inserts_its_next_slot():
    check(
        '''
        from datetime import timedelta

        from django.db import IntegrityError, models


        class Reminder(models.Model):
            kind = models.CharField(max_length=40)
            owner = models.ForeignKey("auth.User", on_delete=models.CASCADE)
            scheduled_for = models.DateTimeField()
            every_days = models.IntegerField()

            def roll_forward(self):
                upcoming = self.scheduled_for + timedelta(days=self.every_days)
                return Reminder.objects.create(  # ARM403 medium
                    kind=self.kind,
                    owner=self.owner,
                    scheduled_for=upcoming,
                    every_days=self.every_days,
                )


        def after_run(job, runner):
            follow_up = runner.build_job(name=job.name, args=job.args, next_run=job.next_run + timedelta(hours=1))
            follow_up.save()  # ARM403 medium
        ''',
        path="reminders/models.py",
        rules=("ARM403",),
    )


def test_next_slot_lookalikes_stay_quiet():
    check(
        '''
        from datetime import timedelta

        from django.db import IntegrityError
        from django.utils import timezone

        from .models import Reminder


        def roll_forward_guarded(reminder):
            upcoming = reminder.scheduled_for + timedelta(days=1)
            try:
                Reminder.objects.create(kind=reminder.kind, owner=reminder.owner, scheduled_for=upcoming)
            except IntegrityError:
                pass


        def roll_forward_checked(reminder):
            upcoming = reminder.scheduled_for + timedelta(days=1)
            if Reminder.objects.filter(kind=reminder.kind, scheduled_for=upcoming).exists():
                return
            Reminder.objects.create(kind=reminder.kind, owner=reminder.owner, scheduled_for=upcoming)


        def schedule_first(user, kind):
            # a fresh schedule from the clock, not the next slot of an existing row
            Reminder.objects.create(kind=kind, owner=user, scheduled_for=timezone.now() + timedelta(days=1))


        def move_same_row(reminder):
            reminder.scheduled_for = reminder.scheduled_for + timedelta(days=1)
            reminder.save()
        ''',
        path="reminders/service.py",
        rules=("ARM403",),
    )
