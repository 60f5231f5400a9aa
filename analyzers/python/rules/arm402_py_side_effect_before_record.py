"""ARM402: an external side effect performed first and recorded in the database afterwards."""
from __future__ import annotations

import re

import libcst as cst

from ...catalog import Example, RuleMeta, Text
from ..rule import PythonRule
from ._call_args import flow_text_has
from ._db_writes import db_write, is_claim, is_record, pending_marks
from ._effect_calls import known_harmless
from ._side_effects import side_effect
from ._effects_flow import AllOf, Flow, FlowRule, Site, runs_after
from ._effects_marker import guarded_marks, helper_marks
from ._effect_cache_marks import cache_mark
from ._effect_records import writer_calls
from ._effect_sent_stamps import stamped_after
from ._effect_returned_ids import keeper_record, result_stored, storage_write, stored_reference
from ._effect_states import state_recorded_after
from ._effects_named import named_money_call, records_by_name
from ._mail_sends import consumes_source, flagged_after, outside_loop, saves_flagged
from ._token_refresh import stores_result

_OUTBOX = re.compile(r"outbox", re.I)

_KIND = {
    "email": ("sends a message", "envia uma mensagem"),
    "sms": ("sends an SMS", "envia um SMS"),
    "payment": ("makes a payment call", "faz uma chamada de pagamento"),
    "http": ("makes an HTTP write to another service", "faz uma escrita HTTP em outro serviço"),
    "queue": ("publishes to a queue", "publica numa fila"),
    "push": ("sends a push notification", "envia uma notificação push"),
    "token": ("refreshes a token at the provider (which may retire the old refresh token)",
              "renova um token no provedor (que pode invalidar o refresh token antigo)"),
    "dispatch": (
        "calls a method whose every implementation in the project performs an external effect (a send, a publish, "
        "a remote write)",
        "chama um método cujas implementações no projeto fazem, todas, um efeito externo (um envio, um publish, "
        "uma escrita remota)",
    ),
    "remote": ("call creates something in another system (it hands back the identifier stored later)",
               "faz uma chamada que cria algo em outro sistema (devolve o identificador gravado depois)"),
}

META = RuleMeta(
    id="ARM402",
    slug="py-side-effect-before-record",
    family="non-idempotent",
    language="python",
    section_key="non-idempotent",
    message=Text(
        en="Side effect performed before it is recorded: a crash in between makes the retry repeat it. "
        "Record the intent first (outbox row) and perform it from an idempotent worker.",
        pt_BR="Efeito colateral executado antes de ser registrado: um crash no meio faz o retry repeti-lo. "
        "Registre a intenção primeiro (linha de outbox) e execute-o num worker idempotente.",
    ),
    why=Text(
        en="Processes crash, get killed on deploy and time out between any two lines. When the email, "
        "payment or publish happens first and the row that says \"done\" is written afterwards, a crash "
        "in between leaves no trace of the effect: the task queue, the webhook sender or the user "
        "retries, and the customer gets the email (or the charge) twice.",
        pt_BR="Processos caem, são mortos no deploy e estouram timeout entre quaisquer duas linhas. Se o "
        "email, o pagamento ou o publish vem primeiro e a linha que diz \"feito\" é gravada depois, um "
        "crash no meio não deixa rastro do efeito: a fila de tarefas, o remetente do webhook ou o usuário "
        "tenta de novo e o cliente recebe o email (ou a cobrança) duas vezes.",
    ),
    use_instead=Text(
        en="Write the intent first, in the request's transaction: `insert into email_outbox (user_id, kind) "
        "values (%s, 'welcome') on conflict (user_id, kind) do nothing`. A worker then claims outbox rows "
        "and performs the effect with a provider idempotency key derived from the row, so a repeat is "
        "harmless.",
        pt_BR="Grave a intenção primeiro, na transação da requisição: `insert into email_outbox (user_id, kind) "
        "values (%s, 'welcome') on conflict (user_id, kind) do nothing`. Um worker então reivindica as "
        "linhas do outbox e executa o efeito com uma chave de idempotência do provedor derivada da linha, "
        "de modo que uma repetição não faz mal.",
    ),
    when_fine=Text(
        en="Record-first code: the insert/update (or an `on conflict do nothing` / Redis `SET NX` claim) "
        "comes before the effect, or the function works an outbox. Effects that carry an idempotency key "
        "(the retry is harmless). Records written only in an `except` handler (they record the failure). "
        "Enqueuing a Celery/RQ task (`.delay`, `.apply_async`) is not treated as an external effect: the "
        "task runs inside your system and is where the idempotency belongs.",
        pt_BR="Código que registra primeiro: o insert/update (ou um claim `on conflict do nothing` / Redis "
        "`SET NX`) vem antes do efeito, ou a função processa um outbox. Efeitos com chave de idempotência "
        "(o retry é inofensivo). Registros gravados só num `except` (registram a falha). Enfileirar uma "
        "tarefa Celery/RQ (`.delay`, `.apply_async`) não conta como efeito externo: a tarefa roda dentro "
        "do seu sistema e é lá que a idempotência deve estar.",
    ),
    bad=(
        Example(
            code='''from django.core.mail import send_mail

from .models import User


def send_welcome_email(user_id):
    user = User.objects.get(pk=user_id)
    send_mail("Welcome!", "Glad you are here.", "hello@example.com", [user.email])
    User.objects.filter(pk=user_id).update(welcome_sent=True)
''',
            lines=(8,),
        ),
        Example(
            code='''import stripe


def process_payment(conn, payment):
    charge = stripe.Charge.create(amount=payment.amount, currency="usd", source=payment.token)
    with conn.cursor() as cur:
        cur.execute(
            "insert into payments (order_id, charge_id, amount) values (%s, %s, %s)",
            (payment.order_id, charge.id, payment.amount),
        )
    conn.commit()
''',
            lines=(5,),
        ),
    ),
    good=(
        Example(
            code='''def request_welcome_email(conn, user_id):
    with conn.cursor() as cur:
        cur.execute(
            "insert into email_outbox (user_id, kind) values (%s, 'welcome') "
            "on conflict (user_id, kind) do nothing",
            (user_id,),
        )
    conn.commit()
''',
        ),
        Example(
            code='''from django.core.mail import send_mail

from .models import User


def send_welcome_email(user_id):
    claimed = User.objects.filter(pk=user_id, welcome_sent=False).update(welcome_sent=True)
    if claimed:
        user = User.objects.get(pk=user_id)
        send_mail("Welcome!", "Glad you are here.", "hello@example.com", [user.email])
''',
        ),
    ),
    extra_good=(
        Example(
            code='''from .tasks import send_receipt


def checkout(order):
    send_receipt.delay(order.id)
    order.status = "paid"
    order.save()
''',
        ),
    ),
)


