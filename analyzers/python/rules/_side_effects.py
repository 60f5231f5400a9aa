"""External effects a retry would repeat (ARM402): emails, SMS, push notifications, queue
publishes, token grants, HTTP writes and unkeyed money moves.

`.send()`, `.publish()` and `.create()` are common names in ordinary code, so each kind needs
the receiver, the imports or the arguments to agree before a call counts. A method of a class
in this module whose body performs such an effect (`psp.send_pix(w)`) counts as that effect
at the call. Celery's `.delay`/`.apply_async` do not count: they enqueue work inside our own
system, and the task is where idempotency belongs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from ._call_args import _chain_of, code, import_heads, kwarg
from ._db_writes import db_write
from ._effect_calls import wrapper_effect
from ._effects_flow import Flow, Site
from ._http_calls import http_method, http_url, http_url_source
from ._idempotency_keys import http_keyed
from ._mail_sends import mail_send, marked_sent
from ._payment_calls import PAYMENT_URL, payment_call
from ._paypal_calls import literal_url_post
from ._sqltext import string_text
from ._token_refresh import refresh_call, refresh_grant_body
from ..walk import walk


_MAIL_FUNCS = re.compile(r"^django\.core\.mail\.(send_mail|send_mass_mail|mail_admins|mail_managers)$")
_SEND_NAME = re.compile(
    r"^(?:send_(?:\w+_)?(?:e?mails?|sms|texts?|whatsapp|push(?:_notification)?)|sendmail|send_message|"
    # a provider's or the project's sender named for the message it sends (`send_campaign_message`,
    # `send_slack_message`, `send_pipeline_run_failure_message`)
    r"send_\w+_messages?|"
    r"send_messages|send_message_batch|send_raw_email|send_templated_email|send_bulk_templated_email|"
    r"basic_publish|chat_postMessage)$"
)
_MAIL_RECEIVER = re.compile(
    r"(?:^|\.)(?:\w*e?mails?|mailer|mail_client|\w*smtp\w*|sms|ses|sendgrid|sg|postmark|mailgun|twilio|yag|"
    r"resend\.Emails|email_service|mail_service)$",
    re.I,
)
_MAIL_OBJECTS = re.compile(r"(?:EmailMessage|EmailMultiAlternatives|SendGridAPIClient|Mail)\(\)$")
_NOT_AN_EFFECT_URL = re.compile(
    r"oauth|/token\b|/auth\b|login|sign_?in|siteverify|captcha|_search|/search|/query|graphql|"
    r"/validate|/verify|/lookup|/estimate|/introspect|/userinfo|/refresh|completions|/embeddings|localhost|127\.0\.0\.1",
    re.I,
)
# The same kinds of read-only endpoints named by the variable that holds the URL (RFC 7662 token
# introspection, userinfo, token verification are POSTs that change nothing).
_READ_ENDPOINT_NAME = re.compile(
    r"introspect|userinfo|token_?(?:url|uri|endpoint)|(?:auth|login|signin)\w*_(?:url|uri|endpoint)|verif\w*_(?:url|uri|endpoint)|validat\w*_(?:url|uri|endpoint)|"
    r"lookup_(?:url|uri|endpoint)|search_(?:url|uri|endpoint)|status_(?:url|uri|endpoint)|graphql",
    re.I,
)

# A URL built around the one-time code a redirect handed back (`/app-manifests/{code}/conversions`,
# `?code=...`): the POST exchanges a grant that the provider accepts once, like an OAuth token
# exchange, so a retry is refused instead of repeating the effect.
_GRANT_CODE = re.compile(r"\{(?:\w+_)?code\}|[?&]code=")


# Push notifications: firebase_admin's messaging module, APNs clients (apns2, aioapns), pyfcm
# and Expo's PushClient. `send_notification` alone is also the name of in-app helpers that only
# write a Notification row, so the receiver or the imports must name a push service.
_FIREBASE_SEND = re.compile(r"^firebase_admin\.messaging\.(?:send|send_all|send_each|send_multicast|send_each_for_multicast)(?:_async)?$")
_PUSH_RECEIVER = re.compile(r"(?i)(?:apns|apn|fcm|gcm|firebase|push|expo|onesignal)\w*$")
_PUSH_HEADS = {"apns2", "aioapns", "pyapns", "pyapns2", "pyfcm", "exponent_server_sdk", "onesignal_sdk", "gobiko"}
_PUSH_METHODS = {"send_notification", "send_notification_batch", "send_notification_async"}
_FCM_METHODS = {"notify_single_device", "notify_multiple_devices", "notify_topic_subscribers", "multiple_devices_data_message", "single_device_data_message"}


def _push_call(site: Site, qualified: str, receiver: str, flow: Flow) -> bool:
    if _FIREBASE_SEND.match(qualified):
        return True
    method = site.method
    last = receiver.rsplit(".", 1)[-1].removesuffix("()")
    if method in _FCM_METHODS:
        return bool(_PUSH_RECEIVER.search(last) or import_heads(flow) & _PUSH_HEADS)
    if method in _PUSH_METHODS:
        return bool(_PUSH_RECEIVER.search(last) or import_heads(flow) & _PUSH_HEADS)
    return method == "publish" and bool(re.search(r"(?i)push_?client$", last))


@dataclass(frozen=True)
class Effect:
    kind: str  # "email", "payment", "http", "queue", "push", "sms", "token"
    site: Site
    confidence: str = "high"  # "medium" where only the callee's name says what it does


def side_effect(site: Site, flow: Flow, ctx, deep: bool = False, wrappers: bool = True) -> Effect | None:
    """An external effect a retry would repeat (celery `.delay`/`.apply_async` are not: they
    enqueue work inside our own system, and the task itself is where idempotency belongs)."""
    method = site.method
    if method in ("delay", "apply_async", "send_task", "s", "si"):
        return None
    payment = payment_call(site, flow, ctx)
    if payment is not None:
        # ARM402 is about effects a crash repeats before they are recorded; a duplicate object
        # (a second customer) is ARM401's finding at the same call, not a second one here.
        return Effect("payment", site) if payment.keyed is False and payment.moves_money else None
    qualified = flow.qualify(site.chain)
    if _MAIL_FUNCS.match(qualified) or _SEND_NAME.match(method):
        kind = "queue" if method in ("basic_publish", "send_message_batch") else "email"
        if method == "send_message" and kwarg(site.node, "QueueUrl") is not None:
            kind = "queue"
        return Effect(kind, site)
    receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
    if _push_call(site, qualified, receiver, flow):
        return Effect("push", site)
    if method in ("send", "deliver", "send_now"):
        if _MAIL_RECEIVER.search(receiver) or _MAIL_OBJECTS.search(receiver) or mail_send(site, flow):
            return Effect("email", site)
        bound = flow.value_of(receiver, site.index) if receiver and "." not in receiver else None
        if isinstance(bound, cst.Call) and _MAIL_OBJECTS.search(_chain_of(bound.func) + "()"):
            return Effect("email", site)
    if method in ("send", "deliver", "send_now", "dispatch") and _email_object(receiver, site, flow):
        return Effect("email", site)
    if method in ("send", "produce", "send_and_wait") and re.search(r"(?i)producer$", receiver):
        return Effect("queue", site)
    if method == "publish" and (
        any(kwarg(site.node, k) is not None for k in ("TopicArn", "TargetArn", "PhoneNumber"))
        or re.search(r"(?i)(publisher|sns)$", receiver)
    ):
        return Effect("queue", site)
    if method == "create" and re.search(r"\.(messages|calls)$", receiver) and (
        "twilio" in import_heads(flow) or kwarg(site.node, "from_") is not None
    ):
        return Effect("sms", site)
    verb = http_method(site, flow)
    if verb == "post" and refresh_grant_body(site, flow, lambda n: code(ctx, n)):
        return Effect("token", site)
    if verb is None and refresh_call(site, flow):
        return Effect("token", site, confidence="medium")
    if verb in ("post", "put", "patch"):
        url = http_url(site, flow, ctx)
        if url is not None and _NOT_AN_EFFECT_URL.search(url):
            return None
        if url is None and _READ_ENDPOINT_NAME.search(_url_names(site, flow, ctx)):
            return None
        if _GRANT_CODE.search(_url_names(site, flow, ctx)):
            return None  # exchanging a one-time code: a retry is refused, not repeated
        if http_keyed(site, flow, ctx):
            return None
        return Effect("http", site)
    if verb is None:
        url = literal_url_post(site, flow)
        if url is not None and not _NOT_AN_EFFECT_URL.search(url) and not http_keyed(site, flow, ctx):
            return Effect("payment" if PAYMENT_URL.search(url) else "http", site, confidence="medium")
    if receiver and not deep:
        kind = _wrapped_effect(site, receiver, flow, ctx)
        if kind is not None:
            return Effect(kind, site)
    if not receiver and not deep:
        kind = _local_function_effect(site, flow, ctx)
        if kind is not None:
            return Effect(kind, site, confidence="medium")
    wrapped = wrapper_effect(site, flow, ctx) if wrappers else None  # another module's function that performs one
    if wrapped is not None:
        return Effect(wrapped[0], site, confidence=wrapped[1])
    if marked_sent(site, flow) and (site.chain.startswith("super().") or site.method not in _defined_functions(ctx)):
        # a callee defined here is judged by its body (an in-app notification row is no send)
        return Effect("email", site, confidence="medium")
    return None


# A project's e-mail class (`NotificationEmail(...)`, `WelcomeMail(...)`), as adhocracy4's
# `Email.dispatch()` and django-templated-email style senders spell them.
_EMAIL_CLASS = re.compile(r"^[A-Z]\w*(?:Email|Mail)$")


def _email_object(receiver: str, site: Site, flow: Flow) -> bool:
    """`email = NotificationEmail(...); email.dispatch(obj)`, `NotifyEmail.send(obj)`: the object
    sent was built by (or is) a class named for an e-mail."""
    if not receiver or "." in receiver:
        return False
    if _EMAIL_CLASS.match(receiver.removesuffix("()")):
        return True
    bound = flow.value_of(receiver, site.index)
    return isinstance(bound, cst.Call) and bool(_EMAIL_CLASS.match(_chain_of(bound.func).rsplit(".", 1)[-1]))


def _url_names(site: Site, flow: Flow, ctx) -> str:
    """The URL argument as written, and what a local name it is held in was bound to
    (`url = config.transaction_status_url`): the names say what kind of endpoint it is."""
    written = http_url_source(site, ctx, flow) or ""
    if written.isidentifier():
        bound = flow.value_of(written, site.index)
        if bound is not None:
            return written + " " + code(ctx, bound)
    return written


def _defined_functions(ctx) -> frozenset[str]:
    cached = getattr(ctx, "_arm4_defined", None)
    if cached is None:
        names = set()

        class _Defs(cst.CSTVisitor):
            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                names.add(node.name.value)

        walk(ctx.module, _Defs())
        cached = frozenset(names)
        try:
            ctx._arm4_defined = cached
        except Exception:
            pass
    return cached


def _module_classes(ctx) -> dict[str, cst.ClassDef]:
    cached = getattr(ctx, "_arm4_classes", None)
    if cached is None:
        cached = {}
        for statement in ctx.module.body:
            if isinstance(statement, cst.ClassDef):
                cached[statement.name.value] = statement
        try:
            ctx._arm4_classes = cached
        except Exception:
            pass
    return cached


def _receiver_class(receiver: str, before: int, flow: Flow, ctx) -> cst.ClassDef | None:
    """The class of this module a receiver is an instance of: a parameter annotated with it
    (`psp: PspClient`) or a name bound to `PspClient(...)`."""
    if "." in receiver or receiver.endswith(("()", "]")):
        return None
    classes = _module_classes(ctx)
    if not classes:
        return None
    if receiver == "self":  # `self._request(data)`: a helper method of the integration's own class
        return classes.get(flow.class_name) if flow.class_name else None
    bound = flow.value_of(receiver, before)
    if isinstance(bound, cst.Call) and isinstance(bound.func, cst.Name):
        return classes.get(bound.func.value)
    if bound is None:
        annotation = flow.annotations.get(receiver)
        if isinstance(annotation, cst.Name):
            return classes.get(annotation.value)
        text = string_text(annotation) if annotation is not None else None
        return classes.get(text) if text else None
    return None


def _wrapped_effect(site: Site, receiver: str, flow: Flow, ctx) -> str | None:
    """`psp.send_pix(w)` where `send_pix` is a method of a class in this module whose body
    performs an external effect with no database write of its own: the call is that effect."""
    cls = _receiver_class(receiver, site.index, flow, ctx)
    if cls is None or not isinstance(cls.body, cst.IndentedBlock):
        return None
    methods = [f for f in cls.body.body if isinstance(f, cst.FunctionDef) and f.name.value == site.method]
    if len(methods) != 1:
        return None
    return _cached_kind(methods[0], flow, ctx)


def _local_function_effect(site: Site, flow: Flow, ctx) -> str | None:
    """`_http_post(url, body)` where `_http_post` is a function of this module whose body
    performs an external effect and keeps no record: at its callers the call is that effect
    (the helper itself has nothing to record, so its definition is no finding)."""
    from ._effects_named import _module_functions

    # Only the effects its own body makes: one more level through another module's wrapper
    # is a longer guess than the project index takes at a call (a helper that resizes an image
    # through a service is no delivery).
    local = _module_functions(ctx).get(site.chain)
    return None if local is None else _cached_kind(local, flow, ctx, wrappers=False)


def _cached_kind(func: cst.FunctionDef, flow: Flow, ctx, wrappers: bool = True) -> str | None:
    """_effect_kind_of, once per definition and file."""
    cache = getattr(ctx, "_arm4_wrapped", None)
    if cache is None:
        cache = {}
        try:
            ctx._arm4_wrapped = cache
        except Exception:
            return None
    key = (id(func), wrappers)
    if key not in cache:
        cache[key] = _effect_kind_of(func, flow, ctx, wrappers)
    return cache[key]


def _effect_kind_of(method: cst.FunctionDef, flow: Flow, ctx, wrappers: bool = True) -> str | None:
    from ._effects_flow import build_flow, self_assignments

    if flow_text_has_outbox(code(ctx, method)):
        return None
    inner = build_flow(method.body, flow.imports, flow.module_values, method.params, self_assignments(ctx.module))
    kind = None
    for s in inner.sites:
        if db_write(s, inner, ctx, pending=False) is not None:
            return None  # the method keeps its own record; judge it where it is defined
        effect = side_effect(s, inner, ctx, deep=True, wrappers=wrappers)
        if effect is not None and kind is None:
            kind = effect.kind
        elif effect is None and kind is None and wrappers and s.chain.startswith("self.") and s.chain.count(".") == 1:
            # `self.warning_email(...)` -> `self._sendemail(...)` -> `sendemail(...)`: a public
            # method of a class reaches the send through its own private helper
            kind = _own_helper_kind(s, method, inner, ctx)
    return kind


def _own_helper_kind(site: Site, caller: cst.FunctionDef, flow: Flow, ctx) -> str | None:
    """The effect of the enclosing class's own method `site` calls, read at most
    _OWN_HELPER_DEPTH methods deep (a method calling itself, or a cycle, is no effect) and only
    from a short method: a long one that calls a sender among other work is a workflow."""
    from ._effect_summaries import code_lines

    depth = getattr(ctx, "_arm4_own_depth", 0)
    if depth >= _OWN_HELPER_DEPTH or code_lines(code(ctx, caller).splitlines()) > _OWN_HELPER_LINES:
        return None  # a long method is a workflow of its own, judged where it is defined
    cls = _class_of(caller, ctx)
    if cls is None:
        return None
    methods = [f for f in cls.body.body if isinstance(f, cst.FunctionDef) and f.name.value == site.method]
    if len(methods) != 1 or methods[0] is caller:
        return None
    ctx._arm4_own_depth = depth + 1
    try:
        return _cached_kind(methods[0], flow, ctx)
    finally:
        ctx._arm4_own_depth = depth


_OWN_HELPER_DEPTH = 2
_OWN_HELPER_LINES = 30  # a helper that formats and sends one message is short


def _class_of(method: cst.FunctionDef, ctx) -> cst.ClassDef | None:
    """The top-level class of this module that defines `method`."""
    for cls in _module_classes(ctx).values():
        if isinstance(cls.body, cst.IndentedBlock) and any(member is method for member in cls.body.body):
            return cls
    return None


def flow_text_has_outbox(text: str) -> bool:
    return re.search(r"outbox", text, re.I) is not None
