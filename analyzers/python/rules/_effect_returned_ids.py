"""Effects known by what they return (ARM402): a call on a collaborator whose type is out of
sight (an injected client or driver, a plugin, a service object, the class's own helper) that
hands back an identifier, which the function then stores in the database.

The identifier is the evidence. `bug = self.tracker.file_bug(alert)` followed by
`alert.bug_number = bug["id"]; alert.save()` says that something now exists in another system
under that number and that our database learns of it only afterwards: a crash in between
leaves the object there with no trace here, and the retry makes a second one. No name list of
clients or services is needed; what the value is (an id, a URL, a number handed back by the
call) and where it goes (a column, a keyword of an insert) decide.

Left out: the database's own calls (ORM managers, sessions, repositories, caches), classes and
imported modules (their functions are summarised in the project index and judged there),
reads and pure computations (`get_*`, `find_*`, `build_*`, `generate_*`, ...: a looked-up row's
id stored as a foreign key is no effect), and the class's own helpers whose body writes its own
record or calls nothing outside the object.
"""
from __future__ import annotations

import re

import libcst as cst

from ._effects_flow import Flow, Site, runs_after
from ._sqltext import string_text
from ..walk import walk

# A field that holds another system's handle on a thing: an id, a URL, a number, a timestamp
# key (Slack's `ts`), an ARN.
REFERENCE = re.compile(r"(?i)(?:^|_)(?:ids?|uuid|urls?|uri|number|ref|reference|ts|arn|sid)$|[a-z0-9](?:Id|ID|Url|URL|Uri)$")
# Calls that read or compute rather than act: their result stored is a lookup, not an effect.
_READ_VERB = re.compile(
    r"^_*(?:get|fetch|find|load|lookup|look_up|retrieve|read|query|search|list|select|resolve|parse|format|"
    r"render|build|make|compute|calc|calculate|count|check|validate|verify|is|has|to|as|from|new|next|"
    r"encode|decode|hash|sign|serialize|deserialize|dumps|loads|copy|clone|convert|normalize|clean|generate|"
    r"random|url|uri|id|uuid|ids|reverse|extract|prepare|wait|poll|ping|acquire|lock|connect|authenticate|"
    r"login|refresh|describe|show|head|download|split|join|strip|replace|lower|upper|pop|append|extend|keys|"
    r"values|items|setdefault|group|match|sub|filter|exclude|order_by|annotate|aggregate|first|last|one|all|"
    r"scalar|scalars|execute|fetchone|fetchall|json|text|read_text|decode|result|wait_for|current|latest|"
    r"ensure|get_or_create|update_or_create|save|add|delete|update|insert|commit|flush|merge|refresh_from_db|"
    r"inspect|stat|status|info|probe|peek|view|preview|estimate|detect|guess|discover|scan|test|measure|sample|"
    r"choose|pick|elect|groups|groupdict|"
    # a store's own read commands (`pool.zrangebyscore(...)`, `r.hmget(...)`) and upserts, which
    # find the existing thing before they create one (`users.create_or_update(u)`)
    r"[zlx]?(?:rev)?range(?:by\w+)?|[zhs]?scan|[hm]+get\w*|smembers|sismember|zscore|zrank|[zsh]card|[lh]len|"
    r"hkeys|hvals|exists|create_or_update|upsert|find_or_create"
    r")(?:_|$)"
)
# Receivers that are the database (or a cache, or logging): their calls are the record itself.
_STORAGE_PART = re.compile(
    r"(?i)^_?(?:\w+_)?(?:objects|session|sessions|db|database|conn|connection|cursor|cur|cache|redis|repo|repos|"
    r"repository|repositories|dao|query|queryset|tx|txn|transaction|orm|log|logger|logging|models?|pool)$|_set$"
    r"|^_?(?:db|database)_?api$"
)
# What a storage receiver does when it records: `self.db.add(...)`, `repo.save(...)`, `dao.insert_x(...)`.
# (`set_`/`mark_`/`log_` are left out: on an HTTP session or a logger they keep nothing.)
_STORAGE_WRITE = re.compile(
    r"^_?(?:add|save|create|insert|update|upsert|record|store|put|persist|run|execute)(?:_|$)"
    r"|_(?:add|save|create|insert|update|upsert|record|store|persist)$"
)
_LOGGER = re.compile(r"(?i)(?:^|\.)_?(?:log|logger|logging|LOG|LOGGER)$")


