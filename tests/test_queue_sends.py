"""The due-queue's rule for sends (bot/store/queue.py), against a real Redis: a job that sent
and then failed is finished without a second send; a revoked claim queues nothing."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from bot.store import keys
from bot.store.queue import DueQueue, Job, backoff, current_sends, drain

T0 = 1_767_600_000.0
LEASE = 60.0


def job(name: str, due: float = T0) -> Job:
    return Job(f"remind:slack:T1:{name}:1", "remind", "slack:T1", due, {"rid": name})


@pytest.fixture
def queue(redis: aioredis.Redis) -> DueQueue:
    return DueQueue(redis, lease_seconds=LEASE)


async def test_a_job_that_sent_and_then_failed_is_finished_without_a_second_send(queue, redis):
    platform: list[str] = []  # what the "platform" was asked to post
    booked: list[str | None] = []
    failures = [RuntimeError("the bookkeeping's write failed")]

    async def handle(j: Job) -> None:
        sends = current_sends()
        label = sends.label("send:reminder")
        if label not in sends.done:
            platform.append(j.id)
            sends.done[label], sends.new = f"D1:{len(platform)}", True
        if failures:
            raise failures.pop()
        booked.append(sends.done[label])

    await queue.put(job("sam"))
    assert await drain(queue, handle, T0, in_place=()) == 0  # sent; its bookkeeping failed
    gate = await redis.get(keys.queue_done(job("sam").id))
    assert gate.startswith("sent ")  # given back marked sent, not lifted
    assert await drain(queue, handle, T0 + backoff(1)) == 1

    assert platform == [job("sam").id]  # one post
    assert booked == ["D1:1"]  # the bookkeeping had the platform's reference
    assert await queue.size() == 0


async def test_bookkeeping_that_fails_once_is_finished_in_place(queue):
    platform: list[str] = []
    failures = [RuntimeError("a blip")]

    async def handle(j: Job) -> None:
        sends = current_sends()
        label = sends.label("send:reminder")
        if label not in sends.done:
            platform.append(j.id)
            sends.done[label], sends.new = "D1:1", True
        if failures:
            raise failures.pop()

    await queue.put(job("sam"))
    assert await drain(queue, handle, T0, in_place=(0.0,)) == 1
    assert platform == [job("sam").id]
    assert await queue.size() == 0


async def test_a_claim_revoked_while_its_job_runs_queues_no_follow_ups(queue, redis):
    other = DueQueue(redis, lease_seconds=LEASE)  # e.g. the web process running `forget`

    async def handle(j: Job) -> None:
        await queue.put(job("sam-next", T0 + 3600))  # a follow-up, written with the finish
        await other.purge("sam")  # the relationship forgotten while this job runs

    await queue.put(job("sam"))
    await drain(queue, handle, T0)
    assert await redis.hkeys(keys.QUEUE_JOBS) == []
    assert await queue.size() == 0
