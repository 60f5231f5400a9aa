"""ARM104: an expiry computed from this machine's wall clock, then stored or sent elsewhere."""
from __future__ import annotations

import re

import libcst as cst

from ...catalog import Example, RuleMeta, Text
from ...paths import is_python_migration
from ._clock import CLOCK_TRIGGER, WALL, ClockMarker
from ._fixes_clock import expiry_fix
from ._signed_tokens import max_age_argument

_WHERE = {
    "orm": Text(en="written to the database by {detail}", pt_BR="gravada no banco por {detail}"),
    "sql": Text(en="passed as a SQL parameter to {detail}", pt_BR="passada como parâmetro SQL para {detail}"),
    "redis": Text(en="sent to Redis by {detail}", pt_BR="enviada ao Redis por {detail}"),
    "message": Text(en="sent to another process by {detail}", pt_BR="enviada a outro processo por {detail}"),
    "store": Text(en="stored or sent by {detail}", pt_BR="guardada ou enviada por {detail}"),
}
_SESSION = Text(
    en=(
        "Expiry computed from this server's wall clock is kept in the web session ({detail}); the session store "
        "outlives the request and the next one may be served by another node, which compares the instant with "
        "its own clock, so skew ends sessions early or keeps them too long. Let the store's clock decide: give "
        "the session backend a relative lifetime (Redis `EX`, the cookie's max-age), or keep sessions in a table "
        "whose expiry the database writes and checks with `now()`."
    ),
    pt_BR=(
        "Expiração calculada com o relógio de parede deste servidor e guardada na sessão web ({detail}); o "
        "armazenamento da sessão sobrevive à requisição e a próxima pode ser atendida por outro nó, que compara "
        "o instante com o próprio relógio, e a diferença encerra sessões cedo ou as mantém demais. Deixe o "
        "relógio do armazenamento decidir: passe ao backend de sessão uma duração relativa (`EX` do Redis, o "
        "max-age do cookie), ou guarde sessões numa tabela cuja expiração o banco grava e confere com `now()`."
    ),
)
_RECORD = Text(
    en=(
        "Expiry computed from this server's wall clock is {where}; whoever keeps it will have it compared "
        "with other nodes' clocks, so skew makes it lapse early or late. Hand on the lifetime instead "
        "(`expires_in`) and let the writer add it to the store's clock (`now() + interval '...'`, Django "
        "`Now() + timedelta(...)`, a Redis `EX`)."
    ),
    pt_BR=(
        "Expiração calculada com o relógio de parede deste servidor e {where}; quem a guardar a verá comparada "
        "com o relógio de outros nós, e a diferença a faz vencer cedo ou tarde. Repasse a duração "
        "(`expires_in`) e deixe quem grava somá-la ao relógio do armazenamento (`now() + interval '...'`, "
        "Django `Now() + timedelta(...)`, um `EX` do Redis)."
    ),
)
_RECORD_WHERE = {
    "record": Text(en="put in a record this function returns to be kept ({detail})",
                   pt_BR="posta num registro que esta função devolve para ser guardado ({detail})"),
    "kept": Text(en="put in a record handed to {detail}", pt_BR="posta num registro entregue a {detail}"),
}
_QUERY = Text(
    en=(
        "A stored expiry or lease is compared in a query ({detail}) with this server's wall clock; the row was "
        "stamped by whichever node wrote it, so skew between the two clocks makes it lapse early or late. "
        "Compare with the database's clock instead: `now()` in SQL, Django `Now()`, SQLAlchemy `func.now()`."
    ),
    pt_BR=(
        "Uma expiração ou lease gravado é comparado numa consulta ({detail}) com o relógio de parede deste "
        "servidor; a linha foi carimbada pelo nó que a gravou, e a diferença entre os relógios a faz vencer "
        "cedo ou tarde. Compare com o relógio do banco: `now()` no SQL, Django `Now()`, SQLAlchemy "
        "`func.now()`."
    ),
)
_STORED = Text(
    en=(
        "A stored expiry ({detail}) is compared with this server's wall clock; whichever node issued it "
        "computed it from its own clock, so skew between the two makes it lapse early or late. Decide "
        "expiry in the query with the database's clock (`filter(expires__gt=Now())`, `func.now()`)."
    ),
    pt_BR=(
        "Uma expiração gravada ({detail}) é comparada com o relógio de parede deste servidor; o nó que a "
        "emitiu a calculou com o próprio relógio, e a diferença entre os dois a faz vencer cedo ou tarde. "
        "Decida a expiração na consulta com o relógio do banco (`filter(expires__gt=Now())`, `func.now()`)."
    ),
)
# A shared sorted set of clock stamps trimmed by this node's clock (_clock_score_sweeps).
_SWEEP = Text(
    en=(
        "This sorted set is trimmed by age with this server's wall clock ({detail}), but its scores were "
        "stamped by whichever node added each member, from that node's clock; skew between the writer and the "
        "sweeper drops entries early or keeps them too long. Read one clock for both ends: the Redis server's "
        "(`TIME` inside a Lua script that adds and trims), or give each entry its own key with a relative TTL "
        "(`SET ... EX`)."
    ),
    pt_BR=(
        "Este sorted set é podado por idade com o relógio de parede deste servidor ({detail}), mas seus scores "
        "foram carimbados pelo nó que adicionou cada membro, com o relógio dele; a diferença entre quem grava e "
        "quem poda descarta entradas cedo ou as mantém demais. Use um só relógio nas duas pontas: o do servidor "
        "Redis (`TIME` num script Lua que adiciona e poda), ou dê a cada entrada sua própria chave com TTL "
        "relativo (`SET ... EX`)."
    ),
)
# The time since an instant another node stamped, judged by this node's clock (_clock_held_ages).
_AGED = Text(
    en=(
        "A stored instant ({detail}) is judged against this server's wall clock (is it due, how long ago was "
        "it); the node that stamped it used its own clock, so skew between the two moves the verdict early or "
        "late. Compare against the store's clock (the database's `now()`), or keep both ends on one clock."
    ),
    pt_BR=(
        "Um instante gravado ({detail}) é julgado pelo relógio de parede deste servidor (já venceu, há quanto "
        "tempo foi); o nó que o carimbou usou o próprio relógio, e a diferença entre os dois adianta ou atrasa o "
        "veredito. Compare com o relógio do armazenamento (o `now()` do banco) ou mantenha as duas pontas num "
        "só relógio."
    ),
)
_GENERIC = Text(
    en=(
        "Expiry computed from this server's wall clock is {where}; other nodes will compare it with their own "
        "clocks, so skew makes it expire early or late. Let the database compute it in the writing statement "
        "(`now() + interval '...'`, Django `Now() + timedelta(...)`, SQLAlchemy `func.now() + ...`){extra}."
    ),
    pt_BR=(
        "Expiração calculada com o relógio de parede deste servidor e {where}; outros nós a comparam com o "
        "próprio relógio, e a diferença entre eles a faz expirar cedo ou tarde. Deixe o banco calculá-la no "
        "comando que grava (`now() + interval '...'`, Django `Now() + timedelta(...)`, SQLAlchemy "
        "`func.now() + ...`){extra}."
    ),
)
_RETURNED = Text(
    en=(
        "Expiry computed from this server's wall clock is returned by {detail} to the rest of the package, "
        "whose callers store or send it; other nodes will compare it with their own clocks, so skew makes it "
        "expire early or late. Return the lifetime instead and let the writing statement add it to the "
        "database's clock (`now() + interval '...'`, Django `Now() + timedelta(...)`)."
    ),
    pt_BR=(
        "Expiração calculada com o relógio de parede deste servidor e devolvida por {detail} ao resto do "
        "pacote, cujos chamadores a gravam ou enviam; outros nós a comparam com o próprio relógio, e a "
        "diferença entre eles a faz expirar cedo ou tarde. Devolva a duração e deixe o comando que grava "
        "somá-la ao relógio do banco (`now() + interval '...'`, Django `Now() + timedelta(...)`)."
    ),
)
_STAMP = Text(
    en=(
        "This server's wall-clock reading is {where} as a due time or a stamp that others age (a run time, a "
        "lease start, a heartbeat); whichever node later compares it with its own clock sees it early or late "
        "by the skew between them. Let the database stamp it in the writing statement (`now()`, Django `Now()`, "
        "SQLAlchemy `func.now()`) and compare with the same clock."
    ),
    pt_BR=(
        "A leitura do relógio de parede deste servidor é {where} como hora de execução ou carimbo que outros "
        "envelhecem (hora de rodar, início de lease, heartbeat); o nó que depois a compara com o próprio relógio "
        "a vê cedo ou tarde pela diferença entre eles. Deixe o banco carimbá-la no comando que grava (`now()`, "
        "Django `Now()`, SQLAlchemy `func.now()`) e compare com o mesmo relógio."
    ),
)
_REDIS_EXTRA = Text(
    en=", or give Redis a relative TTL (`ex=`/`EXPIRE`) so its own clock decides",
    pt_BR=", ou passe ao Redis um TTL relativo (`ex=`/`EXPIRE`) para que o relógio dele decida",
)
_JWT = Text(
    en=(
        "JWT `{key}` comes from this server's clock and is checked against the clock of whichever machine "
        "verifies the token, so skew between the two makes it lapse early or outlive its lifetime. Have verifiers "
        "allow a leeway sized to the skew you tolerate (`jwt.decode(..., leeway=30)`); if revocation matters, keep "
        "the expiry server-side with the database's `now() + interval`."
    ),
    pt_BR=(
        "O `{key}` do JWT vem do relógio deste servidor e é conferido com o relógio da máquina que validar o "
        "token, e a diferença entre os dois o faz vencer cedo ou durar além do prazo. Faça os validadores aceitarem "
        "uma tolerância do tamanho da diferença admitida (`jwt.decode(..., leeway=30)`); se revogação importa, "
        "guarde a expiração no servidor com o `now() + interval` do banco."
    ),
)
_SIGNED = Text(
    en=(
        "This signed token's age (`{detail}`) is measured with this server's clock against a timestamp the "
        "signing node wrote from its own, so skew between the two makes links lapse early or live longer than "
        "`max_age`. When the lifetime matters (password resets, invitations, e-mail confirmation), keep an "
        "issue row whose expiry the database writes (`now() + interval '...'`) and checks (`expires_at > "
        "now()`), and let the token name that row; its single use can then be enforced too."
    ),
    pt_BR=(
        "A idade deste token assinado (`{detail}`) é medida com o relógio deste servidor contra um carimbo que o "
        "nó que assinou gravou com o próprio relógio, e a diferença entre os dois faz links vencerem cedo ou "
        "durarem além de `max_age`. Quando o prazo importa (troca de senha, convites, confirmação de e-mail), "
        "guarde uma linha de emissão cuja expiração o banco grava (`now() + interval '...'`) e confere "
        "(`expires_at > now()`), e faça o token apontar para ela; assim o uso único também pode ser garantido."
    ),
)


