"""The worker's clock check on Redis Cluster: TIME is answered per node."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.service_helpers import make_service


async def test_the_clock_check_reads_the_cluster_time(redis, clock):
    rapport, _ = await make_service(redis, clock)
    server = await rapport.ctx.store.server_time()
    clock.set(datetime.fromtimestamp(server, tz=UTC))
    assert abs(await rapport.clock_skew()) < 5
