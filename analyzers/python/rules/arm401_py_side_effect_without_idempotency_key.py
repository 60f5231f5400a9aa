"""ARM401: a payment call (SDK or HTTP POST to a payment API) without an idempotency key."""
from __future__ import annotations

import re

from ...catalog import Example, RuleMeta, Text
from ..rule import PythonRule
from ._payment_calls import Payment, payment_call
from ._effect_gateway_posts import gateway_config_post
from ._effect_calls import judged_at_callers, wrapper_payment
from ._effects_flow import Flow, FlowRule
from ._fixes_idempotency import idempotency_fix

_HOW = {
    "stripe": ("idempotency_key=... (StripeClient: options={\"idempotency_key\": ...})",
               "idempotency_key=... (StripeClient: options={\"idempotency_key\": ...})"),
    "adyen": ("idempotency_key=...", "idempotency_key=..."),
    "mercadopago": ("a RequestOptions with custom_headers={\"x-idempotency-key\": ...}",
                    "um RequestOptions com custom_headers={\"x-idempotency-key\": ...}"),
    "pagar.me": ("idempotency_key=...", "idempotency_key=..."),
    "paypal": ("a PayPal-Request-Id header on the request (paypal-server-sdk: \"paypal_request_id\")",
               "um header PayPal-Request-Id na requisição (paypal-server-sdk: \"paypal_request_id\")"),
    "checkout.com": ("idempotency_key=...", "idempotency_key=..."),
    "http": ("an Idempotency-Key header (PayPal: PayPal-Request-Id)",
             "um header Idempotency-Key (PayPal: PayPal-Request-Id)"),
    "paypal nvp": ("a MSGSUBID field with the request parameters", "um campo MSGSUBID nos parâmetros da requisição"),
    "gocardless": ("headers={\"Idempotency-Key\": ...}", "headers={\"Idempotency-Key\": ...}"),
    "PayPal": ("a PayPal-Request-Id (paypalrestsdk: the resource's request_id)",
               "um PayPal-Request-Id (paypalrestsdk: o request_id do recurso)"),
    "YooKassa": ("the idempotency key argument (`Payment.create(params, idempotency_key)`)",
                 "o argumento de chave de idempotência (`Payment.create(params, idempotency_key)`)"),
}
# Other SDKs with a key take it as an Idempotency-Key header or an `idempotency_key` option.
_SDK_HOW = ("the provider's idempotency key (an Idempotency-Key header or the SDK's idempotency_key option)",
            "a chave de idempotência do provedor (header Idempotency-Key ou a opção idempotency_key do SDK)")
# APIs that accept no idempotency key: the fix is on our side.
_NO_KEY = {
    "razorpay": "Razorpay", "m-pesa": "M-Pesa", "braintree": "Braintree",
    # providers of _payment_sdks whose APIs take no idempotency key
    "Razorpay": "Razorpay", "Paystack": "Paystack", "Flutterwave": "Flutterwave", "iyzico": "iyzico",
    "Midtrans": "Midtrans", "Culqi": "Culqi", "Authorize.Net": "Authorize.Net", "Coinbase Commerce": "Coinbase Commerce",
}

# pagarme-python (v4 API) has no way to send an idempotency key.
_PAGARME_V4_MESSAGE = (
    "Pagar.me v4 call that moves money, and the v4 SDK cannot send an idempotency key: a retry after a "
    "timeout or crash can transfer or charge twice. Move the call to pagarmeapisdk (v5) with "
    "idempotency_key=... derived from the operation, or record the intent first and look the operation up "
    "by your own reference before retrying.",
    "Chamada do Pagar.me v4 que movimenta dinheiro, e o SDK v4 não envia chave de idempotência: um retry "
    "após timeout ou crash pode transferir ou cobrar duas vezes. Migre a chamada para o pagarmeapisdk (v5) "
    "com idempotency_key=... derivada da operação, ou registre a intenção antes e procure a operação pela "
    "sua própria referência antes de tentar de novo.",
)

