"""ARM201: a distributed lock or lease guarding a write that carries no fencing token."""
from __future__ import annotations

import re

import libcst as cst

from ...build import RawFinding
from ...catalog import Example, RuleMeta, Text
from ..rule import PythonRule
from ._call_args import flow_text_has
from ._db_writes import sql_of
from ._effects_flow import Flow, FlowRule
from ._lease_claims import leased_claims
from ._lease_documents import lease_document_claims
from ._lease_rows import expiring_insert_claims
from ._lease_sessions import kazoo_lock_acquisitions
from ._lifetime_claims import lock_class_claims, lifetime_lock_holds
from ._lifetime_lock_apis import lifetime_lock_api_acquisitions
from ._lock_backends import lock_backend_acquisitions
from ._row_locks import expiring_row_locks
from ._stale_file_locks import stale_file_locks
from ._lock_zset_leases import zset_leases
from ._lock_decorators import decorators_for
from ._lock_helpers import HelperIndex
from ._lock_lifetimes import has_lifetime
from ._lock_model import Acquisition
from ._lock_work import work_out_of_sight
from ._lock_writes import LockFinder
from ._lua_locks import lua_lock_script, lua_set_offset

# A token the holder could pass on: drawn from a counter or sequence, or named for fencing.
_MONOTONIC = re.compile(r"fenc|nextval|\.incr\(|\bincr\(|epoch|generation|last_token", re.I)

META = RuleMeta(
    id="ARM201",
    slug="py-lock-unfenced",
    family="unfenced-lock",
    language="python",
    section_key="unfenced-lock",
    message=Text(
        en="Distributed lock guards a write that carries no fencing token: after a pause longer than the "
        "lease, a stale holder overwrites the new holder's work. Take a monotonic token with the lock "
        "and make the storage reject older ones.",
        pt_BR="Lock distribuído protege uma escrita sem fencing token: após uma pausa maior que o lease, "
        "um dono antigo sobrescreve o trabalho do novo dono. Obtenha um token monotônico com o lock e "
        "faça o storage rejeitar tokens menores.",
    ),
    why=Text(
        en="A Redis lock, Redlock or lease row expires by time. A GC pause, a slow request or a stalled "
        "VM can outlast the lease; another worker then takes the lock and writes, and when the first "
        "worker resumes it still believes it holds the lock and writes too. Nothing in the write tells "
        "the storage which holder is current, so the older write silently wins.",
        pt_BR="Lock Redis, Redlock ou linha de lease expira por tempo. Uma pausa de GC, uma requisição "
        "lenta ou uma VM travada pode durar mais que o lease; outro worker pega o lock e escreve, e quando "
        "o primeiro volta ainda acredita ter o lock e escreve também. Nada na escrita diz ao storage qual "
        "dono é o atual, então a escrita antiga vence sem aviso.",
    ),
    use_instead=Text(
        en="Get a fencing token from a monotonic source when you take the lock (`select "
        "nextval('fencing_tokens_seq')`, or `INCR` on a counter) and pass it with every write; the storage "
        "keeps the last token it accepted and rejects smaller ones (`update ... set last_token = %s ... "
        "where id = %s and last_token < %s`). When the lock and the data live in one Postgres transaction, "
        "`pg_advisory_xact_lock` is enough.",
        pt_BR="Obtenha um fencing token de uma fonte monotônica ao pegar o lock (`select "
        "nextval('fencing_tokens_seq')` ou `INCR` num contador) e envie-o em cada escrita; o storage guarda o "
        "último token aceito e rejeita os menores (`update ... set last_token = %s ... where id = %s and "
        "last_token < %s`). Quando lock e dados ficam numa só transação Postgres, `pg_advisory_xact_lock` basta.",
    ),
    when_fine=Text(
        en="In-process locks (`threading.Lock`, `asyncio.Lock`, `multiprocessing.Lock`, file locks); locks that "
        "guard no write (deduplicating reads); writes whose SQL compares a token/fence column with a "
        "parameter, or that pass the fencing token to the write (`fencing_token=token`); "
        "`pg_advisory_xact_lock` with the writes in the same transaction.",
        pt_BR="Locks de processo (`threading.Lock`, `asyncio.Lock`, `multiprocessing.Lock`, locks de arquivo); "
        "locks que não protegem escrita (só deduplicam leituras); escritas cujo SQL compara uma coluna "
        "token/fence com um parâmetro, ou que passam o fencing token para a escrita (`fencing_token=token`); "
        "`pg_advisory_xact_lock` com as escritas na mesma transação.",
    ),
    bad=(
        Example(
            code='''import redis

r = redis.Redis()


def rebuild_report(conn, report_id, value):
    if r.set(f"lock:report:{report_id}", "1", nx=True, ex=30):
        expensive = compute(value)
        with conn.cursor() as cur:
            cur.execute("update reports set body = %s where id = %s", (expensive, report_id))
        conn.commit()
        r.delete(f"lock:report:{report_id}")
''',
            lines=(10,),
        ),
        Example(
            code='''from redis import Redis

redis_client = Redis.from_url("redis://cache:6379/0")


def sync_inventory(s3, sku, payload):
    with redis_client.lock(f"inventory:{sku}", timeout=30):
        s3.put_object(Bucket="inventory", Key=f"{sku}.json", Body=payload)
''',
            lines=(8,),
        ),
    ),
    good=(
        Example(
            code='''import threading

_lock = threading.Lock()


def bump(conn, counter_id):
    with _lock:
        with conn.cursor() as cur:
            cur.execute("update counters set n = n + 1 where id = %s", (counter_id,))
''',
        ),
        Example(
            code='''import redis

r = redis.Redis()


def rebuild_report(conn, report_id, value):
    with r.lock(f"report:{report_id}", timeout=30):
        with conn.cursor() as cur:
            cur.execute("select nextval('fencing_tokens_seq')")
            token = cur.fetchone()[0]
            cur.execute(
                "update reports set body = %s, last_token = %s where id = %s and last_token < %s",
                (compute(value), token, report_id, token),
            )
''',
        ),
    ),
    extra_good=(
        Example(
            code='''def move_funds(conn, src, dst, amount):
    with conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(%s)", (src,))
        cur.execute("update accounts set balance = balance - %s where id = %s", (amount, src))
        cur.execute("update accounts set balance = balance + %s where id = %s", (amount, dst))
    conn.commit()
''',
        ),
    ),
)


