"""A three-master Redis Cluster on 127.0.0.1, from the same redis-server the suite uses."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.store.server import EmbeddedRedis, free_port

SLOTS = 16384
CHUNK = 2000  # ADDSLOTS arguments per call (ADDSLOTSRANGE is Redis 7; the binary is 6.2)


def cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free too."""
    for _ in range(200):
        port = free_port()
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", port + 10000))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


def _command(port: int, *args: str | int) -> bytes:
    """One RESP command over a plain socket: set-up needs no client library."""
    parts = [str(a).encode() for a in args]
    packed = b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(packed)
        reply = b""
        while not reply.endswith(b"\r\n") or _incomplete(reply):
            chunk = conn.recv(65536)
            if not chunk:
                break
            reply += chunk
    if reply.startswith(b"-"):
        raise RuntimeError(f"redis {args[0:2]!r}: {reply.decode().strip()}")
    return reply


def _incomplete(reply: bytes) -> bool:
    """A bulk reply ($<n>) is complete once its n bytes and CRLF are in."""
    if not reply.startswith(b"$"):
        return False
    head, _, body = reply.partition(b"\r\n")
    size = int(head[1:])
    return size >= 0 and len(body) < size + 2


@dataclass
class LocalCluster:
    """Three masters, slots split evenly, joined with CLUSTER MEET."""

    base: Path
    masters: int = 3
    nodes: list[EmbeddedRedis] = field(default_factory=list)

    @property
    def ports(self) -> list[int]:
        return [n.port for n in self.nodes if n.port is not None]

    def start(self, timeout: float = 30.0) -> LocalCluster:
        for i in range(self.masters):
            node = EmbeddedRedis(
                data_dir=self.base / f"node{i}",
                port=cluster_port(),
                appendonly=False,
                extra_args=(
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "5000",
                ),
            )
            self.nodes.append(node.start())
        per = SLOTS // self.masters
        for i, port in enumerate(self.ports):
            first = i * per
            last = SLOTS - 1 if i == self.masters - 1 else first + per - 1
            for lo in range(first, last + 1, CHUNK):
                _command(port, "CLUSTER", "ADDSLOTS", *range(lo, min(lo + CHUNK, last + 1)))
        for port in self.ports[1:]:
            _command(port, "CLUSTER", "MEET", "127.0.0.1", self.ports[0])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self._ready(port) for port in self.ports):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("the Redis Cluster did not reach cluster_state:ok")

    def _ready(self, port: int) -> bool:
        info = _command(port, "CLUSTER", "INFO")
        nodes = _command(port, "CLUSTER", "NODES")
        known = nodes.count(b"master") >= self.masters and b"handshake" not in nodes
        return b"cluster_state:ok" in info and known

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        self.nodes.clear()
