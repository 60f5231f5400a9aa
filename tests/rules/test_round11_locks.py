"""Round 11: locks taken through coordination libraries (tooz, etcd leases, ZooKeeper ephemeral
nodes) and a project's tooz wrapper decorating its writers (ARM201)."""
from __future__ import annotations

from analyzers import Settings

from .helpers import flagged

LOCKS = Settings(select=frozenset({"ARM201", "ARM202"}))


def test_tooz_lock_held_around_work_is_flagged():
    code = """
        from tooz import coordination

        coordinator = coordination.get_coordinator("etcd3+http://etcd:2379", b"node-a")


        def rebuild(store, key):
            with coordinator.get_lock(b"rebuild-" + key):
                store.save(key, compute(key))
    """
    assert flagged(code, LOCKS, "svc/rebuild.py") == [("ARM201", 8)]


def test_wrapper_decorator_taking_a_coordinator_lock_is_flagged():
    code = """
        import functools


        def serialised(name):
            def outer(fn):
                @functools.wraps(fn)
                def inner(self, *args, **kwargs):
                    held = self.coordinator.get_lock(name)
                    with held:
                        return fn(self, *args, **kwargs)
                return inner
            return outer
    """
    assert flagged(code, LOCKS, "svc/decorators.py") == [("ARM201", 9)]


def test_project_coordination_decorator_on_a_writer_is_flagged():
    code = """
        from shipyard import coordination
        from shipyard.coordination import synchronized


        class Manager:
            @coordination.synchronized("{vol_id}-detach")
            def detach(self, ctx, vol_id):
                self.db.volume_update(ctx, vol_id, {"status": "available"})

            @synchronized("create-{name}")
            def create(self, ctx, name):
                self.db.volume_create(ctx, {"name": name})
    """
    assert flagged(code, LOCKS, "shipyard/manager.py") == [("ARM201", 7), ("ARM201", 11)]


def test_etcd_create_bound_to_a_lease_is_flagged():
    code = """
        import etcd3gw


        class Board:
            def claim(self, job, who):
                lease = self._client.lease(ttl=30)
                if not self._client.create(job.key + ".lock", who, lease=lease):
                    lease.revoke()
                    raise RuntimeError("taken")
    """
    assert flagged(code, LOCKS, "svc/board.py") == [("ARM201", 8)]


def test_zookeeper_ephemeral_claim_is_flagged():
    code = """
        from kazoo import exceptions


        class Board:
            def claim(self, job, who):
                try:
                    self._client.create(job.owner_path, value=who, ephemeral=True)
                except exceptions.NodeExistsError:
                    raise RuntimeError("taken")
    """
    assert flagged(code, LOCKS, "svc/zkboard.py") == [("ARM201", 8)]


def test_lookalikes_are_not_flagged():
    code = """
        import multiprocessing
        from kazoo import exceptions
        from oslo_concurrency import lockutils
        import etcd3gw

        counter = multiprocessing.Value("i", 0)


        class Registry:
            def get_lock(self, name):
                return self._coordinator.get_lock(name)

            def register(self, member):
                try:
                    self._zk.create("/members/" + member, ephemeral=True)
                except exceptions.NodeExistsError:
                    pass

            def publish(self, key, value):
                self._etcd.create(key, value)

            @lockutils.synchronized("local")
            def bump(self):
                with counter.get_lock():
                    counter.value += 1

            def probe(self, name):
                with self.coordinator.get_lock(name):
                    LOG.info("held %s", name)
    """
    assert flagged(code, LOCKS, "svc/registry.py") == []


def test_tooz_drivers_own_get_lock_is_not_flagged():
    code = """
        import tooz
        from tooz import coordination


        class LocalDriver(coordination.CoordinationDriver):
            def _start(self):
                self._lock = self.get_lock(b"internal")
    """
    assert flagged(code, LOCKS, "tooz/drivers/local.py") == []
