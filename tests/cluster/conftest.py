"""Cluster fixtures: the same tests, on a three-master Redis Cluster instead of one Redis.

`redis` is overridden here, so every test under tests/cluster gets a
`redis.asyncio.cluster.RedisCluster` client (decode_responses=True) on a flushed cluster.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from cluster import LocalCluster
from redis.asyncio.cluster import RedisCluster


class WholeCluster(RedisCluster):
    """KEYS over every primary (redis-py sends it to one random node), so the tests that
    list keys to prove something is gone, or was never written, see the whole cluster."""

    async def keys(self, pattern="*", **kwargs):
        kwargs.setdefault("target_nodes", RedisCluster.PRIMARIES)
        return await super().keys(pattern, **kwargs)


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    cluster = LocalCluster(Path(tmp_path_factory.mktemp("cluster"))).start()
    yield cluster
    cluster.stop()


@pytest.fixture
async def redis(redis_cluster: LocalCluster) -> AsyncIterator[WholeCluster]:
    client = WholeCluster(host="127.0.0.1", port=redis_cluster.ports[0], decode_responses=True)
    await client.flushall()
    yield client
    await client.flushall()
    await client.aclose()


def _slack_fixtures():
    """The Slack suite's fixtures (fake Slack, the bot's app, signed users), loaded by path."""
    import importlib.util  # noqa: PLC0415
    import sys  # noqa: PLC0415

    here = Path(__file__).resolve().parent.parent / "slack"
    if str(here) not in sys.path:
        sys.path.insert(0, str(here))  # fake_slack, slack_steps: imported as top-level modules
    spec = importlib.util.spec_from_file_location("cluster_slack_fixtures", here / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_slack = _slack_fixtures()
fake_slack = _slack.fake_slack
slack_settings = _slack.slack_settings
slack_client = _slack.slack_client
http = _slack.http
rapport = _slack.rapport
bot_url = _slack.bot_url
alice = _slack.alice
bob = _slack.bob