def _encloses(record: Site, effect: Site) -> bool:
    """The record sits in a block the effect also runs in (not in a sibling branch that ended
    before the effect's own block began)."""
    return effect.path[: len(record.path)] == record.path


def _case(step, flow: Flow) -> tuple[str, str] | None:
    """(subject, literal) of an `if subject == "literal":` body step."""
    if step[0] != "if" or step[2] != "body" or step[1] not in flow.if_tests:
        return None
    test = flow.if_tests[step[1]][2].test
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    compare = test.comparisons[0]
    if not isinstance(compare.operator, cst.Equal) or not isinstance(compare.comparator, cst.SimpleString):
        return None
    return cst.Module([]).code_for_node(test.left), compare.comparator.evaluated_value


def _exclusive(first: Site, second: Site, flow: Flow) -> bool:
    """Two blocks of one dispatch on a value (`if event_type == "invoice.paid": ...` then
    `if event_type == "customer.subscription.deleted": ...`): never both in one run."""
    common = 0
    for a, b in zip(first.path, second.path):
        if a != b:
            break
        common += 1
    if common >= len(first.path) or common >= len(second.path):
        return False
    one, two = _case(first.path[common], flow), _case(second.path[common], flow)
    return one is not None and two is not None and one[0] == two[0] and one[1] != two[1]


def _outcome_report(record: Site, effect: Site) -> bool:
    """`if failed: self._email_failure(task)` and then, after the `if`, `self._add_task(task_id=...,
    status=...)`: a keeper call that runs whether or not the effect did reports the work's outcome
    (to a scheduler, a registry), not that this effect happened, so it is no record of it."""
    if storage_write(record) or not keeper_record(record):
        return False
    depth = len(record.path)
    return effect.path[:depth] == record.path and any(step[0] == "if" for step in effect.path[depth:])