def stored_reference(site: Site, flow: Flow, ctx) -> Site | None:
    """The later call that stores in the database an identifier this collaborator call
    returned, or None."""
    from ._effect_id_handoffs import returns_created

    if not _collaborator_call(site, flow, ctx) and not returns_created(
        site, flow, ctx, lambda inner_site, inner: _collaborator_call(inner_site, inner, ctx)
    ):
        return None
    return result_stored(site, flow, ctx)


def result_stored(site: Site, flow: Flow, ctx) -> Site | None:
    """The later call that stores an identifier from this call's result (whatever the call is:
    a known effect's record may be kept this way too), or None."""
    from ._effect_id_handoffs import derived_names

    names = _result_names(site, flow)
    direct = [
        (index, target) for index, target, value in flow.attr_assigns
        if _unwrap(value) is site.node and REFERENCE.search(target.attr.value)
    ]
    if not names and not direct:
        return None
    names = derived_names(flow, names, site.index, _mentions)
    return _store_after(site, flow, ctx, names, direct, _given_ids(site))


def _store_after(site: Site | None, flow: Flow, ctx, names: frozenset[str], direct, given: frozenset[str]) -> Site | None:
    """The first call after `site` (from the start of `flow` when None: the body of a helper
    handed the result) that stores an identifier taken from `names`."""
    from ._db_writes import db_write
    from ._effect_id_handoffs import derived_names, handed_to_helper, setter_slot
    from ._effect_records import writer_calls
    from ._effect_writers import writes_record
    from ._effects_named import _inner_flow, records_by_name

    start = -1 if site is None else site.index
    writers = None
    for record in flow.sites[start + 1:]:
        if site is not None and (record.node is site.node or not runs_after(site, record, flow)):
            continue
        saves = db_write(record, flow, ctx, pending=True) is not None or storage_write(record)
        targets = [target for index, target in direct if start < index <= record.index] + [
            target for index, target, value in flow.attr_assigns
            if start < index <= record.index and _mentions(value, names, target.attr.value)
        ]
        if targets and (saves or any(_saves_object(record, target, ctx) for target in targets)):
            return record  # `alert.bug_number = bug["id"]` ... `alert.save()` / `op.update(context)`
        if site is not None:
            helper = handed_to_helper(record, names, flow, ctx)
            if helper is not None:  # `self._submitted(run, response)`: the helper's body stores it
                local, received = helper
                inner = _inner_flow(local, flow, ctx)
                if _store_after(None, inner, ctx, derived_names(inner, received, 0, _mentions), [], frozenset()):
                    return record
                continue
        slot = setter_slot(record)  # `run.set_job_id(handle)`: the method names the field
        if not any(_mentions(a.value, names, a.keyword.value if a.keyword else slot) for a in record.node.args):
            continue
        if given and _round_trip(record, names, given):
            continue  # `pd = tree.data(uuid)` ... `set_inventory(pd.uuid)`: the id it was given, read back
        if saves or records_by_name(record, flow, ctx):
            return record  # `Request.objects.create(task_id=task_id)`, `db.run("update ...", (url, id))`
        built = _instance_saved(record, flow) if site is not None and not _READ_WORD.search(site.method) else None
        if built is not None:
            return built  # `link = IssueLink(remote_id=issue.id)` ... `link.save()`
        if site is None:
            if slot is not None or writes_record(record, ctx):
                return record  # inside the helper: `run.set_pipeline_id(pipeline_id)`
            continue
        if _handed_to_keeper(record, site):
            return record
        if writers is None:
            writers = {id(s.node) for s in writer_calls(flow, site, ctx)}
        if id(record.node) in writers:
            return record
    return None


def _given_ids(site: Site) -> frozenset[str]:
    """Names of the identifiers the call is handed: a bare identifier-named argument
    (`tree.data(uuid)`) or keyword (`lookup(task_id=...)`). Another object's `.id` is left out:
    `create_customer(organization.id)` hands over the owner's id, and the customer's `.id` it
    returns is new."""
    found = set()
    for arg in site.node.args:
        if arg.keyword is not None and REFERENCE.search(arg.keyword.value):
            found.add(arg.keyword.value)
        elif isinstance(arg.value, cst.Name) and REFERENCE.search(arg.value.value):
            found.add(arg.value.value)
    return frozenset(found)


