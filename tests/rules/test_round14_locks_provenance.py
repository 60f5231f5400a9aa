"""Round 14: a lock judged by the library that built it, followed through the code that builds it
(`_lock_provenance`). The coordinator or client a lock is taken from often comes out of a project
function, a method of a project class, a module global set under `global`, a helper's returned
tuple or an attribute set in `__init__`; the library at the end of that chain says whether the
lock lives in another process and lapses (a lock service's) or in this one (threading, a file
lock). Look-alikes: the same chains ending in the standard library, a file-lock library, the
project's own in-memory class, or a parameter nobody binds."""
from __future__ import annotations

import textwrap

from analyzers import Settings, analyze, build_project_index

LOCKS = Settings(select=frozenset({"ARM201"}))


def flagged_in(files: dict[str, str], path: str) -> list[tuple[str, int]]:
    """Findings of one module analysed with the project index of all of them."""
    texts = {name: textwrap.dedent(code) for name, code in files.items()}
    index = build_project_index(texts)
    report = analyze(path, texts[path], LOCKS, project=index)
    assert report.notes == []
    return [(f.rule, f.line) for f in report.findings]


_COORDINATION = '''
from tooz import coordination as tooz_coordination

from depot.stub import NullDriver

COORDINATOR = None


def _setup(member):
    if member:
        driver = tooz_coordination.get_coordinator("etcd3+http://dlm:2379", member)
    else:
        driver = NullDriver()
    return driver


def get_coordinator(member=b"depot"):
    global COORDINATOR
    if COORDINATOR is None:
        COORDINATOR = _setup(member)
        COORDINATOR.start(start_heart=True)
    return COORDINATOR
'''

_STUB = '''
class NullDriver:
    def start(self, start_heart=False):
        return None

    def get_lock(self, name):
        return NullLock()


class NullLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
'''


def _shipments(source: str) -> str:
    """A caller taking a lock from `source` (`module.factory()`) around a row save."""
    module = source.split(".")[0]
    return f'''
    from depot import {module}
    from depot.models import Shipment


    def mark_sent(shipment_id, carrier):
        with {source}.get_lock(str(shipment_id)):
            shipment = Shipment.get(shipment_id)
            shipment.carrier = carrier
            shipment.save()
    '''


# --- flagged ------------------------------------------------------------------------------------
def test_lock_from_a_project_function_returning_a_lock_service_client_is_flagged_at_the_write():
    files = {
        "depot/__init__.py": "",
        "depot/stub.py": _STUB,
        "depot/coordination.py": _COORDINATION,
        "depot/shipments.py": '''
        from depot import coordination
        from depot.models import Shipment


        def mark_sent(shipment_id, carrier):
            shipment = Shipment.get(shipment_id)
            with coordination.get_coordinator().get_lock(str(shipment_id).encode()):
                if shipment.state == "sent":
                    return shipment
                shipment.carrier = carrier
                shipment.save()
            return shipment
        ''',
    }
    assert flagged_in(files, "depot/shipments.py") == [("ARM201", 12)]


def test_lock_from_a_helper_tuple_on_a_client_kept_in_init_is_flagged_at_the_acquisition():
    files = {
        "billing/rating.py": '''
        import hashlib

        from tooz import coordination


        def get_lock(coord, scope_id):
            name = hashlib.sha1(scope_id.encode()).hexdigest()
            return name, coord.get_lock(name.encode())


        class Rater:
            def __init__(self, url):
                self.coord = coordination.get_coordinator(url, b"rater")
                self.coord.start(start_heart=True)

            def run(self, scopes):
                for scope_id in scopes:
                    name, lock = get_lock(self.coord, scope_id)
                    if lock.acquire(blocking=False):
                        try:
                            self.process_scope(scope_id)
                        finally:
                            lock.release()

            def process_scope(self, scope_id):
                raise NotImplementedError
        ''',
    }
    assert flagged_in(files, "billing/rating.py") == [("ARM201", 20)]


