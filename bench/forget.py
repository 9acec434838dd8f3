"""`forget` of a relationship with 10,000 check-ins: Redis's longest command (SLOWLOG).

Every command is logged (`slowlog-log-slower-than 0`) while `forget` runs through the service
(the command, then the confirming button), and the longest one is reported beside the whole
forget's time and round trips. Beside it, the way `forget` deleted before (one script that
DELs every key), timed the same way on the same data, for the ratio.
"""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from bench.common import TENANT, RoundTrips, fresh_redis, median, service
from bench.history import seed_history
from bot.core.clock import ManualClock
from bot.core.messages import Action, Actions
from bot.service.api import Actor, Place
from bot.store import keys

SIZE = 10_000
ME = Actor(TENANT, "UFORGET", "UTC")
_ONE_SCRIPT = "for _, k in ipairs(KEYS) do redis.call('DEL', k) end return #KEYS"


async def _longest(r: aioredis.Redis) -> tuple[float, str]:
    """The longest logged command (microseconds) and its name; the bench's own SLOWLOG and
    CONFIG calls left out."""
    found = []
    for entry in await r.slowlog_get(1_000_000):
        command = entry["command"]
        name = (command.decode() if isinstance(command, bytes) else str(command)).split(" ")[0]
        if name.upper() not in ("SLOWLOG", "CONFIG"):
            found.append((float(entry["duration"]), name.upper()))
    return max(found)


async def _logging(r: aioredis.Redis) -> None:
    await r.config_set("slowlog-log-slower-than", 0)
    await r.config_set("slowlog-max-len", 1_000_000)
    await r.slowlog_reset()


async def _forget_now(r: aioredis.Redis, rapport) -> tuple[float, float, str, int]:
    ask = await rapport.command(ME, "forget Sam", Place())
    token = next(b for b in ask.blocks if isinstance(b, Actions)).buttons[0].value
    await _logging(r)
    before = RoundTrips.count
    started = time.perf_counter()
    done = await rapport.button(ME, Action.CONFIRM_FORGET, token)
    seconds = time.perf_counter() - started
    assert "Deleted" in done.summary, done.summary
    trips = RoundTrips.count - before
    longest, name = await _longest(r)
    return seconds, longest, name, trips


async def _one_script(r: aioredis.Redis, rel_id: str) -> float:
    names = [keys.checkin(TENANT, rel_id, n) for n in range(1, SIZE + 1)]
    names += [keys.relationship(TENANT, rel_id), keys.aggregate(TENANT, rel_id)]
    await _logging(r)
    await r.eval(_ONE_SCRIPT, len(names), *names)
    return (await _longest(r))[0]


async def run(reps: int = 3) -> dict[str, float | str]:
    RoundTrips.install()
    now, old, totals, trips, name = [], [], [], 0, ""
    async with fresh_redis() as server:
        r = aioredis.from_url(server.url, decode_responses=True)
        rapport = await service(r, ManualClock())
        for rep in range(max(reps, 1)):
            await seed_history(r, rapport, 2 * rep + 1, SIZE, "UFORGET")
            seconds, longest, name, trips = await _forget_now(r, rapport)
            totals.append(seconds)
            now.append(longest)
            assert not [k async for k in r.scan_iter(match="*r0*")], "keys left after forget"
            await seed_history(r, rapport, 2 * rep + 2, SIZE, "UOLD")
            old.append(await _one_script(r, f"r{2 * rep + 2:06d}"))
        await r.aclose()
    return {
        "longest_ms": median(now) / 1000,
        "longest_command": name,
        "old_ms": median(old) / 1000,
        "forget_ms": median(totals) * 1000,
        "round_trips": trips,
    }


def report(out: dict) -> list[str]:
    return [
        f"forget, {SIZE:,} check-ins (median of the runs): Redis's longest command "
        f"{out['longest_ms']:.2f} ms ({out['longest_command']}); one script of every DEL, "
        f"as before: {out['old_ms']:.1f} ms (x{out['old_ms'] / out['longest_ms']:.0f}); "
        f"the whole forget {out['forget_ms']:.0f} ms in {out['round_trips']} round trips",
    ]