class WallClockPersistedExpiry(ClockMarker):
    # a timed token check reads no clock in this file: the signer's timestamp is inside the token
    TRIGGERS = re.compile(f"{CLOCK_TRIGGER.pattern}|\\bmax_age\\s*=")

    META = RuleMeta(
        id="ARM104",
        slug="py-wall-clock-persisted-expiry",
        family="wall-clock",
        language="python",
        section_key="wall-clock-expiry",
        message=Text(
            en=(
                "Expiry computed from this server's wall clock is persisted or sent; other nodes compare it with "
                "their own clocks. Compute it in the writing SQL with `now() + interval '...'`."
            ),
            pt_BR=(
                "Expiração calculada com o relógio de parede deste servidor é persistida ou enviada; outros nós a "
                "comparam com o próprio relógio. Calcule-a no SQL que grava, com `now() + interval '...'`."
            ),
        ),
        why=Text(
            en=(
                "An expiry such as `datetime.utcnow() + timedelta(hours=24)` freezes the clock of the machine that "
                "happened to compute it. The database, a worker on another host or another API replica later "
                "compares it with a different clock; seconds or minutes of skew (or an NTP step) make tokens "
                "expire before they are used, sessions and leases live too long, or two holders overlap."
            ),
            pt_BR=(
                "Uma expiração como `datetime.utcnow() + timedelta(hours=24)` congela o relógio da máquina que a "
                "calculou. O banco, um worker em outro host ou outra réplica da API depois a comparam com outro "
                "relógio; segundos ou minutos de diferença (ou um salto do NTP) fazem tokens expirarem antes do "
                "uso, sessões e leases durarem demais, ou dois donos se sobreporem."
            ),
        ),
        use_instead=Text(
            en=(
                "One clock for writing and checking: the database's. Write `expires_at = now() + interval '24 hours'` "
                "in the INSERT/UPDATE (Django: `Now() + timedelta(hours=24)`; SQLAlchemy: `func.now() + "
                "timedelta(hours=24)`) and check with `expires_at > now()`. For Redis, prefer a relative TTL "
                "(`SET ... EX`, `EXPIRE`) over `EXPIREAT` with a client timestamp."
            ),
            pt_BR=(
                "Um só relógio para gravar e conferir: o do banco. Grave `expires_at = now() + interval '24 hours'` "
                "no INSERT/UPDATE (Django: `Now() + timedelta(hours=24)`; SQLAlchemy: `func.now() + "
                "timedelta(hours=24)`) e confira com `expires_at > now()`. No Redis, prefira TTL relativo "
                "(`SET ... EX`, `EXPIRE`) a `EXPIREAT` com instante do cliente."
            ),
        ),
        when_fine=Text(
            en=(
                "Relative TTLs (`cache.set(key, v, timeout=300)`, `redis.setex`), plain `created_at` stamps, queries "
                "that ask what lapses within a horizon (`expires_at__lt=now() + timedelta(days=3)`) and in-process "
                "deadlines are not flagged. A JWT `exp` signed with the app's clock is "
                "flagged with a softer message: it is the standard, so verify it with a leeway and keep clocks "
                "synchronised rather than rewriting it."
            ),
            pt_BR=(
                "TTLs relativos (`cache.set(key, v, timeout=300)`, `redis.setex`), simples carimbos `created_at`, "
                "consultas sobre o que vence dentro de um horizonte (`expires_at__lt=now() + timedelta(days=3)`) e "
                "prazos internos ao processo não são apontados. Um `exp` de JWT assinado "
                "com o relógio da aplicação é apontado com mensagem mais branda: é o padrão, então valide com "
                "tolerância e mantenha os relógios sincronizados em vez de reescrevê-lo."
            ),
        ),
        fixable=True,
        unsafe_fixes=True,
        fix_doc=Text(
            en=(
                "When the clock reading is written straight into a Django or SQLAlchemy call, the fix puts the "
                "database's clock in its place (`Now()` from `django.db.models.functions`, `func.now()` from "
                "`sqlalchemy`, importing it when missing): `expires_at=Now() + timedelta(hours=24)`, "
                "`filter(expires_at__lt=Now())`. Safe for a query's comparison, a queryset `update()`, a `create()` "
                "whose result is dropped and SQLAlchemy `values()`. Unsafe when Python keeps the object (a created "
                "or constructed model holds the SQL expression, not a datetime, until it is reloaded) and when the "
                "reading was naive (`datetime.utcnow()`: a column without time zone then gets the database session's "
                "time zone). Values kept in variables, Redis, JWT and raw SQL parameters get no fix."
            ),
            pt_BR=(
                "Quando a leitura do relógio vai direto para uma chamada Django ou SQLAlchemy, a correção põe o "
                "relógio do banco no lugar (`Now()` de `django.db.models.functions`, `func.now()` do `sqlalchemy`, "
                "importando-o se faltar): `expires_at=Now() + timedelta(hours=24)`, `filter(expires_at__lt=Now())`. "
                "Segura numa comparação de consulta, num `update()` de queryset, num `create()` cujo resultado é "
                "descartado e no `values()` do SQLAlchemy. Insegura quando o Python guarda o objeto (um model criado "
                "ou construído guarda a expressão SQL, não um datetime, até ser recarregado) e quando a leitura era "
                "ingênua (`datetime.utcnow()`: uma coluna sem fuso recebe então o fuso da sessão do banco). Valores "
                "guardados em variáveis, Redis, JWT e parâmetros de SQL puro ficam sem correção."
            ),
        ),
        bad=(
            Example(
                code=(
                    "import secrets\n"
                    "from datetime import timedelta\n"
                    "\n"
                    "from django.utils import timezone\n"
                    "\n"
                    "from .models import InviteToken\n"
                    "\n"
                    "\n"
                    "def create_invite(user, email):\n"
                    "    return InviteToken.objects.create(\n"
                    "        inviter=user,\n"
                    "        email=email,\n"
                    "        token=secrets.token_urlsafe(32),\n"
                    "        expires_at=timezone.now() + timedelta(hours=24),\n"
                    "    )\n"
                ),
                lines=(14,),
            ),
            Example(
                code=(
                    "import time\n"
                    "\n"
                    "SESSION_TTL = 3600\n"
                    "\n"
                    "\n"
                    "def start_session(conn, user_id, sid):\n"
                    "    expires = time.time() + SESSION_TTL\n"
                    "    with conn.cursor() as cur:\n"
                    "        cur.execute(\n"
                    "            \"INSERT INTO sessions (id, user_id, expires_at) VALUES (%s, %s, to_timestamp(%s))\",\n"
                    "            (sid, user_id, expires),\n"
                    "        )\n"
                ),
                lines=(7,),
            ),
            Example(
                code=(
                    "from datetime import datetime, timedelta\n"
                    "\n"
                    "import jwt\n"
                    "\n"
                    "\n"
                    "def issue_token(user_id, secret):\n"
                    "    payload = {\"sub\": str(user_id), \"exp\": datetime.utcnow() + timedelta(minutes=15)}\n"
                    "    return jwt.encode(payload, secret, algorithm=\"HS256\")\n"
                ),
                lines=(7,),
            ),
            Example(
                code=(
                    "from django.utils import timezone\n"
                    "\n"
                    "from .models import Session\n"
                    "\n"
                    "\n"
                    "def purge_expired_sessions():\n"
                    "    Session.objects.filter(expires_at__lt=timezone.now()).delete()\n"
                ),
                lines=(7,),
            ),
        ),
        good=(
            Example(
                code=(
                    "from datetime import timedelta\n"
                    "\n"
                    "from django.db.models.functions import Now\n"
                    "\n"
                    "from .models import InviteToken\n"
                    "\n"
                    "\n"
                    "def create_invite(user, email, token):\n"
                    "    return InviteToken.objects.create(\n"
                    "        inviter=user, email=email, token=token, expires_at=Now() + timedelta(hours=24)\n"
                    "    )\n"
                ),
            ),
            Example(
                code=(
                    "import json\n"
                    "import time\n"
                    "\n"
                    "\n"
                    "def cache_profile(redis, user):\n"
                    "    redis.set(f\"profile:{user.id}\", json.dumps(user.as_dict()), ex=300)\n"
                    "    redis.hset(\"profile:meta\", user.id, time.time())\n"
                ),
            ),
        ),
        extra_good=(
            Example(
                code=(
                    "from datetime import datetime, timedelta\n"
                    "\n"
                    "from .models import Session\n"
                    "\n"
                    "\n"
                    "def active_sessions():\n"
                    "    return Session.objects.filter(expires_at__gt=datetime.utcnow() + timedelta(minutes=1))\n"
                ),
            ),
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        limit = max_age_argument(node)
        if limit is not None and not self._forwards_optional_limit(limit):
            self._signed.append(limit)

    def _forwards_optional_limit(self, limit: cst.Arg) -> bool:
        """`max_age=max_age` inside a wrapper whose own `max_age` defaults to None: the wrapper
        sets no limit, its callers do (and are reported where they pass one)."""
        function = self._innermost_function()
        if function is None or not isinstance(limit.value, cst.Name):
            return False
        for param in (*function.params.params, *function.params.kwonly_params):
            if param.name.value == limit.value.value:
                return isinstance(param.default, cst.Name) and param.default.value == "None"
        return False

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._signed: list[cst.Arg] = []

    def finish(self) -> None:
        language = self.ctx.language
        if is_python_migration(self.ctx.path):
            return
        for limit in self._signed:
            # medium: the skew is usually small next to the token's lifetime
            self.report(limit, message=_SIGNED.get(language).format(detail="max_age=" + self.ctx.code_for(limit.value)),
                        confidence="medium")
        project = self.ctx.project  # helpers of other modules read the clock under other names
        if not CLOCK_TRIGGER.search(self.ctx.text) and not (project and project.mentions_helper(self.ctx.text)):
            return
        results = self.shared()
        for sink in results.sinks:
            if sink.kind == "query":
                message = _QUERY.get(language).format(detail=f"`{sink.detail}`")
            elif sink.kind == "sweep":
                message = _SWEEP.get(language).format(detail=f"`{sink.detail}`")
            elif sink.kind == "aged":
                message = _AGED.get(language).format(detail=f"`{sink.detail}`")
            elif sink.kind == "stored":
                message = _STORED.get(language).format(detail=f"`{sink.detail}`")
            elif sink.kind == "returned":
                message = _RETURNED.get(language).format(detail=f"`{sink.detail}`")
            elif sink.kind == "session":
                message = _SESSION.get(language).format(detail=f"`{sink.detail}`")
            elif sink.kind in _RECORD_WHERE:
                where = _RECORD_WHERE[sink.kind].get(language).format(detail=f"`{sink.detail}`")
                message = _RECORD.get(language).format(where=where)
            elif sink.kind == "jwt":
                key = sink.detail.split('"')[1] if '"' in sink.detail else "exp"
                message = _JWT.get(language).format(key=key)
            elif sink.flow.kind == WALL and sink.kind in ("orm", "sql"):
                where = _WHERE[sink.kind].get(language).format(detail=f"`{sink.detail}`")
                message = _STAMP.get(language).format(where=where)
            else:
                where = _WHERE[sink.kind].get(language).format(detail=f"`{sink.detail}`")
                extra = _REDIS_EXTRA.get(language) if sink.kind == "redis" else ""
                message = _GENERIC.get(language).format(where=where, extra=extra)
            self.report(sink.node, message=message, confidence=sink.confidence or results.confidence(sink.flow),
                        fix=expiry_fix(sink, results.analysis, self.ctx))
