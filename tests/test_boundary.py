"""The layers' boundary: only the store knows Redis; above it, the store's own error."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bot.store.errors import StorageUnavailable
from bot.store.queue import DueQueue
from bot.store.repository import Store
from bot.store.server import free_port

ROOT = Path(__file__).resolve().parents[1] / "bot"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("layer", ["service", "jobs", "core"])
def test_service_jobs_and_core_import_nothing_from_redis(layer):
    for path in (ROOT / layer).rglob("*.py"):
        redis_imports = {m for m in _imports(path) if m == "redis" or m.startswith("redis.")}
        assert not redis_imports, f"{path.relative_to(ROOT)} imports {redis_imports}"


async def test_an_unreachable_redis_is_the_stores_own_error():
    # a port nothing listens on: the connection is refused
    client = aioredis.from_url(f"redis://127.0.0.1:{free_port()}", decode_responses=True)
    try:
        with pytest.raises(StorageUnavailable):
            await Store(client, None).relationship("slack:T1", "r1")
        with pytest.raises(StorageUnavailable):
            await DueQueue(client).size()
    finally:
        await client.aclose()
