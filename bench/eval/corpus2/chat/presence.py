"""Presence service for the chat backend.

* user presence: a Redis key with a TTL refreshed by the websocket gateway;
* gateway nodes: each websocket gateway reports to the presence service every 5s; if a
  gateway disappears we move its sockets' users to "reconnecting".
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import redis.asyncio as aioredis

log = logging.getLogger("presence")

USER_PRESENCE_TTL = 45          # seconds; the key just expires
NODE_HEARTBEAT_TIMEOUT = 15     # seconds
TYPING_INDICATOR_TTL = 6


@dataclass
class GatewayNode:
    node_id: str
    last_heartbeat: float
    suspected_by: set[str]


class PresenceService:
    def __init__(self, rds: aioredis.Redis, peers: list[str], me: str) -> None:
        self.rds = rds
        self.nodes: dict[str, GatewayNode] = {}
        self.peers = peers
        self.me = me

    async def user_online(self, user_id: str) -> None:
        await self.rds.set(f"presence:{user_id}", "online", ex=USER_PRESENCE_TTL)  # ok: cache TTL

    async def typing(self, room_id: str, user_id: str) -> None:
        await self.rds.setex(f"typing:{room_id}:{user_id}", TYPING_INDICATOR_TTL, 1)  # ok

    def node_heartbeat(self, node_id: str) -> None:
        node = self.nodes.get(node_id)
        if node is None:
            self.nodes[node_id] = GatewayNode(node_id, time.monotonic(), set())
        else:
            node.last_heartbeat = time.monotonic()
            node.suspected_by.clear()

    async def sweep(self) -> None:
        now = time.monotonic()
        for node in list(self.nodes.values()):
            silence = now - node.last_heartbeat
            if silence > NODE_HEARTBEAT_TIMEOUT:  # expect: ARM301
                log.error("gateway %s dead after %.1fs", node.node_id, silence)
                await self._evict(node.node_id)

    async def sweep_with_quorum(self, ask_peer) -> None:
        """Newer path: a node is declared dead only when a majority of peers agree."""
        now = time.monotonic()
        for node in list(self.nodes.values()):
            if now - node.last_heartbeat > NODE_HEARTBEAT_TIMEOUT:  # ok: only a suspicion, quorum below
                node.suspected_by.add(self.me)
                votes = await asyncio.gather(*(ask_peer(p, node.node_id) for p in self.peers))
                node.suspected_by.update(p for p, v in zip(self.peers, votes) if v)
                if len(node.suspected_by) > (len(self.peers) + 1) // 2:
                    await self._evict(node.node_id)

    async def _evict(self, node_id: str) -> None:
        self.nodes.pop(node_id, None)
        users = await self.rds.smembers(f"gateway:{node_id}:users")
        if users:
            pipe = self.rds.pipeline()
            for u in users:
                pipe.set(f"presence:{u.decode()}", "reconnecting", ex=USER_PRESENCE_TTL)
            await pipe.execute()


async def wait_for_ack(queue: asyncio.Queue, msg_id: str, timeout: float = 3.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout  # ok: loop.time() is monotonic
    while loop.time() < deadline:
        try:
            ack = await asyncio.wait_for(queue.get(), timeout=deadline - loop.time())
        except asyncio.TimeoutError:
            return False
        if ack == msg_id:
            return True
    return False