_DELETES = re.compile(r"^(?:delete|delete_many|delete_one|delete_object|delete_objects|remove|unlink|rmtree|srem|hdel|zrem)$")


def _deletes(write, flow: Flow) -> bool:
    """The write removes something (an ORM or SQL delete, a file, a set member)."""
    sql = sql_of(write.site, flow)
    if sql is not None:
        return bool(re.match(r"\s*delete\b", sql, re.I))
    return bool(_DELETES.match(write.site.method or ""))


def _overlaps(one, other) -> bool:
    """Whether one code range lies inside the other (the same acquisition found twice)."""
    inside = (one.start.line, one.start.column) >= (other.start.line, other.start.column) and (
        one.end.line, one.end.column) <= (other.end.line, other.end.column)
    outside = (other.start.line, other.start.column) >= (one.start.line, one.start.column) and (
        other.end.line, other.end.column) <= (one.end.line, one.end.column)
    return inside or outside


def _taken_from(enclosing: list[cst.FunctionDef], params: set[str]) -> set[str]:
    """Names an enclosing function binds to a part of what it received (`task_func = task.run`
    in a decorator over a task): called under the lock, still the received work."""
    taken: set[str] = set()
    for outer in enclosing:
        for line in outer.body.body if isinstance(outer.body, cst.IndentedBlock) else ():
            for small in line.body if isinstance(line, cst.SimpleStatementLine) else ():
                if not isinstance(small, cst.Assign) or len(small.targets) != 1:
                    continue
                target, value = small.targets[0].target, small.value
                while isinstance(value, cst.Attribute):
                    value = value.value
                if isinstance(target, cst.Name) and isinstance(value, cst.Name) and value.value in params:
                    taken.add(target.value)
    return taken


