"""ARM301: a node declared dead because its heartbeat is older than a fixed constant."""
from __future__ import annotations

import re

import libcst as cst

from ...catalog import Example, RuleMeta, Text
from ..rule import PythonRule
from ._clock_scope import ScopeIndex
from ._functions import FunctionTracker
from ._heartbeat import (
    HEARTBEAT,
    HELD_TRIGGER,
    RANGE_BY_SCORE,
    STAMP_SOURCE,
    TAKEN_FIELD,
    TRIGGER,
    HeartbeatAnalysis,
    _LowercaseTrigger,
    find_detectors,
)
from ._death_timers import TRIGGER as TIMER_TRIGGER
from ._key_liveness import TRIGGER as KEY_TRIGGER, beat_read
from ._lease_expiry import LEASE_DEADLINE, TRIGGER as LEASE_TRIGGER
from ._liveness_ages import AgeTrigger, FunctionFlow, find_liveness_ages, module_functions
from ._liveness_clocks import clock_reader, mentions_clock
from ._liveness_callers import VERDICT_CALL_TRIGGER, acted_on, cutoffs_of_module
from ._liveness_criteria import DOCUMENT_TEXT, SQL_TEXT, find_criteria
from ._liveness_deadlines import deadlines_of_module
from ._liveness_stalled import find_stalled
from ._liveness_handed import find_handed_cutoffs
from ._liveness_members import GENERIC_STAMP, MEMBER_STAMP_TRIGGER
from ._miss_counters import COUNTER_TRIGGER
from ._takeovers import TAKEOVER_RE, TAKEOVER_TRIGGER, find_takeovers


_WINDOW_KEY = re.compile(r"timeout|grace|threshold", re.IGNORECASE)
_COUNTER = re.compile(COUNTER_TRIGGER)
_KEY_MARK = re.compile(KEY_TRIGGER, re.IGNORECASE)
# a function returning a sum (`return stamp + window`): a deadline helper may be in the file
_DEADLINE_RETURN = re.compile(r"return\s+[\w.\[\]'\"]+\s*\+")
_TIMER_CALLS = frozenset({"call_later", "callLater", "add_timeout", "call_at"})
# a claim stamp looked up as older than a cutoff (`locked_at__lt=`): a re-claimable row
_RECLAIM_TRIGGER = r"(?:locked|claimed|leased|picked|reserved)_(?:at|on)__lte?\b"


