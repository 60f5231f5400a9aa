"""ARM403 for ORM code: a Django/SQLAlchemy create of a delivered thing (keyed by an external or
event id, or into an inbox/webhook/payment model) in a handler, consumer or task, with nothing
that makes the redelivery harmless.

Provider notifications in general form: an IPN/notification/callback view (a function or a
view class named so) that records a payment/transaction/IPN row with a plain create, with no
lookup of that row and no IntegrityError guard, records a redelivered notification twice. The
helper such views call to record the outcome (it takes the `provider` and its raw `data`/
`payload`/`response`) is the same site one level down (medium: the redelivery is the caller's).
Creates include `Model.create(...)`/`Model.create_<x>(...)` class methods (peewee, Tortoise,
a model's own factory), not only Django managers and SQLAlchemy sessions.

SQL text (files and strings in Python) is covered by the SQL rule of the same id; this visitor
reports ORM inserts under that rule's metadata, so both read as one rule to users.

What counts as handling the redelivery (never flagged):
- `get_or_create` / `update_or_create` (not inserts for this rule), `bulk_create` with
  `ignore_conflicts=True` or `update_conflicts=True`, SQLAlchemy `insert().on_conflict_do_*()`
  (Core statements are not session adds);
- the create (or the session's commit) inside `try: ... except IntegrityError` (Django's,
  SQLAlchemy's, psycopg's UniqueViolation) or `with suppress(IntegrityError)`;
- an existence check earlier in the function: `Model.objects.filter(...).exists()`,
  `Model.objects.get(...)` under `except DoesNotExist`, `session.query(Model)...first()`, an
  `already_processed(...)`-style helper, or a Redis `SET NX` claim. Check-then-insert still
  races (two concurrent deliveries both see "absent"), but it shows the author knows events
  repeat; the unique constraint is then one review comment away, not a finding.
Rows that record the result of our own outbound call (`charge = stripe.Charge.create(...)`,
then `Payment(charge_id=charge.id)`) are left to ARM401/ARM402: the id is new on every retry,
so no unique key on it would help.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from ...sql.names import EXTERNAL_KEY, INBOX_TABLE, NOT_INBOX_TABLE
from ...sql.rules.arm403_sql_insert_without_on_conflict import META as SQL_META
from ..rule import PythonRule
from ._next_occurrence import next_occurrence
from ._delivery import DELIVERY_PARAMS, TEST_PATH, delivery_context, is_test_function, one_shot_path, param_names
from ._call_args import import_heads, kwarg
from ._db_writes import SDK_HEADS, SESSIONISH, is_claim, rest_write
from ._payment_calls import payment_call
from ._side_effects import side_effect
from ._payment_sdks import PROVIDER_HEADS
from ._sqltext import string_text
from ._effects_flow import AllOf, Flow, Site, build_flow, module_values

# A model name alone (no external key among the values) says "delivered thing" only in a
# context that clearly receives deliveries: the shared predicate also accepts names like
# `create_payment` and any POST route, which is where ordinary CRUD creates payments too.
_STRONG_FUNCTION = re.compile(
    r"handle|webhook|consum|on_message|on_event|callback|receive|ingest|listen|subscri|deliver|task|job|worker"
    r"|notification|(?:^|_)ipn",
    re.IGNORECASE,
)
_STRONG_DECORATOR = re.compile(r"task|actor|job|consum|subscri|listen|webhook", re.IGNORECASE)
# Methods of these classes handle deliveries (`class StripeWebhookView(View): def post(...)`).
_DELIVERY_CLASS = re.compile(r"hook|consumer|listener|subscriber|inbox|ipn|callback|notification", re.IGNORECASE)
# Fields that hold the identity of something made elsewhere: the sender's reference, a remote
# or external id, a message id. A field of one of these shapes is a delivered key when its value
# is read from what the function was handed (a parameter), not minted here.
# (Not `*_uuid`: `instance_uuid` is as often a reference to one of our own rows.)
_FOREIGN_FIELD = re.compile(r"\w_(?:reference|ref)$|^(?:external|remote|foreign|upstream|origin)_|message_?id$", re.I)
# Parameters that hold a parsed delivery (an attribute of one is the sender's field); a dict
# read (`x["id"]`) is a payload whatever the parameter is called.
_PAYLOAD_PARAMS = DELIVERY_PARAMS | frozenset({"event", "payload", "data", "body"})
# Keys under which a payload carries its own identity: `event["id"]`, `msg["Message-ID"]`.
_PAYLOAD_ID = re.compile(r"^(?:id|uuid|guid|message[-_]?id|event[-_]?id)$", re.I)
# Snake-cased model names of rows that record something received from outside.
_INBOX_MODEL = re.compile(
    r"(?:^|_)(?:webhooks?|inbox|processed|received|incoming|inbound)(?:_|$)"
    r"|(?:^|_)(?:payments?|deliver(?:y|ies)|transactions?|ipns?)$"
    r"|(?:^|_)(?:provider|stripe|paypal|adyen|mercado_?pago|pagarme|gateway|psp|external|billing)_(?:\w+_)?events?$"
)
# Append-only logs of attempts and failures: a second row per redelivery is what they are for.
_LOG_MODEL = re.compile(r"(?:^|_)(?:logs?|attempts?|audits?|errors?|failures?|retries)$")

# Class-level creates outside Django's managers; `create_or_*`/`create_if_*` already dedupe.
_CLASS_CREATE = re.compile(r"^(?P<model>[A-Z]\w*)\.(?P<method>a?create(?:_(?!or_|if_)\w+)?)$")
# Parameters that carry a provider's raw answer or notification into a recording helper.
_PROVIDER_DATA = frozenset("data payload response raw raw_data details result notification ipn".split())
_DJANGO_CREATE = re.compile(
    r"^(?:\w+\.)*?(?P<model>[A-Z]\w*)\.(?:objects|_default_manager|_base_manager)"
    r"(?:\.(?:using|db_manager)\(\))?\.(?P<method>a?create|a?bulk_create)$"
)
_RELATED_CREATE = re.compile(r"(?:^|\.)(?P<model>[a-z]\w*)_set\.(?P<method>a?create)$")
# postgrest's APIError is what supabase-py raises for a unique violation (code 23505).
_GUARD_ERROR = re.compile(r"IntegrityError|UniqueViolation|DuplicateKey|NotUniqueError|APIError")
_REST_HINT = re.compile(r"\.(?:table|from_)\(")
_READ_METHODS = frozenset(
    "exists aexists get aget first afirst last alast count acount one one_or_none scalar scalar_one_or_none"
    " get_or_none".split()
)
_DEDUP_HELPER = re.compile(r"already|seen|duplicate|dedup|processed|handled", re.IGNORECASE)
_WRITE_CHAIN = re.compile(r"\.(?:a?update|a?delete|a?create|a?bulk_\w+)$")
_FALSY = ("False", "None", "0")
_SDK_CREATES = frozenset({"create", "create_async", "capture", "confirm"})
# Methods of models, admin pages, serializers and forms are the CRUD layer, even in a webhook
# feature: `WebhookEndpoint(models.Model).record_delivery()` is the sender's bookkeeping.
_SLOT_HINT = re.compile(r"\+\s*(?:timedelta|relativedelta|datetime\.timedelta|self\.\w*(?:interval|period|repeat))")
_CRUD_BASE = re.compile(r"Model\b|Admin\b|Serializer\b|Form\b|Factory\b|Schema\b|TestCase\b|(?<![A-Za-z])(?:Declarative)?Base\b")


@dataclass(frozen=True)
class Insert:
    site: Site
    model: str
    orm: str  # "django" | "sqlalchemy" | "supabase" (then `model` is the table name) | "document" (frappe) | "model" (Model.create)
    keys: tuple[str, ...]  # keyword names of the values inserted
    values: tuple[cst.BaseExpression, ...]
    commits: tuple[Site, ...] = ()  # session commits/flushes that persist a SQLAlchemy add


@dataclass
class _Frame:
    test: bool
    delivery: bool
    strong: bool  # delivery context named by the handler itself, not only by a CRUD-ish word
    crud: bool = False  # a model, admin, serializer or form class: its methods are the CRUD layer
    recorder: bool = False  # takes a provider and its raw data: where notification views record outcomes


class OrmInsertWithoutConflict(PythonRule):
    EMITS = ("ARM403",)
    TRIGGERS = AllOf(  # type: ignore[assignment]
        r"\.create\(|\.acreate\(|[A-Z]\w*\.create_\w+\(|bulk_create\(|\.add\(|\.add_all\(|\.save\(|\.asave\(|\.insert\(",
        r"webhook|Webhook|consum|Consumer|task|actor|subscri|Subscri|listen|Listen|Inbox|receiv|deliver|handle|callback"
        r"|ingest|on_message|on_event"
        r"|process|job|worker|charge|payment|checkout|refund|notify|message|msg|envelope|notification|\.post\(|\.route\("
        r"|Hook|hook"
        r"|ipn|Notification|provider=",
        r"Event|Webhook|Inbox|Processed|Payment|Deliver|Received|Incoming|Inbound|event_|external_|message_id"
        r"|delivery_id|webhook_id|idempotency|dedup|provider_|gateway_|psp_reference|payment_intent|charge_id"
        r"|checkout_session|stripe_|paypal_|adyen_|mercado|mp_|pagarme_|pagar_me_|asaas_|iugu_|braintree_|square_|razorpay_"
        r"|form_dict|request\.body|IPN|Ipn|Transaction\.|Transaction\(|txn_id|transaction_id"
        r"|run_at=|next_run|scheduled_(?:at|for)="
        # a delivered identity in general form: the payload's own id, a foreign reference
        r"|\[[\"'](?:id|uuid|guid|[Mm]essage-I[Dd])[\"']\]|\.get\([\"'](?:id|[Mm]essage-I[Dd])[\"']"
        r"|_reference\b|external_|remote_|_uuid\b",
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        # Tests set up data and one-shot scripts (migrations, backfills, ports) copy it: neither
        # runs per delivery, so their creates are never redelivered facts.
        quiet = bool(TEST_PATH.search(ctx.path)) or one_shot_path(ctx.path)
        self._frames: list[_Frame] = [_Frame(test=quiet, delivery=False, strong=False)]
        self._guarded: set[int] = set()  # ids of calls under an IntegrityError guard
        self._guard_flags: list[bool] = []  # one per open try/with body: does it guard?
        self._module_values: dict | None = None

    # --- context -----------------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        parent = self._frames[-1]
        test = parent.test or node.name.value.startswith("Test")
        crud = any(_CRUD_BASE.search(self.ctx.code_for(base.value)) for base in node.bases)
        delivery = not test and not crud and (parent.delivery or bool(_DELIVERY_CLASS.search(node.name.value)))
        self._frames.append(_Frame(test, delivery, delivery, crud))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._frames.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        parent = self._frames[-1]
        code_for = self.ctx.code_for
        test = parent.test or is_test_function(node, code_for)
        delivery = strong = False
        # A model's method is CRUD unless it takes the delivered message itself
        # (`Mailbox._process_message(self, message)` storing each fetched mail).
        takes_delivery = bool(param_names(node) & DELIVERY_PARAMS)
        if not test and (not parent.crud or takes_delivery) and not self._signal_receiver(node):
            delivery = delivery_context(node, parent.delivery, code_for)
            strong = delivery and (
                parent.strong
                or bool(_STRONG_FUNCTION.search(node.name.value))
                or any(_STRONG_DECORATOR.search(code_for(d.decorator)) for d in node.decorators)
                or bool(param_names(node) & DELIVERY_PARAMS)
            )
        names = param_names(node)
        recorder = not test and not parent.crud and "provider" in names and bool(names & _PROVIDER_DATA)
        self._frames.append(_Frame(test, delivery, strong, recorder=recorder))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        frame = self._frames.pop()
        if not frame.test and not frame.delivery and _SLOT_HINT.search(self.ctx.code_for(original_node)):
            if self._module_values is None:
                self._module_values = module_values(self.ctx.module)
            self._check_next_occurrence(build_flow(original_node.body, self.ctx.imports, self._module_values))
        # A supabase insert keyed by an external id records a delivery wherever it is (as the
        # same INSERT in SQL text would), so those functions are read even outside a handler.
        if frame.delivery or frame.recorder or (not frame.test and not frame.crud and _REST_HINT.search(self.ctx.text)):
            if self._module_values is None:
                self._module_values = module_values(self.ctx.module)
            self._check(build_flow(original_node.body, self.ctx.imports, self._module_values, original_node.params), frame)

    def _check_next_occurrence(self, flow: Flow) -> None:
        """A run inserting the next occurrence of its own job (medium: the retry that repeats
        it is the scheduler's, outside this function)."""
        for site in flow.sites:
            key = next_occurrence(site, flow)
            if key is None:
                continue
            insert = Insert(site, "", "django", (key,), ())
            if self._handled(insert, flow):
                continue
            self.report(site.node, message=self._next_message(key), confidence="medium")

    def _next_message(self, key: str) -> str:
        if self.ctx.language == "pt-BR":
            return (
                f"A execução insere a próxima ocorrência do mesmo job (`{key}` = horário anterior + período) sem "
                "chave única: se a execução for repetida (crash antes de apagar a linha antiga, lease expirado), a "
                f"mesma ocorrência entra duas vezes. Crie uma constraint única em (job, {key}) e use "
                "get_or_create / on conflict do nothing."
            )
        return (
            f"This run inserts the next occurrence of the same job (`{key}` = previous slot + period) with no unique "
            "key: when the run is retried (a crash before the old row is deleted, an expired lease), the same "
            f"occurrence is inserted twice. Add a unique constraint on (job, {key}) and use get_or_create / "
            "on conflict do nothing."
        )

    def _signal_receiver(self, node: cst.FunctionDef) -> bool:
        """Django/Celery signal handlers run inside the sender's own call; nothing redelivers."""
        for decorator in node.decorators:
            func = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
            if (self.qname(func) or "").endswith("dispatch.receiver"):
                return True
        names = param_names(node)
        return "sender" in names and ("instance" in names or node.params.star_kwarg is not None)

    # --- IntegrityError guards ---------------------------------------------------------------
    def visit_Try_body(self, node: cst.Try) -> None:
        guard = any(h.type is not None and _GUARD_ERROR.search(self.ctx.code_for(h.type)) for h in node.handlers)
        self._guard_flags.append(guard)

    def leave_Try_body(self, node: cst.Try) -> None:
        self._guard_flags.pop()

    visit_TryStar_body = visit_Try_body  # type: ignore[assignment]
    leave_TryStar_body = leave_Try_body  # type: ignore[assignment]

    def visit_With_body(self, node: cst.With) -> None:
        guard = any(
            isinstance(item.item, cst.Call) and _GUARD_ERROR.search(self.ctx.code_for(item.item)) for item in node.items
        )
        self._guard_flags.append(guard)

    leave_With_body = leave_Try_body  # type: ignore[assignment]

    def visit_Call(self, node: cst.Call) -> None:
        if any(self._guard_flags):
            self._guarded.add(id(node))

    # --- the check ---------------------------------------------------------------------------
    def _check(self, flow: Flow, frame: _Frame) -> None:
        for site in flow.sites:
            insert = self._insert(site, flow)
            if insert is None:
                continue
            keys = self._delivered_keys(insert, flow)
            if insert.orm == "supabase":
                inbox = bool(INBOX_TABLE.search(insert.model)) and not NOT_INBOX_TABLE.search(insert.model)
                if not (keys and (frame.delivery or inbox)) and not (inbox and frame.strong):
                    continue
            elif not frame.delivery:
                if frame.recorder and _inbox_model(insert.model) and not self._handled(insert, flow) and not self._own_effect(insert, flow):
                    self.report(site.node, message=self._message(insert, keys[0] if keys else None), confidence="medium")
                continue
            elif not (keys and frame.delivery) and not (_inbox_model(insert.model) and frame.strong):
                if frame.strong and not keys and self._queued_log(insert, flow) and not self._handled(insert, flow):
                    self.report(site.node, message=self._log_message(insert), confidence="medium")
                elif self._from_request(insert) and not self._handled(insert, flow) and not self._own_effect(insert, flow):
                    # a payment view (return URL, callback by another name) storing what the
                    # request carries: a reload or a resent notification records it again
                    self.report(site.node, message=self._message(insert, None), confidence="medium")
                continue
            if self._handled(insert, flow) or self._own_effect(insert, flow):
                continue
            self.report(site.node, message=self._message(insert, keys[0] if keys else None))

    def _from_request(self, insert: Insert) -> bool:
        """A payment/transaction row whose values are read from the incoming request."""
        return _inbox_model(insert.model) and any(_REQUEST_DATA.search(self.ctx.code_for(v)) for v in insert.values)

    def _queued_log(self, insert: Insert, flow: Flow) -> bool:
        """A handler that stores the raw delivery as a new row (a key minted here) and queues
        the processing by that row: each redelivery becomes one more job. A log processed inline
        (where the processing can dedupe by the event id) is not this shape."""
        if not any(_RAW_DELIVERY.search(self.ctx.code_for(value)) for value in insert.values):
            return False
        name = _bound_name(insert.site, flow)
        if name is None:
            return False
        mention = re.compile(rf"(?<![\w.]){re.escape(name)}\b")
        return any(
            site.index > insert.site.index
            and site.method in _ENQUEUE
            and any(mention.search(self.ctx.code_for(arg.value)) for arg in site.node.args)
            for site in flow.sites
        )

    def _log_message(self, insert: Insert) -> str:
        if self.ctx.language == "pt-BR":
            return (
                f"Cada entrega grava uma nova linha `{insert.model}` (chave criada aqui) e enfileira o processamento "
                "por ela: quando o remetente reenvia, o mesmo evento vira outro job. Guarde o id do evento do "
                "remetente sob uma constraint única e só enfileire quando a linha for nova."
            )
        return (
            f"Each delivery stores a new `{insert.model}` row (its key minted here) and queues the processing by "
            "that row: when the sender redelivers, the same event becomes another job. Store the sender's event id "
            "under a unique constraint and queue only when the row is new."
        )

    def _insert(self, site: Site, flow: Flow) -> Insert | None:
        call = site.node
        rest = rest_write(site, flow)
        if rest is not None:
            if rest.kind != "insert" or not rest.table or not rest.call.args:
                return None  # upsert(..., on_conflict=...) is the idempotent form
            if any(kwarg(rest.call, name) is not None for name in ("upsert", "on_conflict")):
                return None
            rows = _rows(rest.call.args[0].value, flow, site.index)
            return Insert(site, rest.table.lower(), "supabase", *rows)
        if site.method in ("create", "acreate", "bulk_create", "abulk_create"):
            match = _DJANGO_CREATE.match(site.chain) or _RELATED_CREATE.search(site.chain)
            if match is None:
                return self._class_create(site, flow)
            model = _camel(match.group("model"))
            if "bulk_create" not in site.method:
                return Insert(site, model, "django", *_kwargs(call))
            for name in ("ignore_conflicts", "update_conflicts"):
                flag = kwarg(call, name)
                if flag is not None and not (isinstance(flag.value, cst.Name) and flag.value.value in _FALSY):
                    return None
            rows = _constructed(call.args[0].value if call.args else None, flow, site.index)
            return Insert(site, model, "django", *_merged(rows))
        if _CLASS_CREATE.match(site.chain):
            return self._class_create(site, flow)
        if site.method == "insert":
            document = _document(site, flow)
            if document is None:
                return None
            doctype, keys, values = document
            return Insert(site, doctype, "document", keys, values)
        if site.method in ("save", "asave"):
            if kwarg(site.node, "update_fields") is not None or kwarg(site.node, "force_update") is not None:
                return None
            receiver = site.node.func.value if isinstance(site.node.func, cst.Attribute) else None
            rows = _constructed(receiver, flow, site.index, single=True)
            if not rows:
                return None
            if _saved_before(receiver, flow, site):
                return None  # the object's second save updates the row the first one inserted
            keys, values = _kwargs(rows[0][1])
            set_keys, set_values = _attributes_set(receiver, flow, site.index)
            return Insert(site, rows[0][0], "django", keys + set_keys, values + set_values)
        if site.method in ("add", "add_all") and call.args:
            receiver = site.chain.rsplit(".", 1)[0] if "." in site.chain else ""
            if not SESSIONISH.search(receiver):
                return None
            rows = _constructed(call.args[0].value, flow, site.index, single=site.method == "add")
            if not rows:
                return None
            commits = tuple(
                s
                for s in flow.sites
                if s.index > site.index and s.method in ("commit", "flush") and SESSIONISH.search(s.chain.rsplit(".", 1)[0])
            )
            in_begin = any(
                block.start <= site.index < block.end and "begin(" in self.ctx.code_for(block.node.items[0])
                for block in flow.withs
            )
            if not commits and not in_begin:
                return None  # persisted by a caller we cannot see
            return Insert(site, rows[0][0], "sqlalchemy", *_merged(rows), commits=commits)
        return None

    def _class_create(self, site: Site, flow: Flow) -> Insert | None:
        """`Model.create(...)` (peewee, Tortoise, SQLAlchemy mixins) or a model's own factory
        `Model.create_<x>(...)`: a class of this project, not a provider SDK's resource."""
        match = _CLASS_CREATE.match(site.chain)
        if match is None:
            return None
        head = flow.qualify(site.chain).split(".", 1)[0].lower()
        if head in SDK_HEADS or head in PROVIDER_HEADS or match.group("model").isupper():
            return None
        return Insert(site, match.group("model"), "model", *_kwargs(site.node))

    def _handled(self, insert: Insert, flow: Flow) -> bool:
        if id(insert.site.node) in self._guarded or any(id(c.node) in self._guarded for c in insert.commits):
            return True
        word = re.compile(rf"\b{re.escape(insert.model)}\b")
        # The delivered key's value as written (`message_id`): a lookup of the same model by
        # something else (the parent a reply points to) is no check for this delivery.
        delivered = set(self._delivered_keys(insert, flow))
        key_values = [
            re.compile(rf"(?<![\w.]){re.escape(self.ctx.code_for(v))}(?!\w)(?!\s*=[^=])")
            for k, v in zip(insert.keys, insert.values)
            if k in delivered
        ]
        for site in flow.sites:
            if site.index >= insert.site.index:
                break
            if site.method in ("exists", "aexists") and ".filter" in site.chain:
                return True  # a dedup lookup, possibly in a separate processed-events table
            if _DEDUP_HELPER.search(site.method) or is_claim(site):
                return True
            text = self.ctx.code_for(site.node)
            lookup = (
                site.method in _READ_METHODS or ".filter" in site.chain or ".query(" in text or "select(" in text
            )
            if lookup and word.search(text) and not _WRITE_CHAIN.search(site.chain):
                if key_values and not any(value.search(text) for value in key_values):
                    continue
                return True
        return False

    def _delivered_keys(self, insert: Insert, flow: Flow) -> list[str]:
        """Fields of the row that carry a delivered identity: a provider/event key by name, a
        foreign-reference field (`external_reference`, `message_id`) filled from a parameter, or
        any field filled with the payload's own id (`source_event=event["id"]`)."""
        found = []
        for key, value in zip(insert.keys, insert.values):
            if EXTERNAL_KEY.match(key):
                found.append(key)
            elif _from_parameter(value, flow, insert.site.index) and (
                _FOREIGN_FIELD.search(key) or _reads_payload_id(value)
            ):
                found.append(key)
        return found

    def _own_effect(self, insert: Insert, flow: Flow) -> bool:
        """Does a value come from an outbound call this function just made (a charge, a send)?"""
        for value in insert.values:
            root = _root_name(value)
            if root is None:
                continue
            bound = flow.value_of(root, insert.site.index)
            if isinstance(bound, cst.Await):
                bound = bound.expression
            if not isinstance(bound, cst.Call):
                continue
            for site in flow.sites:
                if site.node is bound:
                    if _sdk_create(site, flow) or payment_call(site, flow, self.ctx) or side_effect(site, flow, self.ctx):
                        return True
                    break
        return False

    # --- message -----------------------------------------------------------------------------
    def _message(self, insert: Insert, key: str | None) -> str:
        model = insert.model
        column = key or "event_id"
        if insert.orm == "supabase":
            where = self.ctx.code_for(insert.site.node.func).removesuffix(".execute")
            if len(where) > 60:
                where = f'.table("{model}").insert(...)'
            statement = f'.table("{model}").upsert(row, on_conflict="{column}", ignore_duplicates=True)'
            fix_en = f"write it with `{statement}`, skipping the work when no row comes back"
            fix_pt = f"grave com `{statement}`, pulando o trabalho quando nenhuma linha voltar"
        elif insert.orm == "sqlalchemy":
            where = f"session.add({model}(...))"
            statement = f"insert({model}).values(...).on_conflict_do_nothing(index_elements=[\"{column}\"])"
            fix_en = f"insert with `{statement}` (sqlalchemy.dialects.postgresql), skipping the work when no row was inserted"
            fix_pt = f"insira com `{statement}` (sqlalchemy.dialects.postgresql), pulando o trabalho se nenhuma linha entrou"
        elif insert.orm == "model":
            where = insert.site.chain + "(...)"
            fix_en = "look the row up by that id before creating it (get-or-create, or INSERT ... ON CONFLICT DO NOTHING), skipping the work when it exists"
            fix_pt = "procure a linha por esse id antes de criá-la (get-or-create, ou INSERT ... ON CONFLICT DO NOTHING), pulando o trabalho quando ela existir"
        else:
            if insert.site.method in ("save", "asave"):
                where = f"{model}(...).{insert.site.method}()"
            else:
                where = insert.site.chain.replace("()", "(...)") + "(...)"
            call = f"{model}.objects.get_or_create({column}=..., defaults={{...}})"
            fix_en = f"use `{call}`, skipping the work when `created` is False (or `bulk_create(..., ignore_conflicts=True)`)"
            fix_pt = f"use `{call}`, pulando o trabalho quando `created` for False (ou `bulk_create(..., ignore_conflicts=True)`)"
        if self.ctx.language == "pt-BR":
            what = f"chaveado por `{key}`" if key else f"uma linha de `{model}`"
            unique = f"Crie uma constraint única em `{key}`" if key else "Guarde o id do evento do remetente com constraint única"
            return (
                f"`{where}` grava algo que chega de novo em retentativas ({what}) sem tratar conflito: a reentrega "
                f"insere outra vez ou falha na chave única e continua sendo reenviada. {unique} e {fix_pt}."
            )
        what = f"keyed by `{key}`" if key else f"a `{model}` row"
        unique = f"Put a unique constraint on `{key}`" if key else "Store the sender's event id under a unique constraint"
        return (
            f"`{where}` records something that is delivered again on retries ({what}) with no conflict handling: "
            f"a redelivery inserts it twice or fails on the unique key and keeps coming back. {unique} and {fix_en}."
        )


# RuleMeta is the SQL rule's: assigned after the class body so it is not registered twice.
OrmInsertWithoutConflict.META = SQL_META  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------
# shapes


def _sdk_create(site: Site, flow: Flow) -> bool:
    """An object our code just created at a provider (`stripe.checkout.Session.create`,
    `client.checkout.sessions.create`): its id is new on every retry."""
    if site.method not in _SDK_CREATES:
        return False
    if flow.qualify(site.chain).split(".")[0].lower() in SDK_HEADS:
        return True
    return ".objects" not in site.chain and bool(import_heads(flow) & SDK_HEADS) and not site.chain[:1].isupper()


def _rows(node: cst.BaseExpression, flow: Flow, before: int) -> tuple[tuple[str, ...], tuple[cst.BaseExpression, ...]]:
    """Keys and values of the row(s) a supabase insert writes: a dict, a name bound to one, or a
    list of them."""
    if isinstance(node, cst.Name):
        node = flow.value_of(node.value, before) or node
    dicts = [node]
    if isinstance(node, (cst.List, cst.Tuple)):
        dicts = [e.value for e in node.elements]
    keys: list[str] = []
    values: list[cst.BaseExpression] = []
    for row in dicts:
        if isinstance(row, cst.Dict):
            for element in row.elements:
                key = string_text(element.key) if isinstance(element, cst.DictElement) else None
                if key is not None:
                    keys.append(key)
                    values.append(element.value)
    return tuple(keys), tuple(values)


def _kwargs(call: cst.Call) -> tuple[tuple[str, ...], tuple[cst.BaseExpression, ...]]:
    named = [a for a in call.args if a.keyword is not None]
    return tuple(a.keyword.value for a in named), tuple(a.value for a in named)  # type: ignore[union-attr]


def _merged(rows: list[tuple[str, cst.Call]]) -> tuple[tuple[str, ...], tuple[cst.BaseExpression, ...]]:
    keys: list[str] = []
    values: list[cst.BaseExpression] = []
    for _, call in rows:
        k, v = _kwargs(call)
        keys += k
        values += v
    return tuple(keys), tuple(values)


def _constructed(
    node: cst.BaseExpression | None, flow: Flow, before: int, single: bool = False
) -> list[tuple[str, cst.Call]]:
    """(model, constructor call) of the objects an expression builds: `Model(...)`, a name bound
    to one, or (unless `single`) a list/comprehension of them."""
    if isinstance(node, cst.Name):
        node = flow.value_of(node.value, before)
    if isinstance(node, cst.Call):
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        return [(name, node)] if name[:1].isupper() and not name.isupper() else []
    if single:
        return []
    if isinstance(node, (cst.List, cst.Tuple)):
        rows: list[tuple[str, cst.Call]] = []
        for element in node.elements:
            rows += _constructed(element.value, flow, before, single=True)
        return rows
    if isinstance(node, (cst.ListComp, cst.GeneratorExp)):
        return _constructed(node.elt, flow, before, single=True)
    return []


def _from_parameter(value: cst.BaseExpression, flow: Flow, before: int, depth: int = 0) -> bool:
    """The value is read from one of the function's parameters (other than self/cls), directly
    or through a local bound from one (`message_id = message.get("Message-Id")`)."""
    roots = []
    if isinstance(value, (cst.List, cst.Tuple)):
        roots = [_root_name(e.value) for e in value.elements]
    else:
        roots = [_root_name(value)]
    for root in roots:
        if root is None or root in ("self", "cls"):
            continue
        if root in flow.params and not flow.bound_here(root):
            return True
        bound = flow.value_of(root, before) if flow.bound_here(root) else None
        if bound is not None and depth < 3 and bound is not value and _from_parameter(bound, flow, before, depth + 1):
            return True
    return False


def _reads_payload_id(value: cst.BaseExpression) -> bool:
    """`event["id"]`, `message.get("Message-ID")`, `payload.id`: the payload's own identity."""
    if isinstance(value, cst.Subscript) and len(value.slice) == 1:
        index = value.slice[0].slice
        key = string_text(index.value) if isinstance(index, cst.Index) else None
        return bool(key and _PAYLOAD_ID.match(key))
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "get" and value.args:
        key = string_text(value.args[0].value)
        return bool(key and _PAYLOAD_ID.match(key))
    if isinstance(value, cst.Attribute):
        # `order.id` is a model's own key; only a parsed delivery (`event.id`) carries the sender's
        return (
            bool(_PAYLOAD_ID.match(value.attr.value))
            and isinstance(value.value, cst.Name)
            and value.value.value.lower() in _PAYLOAD_PARAMS
        )
    return False


def _saved_before(receiver: cst.BaseExpression | None, flow: Flow, site: Site) -> bool:
    if not isinstance(receiver, cst.Name):
        return False
    return any(
        s.index < site.index and s.method in ("save", "asave") and s.chain == f"{receiver.value}.{s.method}"
        for s in flow.sites
    )


def _attributes_set(receiver: cst.BaseExpression | None, flow: Flow, before: int) -> tuple[tuple[str, ...], tuple[cst.BaseExpression, ...]]:
    """Fields set on the object between its construction and its save (`msg = Message();
    msg.message_id = ...; msg.save()`): they are inserted as much as constructor keywords."""
    if not isinstance(receiver, cst.Name):
        return (), ()
    pairs = [
        (target.attr.value, value)
        for index, target, value in flow.attr_assigns
        if index <= before and isinstance(target.value, cst.Name) and target.value.value == receiver.value
    ]
    return tuple(k for k, _ in pairs), tuple(v for _, v in pairs)


def _root_name(node: cst.BaseExpression) -> str | None:
    for _ in range(16):
        if isinstance(node, cst.Name):
            return node.value
        if isinstance(node, (cst.Attribute, cst.Subscript)):
            node = node.value
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            node = node.func.value  # `charge.get("id")`
        else:
            return None
    return None


# Values that carry the delivery itself: its body, form fields, headers or payload.
_RAW_DELIVERY = re.compile(
    r"json\.dumps|form_dict|\bpayload\b|\bbody\b|request\.(?:data|POST|GET|json|body|form|headers)|\bheaders\b|\braw\b"
)
_REQUEST_DATA = re.compile(r"\brequest\.(?:POST|GET|data|json|form|args|values|query_params)\b|\bform_dict\b")
_ENQUEUE = frozenset(
    "enqueue enqueue_call enqueue_in enqueue_at enqueue_doc delay apply_async send_task async_task defer kiq".split()
)
_DOCUMENT = re.compile(r"(?:^|\.)(?:get_doc|new_doc)\(\)$")


def _document(site: Site, flow: Flow) -> tuple[str, tuple[str, ...], tuple[cst.BaseExpression, ...]] | None:
    """(doctype, keys, values) of a document built from a dict and inserted:
    `frappe.get_doc({"doctype": "X", ...}).insert()`, or through a name bound to it."""
    receiver_node = site.node.func.value if isinstance(site.node.func, cst.Attribute) else None
    if isinstance(receiver_node, cst.Name):
        receiver_node = flow.value_of(receiver_node.value, site.index)
    if not isinstance(receiver_node, cst.Call) or not _DOCUMENT.search(_chain(receiver_node.func) + "()"):
        return None
    if not receiver_node.args or not isinstance(receiver_node.args[0].value, cst.Dict):
        return None
    keys, values = _rows(receiver_node.args[0].value, flow, site.index)
    doctype = next((string_text(v) for k, v in zip(keys, values) if k == "doctype"), None)
    if not doctype:
        return None
    pairs = [(k, v) for k, v in zip(keys, values) if k != "doctype"]
    return doctype, tuple(k for k, _ in pairs), tuple(v for _, v in pairs)


def _chain(func: cst.BaseExpression) -> str:
    parts = []
    while isinstance(func, cst.Attribute):
        parts.append(func.attr.value)
        func = func.value
    if isinstance(func, cst.Name):
        parts.append(func.value)
    return ".".join(reversed(parts))


def _bound_name(site: Site, flow: Flow) -> str | None:
    """The name that holds the inserted row: `doc = ....insert()` or the receiver of `doc.insert()`."""
    func = site.node.func
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        return func.value.value
    for name, bindings in flow.values.items():
        if any(value is site.node or (isinstance(value, cst.Await) and value.expression is site.node) for _, value in bindings):
            return name
    return None


def _camel(name: str) -> str:
    """`payment` (from `order.payment_set`) -> `Payment`; CamelCase names are kept."""
    return name if name[:1].isupper() else "".join(part.capitalize() for part in name.split("_"))


def _inbox_model(model: str) -> bool:
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", model).lower()
    return bool(_INBOX_MODEL.search(snake)) and not NOT_INBOX_TABLE.search(snake) and not _LOG_MODEL.search(snake)