def test_lock_from_a_client_a_project_class_method_returns_is_flagged_at_the_write():
    files = {
        "confsync/__init__.py": "",
        "confsync/zk.py": '''
        from kazoo.client import KazooClient


        class ClientPool:
            _clients = {}

            def __init__(self, hosts):
                self.hosts = hosts

            def client(self):
                if self.hosts not in self._clients:
                    self._clients[self.hosts] = KazooClient(hosts=self.hosts)
                return self._clients[self.hosts]
        ''',
        "confsync/publish.py": '''
        import boto3

        from confsync.zk import ClientPool


        def publish(hosts, path, body):
            lock = ClientPool(hosts).client().Lock(path + "/writer")
            if not lock.acquire(blocking=False):
                raise RuntimeError("another writer holds it")
            try:
                boto3.client("s3").put_object(Bucket="conf", Key=path, Body=body)
            finally:
                lock.release()
        ''',
    }
    assert flagged_in(files, "confsync/publish.py") == [("ARM201", 12)]


# --- never flagged ------------------------------------------------------------------------------
def test_same_chain_ending_in_the_standard_library_is_not_flagged():
    files = {
        "depot/__init__.py": "",
        "depot/guards.py": '''
        import threading

        _GUARDS = {}


        def get_registry():
            return Registry()


        class Registry:
            def get_lock(self, name):
                if name not in _GUARDS:
                    _GUARDS[name] = threading.RLock()
                return _GUARDS[name]
        ''',
        "depot/shipments.py": _shipments("guards.get_registry()"),
    }
    assert flagged_in(files, "depot/shipments.py") == []


def test_chain_ending_in_a_file_lock_library_is_not_flagged():
    files = {
        "cache/__init__.py": "",
        "cache/locks.py": '''
        from filelock import FileLock


        def get_lock(path):
            return FileLock(path + ".lock", timeout=10)
        ''',
        "cache/build.py": '''
        from cache.locks import get_lock


        def rebuild(path, payload):
            lock = get_lock(path)
            with lock:
                with open(path, "w") as handle:
                    handle.write(payload)
        ''',
    }
    assert flagged_in(files, "cache/build.py") == []


def test_project_stand_in_with_no_library_behind_it_is_not_flagged():
    files = {
        "depot/__init__.py": "",
        "depot/stub.py": _STUB,
        "depot/coordination.py": '''
        from depot.stub import NullDriver


        def get_coordinator():
            return NullDriver()
        ''',
        "depot/shipments.py": _shipments("coordination.get_coordinator()"),
    }
    assert flagged_in(files, "depot/shipments.py") == []


def test_coordinator_handed_in_by_an_unknown_caller_is_not_flagged():
    files = {
        "depot/shipments.py": '''
        from depot.models import Shipment


        def mark_sent(coordinator, shipment_id, carrier):
            with coordinator.get_lock(str(shipment_id)):
                shipment = Shipment.get(shipment_id)
                shipment.carrier = carrier
                shipment.save()
        ''',
    }
    assert flagged_in(files, "depot/shipments.py") == []


# --- the guarded change: a store client looked up under the lock -----------------------------------
_SEARCH = '''
import contextlib

import redis
from redis.lock import Lock


class IndexLock(Lock):
    def __init__(self, redis_client, timeout=None, blocking_timeout=None):
        super().__init__(redis_client, name="catalog-index", timeout=timeout, blocking_timeout=blocking_timeout)


def drop_from_index(request, product_id):
    r = redis.Redis.from_url(request.settings["broker_url"])
    with IndexLock(r, timeout=15, blocking_timeout=1):
        client = request.registry["search.client"]
        index_name = request.registry["search.index"]
        with contextlib.suppress(KeyError):
            client.{verb}(index=index_name, id=product_id)
'''


def test_expiring_lock_around_a_change_through_a_looked_up_client_is_flagged_at_the_acquisition():
    assert flagged_in({"catalog/tasks.py": _SEARCH.replace("{verb}", "delete")}, "catalog/tasks.py") == [("ARM201", 15)]


def test_expiring_lock_around_a_read_through_a_looked_up_client_is_not_flagged():
    assert flagged_in({"catalog/tasks.py": _SEARCH.replace("{verb}", "get")}, "catalog/tasks.py") == []


def test_expiring_lock_around_changes_to_a_value_built_in_memory_is_not_flagged():
    files = {
        "catalog/tasks.py": '''
        import io

        import redis
        from redis.lock import Lock


        def render(url, rows):
            r = redis.Redis.from_url(url)
            with Lock(r, "render", timeout=15):
                buffer = io.StringIO()
                for row in rows:
                    buffer.write(row)
            return buffer.getvalue()
        ''',
    }
    assert flagged_in(files, "catalog/tasks.py") == []
