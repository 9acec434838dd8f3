"""Operations: a worker runs due jobs only on a clock that agrees with Redis's, and every
process can serve /metrics on METRICS_PORT."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from prometheus_client import REGISTRY

from bot.config import ConfigError, from_env
from bot.jobs.scheduler import Worker
from bot.service.clocks import ClockOff
from bot.store.errors import StorageUnavailable
from bot.store.server import free_port
from tests.faults.procs import BotProcess, until
from tests.service_helpers import DM, actor, make_service

SKEW_LIMIT = 5.0


async def _redis_now(redis) -> datetime:
    seconds, micros = await redis.time()
    return datetime.fromtimestamp(int(seconds) + int(micros) / 1e6, tz=UTC)


async def _logged(redis, clock):
    """A service whose clock reads Redis's time, and a check-in due right now."""
    clock.set(await _redis_now(redis))
    rapport, outbox = await make_service(redis, clock)
    await rapport.command(actor(), "add Sam", DM)
    await rapport.command(actor(), "log Sam", DM)
    return rapport, outbox


@pytest.mark.parametrize("off", [timedelta(seconds=30), timedelta(seconds=-30)])
async def test_a_worker_whose_clock_is_off_runs_nothing_until_it_agrees(redis, clock, off):
    rapport, outbox = await _logged(redis, clock)
    worker = Worker(rapport, max_clock_skew=SKEW_LIMIT)
    clock.set(await _redis_now(redis) + off)

    await worker.poll()

    assert outbox.to("u1", "checkin") == [] and worker.clock_off
    skew = REGISTRY.get_sample_value("rapport_clock_skew_seconds")
    assert skew is not None and abs(skew - off.total_seconds()) < SKEW_LIMIT
    with pytest.raises(ClockOff, match="Redis's"):
        await rapport.check_clock(SKEW_LIMIT)  # what stops a worker at start

    clock.set(await _redis_now(redis))
    await worker.poll()
    assert len(outbox.to("u1", "checkin")) == 1 and not worker.clock_off


async def test_a_small_difference_is_tolerated(redis, clock):
    rapport, outbox = await _logged(redis, clock)
    clock.set(await _redis_now(redis) + timedelta(seconds=SKEW_LIMIT / 2))
    await Worker(rapport, max_clock_skew=SKEW_LIMIT).poll()
    assert len(outbox.to("u1", "checkin")) == 1


async def test_the_clock_check_reports_redis_down_as_storage_unavailable(clock):
    import redis.asyncio as aioredis  # noqa: PLC0415

    gone = aioredis.from_url(f"redis://127.0.0.1:{free_port()}", decode_responses=True)
    rapport, _ = await make_service(gone, clock)
    with pytest.raises(StorageUnavailable):
        await rapport.clock_skew()
    with pytest.raises(StorageUnavailable):
        await Worker(rapport, max_clock_skew=SKEW_LIMIT).poll()
    await gone.aclose()


def test_metrics_port_must_be_its_own():
    assert from_env({"METRICS_PORT": "9100"}).metrics_port == 9100
    with pytest.raises(ConfigError, match="METRICS_PORT"):
        from_env({"PORT": "9100", "METRICS_PORT": "9100"})


def _env(redis_url: str, tmp_path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "TEAMS_", "RAPPORT_", "REDIS_", "PORT", "METRICS_"))
    }
    env.update(
        REDIS_URL=redis_url,
        RAPPORT_DATA_DIR=str(tmp_path),
        RAPPORT_ALLOW_PLAINTEXT="1",
        RAPPORT_POLL_SECONDS="0.5",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    try:
        async with http.get(url) as resp:
            return resp.status, await resp.text()
    except aiohttp.ClientError:
        return 0, ""


async def test_a_worker_serves_metrics_and_the_web_moves_them_off_the_public_port(
    redis_server, tmp_path
):
    worker_port, web_port, web_metrics = free_port(), free_port(), free_port()
    worker = BotProcess(
        "worker",
        _env(redis_server.url, tmp_path, METRICS_PORT=str(worker_port)),
        tmp_path / "worker.log",
    ).start()
    web = BotProcess(
        "serve",
        _env(redis_server.url, tmp_path, METRICS_PORT=str(web_metrics)),
        tmp_path / "web.log",
        port=web_port,
    ).start()
    try:
        async with aiohttp.ClientSession() as http:
            for port in (worker_port, web_metrics):
                url = f"http://127.0.0.1:{port}/metrics"

                async def scraped(url: str = url) -> bool:
                    status, body = await _get(http, url)
                    return status == 200 and "rapport_due_jobs_total" in body

                await until(scraped, 30, f"/metrics on {port}")
            status, _ = await _get(http, f"http://127.0.0.1:{web_port}/metrics")
            assert status == 404  # not on the port Slack and Teams post to
            assert (await _get(http, f"http://127.0.0.1:{web_port}/healthz"))[0] == 200
    finally:
        worker.stop()
        web.stop()
