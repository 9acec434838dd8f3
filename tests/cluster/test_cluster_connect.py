"""`RAPPORT_REDIS_CLUSTER=1` with REDIS_URL naming one node: the bot runs on the cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, from_env
from bot.service.app import build
from bot.store.connection import connect
from tests.service_helpers import DM, actor


async def test_settings_connect_to_the_whole_cluster(redis_cluster, redis, clock, tmp_path: Path):
    env = {
        "REDIS_URL": f"redis://127.0.0.1:{redis_cluster.ports[0]}/0",
        "RAPPORT_REDIS_CLUSTER": "1",
    }
    settings = from_env(env)
    conn = connect(settings.redis_url, tmp_path, cluster=settings.redis_cluster)
    try:
        rapport = await build(settings, clock, conn.redis)
        assert await rapport.healthy()
        for n in range(30):  # tenants spread over the three masters
            me = actor(tenant=f"slack:T{n}")
            assert "Added" in (await rapport.command(me, "add Sam", DM)).summary
            assert "Sam" in (await rapport.command(me, "list", DM)).summary
    finally:
        await conn.close()


def test_cluster_mode_needs_a_node_url():
    with pytest.raises(ConfigError, match="RAPPORT_REDIS_CLUSTER"):
        from_env({"RAPPORT_REDIS_CLUSTER": "1"})