META = RuleMeta(
    id="ARM401",
    slug="py-side-effect-without-idempotency-key",
    family="non-idempotent",
    language="python",
    section_key="non-idempotent",
    message=Text(
        en="Payment call without an idempotency key: a retry after a timeout or crash can charge "
        "twice. Pass a key derived from the operation (e.g. the order id).",
        pt_BR="Chamada de pagamento sem chave de idempotência: um retry após timeout ou crash pode "
        "cobrar duas vezes. Passe uma chave derivada da operação (ex.: o id do pedido).",
    ),
    why=Text(
        en="Networks time out after the provider has already acted, and workers crash after the "
        "charge but before they learn its result. Whoever retries (the client, the task queue, the "
        "webhook sender) sends the request again; without an idempotency key the provider cannot tell "
        "it is the same operation and charges, refunds or transfers a second time.",
        pt_BR="A rede dá timeout depois que o provedor já agiu, e workers caem depois da cobrança mas "
        "antes de saber o resultado. Quem faz o retry (cliente, fila de tarefas, remetente do webhook) "
        "repete a requisição; sem chave de idempotência o provedor não sabe que é a mesma operação e "
        "cobra, estorna ou transfere de novo.",
    ),
    use_instead=Text(
        en="Send a key that is stable across retries of the same business operation, e.g. "
        "`idempotency_key=f\"charge-{order.id}\"` for stripe/Adyen/Pagar.me, `options={\"idempotency_key\": ...}` "
        "for StripeClient, the `X-Idempotency-Key` custom header for Mercado Pago, `PayPal-Request-Id` for "
        "PayPal, and an `Idempotency-Key` header for raw HTTP calls. A fresh `uuid4()` per attempt does not help.",
        pt_BR="Envie uma chave estável entre retries da mesma operação de negócio, ex.: "
        "`idempotency_key=f\"charge-{order.id}\"` no stripe/Adyen/Pagar.me, `options={\"idempotency_key\": ...}` "
        "no StripeClient, o header `X-Idempotency-Key` no Mercado Pago, `PayPal-Request-Id` no PayPal e um "
        "header `Idempotency-Key` em chamadas HTTP diretas. Um `uuid4()` novo a cada tentativa não resolve.",
    ),
    when_fine=Text(
        en="Reads (retrieve, list, GET requests) and calls that already pass a key, in a keyword, an "
        "options dict or a headers dict built in the same function. Calls whose options come from "
        "elsewhere (a parameter, `**kwargs`) are not flagged.",
        pt_BR="Leituras (retrieve, list, GET) e chamadas que já passam a chave, como argumento, dict de "
        "options ou dict de headers montado na mesma função. Chamadas cujas options vêm de fora (um "
        "parâmetro, `**kwargs`) não são apontadas.",
    ),
    fixable=True,
    unsafe_fixes=True,
    fix_doc=Text(
        en="On a module-level Stripe call (`stripe.Refund.create(...)`) in a function that receives the operation's "
        "record or its id, the fix adds `idempotency_key=f\"refund-{refund.id}\"` (parameters `<noun>_id`, or "
        "`<noun>` when the function reads `<noun>.id`; the operation's own noun first, then order, payment, invoice). "
        "Safe only for a refund, transfer or payout keyed by its own record. Unsafe otherwise: keyed by an order "
        "or payment, Stripe replays the first answer for 24 hours, so a retry with other parameters (another card "
        "after a decline) gets the old answer or an error instead of a new charge.",
        pt_BR="Numa chamada Stripe de módulo (`stripe.Refund.create(...)`) numa função que recebe o registro da "
        "operação ou o id dele, a correção adiciona `idempotency_key=f\"refund-{refund.id}\"` (parâmetros "
        "`<nome>_id`, ou `<nome>` quando a função lê `<nome>.id`; primeiro o nome da própria operação, depois "
        "order, payment, invoice). Segura só para estorno, transferência ou payout com a chave do próprio "
        "registro. Insegura nos demais casos: com a chave do pedido ou do pagamento, o Stripe repete a primeira "
        "resposta por 24 horas, e um retry com outros parâmetros (outro cartão após recusa) recebe a resposta "
        "antiga ou um erro em vez de uma nova cobrança.",
    ),
    bad=(
        Example(
            code='''import stripe


def charge_order(order):
    intent = stripe.PaymentIntent.create(
        amount=order.total_cents,
        currency="brl",
        customer=order.customer_id,
    )
    return intent.id
''',
            lines=(5,),
        ),
        Example(
            code='''import requests

STRIPE_REFUNDS = "https://api.stripe.com/v1/refunds"


def refund(charge_id, api_key):
    resp = requests.post(STRIPE_REFUNDS, auth=(api_key, ""), data={"charge": charge_id})
    resp.raise_for_status()
    return resp.json()
''',
            lines=(7,),
        ),
        Example(
            code='''import mercadopago

sdk = mercadopago.SDK("ACCESS_TOKEN")


def pay(order):
    result = sdk.payment().create({"transaction_amount": order.total, "payer": {"email": order.email}})
    return result["response"]
''',
            lines=(7,),
        ),
    ),
    good=(
        Example(
            code='''import stripe


def charge_order(order):
    return stripe.PaymentIntent.create(
        amount=order.total_cents,
        currency="brl",
        idempotency_key=f"order-{order.id}",
    )


def show(payment_intent_id):
    return stripe.PaymentIntent.retrieve(payment_intent_id)
''',
        ),
        Example(
            code='''import requests


def refund(charge_id, api_key):
    headers = {"Idempotency-Key": f"refund-{charge_id}"}
    return requests.post(
        "https://api.stripe.com/v1/refunds", auth=(api_key, ""), headers=headers, data={"charge": charge_id}
    )
''',
        ),
    ),
    extra_good=(
        Example(
            code='''import requests


def balance(api_key):
    return requests.get("https://api.stripe.com/v1/balance", auth=(api_key, "")).json()
''',
        ),
    ),
)