def _round_trip(record: Site, names: frozenset[str], given: frozenset[str]) -> bool:
    """Every identifier the record takes from the call's result is one the call was handed:
    the call looked the thing up by its id, it did not create it."""
    taken = [
        a.value.attr.value for a in record.node.args
        if isinstance(a.value, cst.Attribute) and isinstance(a.value.value, cst.Name) and a.value.value.value in names
        and REFERENCE.search(a.value.attr.value)
    ]
    return bool(taken) and all(part in given for part in taken)


def storage_write(site: Site) -> bool:
    """A write through an object that is the database by its name (`self.db.add(row)`,
    `self.order_repo.save(order)`): the record even when no commit is in sight (the request's
    transaction commits it)."""
    if "." not in site.chain or not _STORAGE_WRITE.search(site.method):
        return False
    receiver = site.chain.rsplit(".", 1)[0]
    last = receiver.rsplit(".", 1)[-1].removesuffix("()")
    return bool(_STORAGE_PART.match(last)) and not _LOGGER.search(receiver)


# A read named as such anywhere in the callee's name (`jira_get_issue`, `tracker_find_bug`): what
# it returns existed before, and linking it creates nothing elsewhere.
_READ_WORD = re.compile(r"(?i)(?:^|_)(?:get|fetch|find|load|lookup|read|retrieve|search|query|list)(?:_|$)")


def _instance_saved(record: Site, flow: Flow) -> Site | None:
    """`record` builds a model instance (`Link(remote_id=issue.id)`, a class called by name) bound
    to a local name that a later call saves (`link.save()`, `session.add(link)`)."""
    func = record.node.func
    if not (isinstance(func, cst.Name) and func.value[:1].isupper()):
        return None
    bound = {name for name, values in flow.values.items() if "." not in name and any(_unwrap(v) is record.node for _, v in values)}
    for later in flow.sites[record.index + 1:]:
        if not runs_after(record, later, flow):
            continue
        receiver = later.chain.rsplit(".", 1)[0] if "." in later.chain else ""
        if receiver in bound and later.method in _OBJECT_SAVE:
            return later
        if storage_write(later) and any(isinstance(a.value, cst.Name) and a.value.value in bound for a in later.node.args):
            return later
    return None


_OBJECT_SAVE = frozenset({"save", "update", "create", "commit", "put", "persist", "store", "flush", "insert"})
# A method of another object that keeps what it is handed (`service.add_stripe_customer(customer_id=...)`).
_KEEPER_VERB = re.compile(r"^_?(?:add|save|record|store|insert|persist|set|mark|register|link|attach|associate)_")


def _saves_object(record: Site, target: cst.Attribute, ctx) -> bool:
    """`op.grant_id = grant.id` then `op.update(context)`: the object the id was set on saves itself."""
    if record.method not in _OBJECT_SAVE or "." not in record.chain:
        return False
    return record.chain.rsplit(".", 1)[0] == ctx.code_for(target.value)


_KEEPER_RECORD = re.compile(r"^_?(?:add|save|record|store|insert|persist|mark)_\w")


def keeper_record(site: Site) -> bool:
    """`dataset.add_task(task_id, stage)`: an object's add_/save_/record_ method handed an
    identifier keeps the fact (in Redis, a table, another service). Without an identifier
    (`messages.add_message(request, "sent")`) it is display, not a record."""
    if "." not in site.chain or not _KEEPER_RECORD.match(site.method) or _LOGGER.search(site.chain.rsplit(".", 1)[0]):
        return False
    for arg in site.node.args:
        if arg.keyword is not None and REFERENCE.search(arg.keyword.value):
            return True
        value = arg.value
        if isinstance(value, cst.Name) and REFERENCE.search(value.value):
            return True
        if isinstance(value, cst.Attribute) and REFERENCE.search(value.attr.value):
            return True
    return False


def _handed_to_keeper(record: Site, effect: Site) -> bool:
    """The identifier is handed to another object's add_/save_/record_ method: that object keeps it."""
    if "." not in record.chain or not _KEEPER_VERB.match(record.method):
        return False
    return record.chain.rsplit(".", 1)[0] != effect.chain.rsplit(".", 1)[0]


