"""ARM402/ARM403 forms whose evidence sits in another file: money moved through a gateway wrapper
known only by its name (medium), an effect followed by `return` (never recorded after it), and a
webhook handler that stores each raw delivery as a new row and queues the processing by that row
(medium). A trailing `# ARM402` / `# ARM403 medium` marks where a finding must start and its
confidence; every other line must stay quiet."""
from __future__ import annotations

from tests.rules.test_realcode_effects import check

# --------------------------------------------------------------------------------------------
# ARM402: money moved by a wrapper from another module, then recorded


def test_gateway_wrapper_charge_then_save():
    check(
        '''
        from billing.gateway import CardGateway


        def bill_invoice(invoice, profile_id):
            gateway = CardGateway()
            ok, reply = gateway.charge_stored_card(invoice.total, profile_id)  # ARM402 medium
            invoice.paid = ok
            invoice.save()
        '''
    )


def test_base_class_payment_hook_then_order_placement():
    check(
        '''
        class CheckoutView(PaymentMixin, View):
            def submit(self, basket, total):
                number = self.next_order_number(basket)
                self.handle_payment(number, total)  # ARM402 medium
                return self.handle_order_placement(number, basket, total)
        '''
    )


def test_module_function_whose_body_pushes_a_payment_request():
    check(
        '''
        from .client import MobileMoneyClient


        def request_stk_push(phone, amount):
            return MobileMoneyClient().stk_push(phone=phone, amount=amount)


        class Till:
            def request_payment(self, phone, amounts):
                for amount in amounts:
                    reply = request_stk_push(phone, amount)  # ARM402 medium
                    self.keep_reply(reply)

            def keep_reply(self, reply):
                create_request_log(reply, status="Queued")
        '''
    )


def test_named_payment_is_quiet_when_recorded_first_or_never():
    check(
        '''
        from billing.gateway import CardGateway


        def bill_invoice(invoice, profile_id):
            invoice.status = "charging"
            invoice.save()
            CardGateway().charge_stored_card(invoice.total, profile_id)


        def preview(invoice):
            fee = invoice.charge_amount()
            invoice.fee = fee
            invoice.save()


        def refund_later(order):
            gateway = CardGateway()
            gateway.refund_order(order.reference)
        '''
    )


def test_local_ledger_method_named_like_a_payment_is_quiet():
    # defined here and makes no external call: bookkeeping, not a gateway
    check(
        '''
        class Wallet:
            def pay_out(self, amount):
                self.balance -= amount

            def settle(self, amount):
                self.pay_out(amount)
                self.save()


        def transfer(wallet, amount):
            Payout.objects.create(wallet=wallet, amount=amount)
            wallet.save()
        '''
    )


def test_payment_written_in_an_earlier_unrelated_branch_does_not_count_as_recorded_first():
    check(
        '''
        from payments.gateway import GatewayAPI


        def pay(request, payment):
            if not cached_key():
                Setting.objects.filter(name="public_key").update(value=fetch_key())
            api = GatewayAPI()
            reply = api.create_txn_request(payment, request.POST["token"])  # ARM402 medium
            if reply.ok:
                payment_processing_object_updates(request, payment)
        '''
    )


# --------------------------------------------------------------------------------------------
# ARM402: an effect followed by `return` is never recorded afterwards


def test_notice_then_return_is_not_followed_by_the_later_save():
    check(
        '''
        from django.core.mail import send_mail


        def run_billing(account):
            if not account.card_on_file:
                send_mail("No card", "Please add a card.", "billing@example.com", [account.email])
                return
            account.billed = True
            account.save()
        '''
    )


def test_notice_in_a_branch_without_return_still_precedes_the_save():
    check(
        '''
        from django.core.mail import send_mail


        def run_billing(account):
            if account.card_on_file:
                send_mail("Billed", "Thanks.", "billing@example.com", [account.email])  # ARM402
            account.billed = True
            account.save()
        '''
    )


# --------------------------------------------------------------------------------------------
# ARM403: each delivery stored as a new row and queued by that row


def test_ipn_handler_stores_raw_delivery_and_queues_it():
    check(
        '''
        import json

        import frappe


        @frappe.whitelist(allow_guest=True)
        def ipn_handler():
            data = frappe.local.form_dict
            doc = frappe.get_doc(  # ARM403 medium
                {"doctype": "Gateway Notice", "data": json.dumps(data), "status": "Queued"}
            ).insert(ignore_permissions=True)
            frappe.db.commit()
            frappe.enqueue("shop.notices.process", queue="long", docname=doc.name)
        ''',
        path="shop/api.py",
    )


def test_django_webhook_view_logs_body_and_queues_by_row_id():
    check(
        '''
        from .models import RawNotice
        from .tasks import process_hook


        def provider_webhook(request):
            hook = RawNotice.objects.create(body=request.body.decode(), source="psp")  # ARM403 medium
            process_hook.delay(hook.pk)
            return HttpResponse(status=202)
        ''',
        path="shop/views.py",
    )


def test_delivery_log_processed_inline_or_keyed_or_deduped_is_quiet():
    check(
        '''
        import json

        import frappe

        from .models import RawNotice, Order
        from .tasks import process_hook, send_receipt


        def provider_webhook(request):
            # a log of deliveries; processing happens inline and dedupes by the event id
            hook = RawNotice.objects.create(body=request.body.decode(), source="psp")
            hook.process()
            return HttpResponse(status=200)


        def deduped_webhook(request):
            event = json.loads(request.body)
            if RawNotice.objects.filter(event_ref=event["id"]).exists():
                return HttpResponse(status=200)
            hook = RawNotice.objects.create(body=request.body.decode(), event_ref=event["id"])
            process_hook.delay(hook.pk)


        def handle_checkout(request, basket):
            # an order the customer asked for, not a copy of a delivery
            order = Order.objects.create(basket=basket, total=basket.total)
            send_receipt.delay(order.pk)


        @frappe.whitelist(allow_guest=True)
        def ipn_handler():
            doc = frappe.get_doc({"doctype": "Gateway Notice", "data": json.dumps(frappe.local.form_dict)})
            doc.insert(ignore_permissions=True)
            doc.run_method("process_now")
        ''',
        path="shop/views.py",
    )