class SideEffectWithoutIdempotencyKey(FlowRule, PythonRule):
    META = META
    TRIGGERS = re.compile(
        r"stripe|Stripe|adyen|Adyen|mercadopago|pagarme|pagar\.me|paypal|PayPal|checkout_sdk|/charges|/payments|/refunds|/transfers"
        r"|/payouts|razorpay|mpesa|braintree|gocardless"
        # providers' REST paths (see _payment_providers.PROVIDER_PATHS)
        r"|/checkout/(?:sessions|orders|preferences)|/v1/(?:subscriptions|invoices|invoiceitems|billing/subscriptions)"
        # the SDKs and gateway hosts of _payment_sdks, and stdlib POSTs that may reach them
        r"|(?:import|from)\s+(?:paypalrestsdk|mollie|paystack|pypaystack|rave_python|chargebee|recurly|yookassa"
        r"|iyzipay|midtransclient|xendit|omise|culqi|conekta|payjp|coinbase_commerce|mangopay|paddle|square"
        r"|authorizenet)"
        r"|authorize\.net|payflowpro|sagepay|opayo|worldpay|cybersource|braintreegateway|paymentexpress|windcave"
        r"|2checkout|pin\.net\.au|ewaypayments|payu\.|flutterwave|checkout\.com|klarna\.com|moneris|securepay"
        r"|payfast|paytm|cashfree|bluesnap"
        # gateway integrations that keep their endpoint in configuration (_effect_gateway_posts)
        r"|Gateway\b|Payment\w*Client\b|PaymentProcessor\b"
    )

    def check(self, flow: Flow) -> None:
        for site in flow.sites:
            payment = payment_call(site, flow, self.ctx)
            if payment is None:
                # a wrapper in another module that leaves the key to its callers
                payment = wrapper_payment(site, flow, self.ctx)
            if payment is None and gateway_config_post(site, flow, self.ctx):
                payment = Payment("http", False, confidence="medium")  # the endpoint is configured, not read
            if payment is None or payment.keyed is not False or judged_at_callers(site, flow, self.ctx):
                continue
            fix = idempotency_fix(site, flow, self.ctx) if payment.provider == "stripe" else None
            self.report(site.node, message=self._message(payment.provider, payment.creates), confidence=payment.confidence,
                        fix=fix)

    def _message(self, provider: str, creates: str | None = None) -> str:
        if provider == "pagar.me v4":
            return _PAGARME_V4_MESSAGE[self.ctx.language == "pt-BR"]
        if provider in _NO_KEY:
            return self._no_key_message(_NO_KEY[provider], creates)
        en, pt = _HOW.get(provider, _HOW["http"] if provider.islower() else _SDK_HOW)
        if creates is not None:
            return self._object_message(en, pt, creates)
        if self.ctx.language == "pt-BR":
            return (
                "Chamada de pagamento sem chave de idempotência: um retry após timeout ou crash pode cobrar, "
                f"estornar ou transferir duas vezes. Passe {pt} com uma chave estável da operação (ex.: o id do pedido)."
            )
        return (
            "Payment call without an idempotency key: a retry after a timeout or crash can charge, refund or "
            f"transfer twice. Pass {en} with a key that is stable for the operation (e.g. the order id)."
        )

    def _no_key_message(self, name: str, creates: str | None) -> str:
        if self.ctx.language == "pt-BR":
            what = f"cria {_NOUNS_PT.get(creates, creates)}" if creates else "movimenta dinheiro"
            return (
                f"Chamada ao {name} que {what}, e essa API não aceita chave de idempotência: um retry após timeout ou "
                "crash repete a operação. Registre a tentativa antes da chamada com uma referência sua (o id do pedido) e, "
                "antes de tentar de novo, consulte o provedor ou o registro por essa referência."
            )
        what = f"creates {_article(creates)} {creates}" if creates else "moves money"
        return (
            f"{name} call that {what}, and this API takes no idempotency key: a retry after a timeout or crash "
            "repeats it. Record the attempt before the call under your own reference (the order id) and, before "
            "retrying, look the operation up by that reference."
        )

    def _object_message(self, en: str, pt: str, creates: str) -> str:
        if self.ctx.language == "pt-BR":
            noun = _NOUNS_PT.get(creates, creates)
            return (
                f"Criação de {noun} no provedor de pagamento sem chave de idempotência: um retry após timeout ou "
                f"crash cria {noun} em duplicidade, que depois cobra de novo ou divide os registros do cliente. Passe {pt} com uma chave "
                "estável da operação (ex.: o id do usuário ou do pedido)."
            )
        return (
            f"Payment provider call that creates {_article(creates)} {creates} without an idempotency key: a retry after a timeout "
            f"or crash creates a second {creates}, which then bills again or splits the customer's records. Pass "
            f"{en} with a key that is stable for the operation (e.g. the user or order id)."
        )


_NOUNS_PT = {
    "customer": "cliente",
    "invoice": "fatura",
    "invoice item": "item de fatura",
    "subscription": "assinatura",
    "subscription item": "item de assinatura",
    "subscription schedule": "agenda de assinatura",
    "setup intent": "setup intent",
    "quote": "cotação",
    "connected account": "conta conectada",
    "checkout session": "sessão de checkout",
    "checkout preference": "preferência de checkout",
    "payer": "pagador",
    "card": "cartão",
    "preapproval": "assinatura (preapproval)",
    "order": "pedido",
    "price": "preço",
    "plan": "plano",
    "product": "produto",
    "file": "arquivo",
    "webhook endpoint": "endpoint de webhook",
    "external account": "conta externa",
    "card source": "cartão (source)",
    "payment source": "fonte de pagamento (source)",
    "mandate": "mandato",
    "redirect flow": "fluxo de redirecionamento",
    "bank account": "conta bancária",
}


def _article(noun: str) -> str:
    return "an" if noun[:1] in "aeiou" else "a"