class LockUnfenced(FlowRule, PythonRule):
    META = META
    # Alternatives start with literals (fast scan); "lease" alone would match every "release",
    # "holder=" every "placeholder=".
    TRIGGERS = re.compile(
        r"\.lock\(|nx=|nx =|setnx|Redlock|RedLock|redlock|redis_lock|redis\.lock|advisory_lock|cache\.add\("
        r"| leases| lease_|,lease_| holder =| holder=| locked_by =| locked_by=|owner = %s|owner=%s"
        # a lease stamped on a row by a conditional update (Django ORM, Mongo)
        r"|\.watch\(|find_one_and_update|\.update\((?:[^()]*, *)?(?:lock|locked|lease)\w* ?="
        # coordination services (etcd locks, Consul session locks), semaphores evicting
        # holders by age, lock classes documented with lease timeouts
        r"|etcd|acquire=|zremrangebyscore|lease-time|lease time|lease is tim"
        # lock classes claiming with a lifetime; ZooKeeper session-bound recipes
        r"|class \w*(?:Lock|Semaphore|Mutex|Lease)|kazoo|(?:Semaphore|Lock)\((?:self\.)?_?\w*(?:redis|conn|client)"
        # a key taken with a lifetime and given back by deleting it (a lock without a lock API);
        # a lock built by a factory handed in (`lock_factory(cache, key, expire=...)`)
        r"|finally:\s+[\w.]+\.(?:delete|unlink)\(|def (?:release|unlock)\(self|O_EXCL|getmtime|st_mtime"
        # library lock APIs: claims with a lifetime, once-only task bases, lock decorators, ORM row claims
        r"|set_lock\(|QueueOnce|exist=False|@locked\(|\block_(?:timeout|ttl|expir\w*|lifetime) ?=|(?:claimed|taken|leased|acquired)_by ?=|['\"](?:P?SETEX|p?setex)['\"]"
        # MySQL session locks; leader election by a lock
        # a project's tooz wrapper decorating a writer
        r"|coordination\.synchronized|coordination import synchronized"
        r"|GET_LOCK\(|get_lock\(|partial\(\s*[\w.]*(?:Lock|Redlock|RedLock|Lease|Mutex)\b|(?:leader|primary|master|elect)\w*\.(?:acquire|try_acquire|lock)\("
        # a lock document claimed by an upsert (Mongo), a lock item put only if absent (DynamoDB)
        r"|upsert=True|attribute_not_exists|attribute_exists|['\"]\$(?:or|exists)['\"]"
        # a job board's claim (with an expiry, checked by the recogniser)
        r"|\.claim\b"
        # a project module of lock functions (`import utils.locking as lock`; `lock.acquire(key)`)
        r"|(?<![\w.])lock(?:ing|s)?\.(?:try_)?acquire\("
        # a row inserted only if absent (a lease row when expired rows are deleted)
        r"|(?i:do\s+nothing)"
        # the general form (`_lock_general`): a name whose last word says what is taken. Not a bare
        # `Singleton`: a once-only task base cannot be told from one around idempotent work
        r"|(?<![A-Za-z])(?:lock|lease|mutex|semaphore|singleton|leader|election)\(|(?:Lock|Lease|Mutex|Semaphore|Leader|Election)\b"
        r"|_lock_\w* ?=|(?<![A-Za-z])(?:locked|lease|leased|mutex|semaphore|leader)_\w* ?=|\.NX\b|zadd"
        r"|['\"](?:NX|nx|SETNX|setnx)['\"]|IntegrityError|(?:Lock|Mutex|Lease|Leader)\w*\.objects\.|lock\w*\.(?:set|add)\(|lock\w*\((?:self\.)?_?\w*(?:cache|redis|conn|client)"
        # a record claimed by time through an ORM (`_lock_time_claims`): rows chosen by an absent or
        # old field and updated at once, or SQLAlchemy values given as a dict of columns
        r"|filter\([^()]*(?:=\s*None|__isnull\s*=\s*True|__lte?\s*=)[^()]*\)\s*\.update\(|\.values\(\s*\{"
        # the same claim pushing its stamp into the future (`update(due_at=now() + lease)`), or
        # spelt as load, age test, then a record's field re-stamped with the clock and written back
        r"|\.(?:update|values)\(\s*\w+\s*=\s*[\w.]*now\(\)\s*\+"
        r"|\n\s+(?!self\.|cls\.)\w+\.\w+ = (?:\w+\.)*(?:\w*_)?(?:now|utcnow|time)(?:_(?:at_)?utc|_tz|_ms|_ns)?\("
    )

    def visit_Module(self, node: cst.Module) -> None:
        super().visit_Module(node)
        self._candidates: dict[int, tuple[cst.CSTNode, str, str]] = {}
        self._targets: list[cst.CSTNode] = []  # acquisitions the flow analysis judged
        self._reported: list[cst.CSTNode] = []
        self._helpers = HelperIndex(node, self.ctx, self.ctx.imports, self._module_values)
        self._owner: str | None = None
        self._enclosing: list[cst.FunctionDef] = []
        self._function: cst.FunctionDef | None = None
        self._captured: frozenset[str] = frozenset()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._enclosing.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._enclosing.pop()
        self._owner = self._helpers.owner.get(id(original_node))
        self._function = original_node
        # Parameters of this function and the enclosing ones: a callable a decorator or a runner
        # received and calls under the lock is the guarded work, out of sight.
        params = {
            p.name.value
            for outer in (*self._enclosing, original_node)
            for p in (*outer.params.params, *outer.params.kwonly_params)
            if p.name.value not in ("self", "cls")
        }
        self._captured = frozenset(params | _taken_from(self._enclosing, params))
        super().leave_FunctionDef(original_node)
        self._function = None

    def check(self, flow: Flow) -> None:
        finder = LockFinder(flow, self.ctx, self._helpers, self._owner)
        decorated = self._decorated()
        for acquisition in (*finder.acquisitions(), *decorated):
            target = acquisition.report or acquisition.node
            writes = finder.guarded_writes(acquisition)
            if not acquisition.general or writes:
                # judged here, reported or not (a general-form lock guarding nothing visible is
                # left to the recognisers of lock APIs below)
                self._targets.extend((target, acquisition.node))
            if acquisition.marker or (acquisition.general and not acquisition.expires):
                # RULES: the lock's lifetime is the evidence. A lock found by the general form
                # that cannot lapse under its holder (no lifetime, a session lock on the
                # connection its writes use) cannot be held by two at once.
                continue
            unfenced = [w for w in writes if not w.fenced]
            if any(acquisition is d for d in decorated) and unfenced and all(_deletes(w, flow) for w in unfenced):
                # a decorated job that only deletes (a retention sweep, a dedupe): a second
                # holder deletes the same rows again, idempotent work
                continue
            if unfenced:
                # The write is where the token has to go: point there when the lock is taken in
                # this function too. A lock taken in a helper is pointed at in the helper, the
                # one place every caller's token would come from.
                sure = [w for w in unfenced if not w.cache_fill]
                write = (sure or unfenced)[0].site.node
                at = write if acquisition.report is None else None
                self._offer(target, self._message(self.line_of(write)), "high" if sure else "medium", at=at)
            elif writes or flow_text_has(flow, self.ctx, _MONOTONIC):
                continue
            elif acquisition.row_claim or (
                has_lifetime(acquisition, self._helpers)
                and (
                    acquisition.handed_on
                    or work_out_of_sight(
                        flow, finder, acquisition, self._helpers, self._owner, self._function, self._captured
                    )
                )
            ):
                # The guarded work is out of sight (the caller's, a method called under the
                # lock, the row a claim hands on): the acquisition of a lock that expires is
                # the evidence.
                self._offer(target, self._acquisition_message(), "medium")

    def _decorated(self) -> list[Acquisition]:
        """`@share_lock()` over this function: a project decorator that runs it under an expiring
        lock (`_lock_decorators`). Its whole body is the guarded region, reported at the decorator,
        where the lock is taken for it."""
        function = self._function
        if function is None or not function.decorators:
            return []
        index = decorators_for(self.ctx)
        return [
            Acquisition(d.decorator, 0, 0, None, None, expires=True, report=d.decorator)
            for d in function.decorators
            if index.locks(d, self._owner)
        ]

    def _decorators_claim(self, module: cst.Module, target: cst.CSTNode) -> bool:
        """The acquisition, reported with no write in view, is a lock decorator's of this module
        (in its wrapper, or in the class its wrapper builds): the decorated functions, where
        the guarded work is, are reported instead (`_decorated`)."""
        where = self.ctx.position(target)
        decorators = decorators_for(self.ctx)
        for statement in module.body:
            if not isinstance(statement, (cst.FunctionDef, cst.ClassDef)) or not _overlaps(where, self.ctx.position(statement)):
                continue
            if isinstance(statement, cst.ClassDef):
                return decorators.covers(None, statement.name.value)
            return decorators.covers(statement, None)
        return False

    def _offer(self, target: cst.CSTNode, message: str, confidence: str, at: cst.CSTNode | None = None) -> None:
        """One finding per acquisition: a visible unfenced write beats the acquisition alone
        (a helper's body is analysed before, or after, the callers whose writes it guards)."""
        self._reported.extend((target, at) if at is not None else (target,))
        held = self._candidates.get(id(target))
        if held is None or (held[2] == "medium" and confidence == "high"):
            # reported at the write, the lock's line is related: a PR that only adds the lock
            # around writes it did not touch still gets the finding (Finding.related)
            related = (target,) if at is not None else ()
            self._candidates[id(target)] = (at if at is not None else target, message, confidence, related)

    def leave_Module(self, original_node: cst.Module) -> None:
        self._owner = None
        self._captured = frozenset()
        super().leave_Module(original_node)
        classes = self._helpers.lock_classes
        for target in classes.documented.values():
            self._offer(target, self._acquisition_message(), "medium")
        acquired = {name for name in classes.instances.values()}
        for name, stamp in classes.scored.items():
            if name not in acquired:
                self._offer(stamp, self._acquisition_message(), "medium")
        for target in (
            *lock_class_claims(original_node),
            *lifetime_lock_holds(original_node, self.ctx.imports),
            *stale_file_locks(original_node),
            *expiring_row_locks(original_node),
            *(zset_leases(original_node) if "zadd" in self.ctx.text else ()),  # a whole-module walk: only where a zset is written
        ):
            self._offer(target, self._acquisition_message(), "medium")
        # Document and item claims, ZooKeeper recipe locks, claims and acquisitions asking for a
        # lease, lease rows inserted if absent and deleted once expired:
        # unless the flow analysis already reported them
        reported_here = [self.ctx.position(node) for node in self._reported]
        for target in (
            *lease_document_claims(original_node),
            *kazoo_lock_acquisitions(original_node, self.ctx.imports),
            *leased_claims(original_node, self.ctx.imports),
            *expiring_insert_claims(original_node),
        ):
            if any(_overlaps(self.ctx.position(target), other) for other in reported_here):
                continue
            self._offer(target, self._acquisition_message(), "medium")
        # Library lock APIs handed on or held around work out of sight: only acquisitions the
        # analysis above did not already judge (reported, fenced, or guarding nothing).
        # A session advisory lock is an acquisition the flow analysis judges by the writes it
        # sees; the side connection it lives on is evidence enough, unless already reported.
        judged = [self.ctx.position(node) for node in (*self._targets, *self._reported)]
        reported = [self.ctx.position(node) for node in self._reported]
        for target in lifetime_lock_api_acquisitions(original_node, self.ctx.imports):
            where = self.ctx.position(target)
            taken = reported if isinstance(target, (cst.SimpleString, cst.FormattedString)) else judged
            if not any(_overlaps(where, other) for other in taken):
                self._offer(target, self._acquisition_message(), "medium")
        for target in lock_backend_acquisitions(original_node):
            where = self.ctx.position(target)
            if not any(_overlaps(where, other) for other in reported):
                self._offer(target, self._acquisition_message(), "medium")
        for target, message, confidence, related in self._candidates.values():
            if not related and self._decorators_claim(original_node, target):
                continue
            self.report(target, message=message, confidence=confidence, related=related)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if "redis.call" in node.value and lua_lock_script(node.value):
            self._report_lua(node)

    def _report_lua(self, node: cst.SimpleString) -> None:
        """A Lua lock script is reported at its SET line (where the lease is written), not at
        the string's first line, so that the finding and a suppression comment sit beside it."""
        start = self.ctx.position(node).start
        begin = lua_set_offset(node.value)
        before = node.value[:begin]
        line = start.line + before.count("\n")
        col = start.column + begin if "\n" not in before else begin - before.rfind("\n") - 1
        text = node.value[begin:].split("\n", 1)[0]
        self.ctx.add_located(
            RawFinding(
                meta=self.META, line=line, col=col, end_line=line, end_col=col + len(text),
                message=self._acquisition_message(), code=text.strip(), confidence="medium",
            )
        )

    def _message(self, line: int) -> str:
        if self.ctx.language == "pt-BR":
            return (
                f"Lock distribuído protege a escrita da linha {line}, que não leva fencing token: se este "
                "processo pausar além do lease, outro dono assume e a escrita antiga sobrescreve a nova. Obtenha "
                "um token monotônico ao pegar o lock e faça o storage rejeitar tokens menores "
                "(`... where last_token < %s`)."
            )
        return (
            f"Distributed lock guards the write at line {line}, which carries no fencing token: if this process "
            "pauses past the lease, another holder takes over and this stale write overwrites its work. Take a "
            "monotonic token with the lock and have the storage reject smaller ones (`... where last_token < %s`)."
        )

    def _acquisition_message(self) -> str:
        if self.ctx.language == "pt-BR":
            return (
                "Lock com tempo de vida, sem fencing token: o que ele protege pode ser escrito por dois donos "
                "depois de uma pausa maior que o lease. Entregue um token monotônico (INCR, nextval) junto com o "
                "lock e faça o storage rejeitar tokens menores, ou torne o trabalho protegido idempotente."
            )
        return (
            "Lock with a lifetime and no fencing token: what it guards can be written by two holders after a "
            "pause longer than the lease. Hand out a monotonic token (INCR, nextval) with the lock and have the "
            "storage reject smaller ones, or make the guarded work idempotent."
        )