class SideEffectBeforeRecord(FlowRule, PythonRule):
    META = META
    TRIGGERS = AllOf(  # type: ignore[assignment]
        r"send_|sendmail|basic_publish|\.publish\(|producer|Producer|EmailMessage|EmailMultiAlternatives|\.send\("
        r"|\.deliver\(|messages\.create|chat_postMessage|messaging|notify_|PushClient|stripe|adyen|Adyen|mercadopago|pagarme|paypal|PayPal|braintree|mpesa"
        r"|\.post\(|\.put\(|\.patch\(|\.request\(|mail_admins|mail_managers"
        r"|charge|capture_|refund|payout|stk_push|_txn|_transaction\(|transfer_|pay_|_payments?\(|authori[sz]e_|create_order"
        r"|urlopen|refresh_token|refresh_access_token|refresh_oauth_token|refresh_auth_token"
        # a flag or a method named for the sending, after a send-named call (rules/_mail_sends)
        r"|_sent(?:ed)?\w*\s*=[^=]|_sent\(|\.dispatch\("
        # an identifier handed back by a call and stored (rules/_effect_returned_ids)
        r"|_(?:ids?|uuid|urls?|uri|number|ref|reference|ts|arn|sid)\b['\"]?\s*[=:]|Id\b['\"]?\s*[=:]"
        # ... or kept by a setter named for it (`run.set_job_id(handle)`, rules/_effect_id_handoffs)
        r"|_(?:ids?|uuid|urls?|uri|number|ref|reference|arn|sid)\(",
        r"\.save\(|objects\.|\.create\(|_or_create\(|\.commit\(|\.execute|\.fetch|\.query\(|\.update\("
        r"|_update\(|_create\(|\.add\(|\.run\(|\.(?:add|save|record|store|insert|persist|register|link|attach|associate|set|mark)(?:_|[A-Z])"
        r"|place_order|order_placement|mark_\w+\(|_updates\(|_log\("
        # the marks of _effects_marker: a dedupe lookup, or a sent/done state set by a helper
        r"|return cls\.|return self\.[a-z_]+\n|\.exists\(\)|\.first\(\)|[\"'](?:sent|delivered|notified|done|completed?|success(?:ful)?|processed)[\"']"
        r"|\b(?:is_|was_)?(?:sent|delivered|notified)\s*=[^=]"
        # a sent stamp set on an object (rules/_effect_sent_stamps)
        r"|_(?:sent|notified|delivered|emailed|mailed|texted)(?:_at|_on|_date|_time|_timestamp)?\s*=[^=]"
        # ... or a flag or a method named for the sending (rules/_mail_sends)
        r"|_sent(?:ed)?\w*\s*=[^=]|_sent\("
        # a mark kept in a cache or Redis (rules/_effect_cache_marks)
        r"|\.(?:set|setex|psetex|set_many|hset|hmset|sadd|delete|hdel)\(",
    )

    def check(self, flow: Flow) -> None:
        effects = []
        named: list[Site] = []
        for site in flow.sites:
            effect = side_effect(site, flow, self.ctx)
            if effect is not None:
                effects.append(effect)
            elif named_money_call(site, flow, self.ctx) and not known_harmless(site, self.ctx):
                named.append(site)
        if flow_text_has(flow, self.ctx, _OUTBOX):
            return
        if not (effects or named):
            self._check_returned_ids(flow)
            return
        marks = pending_marks(flow)
        records: list[Site] = []
        for site in flow.sites:
            if is_claim(site):
                records.append(site)
                continue
            if storage_write(site) or keeper_record(site):  # `self.db.add(row)`, `dataset.add_task(task_id)`
                records.append(site)
                continue
            write = db_write(site, flow, self.ctx, pending=any(m <= site.index for m in marks))
            if write is not None and is_record(write):
                records.append(site)
        for effect in effects:
            site = effect.site
            flagged = flagged_after(site, flow)
            # Recorded first only by a write that runs whenever the effect does: a save in an
            # earlier, finished `if` (a first-payment stamp) says nothing about this send.
            earlier = [
                r for r in records
                if runs_after(r, site, flow) and not saves_flagged(r, flagged) and _encloses(r, site)
            ]
            if any(is_claim(r) or not outside_loop(r, site, flow) for r in earlier):
                continue  # recorded (or claimed) first
            # Only a batch marked before the per-item loop: which items were done is not recorded.
            batch_only = bool(earlier)
            consumed = [r for r in flow.sites if consumes_source(r, site, flow)]
            later = next(
                (r for r in sorted(records + consumed, key=lambda r: r.index)
                 if runs_after(site, r, flow) and self._stores(effect, r, flow) and not _exclusive(site, r, flow)
                 and not _outcome_report(r, site)),
                None,
            )
            confidence = "medium" if batch_only else "high"
            if later is None:
                later = next((r for r in guarded_marks(flow, site) if runs_after(site, r, flow)), None)
            if later is None:
                later = next((r for r in helper_marks(flow, site, self.ctx) if runs_after(site, r, flow)), None)
                confidence = "medium"
            if later is None and not earlier:
                later = next(iter(writer_calls(flow, site, self.ctx)), None)
            if later is None and not earlier:
                later = result_stored(site, flow, self.ctx)  # its returned id, kept by a helper handed it
            if later is None and not earlier:  # `phone.sms_sent_at = now()`: flushed by the session later
                later = stamped_after(site, flow)
                confidence = "medium" if later is not None else confidence
            where = "database"
            if later is None and not earlier:  # `cache.set(notified_key, True)`: the mark kept in a cache
                later = next(
                    (r for r in flow.sites if cache_mark(r, site, flow) and runs_after(site, r, flow)
                     and not _exclusive(site, r, flow)),
                    None,
                )
                confidence, where = ("medium", "cache") if later is not None else (confidence, where)
            if later is not None:
                if effect.confidence == "medium":
                    confidence = "medium"
                self.report(
                    site.node, message=self._message(effect.kind, self.line_of(later.node), where), confidence=confidence
                )
                continue
            state = state_recorded_after(site, flow) if not earlier else None
            if state is not None:  # the runner persists the state this handler returns
                self.report(site.node, message=self._state_message(effect.kind, self.line_of(state)), confidence="medium")
        if named:
            self._check_named(flow, named, records)
        self._check_returned_ids(flow, skip={id(e.site.node) for e in effects} | {id(s.node) for s in named})

    def _check_returned_ids(self, flow: Flow, skip: frozenset | set = frozenset()) -> None:
        """A collaborator's call whose returned identifier is stored afterwards (medium: the
        effect is known by what it hands back, not by what the callee is)."""
        for site in flow.sites:
            if id(site.node) in skip:
                continue
            record = stored_reference(site, flow, self.ctx)
            if record is not None:
                self.report(site.node, message=self._message("remote", self.line_of(record.node)), confidence="medium")

    def _stores(self, effect, record: Site, flow: Flow) -> bool:
        """A refreshed token counts as recorded late only by a save of the new token itself."""
        return effect.kind != "token" or stores_result(effect.site, record, flow, self.ctx.code_for)

    def _check_named(self, flow: Flow, named: list[Site], records: list[Site]) -> None:
        """Money moved by a wrapper known only by its name, then recorded: medium confidence.
        The project's own record helpers (`mark_as_paid()`, `place_order()`) count here."""
        records = records + [s for s in flow.sites if s not in records and records_by_name(s, flow, self.ctx)]
        for site in named:
            # Recorded first only by a write that runs whenever the payment does: a setting
            # cached in an earlier `if` says nothing about this payment.
            if any(
                runs_after(record, site, flow) and site.path[: len(record.path)] == record.path
                for record in records
                if record is not site
            ):
                continue
            later = next((r for r in records if r is not site and runs_after(site, r, flow)), None)
            if later is not None:
                self.report(
                    site.node,
                    message=self._message("payment", self.line_of(later.node)),
                    confidence="medium",
                )

    # The record is the state a handler returns, which its runner writes afterwards.
    _STATE_TEXT = {
        "pt-BR": "Este handler {what} e só depois devolve o próximo estado (linha {line}), que o executor grava "
        "ao fim: um crash ou lease perdido no meio faz o handler rodar de novo e repetir o efeito. Grave a "
        "intenção antes (outbox com on conflict do nothing) ou envie com uma chave de idempotência.",
        "en": "This handler {what} and only then returns its next state (line {line}), which the runner writes "
        "afterwards: a crash or a lost lease in between runs the handler again and repeats the effect. Record "
        "the intent first (outbox row with on conflict do nothing) or send with an idempotency key.",
    }

    def _state_message(self, kind: str, line: int) -> str:
        en, pt = _KIND.get(kind, _KIND["http"])
        pt_br = self.ctx.language == "pt-BR"
        return self._STATE_TEXT["pt-BR" if pt_br else "en"].format(what=pt if pt_br else en, line=line)

    _WHERE = {"database": ("in the database", "no banco"), "cache": ("in a cache or Redis", "num cache ou no Redis")}

    def _message(self, kind: str, line: int, where: str = "database") -> str:
        en, pt = _KIND.get(kind, _KIND["http"])
        where_en, where_pt = self._WHERE[where]
        if self.ctx.language == "pt-BR":
            return (
                f"Este código {pt} e só registra {where_pt} depois (linha {line}): um crash entre os dois faz o "
                "retry repetir o efeito. Grave a intenção antes (outbox com on conflict do nothing) e execute "
                "o efeito num worker idempotente."
            )
        return (
            f"This {en} and only records it {where_en} afterwards (line {line}): a crash in between makes "
            "the retry repeat the effect. Record the intent first (outbox row with on conflict do nothing) and "
            "perform the effect from an idempotent worker."
        )


