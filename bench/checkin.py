"""One check-in's Redis cost from due to stored: the `send` job that DMs it, then the answer.

Counted exactly, per check-in, over N check-ins of one relationship: client round trips
(every packed write to a connection) and server commands (INFO commandstats, commands run
inside scripts included; INFO and CONFIG excluded).
"""

from __future__ import annotations

import redis.asyncio as aioredis

from bench.common import RoundTrips, commandstats, fresh_redis, median, service
from bot.core.clock import ManualClock
from bot.core.messages import Message, RatingQuestion
from bot.service.api import Actor, Place, Recipient

N = 50
ME = Actor("console:bench", "U1", "Europe/London")


class Kept:
    """The console-style notifier: keeps the last message (the form to answer)."""

    last: Message | None = None

    async def send(self, to: Recipient, message: Message) -> str | None:
        self.last = message
        return "ref"

    async def update(self, to: Recipient, ref: str, message: Message) -> None:
        pass


async def _measured(r: aioredis.Redis, step) -> tuple[int, int]:
    await r.config_resetstat()
    before = RoundTrips.count
    await step()
    trips = RoundTrips.count - before
    stats = await commandstats(r)
    return trips, sum(v for k, v in stats.items() if not k.startswith(("info", "config")))


async def run() -> dict[str, tuple[float, float]]:
    RoundTrips.install()
    async with fresh_redis() as server:
        r = aioredis.from_url(server.url, decode_responses=True)
        rapport = await service(r, ManualClock())
        kept = Kept()
        rapport.register("console", kept)
        await rapport.command(ME, "add Sam", Place())
        sends, answers = [], []
        for _ in range(N + 1):
            await rapport.command(ME, "log Sam", Place())
            sends.append(await _measured(r, rapport.run_due))
            form = kept.last.form
            values = {q.id: "4" for q in form.questions if isinstance(q, RatingQuestion)}
            values["takeaway"] = "words to encrypt"
            answers.append(
                await _measured(r, lambda f=form, v=values: rapport.submit(ME, f.ref, v))
            )
        await r.aclose()
    sends, answers = sends[1:], answers[1:]  # the first loads the scripts
    out = {}
    for name, rows in (("send", sends), ("answer", answers)):
        out[name] = (median([t for t, _ in rows]), median([c for _, c in rows]))
    out["due to stored"] = tuple(a + b for a, b in zip(out["send"], out["answer"], strict=True))
    return out


def report(out: dict[str, tuple[float, float]]) -> list[str]:
    cells = "; ".join(
        f"{k}: {t:.0f} round trips, {c:.0f} server commands" for k, (t, c) in out.items()
    )
    return [f"one check-in, due to stored (median of {N}): {cells}"]