def _collaborator_call(site: Site, flow: Flow, ctx) -> bool:
    """A method call on an object of unknown type that may act on another system."""
    if "." not in site.chain or site.method.startswith("__") or _READ_VERB.match(site.method):
        return False
    if REFERENCE.search(site.method):
        return False  # named for the identifier it returns (`generator.order_number(basket)`): a getter
    if site.method[:1].isupper():
        return False
    receiver = site.chain.rsplit(".", 1)[0]
    parts = [p.removesuffix("()").removesuffix("[]") for p in receiver.split(".")]
    head = parts[0]
    # `provider_for(exam).register(...)`: what an imported function returns is an object, not the module
    returned = receiver.split(".", 1)[0].endswith("()") and head[:1].islower()
    if not head or head == "?" or (head in flow.imports and not returned) or head[:1].isupper() or head in ("super", "cls"):
        return False  # a module or a class: the project index summarises those
    if any(_STORAGE_PART.match(p) for p in parts) or _LOGGER.search(receiver):
        return False
    if receiver == "self":
        return _own_helper_acts(site, flow, ctx)
    return True


def _own_helper_acts(site: Site, flow: Flow, ctx) -> bool:
    """`self._create_resources(...)`: the class's own helper counts when its body calls another
    object's methods (a client, a driver) and writes no record of its own."""
    from ._effects_named import _LOCAL_DB, _local_callee

    local = _local_callee(site, flow, ctx)
    if local is None or _LOCAL_DB.search(ctx.code_for(local.body)):
        return False
    found = False

    class _Calls(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            nonlocal found
            func = node.func
            if isinstance(func, cst.Attribute) and not _READ_VERB.match(func.attr.value):
                receiver = func.value
                if isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name) and receiver.value.value == "self":
                    if not _STORAGE_PART.match(receiver.attr.value) and not _LOGGER.search(receiver.attr.value):
                        found = True
                elif isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Attribute):
                    found = True  # `self.nova.flavors.create(...)`

    walk(local.body, _Calls())
    return found


def _unwrap(value: cst.BaseExpression) -> cst.BaseExpression:
    return value.expression if isinstance(value, cst.Await) else value


def _result_names(site: Site, flow: Flow) -> frozenset[str]:
    names = set()
    for table in (flow.values, flow.unpacked):
        for name, bindings in table.items():
            if "." not in name and any(_unwrap(value) is site.node for _, value in bindings):
                names.add(name)
    return frozenset(names)


def _key(node: cst.BaseExpression) -> str | None:
    text = string_text(node, lambda n: None) if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)) else None
    return text


def _mentions(node: cst.CSTNode, names: frozenset[str], slot: str | None) -> bool:
    """`node` carries a reference taken from one of `names` (the call's result): the name
    itself, an attribute, key or `.get()` of it, where the name, the attribute/key or the
    field it goes into (`slot`: a keyword, a dict key, an attribute) says it is an identifier."""
    if not names:
        return False
    slot_ref = bool(slot and REFERENCE.search(slot))
    if isinstance(node, cst.Name):
        return node.value in names and (slot_ref or bool(REFERENCE.search(node.value)))
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value in names:
        return slot_ref or bool(REFERENCE.search(node.attr.value))
    if isinstance(node, cst.Attribute) and _attribute_root(node.value) in names and REFERENCE.search(node.attr.value):
        return True  # `result.transaction.id`: the id of the object the call handed back inside its result
    if isinstance(node, cst.Subscript) and _read_from(node.value, names):
        index = node.slice[0].slice if node.slice else None
        key = _key(index.value) if isinstance(index, cst.Index) else None
        return slot_ref or bool(key and REFERENCE.search(key))
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "get" and _read_from(func.value, names) and node.args:
            key = _key(node.args[0].value)
            return slot_ref or bool(key and REFERENCE.search(key))
        return any(_mentions(a.value, names, a.keyword.value if a.keyword else slot) for a in node.args)
    if isinstance(node, cst.Dict):
        return any(
            isinstance(e, cst.DictElement) and _mentions(e.value, names, _key(e.key) or slot) for e in node.elements
        )
    return any(_mentions(child, names, slot) for child in node.children)


def _attribute_root(node: cst.BaseExpression) -> str | None:
    """`result` of `result.transaction` (attributes only: a call on the way computes another value)."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def _read_from(node: cst.BaseExpression, names: frozenset[str]) -> bool:
    """`resp`, `resp.json()`, `resp.get("data")`, `resp["data"]`: the result itself or a part of
    it read on the way to the key (`resp.json()["id"]`, `resp.get("data").get("id")`)."""
    while True:
        if isinstance(node, cst.Name):
            return node.value in names
        if isinstance(node, cst.Subscript):
            node = node.value
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in ("get", "json"):
            node = node.func.value
        else:
            return False
