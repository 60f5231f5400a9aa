"""ARM103: an in-process deadline, timeout, lease or TTL measured with the wall clock."""
from __future__ import annotations

from ...catalog import Example, RuleMeta, Text
from ...paths import is_python_migration
from ._clock import ClockMarker
from ._clock_deadlines import build_fix

_DATETIME_HINT = Text(
    en=(
        "In-process deadline computed with the wall clock (`datetime.now()`/`utcnow()`): an NTP step or a "
        "manual clock change moves it, so it fires early, late or never. Keep it as seconds from "
        "`time.monotonic()` (e.g. `deadline = time.monotonic() + timeout.total_seconds()`)."
    ),
    pt_BR=(
        "Prazo interno ao processo calculado com o relógio de parede (`datetime.now()`/`utcnow()`): um ajuste "
        "do NTP ou do relógio o desloca e ele dispara cedo, tarde ou nunca. Guarde-o em segundos de "
        "`time.monotonic()` (ex.: `deadline = time.monotonic() + timeout.total_seconds()`)."
    ),
)


class WallClockDeadline(ClockMarker):
    META = RuleMeta(
        id="ARM103",
        slug="py-wall-clock-deadline",
        family="wall-clock",
        language="python",
        section_key="wall-clock-expiry",
        message=Text(
            en=(
                "Deadline or timeout measured with the wall clock (`time.time()`): an NTP step or a manual clock "
                "change moves it, so it fires early, late or never. Use `time.monotonic()` for in-process intervals."
            ),
            pt_BR=(
                "Prazo ou timeout medido com o relógio de parede (`time.time()`): um ajuste do NTP ou do relógio "
                "o desloca, e ele dispara cedo, tarde ou nunca. Use `time.monotonic()` para intervalos dentro do "
                "processo."
            ),
        ),
        why=Text(
            en=(
                "`time.time()` and `datetime.now()` report the wall clock, which NTP, a VM resume or an operator may "
                "move backwards or forwards at any moment. A deadline stored as a wall-clock instant moves with it: "
                "a poll loop can spin for an hour after a backward step or give up at once after a forward one, and "
                "an in-memory lease or cache entry can outlive its TTL. Intervals inside one process need a clock "
                "that only moves forward."
            ),
            pt_BR=(
                "`time.time()` e `datetime.now()` leem o relógio de parede, que o NTP, a retomada de uma VM ou um "
                "operador podem adiantar ou atrasar a qualquer momento. Um prazo guardado como instante do relógio "
                "de parede se move junto: um laço de espera pode girar por uma hora depois de um recuo ou desistir "
                "na hora depois de um avanço, e um lease ou entrada de cache em memória pode durar além do TTL. "
                "Intervalos dentro de um processo precisam de um relógio que só anda para frente."
            ),
        ),
        use_instead=Text(
            en=(
                "`time.monotonic()` (or `time.perf_counter()`) for deadlines, elapsed-time checks and in-memory TTLs. "
                "When the value never leaves the process, replacing `time.time()` with `time.monotonic()` is exact; "
                "the bot offers that fix."
            ),
            pt_BR=(
                "`time.monotonic()` (ou `time.perf_counter()`) para prazos, verificações de tempo decorrido e TTLs em "
                "memória. Quando o valor não sai do processo, trocar `time.time()` por `time.monotonic()` é exato; o "
                "bot oferece essa correção."
            ),
        ),
        when_fine=Text(
            en=(
                "Wall-clock readings used only for logs, display, file names or a plain `created_at` stamp, and "
                "comparisons against timestamps this code did not take from its own clock (a file's mtime, a "
                "provider's timestamp, a date a user entered) are not flagged. Stamps this code wrote to shared "
                "storage and compares again are ARM104's concern instead."
            ),
            pt_BR=(
                "Leituras do relógio de parede usadas só em logs, exibição, nomes de arquivo ou um simples carimbo "
                "`created_at`, e comparações com instantes que este código não tirou do próprio relógio (mtime de "
                "arquivo, instante de um provedor, data digitada por um usuário) não são apontadas. Carimbos que "
                "este código gravou em armazenamento compartilhado e volta a comparar são assunto da ARM104."
            ),
        ),
        bad=(
            Example(
                code=(
                    "import time\n"
                    "\n"
                    "\n"
                    "def wait_for_job(client, job_id, timeout=30.0):\n"
                    "    deadline = time.time() + timeout\n"
                    "    while time.time() < deadline:\n"
                    "        job = client.get_job(job_id)\n"
                    "        if job.done:\n"
                    "            return job\n"
                    "        time.sleep(0.5)\n"
                    "    raise TimeoutError(job_id)\n"
                ),
                lines=(5,),
            ),
            Example(
                code=(
                    "import time as t\n"
                    "\n"
                    "CONNECT_TIMEOUT = 10\n"
                    "\n"
                    "\n"
                    "def connect_with_retry(factory):\n"
                    "    start = t.time()\n"
                    "    while True:\n"
                    "        try:\n"
                    "            return factory()\n"
                    "        except ConnectionError:\n"
                    "            if t.time() - start > CONNECT_TIMEOUT:\n"
                    "                raise\n"
                    "            t.sleep(1)\n"
                ),
                lines=(7,),
            ),
            Example(
                code=(
                    "from datetime import datetime, timedelta\n"
                    "\n"
                    "\n"
                    "class TokenCache:\n"
                    "    def __init__(self, fetch, ttl=timedelta(minutes=5)):\n"
                    "        self._fetch = fetch\n"
                    "        self._ttl = ttl\n"
                    "        self._token = None\n"
                    "        self._expires = None\n"
                    "\n"
                    "    def get(self):\n"
                    "        if self._token is None or datetime.utcnow() >= self._expires:\n"
                    "            self._token = self._fetch()\n"
                    "            self._expires = datetime.utcnow() + self._ttl\n"
                    "        return self._token\n"
                ),
                lines=(14,),
            ),
        ),
        good=(
            Example(
                code=(
                    "import time\n"
                    "\n"
                    "\n"
                    "def wait_for_job(client, job_id, timeout=30.0):\n"
                    "    deadline = time.monotonic() + timeout\n"
                    "    while time.monotonic() < deadline:\n"
                    "        job = client.get_job(job_id)\n"
                    "        if job.done:\n"
                    "            return job\n"
                    "        time.sleep(0.5)\n"
                    "    raise TimeoutError(job_id)\n"
                ),
            ),
            Example(
                code=(
                    "import logging\n"
                    "import time\n"
                    "\n"
                    "log = logging.getLogger(__name__)\n"
                    "\n"
                    "\n"
                    "def export_report(rows):\n"
                    "    started = time.time()\n"
                    "    path = f\"/tmp/report-{int(started)}.csv\"\n"
                    "    write_csv(path, rows)\n"
                    "    log.info(\"report written in %.2fs\", time.time() - started)\n"
                    "    return {\"path\": path, \"created_at\": started}\n"
                ),
            ),
        ),
        extra_good=(
            Example(
                code=(
                    "import os\n"
                    "import time\n"
                    "\n"
                    "MAX_AGE = 3600\n"
                    "\n"
                    "\n"
                    "def is_stale(path):\n"
                    "    return time.time() - os.path.getmtime(path) > MAX_AGE\n"
                ),
            ),
            Example(
                code=(
                    "import time\n"
                    "\n"
                    "\n"
                    "def handle(request):\n"
                    "    t0 = time.time()\n"
                    "    response = dispatch(request)\n"
                    "    if time.time() - t0 > 2.0:\n"
                    "        logger.warning(\"slow request %s\", request.path)\n"
                    "    return response\n"
                ),
            ),
        ),
        fixable=True,
    )

    def finish(self) -> None:
        language = self.ctx.language
        if is_python_migration(self.ctx.path):
            return
        results = self.shared()
        for deadline in results.deadlines:
            message = _DATETIME_HINT.get(language) if deadline.uses_datetime else None
            self.report(
                deadline.node,
                message=message,
                fix=build_fix(deadline, language),
                confidence=deadline.confidence or results.confidence(deadline.flow),
            )
