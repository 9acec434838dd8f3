"""Is this process's clock close enough to Redis's to run the due-queue?

Every queue time (when a job is due, when a lease runs out) is compared across workers, so
each worker must agree on "now". Rapport keeps each process's own clock (tests inject one)
and refuses to run due jobs while it is further than `max_clock_skew` from Redis's `TIME`:
at start the worker does not start; later, a poll is skipped (and logged) until the clock
is back. A fast clock would otherwise send check-ins early and take other workers' leases.
"""

from __future__ import annotations

from bot.service import metrics
from bot.service.context import Context


class ClockOff(Exception):
    """This host's clock is too far from Redis's to run due jobs."""

    def __init__(self, skew: float, limit: float) -> None:
        ahead = "ahead of" if skew > 0 else "behind"
        super().__init__(
            f"this host's clock is {abs(skew):.1f}s {ahead} Redis's (more than {limit:g}s): "
            "a worker would send early or take other workers' jobs. Fix the host's time "
            "(NTP), or raise RAPPORT_MAX_CLOCK_SKEW_SECONDS if you must"
        )
        self.skew = skew


async def skew(ctx: Context) -> float:
    """Seconds this process's clock is ahead of Redis's (negative: behind)."""
    server = await ctx.store.server_time()
    offset = ctx.now().timestamp() - server
    metrics.CLOCK_SKEW.set(offset)
    return offset


async def check(ctx: Context, limit: float) -> None:
    """Raise ClockOff when the clocks differ by more than `limit` seconds."""
    offset = await skew(ctx)
    if abs(offset) > limit:
        raise ClockOff(offset, limit)
