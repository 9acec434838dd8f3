"""The durable due-queue against a real Redis: ordering, leases, poison, and exactly-once sends."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from bot.store import keys
from bot.store.queue import Claim, DueQueue, Job, drain
from bot.store.server import EmbeddedRedis, free_port

T0 = 1_767_600_000.0  # a fixed instant; tests pass time explicitly and never sleep on it
LEASE = 60.0


def checkin(n: int, due: float = T0, tenant: str = "slack:T1") -> Job:
    return Job(
        id=f"checkin:{tenant}:rel{n}:1",
        kind="checkin",
        tenant=tenant,
        due=due,
        payload={"relationship": f"rel{n}", "session": 1},
    )


@pytest.fixture
def queue(redis: aioredis.Redis) -> DueQueue:
    return DueQueue(redis, lease_seconds=LEASE)


def ids(claims: list[Claim]) -> list[str]:
    return [c.job.id for c in claims]


# --- the job value --------------------------------------------------------------------


def test_job_round_trips_through_json_with_a_version() -> None:
    job = Job("a", "nudge", "teams:X", T0 + 0.125, {"why": "drift", "groups": ["power"]})
    assert Job.from_json(job.to_json()) == job
    assert '"v":1' in job.to_json()
    with pytest.raises(ValueError):
        Job.from_json(job.to_json().replace('"v":1', '"v":99'))
    with pytest.raises(ValueError):
        Job.from_json('{"v":1,"id":"a"}')


# --- basics -----------------------------------------------------------------------------


async def test_put_claim_complete(queue: DueQueue) -> None:
    job = checkin(1)
    await queue.put(job)
    assert await queue.get(job.id) == job
    assert await queue.size() == 1

    [claim] = await queue.claim(T0)
    assert claim.job == job and claim.attempt == 1
    assert await queue.begin(claim)
    assert await queue.complete(claim)
    assert await queue.size() == 0
    assert await queue.get(job.id) is None
    assert await queue.claim(T0 + 10 * LEASE) == []


async def test_claims_in_due_order_and_respects_limit(queue: DueQueue) -> None:
    for n, offset in enumerate([30, 10, 20, 0, 40]):
        await queue.put(checkin(n, T0 + offset))
    first = await queue.claim(T0 + 100, limit=3)
    assert ids(first) == [checkin(n).id for n in (3, 1, 2)]
    rest = await queue.claim(T0 + 100)
    assert ids(rest) == [checkin(n).id for n in (0, 4)]


async def test_jobs_not_yet_due_are_not_claimed(queue: DueQueue) -> None:
    await queue.put(checkin(1, T0 + 600))
    await queue.put(checkin(2, T0))
    assert await queue.due_count(T0) == 1
    [claim] = await queue.claim(T0)
    assert claim.job.id == checkin(2).id
    assert await queue.begin(claim) and await queue.complete(claim)
    assert await queue.claim(T0 + 599) == []
    assert ids(await queue.claim(T0 + 600)) == [checkin(1).id]


async def test_put_again_reschedules_by_id(queue: DueQueue) -> None:
    await queue.put(checkin(1, T0))
    moved = Job(checkin(1).id, "checkin", "slack:T1", T0 + 3600, {"session": 2})
    await queue.put(moved)
    assert await queue.size() == 1
    assert await queue.claim(T0 + 60) == []
    [claim] = await queue.claim(T0 + 3600)
    assert claim.job == moved


async def test_put_of_a_done_job_is_a_no_op(queue: DueQueue) -> None:
    await queue.put(checkin(1))
    [claim] = await queue.claim(T0)
    assert await queue.begin(claim)
    assert await queue.complete(claim)
    assert await queue.put(checkin(1, T0 + 5)) is False
    assert await queue.size() == 0
    assert await queue.claim(T0 + 10) == []


async def test_rescheduling_a_job_in_flight_takes_it_back_from_its_worker(
    queue: DueQueue,
) -> None:
    await queue.put(checkin(1))
    [stale] = await queue.claim(T0)
    await queue.put(Job(checkin(1).id, "checkin", "slack:T1", T0 + 600, {"session": 2}))
    assert not await queue.begin(stale)  # the old version is not sent
    assert await queue.claim(T0 + 599) == []
    [fresh] = await queue.claim(T0 + 600)
    assert fresh.job.payload == {"session": 2}
    assert await queue.begin(fresh)
    assert await queue.begin(fresh)  # the same claim may ask again (a resent command)


async def test_cancel_removes_a_waiting_or_leased_job(queue: DueQueue) -> None:
    await queue.put(checkin(1))
    await queue.put(checkin(2))
    await queue.cancel(checkin(1).id)
    [claim] = await queue.claim(T0)
    assert claim.job.id == checkin(2).id
    await queue.cancel(checkin(2).id)
    # the worker holding it may no longer send it
    assert not await queue.begin(claim)
    assert not await queue.complete(claim)
    assert await queue.size() == 0


async def test_works_without_decode_responses(redis_server) -> None:
    client = aioredis.from_url(redis_server.url)  # bytes replies
    try:
        await client.flushall()
        queue = DueQueue(client)
        await queue.put(checkin(1))
        assert await queue.get(checkin(1).id) == checkin(1)
        [claim] = await queue.claim(T0)
        assert claim.job == checkin(1)
        assert await queue.begin(claim) and await queue.complete(claim)
    finally:
        await client.flushall()
        await client.aclose()


def test_every_queue_key_is_in_one_cluster_slot() -> None:
    names = [keys.QUEUE_DUE, keys.QUEUE_JOBS, keys.QUEUE_LEASES, keys.QUEUE_OWNERS]
    names += [keys.QUEUE_POISON, keys.queue_done("checkin:slack:T1:rel1:1")]
    assert len({key_slot(n.encode()) for n in names}) == 1


async def test_runs_on_redis_cluster(tmp_path) -> None:
    """A one-node Redis Cluster still refuses scripts whose keys span slots (CROSSSLOT)."""
    port = free_port()
    server = EmbeddedRedis(
        tmp_path,
        port=port,
        extra_args=("--cluster-enabled", "yes", "--cluster-config-file", "n.conf"),
    ).start()
    try:
        admin = aioredis.Redis(port=port)
        await admin.execute_command("CLUSTER", "ADDSLOTS", *range(16384))
        for _ in range(200):  # the node takes a moment to call its slots served
            if b"cluster_state:ok" in await admin.execute_command("CLUSTER", "INFO"):
                break
            await asyncio.sleep(0.05)
        await admin.aclose()
        cluster = RedisCluster(host="127.0.0.1", port=port, decode_responses=True)
        queue = DueQueue(cluster)
        await queue.put(checkin(1))
        await queue.put(checkin(2, T0 + 5))
        [claim] = await queue.claim(T0)
        assert await queue.begin(claim) and await queue.complete(claim)
        [other] = await queue.claim(T0 + 5)
        assert await queue.retry(other, T0 + 50)
        assert await queue.reap(T0 + 100) == 0 and await queue.size() == 1
        await queue.cancel(other.job.id)
        assert await queue.size() == 0
        await cluster.aclose()
    finally:
        server.stop()


# --- leases ----------------------------------------------------------------------------


async def test_a_leased_job_is_not_claimed_again_until_its_lease_expires(queue: DueQueue) -> None:
    await queue.put(checkin(1))
    [first] = await queue.claim(T0)
    assert await queue.claim(T0 + LEASE - 0.5) == []
    assert await queue.reap(T0 + LEASE - 0.5) == 0
    assert await queue.size() == 1

    assert await queue.reap(T0 + LEASE + 1) == 1
    [second] = await queue.claim(T0 + LEASE + 1)
    assert second.job == first.job
    assert second.attempt == 2 and second.token != first.token
    assert not await queue.complete(first)  # the old lease is lost
    assert not await queue.begin(first)
    assert await queue.begin(second) and await queue.complete(second)
    assert await queue.size() == 0


async def test_claim_reaps_expired_leases_itself(queue: DueQueue) -> None:
    await queue.put(checkin(1))
    [first] = await queue.claim(T0)
    [again] = await queue.claim(T0 + LEASE)
    assert again.job.id == first.job.id and again.attempt == 2


async def test_retry_gives_the_job_back_later(queue: DueQueue) -> None:
    await queue.put(checkin(1))
    [claim] = await queue.claim(T0)
    assert await queue.begin(claim)
    assert await queue.retry(claim, T0 + 30)
    assert await queue.claim(T0 + 29) == []
    [again] = await queue.claim(T0 + 30)
    assert again.attempt == 2
    assert await queue.begin(again)  # the failed attempt's gate was lifted
    assert not await queue.retry(claim, T0 + 99)  # a stale claim changes nothing


# --- poison ----------------------------------------------------------------------------


async def test_poisoned_json_is_moved_aside_and_does_not_block_others(
    queue: DueQueue, redis: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    await queue.put(checkin(1, T0))
    await queue.put(checkin(2, T0 + 1))
    await queue.put(checkin(3, T0 + 2))
    await queue.put(checkin(4, T0 + 3))
    await redis.hset(keys.QUEUE_JOBS, checkin(2).id, "{not json")
    await redis.hset(keys.QUEUE_JOBS, checkin(3).id, '{"v":1,"id":"x"}')  # JSON, not a job

    with caplog.at_level(logging.WARNING, logger="bot.store.queue"):
        claims = await queue.claim(T0 + 10)

    assert ids(claims) == [checkin(1).id, checkin(4).id]
    assert await queue.poisoned() == {
        checkin(2).id: "{not json",
        checkin(3).id: '{"v":1,"id":"x"}',
    }
    assert checkin(2).id in caplog.text and checkin(3).id in caplog.text
    assert await queue.size() == 2  # only the two good ones, leased


# --- the worker helper -----------------------------------------------------------------


async def test_drain_backs_off_then_buries_a_job_that_keeps_failing(
    queue: DueQueue, caplog: pytest.LogCaptureFixture
) -> None:
    await queue.put(checkin(1))
    tries: list[float] = []
    now = T0

    async def broken(job: Job) -> None:
        tries.append(now)
        raise RuntimeError("Slack said 500")

    with caplog.at_level(logging.WARNING, logger="bot.store.queue"):
        for _ in range(10):
            await drain(queue, broken, now, max_attempts=4)
            nxt = await queue.redis.zrange(keys.QUEUE_DUE, 0, 0, withscores=True)
            if not nxt:
                break
            now = nxt[0][1]
    assert [t - T0 for t in tries] == [0, 30, 150, 750]  # 30s, 2m, 10m after each failure
    assert checkin(1).id in await queue.poisoned()
    assert "failed 4 times; moved to poison" in caplog.text
    assert await queue.size() == 0


async def test_drain_sends_once_after_a_failed_attempt(queue: DueQueue) -> None:
    await queue.put(checkin(1))
    sent: list[str] = []
    failures = [ConnectionError("timeout before the request went out")]

    async def flaky(job: Job) -> None:
        if failures:
            raise failures.pop()
        sent.append(job.id)

    assert await drain(queue, flaky, T0) == 0
    assert await drain(queue, flaky, T0 + 29) == 0
    assert await drain(queue, flaky, T0 + 30) == 1
    assert sent == [checkin(1).id]
    assert await queue.size() == 0


# --- the acceptance test: many workers, crashes, slow workers --------------------------


async def _clients(redis_server, n: int) -> list[aioredis.Redis]:
    return [aioredis.from_url(redis_server.url, decode_responses=True) for _ in range(n)]


async def _run_until_idle(queues: list[DueQueue], handle, now: float) -> None:
    async def worker(i: int, q: DueQueue) -> None:
        while await drain(q, handle, now, limit=25, worker=f"w{i}") or await q.due_count(now):
            pass

    await asyncio.gather(*(worker(i, q) for i, q in enumerate(queues)))


async def test_four_workers_send_each_of_1000_checkins_exactly_once_despite_a_crash(
    redis_server, redis: aioredis.Redis
) -> None:
    clients = await _clients(redis_server, 4)
    queues = [DueQueue(c, lease_seconds=LEASE) for c in clients]
    try:
        for n in range(1000):
            await queues[0].put(checkin(n, T0 - (n % 50)))
        sent: list[str] = []

        async def send(job: Job) -> None:
            await asyncio.sleep(0)  # yield, as a real HTTP call would, so workers interleave
            sent.append(job.id)

        claimed = asyncio.Event()
        held: list[Claim] = []

        async def doomed() -> None:
            held.extend(await queues[3].claim(T0, limit=25, owner="doomed"))
            claimed.set()
            await asyncio.Event().wait()  # the process "dies" here, holding its leases

        crash = asyncio.create_task(doomed())
        await claimed.wait()
        crash.cancel()
        with pytest.raises(asyncio.CancelledError):
            await crash
        assert len(held) == 25

        await _run_until_idle(queues[:3], send, T0)
        assert len(sent) == 975 and await queues[0].size() == 25  # the dead worker's leases

        await _run_until_idle(queues[:3], send, T0 + LEASE + 1)  # past the lease: reaped
        counts = Counter(sent)
        assert len(counts) == 1000 and set(counts.values()) == {1}
        assert await queues[0].size() == 0
        assert await redis.hlen(keys.QUEUE_JOBS) == 0
        assert await redis.hlen(keys.QUEUE_OWNERS) == 0
    finally:
        for c in clients:
            await c.aclose()


async def test_a_slow_worker_whose_lease_expires_does_not_cause_a_second_send(
    redis_server, redis: aioredis.Redis
) -> None:
    clients = await _clients(redis_server, 4)
    queues = [DueQueue(c, lease_seconds=LEASE) for c in clients]
    try:
        for n in range(1000):
            await queues[0].put(checkin(n))
        sent: list[str] = []
        stalled = asyncio.Event()
        wake = asyncio.Event()

        async def send(job: Job) -> None:
            await asyncio.sleep(0)
            sent.append(job.id)

        async def slow_send(job: Job) -> None:
            if not wake.is_set():
                stalled.set()
                await wake.wait()  # a long GC pause or a hung HTTP call, past the lease
            sent.append(job.id)

        # The slow worker claims 25 and begins the first, then stalls inside its send.
        slow = asyncio.create_task(drain(queues[3], slow_send, T0, limit=25, worker="slow"))
        await stalled.wait()
        await _run_until_idle(queues[:3], send, T0)
        assert len(sent) == 975

        # Time passes the slow worker's lease: the others reclaim its 25 jobs. The one it had
        # begun is dropped by them (its gate is taken); the other 24 are sent by them.
        await _run_until_idle(queues[:3], send, T0 + LEASE + 1)
        assert len(sent) == 999

        # The slow worker wakes: it finishes the one it began; every other begin is refused.
        wake.set()
        assert await slow == 1
        counts = Counter(sent)
        assert len(counts) == 1000 and set(counts.values()) == {1}
        assert await queues[0].size() == 0
    finally:
        for c in clients:
            await c.aclose()


# --- cost ------------------------------------------------------------------------------


async def _commandstats(redis: aioredis.Redis) -> dict[str, int]:
    info = await redis.info("commandstats")
    calls = {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in info.items()}
    return {k: v for k, v in calls.items() if k not in ("info", "config", "config|resetstat")}


async def test_redis_commands_per_job(queue: DueQueue, redis: aioredis.Redis) -> None:
    # warm up: load every script once, so NOSCRIPT fallbacks are not counted
    await queue.put(checkin(-1))
    [warm] = await queue.claim(T0)
    await queue.begin(warm)
    await queue.complete(warm)

    batch = 100
    phases: dict[str, dict[str, int]] = {}

    async def measure(name: str, work) -> None:
        await redis.config_resetstat()
        await work()
        phases[name] = await _commandstats(redis)

    async def put_all() -> None:
        for n in range(batch):
            await queue.put(checkin(n))

    claims: list[Claim] = []

    async def claim_all() -> None:
        claims.extend(await queue.claim(T0, limit=batch))

    async def begin_all() -> None:
        for c in claims:
            assert await queue.begin(c)

    async def complete_all() -> None:
        for c in claims:
            assert await queue.complete(c)

    for name, work in [
        ("put", put_all),
        ("claim", claim_all),
        ("begin", begin_all),
        ("complete", complete_all),
    ]:
        await measure(name, work)

    sent_by_client = {k: v.get("evalsha", 0) for k, v in phases.items()}
    run_by_redis = {k: sum(v.values()) for k, v in phases.items()}
    per_job_client = sum(sent_by_client.values()) / batch
    per_job_redis = sum(run_by_redis.values()) / batch
    print(
        f"\nper batch of {batch}: client commands {sent_by_client}, "
        f"commands Redis ran (scripts included) {run_by_redis}\n"
        f"per job: {per_job_client:.2f} client commands, {per_job_redis:.2f} Redis commands"
    )
    for name, stats in phases.items():
        print(f"  {name}: {stats}")
    assert sent_by_client == {"put": batch, "claim": 1, "begin": batch, "complete": batch}
    assert per_job_client <= 3.05
    # inside the scripts: put 5, begin 3, complete 5 commands per job; claim 7 per batch
    assert run_by_redis["claim"] <= 10
    assert per_job_redis <= 16.1