def _window_key(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
        key = expr.slice[0].slice.value
        return isinstance(key, cst.SimpleString) and bool(_WINDOW_KEY.search(key.value))
    if isinstance(expr, cst.Attribute):
        return bool(_WINDOW_KEY.search(expr.attr.value))
    return isinstance(expr, cst.Name) and bool(_WINDOW_KEY.search(expr.value))


class _EitherTrigger:
    def __init__(self, *triggers) -> None:
        self._triggers = triggers

    def search(self, text: str):
        return any(trigger.search(text) for trigger in self._triggers)


class FixedTimeoutDetector(FunctionTracker, PythonRule):
    META = RuleMeta(
        id="ARM301",
        slug="py-fixed-timeout-detector",
        family="fixed-timeout",
        language="python",
        section_key="fixed-timeout",
        message=Text(
            en=(
                "Node declared dead after a fixed silence: a GC pause, a slow network or an overloaded host looks "
                "the same as a crash, and a one-sided failover can leave two active nodes. Derive the threshold "
                "from observed heartbeat latency (e.g. `>= 3 * p99`, phi accrual) and require a quorum to agree."
            ),
            pt_BR=(
                "Nó declarado morto após um silêncio de duração fixa: pausa de GC, rede lenta ou host sobrecarregado "
                "parecem uma queda, e um failover unilateral pode deixar dois nós ativos. Derive o limite da latência "
                "observada dos heartbeats (ex.: `>= 3 * p99`, phi accrual) e exija que um quórum concorde."
            ),
        ),
        why=Text(
            en=(
                "A missed heartbeat only says that nothing arrived in time; it cannot tell a dead node from a slow "
                "one. Round-trip times grow tenfold under load, and a stop-the-world pause silences a healthy "
                "process for tens of seconds. A fixed cut-off therefore evicts live nodes, requeues work they are "
                "still doing and, when the 'dead' node resumes, two of them act as owner."
            ),
            pt_BR=(
                "Um heartbeat perdido só diz que nada chegou a tempo; não distingue nó morto de nó lento. O tempo de "
                "ida e volta cresce dez vezes sob carga, e uma pausa stop-the-world cala um processo saudável por "
                "dezenas de segundos. Um corte fixo então remove nós vivos, reenfileira trabalho que eles ainda "
                "fazem e, quando o nó 'morto' volta, dois deles agem como dono."
            ),
        ),
        use_instead=Text(
            en=(
                "An adaptive threshold computed from the heartbeat history (`max(3 * p99_interval, floor)` or a "
                "phi-accrual detector), a 'suspect' state first, and a quorum of peers (or the broker/coordinator "
                "that already does this, e.g. the queue's visibility timeout with fenced leases) before declaring "
                "death and failing over."
            ),
            pt_BR=(
                "Um limite adaptativo calculado do histórico de heartbeats (`max(3 * p99_intervalo, piso)` ou um "
                "detector phi accrual), um estado 'suspeito' antes, e um quórum de pares (ou o broker/coordenador "
                "que já faz isso, ex.: visibility timeout da fila com leases cercados por fencing) antes de declarar "
                "a morte e fazer failover."
            ),
        ),
        when_fine=Text(
            en=(
                "Request timeouts (`requests.get(url, timeout=5)`), cache and session TTLs, throttles that only "
                "skip a write when a stamp is fresh, thresholds derived from observed latency, phi-accrual "
                "detectors, and suspicion that still needs a quorum are not flagged."
            ),
            pt_BR=(
                "Timeouts de requisição (`requests.get(url, timeout=5)`), TTLs de cache e de sessão, throttles que "
                "só evitam uma escrita quando o carimbo é recente, limites derivados da latência observada, "
                "detectores phi accrual e suspeitas que ainda dependem de quórum não são apontados."
            ),
        ),
        bad=(
            Example(
                code=(
                    "import time\n"
                    "\n"
                    "HEARTBEAT_TIMEOUT = 30\n"
                    "\n"
                    "\n"
                    "class Membership:\n"
                    "    def __init__(self):\n"
                    "        self.last_heartbeat = {}\n"
                    "\n"
                    "    def on_heartbeat(self, node_id):\n"
                    "        self.last_heartbeat[node_id] = time.monotonic()\n"
                    "\n"
                    "    def sweep(self):\n"
                    "        now = time.monotonic()\n"
                    "        for node_id, seen in list(self.last_heartbeat.items()):\n"
                    "            if now - seen > HEARTBEAT_TIMEOUT:\n"
                    "                self.declare_dead(node_id)\n"
                    "                self.start_failover(node_id)\n"
                ),
                lines=(16,),
            ),
            Example(
                code=(
                    "from datetime import timedelta\n"
                    "\n"
                    "from django.utils import timezone\n"
                    "\n"
                    "from .models import Worker\n"
                    "\n"
                    "\n"
                    "def reap_workers():\n"
                    "    cutoff = timezone.now() - timedelta(seconds=60)\n"
                    "    Worker.objects.filter(last_heartbeat__lt=cutoff).update(status=\"dead\")\n"
                ),
                lines=(10,),
            ),
        ),
        good=(
            Example(
                code=(
                    "import time\n"
                    "\n"
                    "FLOOR_SECONDS = 30\n"
                    "\n"
                    "\n"
                    "class Membership:\n"
                    "    def sweep(self):\n"
                    "        now = time.monotonic()\n"
                    "        for node_id, seen in list(self.last_heartbeat.items()):\n"
                    "            threshold = max(3 * self.p99_interval(node_id), FLOOR_SECONDS)\n"
                    "            if now - seen > threshold:\n"
                    "                if self.quorum_agrees(node_id):\n"
                    "                    self.declare_dead(node_id)\n"
                ),
            ),
            Example(
                code=(
                    "import time\n"
                    "\n"
                    "import requests\n"
                    "\n"
                    "GRANULARITY = 60\n"
                    "\n"
                    "\n"
                    "def touch_presence(db, worker_id, last_seen):\n"
                    "    now = time.time()\n"
                    "    if now - last_seen > GRANULARITY:\n"
                    "        db.upsert_worker(worker_id, seen_at=now)\n"
                    "    requests.post(\"https://status.internal/ping\", json={\"id\": worker_id}, timeout=5)\n"
                ),
            ),
        ),
        extra_good=(
            Example(
                code=(
                    "import time\n"
                    "\n"
                    "SUSPECT_AFTER = 10\n"
                    "\n"
                    "\n"
                    "def check(node, cluster):\n"
                    "    if time.time() - node.last_heartbeat > SUSPECT_AFTER:\n"
                    "        votes = cluster.collect_votes(node)\n"
                    "        if votes.majority():\n"
                    "            cluster.remove_node(node)\n"
                ),
            ),
        ),
    )
    # plus claims stamped on rows or documents (visibility-timeout takeovers), and items in a
    # held state (`status == "running"`) whose start or last update may be aged
    # and counters of periods without contact (`missed_pings`, `max_misses`)
    _NAMED = _LowercaseTrigger(f"{TRIGGER.pattern}|{TAKEOVER_TRIGGER}|{HELD_TRIGGER}|{COUNTER_TRIGGER}|{_RECLAIM_TRIGGER}|{LEASE_TRIGGER}|{KEY_TRIGGER}|{TIMER_TRIGGER}|{MEMBER_STAMP_TRIGGER}")
    # or any stamp aged against a clock reading (rules/_liveness_ages: the general form)
    TRIGGERS = _EitherTrigger(_NAMED, AgeTrigger(), VERDICT_CALL_TRIGGER)

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._init_functions()
        self._marked: dict[int, cst.FunctionDef] = {}
        self._module_marked = False
        self._constants: dict[str, cst.BaseExpression] = {}
        self._held_file = re.search(HELD_TRIGGER, ctx.text.lower()) is not None
        # a member's `updated_at` is its heartbeat (a services/conductors table)
        self._member_file = re.search(MEMBER_STAMP_TRIGGER, ctx.text.lower()) is not None
        self._reported: list[cst.CSTNode] = []

    def report(self, node, **kwargs) -> None:
        self._reported.append(node)
        super().report(node, **kwargs)

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self._stack:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self._constants[target.target.value] = node.value

    def visit_Name(self, node: cst.Name) -> None:
        if (
            STAMP_SOURCE.search(node.value)
            or node.value in RANGE_BY_SCORE
            or _COUNTER.search(node.value.lower())
            or LEASE_DEADLINE.search(node.value)
            or _KEY_MARK.search(node.value)
        ):
            self._mark()
        elif (self._held_file or node.value.endswith(("__lt", "__lte"))) and TAKEN_FIELD.search(node.value):
            self._mark()
        elif self._member_file and GENERIC_STAMP.match(node.value):
            self._mark()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        timer = isinstance(func, cst.Attribute) and func.attr.value in _TIMER_CALLS
        if timer or beat_read(node):
            self._mark()

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if HEARTBEAT.search(node.value) or LEASE_DEADLINE.search(node.value):
            self._mark()
        elif self._member_file and GENERIC_STAMP.match(node.value.strip("'\"")):
            self._mark()

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        # `now - self.config["ACTIVE_TIMEOUT"]`: a cutoff that a lookup may be handed
        if isinstance(node.operator, cst.Subtract) and _window_key(node.right):
            self._mark()

    def _mark(self) -> None:
        for frame in reversed(self._stack):
            if isinstance(frame, cst.FunctionDef):
                self._marked[id(frame)] = frame
                return
        self._module_marked = True

    def finish(self) -> None:
        if self._NAMED.search(self.ctx.text):  # the named forms read only the files they trigger on
            self._finish_named()
        if AgeTrigger().search(self.ctx.text) or mentions_clock(self.ctx, self.ctx.text):
            self._report_ages()
        self._report_verdict_callers()

    def _report_verdict_callers(self) -> None:
        """K3: a branch on a project's liveness verdict that takes the party out (medium: the
        window is reported at the verdict itself)."""
        verdicts = getattr(self.ctx.project, "liveness_verdicts", None)
        if not verdicts or not VERDICT_CALL_TRIGGER.search(self.ctx.text):
            return
        lines = {self.ctx.position(node).start.line for node in self._reported}
        for use in acted_on(self.ctx.module, verdicts):
            line = self.ctx.position(use).start.line
            if line not in lines:
                lines.add(line)
                self.report(use, confidence="medium")

    def _report_ages(self) -> None:
        """The general form: every age comparison of a stamp another process wrote that
        declares its writer gone (rules/_liveness_ages), unless a named form above took it."""
        lines = {self.ctx.position(node).start.line for node in self._reported}
        feeds: set[int] = set()
        cutoffs = frozenset(cutoffs_of_module(self.ctx.module)) | getattr(self.ctx.project, "liveness_cutoffs", frozenset())
        deadlines = deadlines_of_module(self.ctx.module, self.qname) if _DEADLINE_RETURN.search(self.ctx.text) else {}
        # criteria written as data (rules/_liveness_criteria), read only where their text is
        documents, sql = DOCUMENT_TEXT.search(self.ctx.text) is not None, SQL_TEXT.search(self.ctx.text) is not None
        # A cutoff handed to a query as data is also the app clock compared with other nodes'
        # stamps (ARM104's own pitfall): its lines stay open to ARM103/ARM104.
        data_lines: set[int] = set()
        clock = clock_reader(self.ctx, self.qname)
        for func, cls in module_functions(self.ctx.module):
            flow = FunctionFlow(func, self.qname, cls, cutoffs, clock)
            flow.deadlines = deadlines
            criteria = find_criteria(flow, documents, sql) if documents or sql else []
            for found in (*find_liveness_ages(flow), *find_stalled(flow), *find_handed_cutoffs(flow)):
                line = self.ctx.position(found.age.node).start.line
                feeds.update(self.ctx.position(n).start.line for n in found.age.feeds)
                feeds.add(line)
                if line not in lines:
                    lines.add(line)
                    self.report(found.age.node, confidence=found.confidence)
            for found in criteria:
                line = self.ctx.position(found.age.node).start.line
                if line not in lines:
                    lines.add(line)
                    data_lines.add(line)
                    self.report(found.age.node, confidence=found.confidence)
        # ARM103/ARM104 at these lines describe the same site less precisely (engine.prefer_detector)
        self.ctx.detector_lines = getattr(self.ctx, "detector_lines", set()) | feeds | (lines - data_lines)

    def _finish_named(self) -> None:
        if TAKEOVER_RE.search(self.ctx.text):
            for node in find_takeovers(self.ctx.module, self.ctx):
                self.report(node, confidence="medium")
        if not self._marked and not self._module_marked:
            return
        index = ScopeIndex()
        classes_done: set[int] = set()
        done: set[int] = set()
        for func_id, func in self._marked.items():
            owner = self._functions[func_id][1]
            if owner is not None and id(owner) not in classes_done:
                classes_done.add(id(owner))
                for method in self._class_methods[id(owner)]:
                    done.add(id(method))
                    index.add_function(method, owner)
        for func_id, func in self._marked.items():
            if func_id not in done:
                index.add_function(func, self._functions[func_id][1])
        if self._module_marked:
            index.add_module_code(self.ctx.module)
        analysis = HeartbeatAnalysis(self.qname, index, self._constants, self.ctx)
        for found in find_detectors(analysis):
            if isinstance(found, tuple):
                self.report(found[0], confidence=found[1])
            else:
                self.report(found)
