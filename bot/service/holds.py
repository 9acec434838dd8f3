"""Whether a relationship is held (paused, or its practitioner away), and what a deadline
that falls due meanwhile does: it waits, keeping the working time it had left."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.core import worktime
from bot.core.models import PAUSED, Relationship
from bot.core.rubric import WorkingHours
from bot.core.schedule import to_utc
from bot.service.context import Context
from bot.store.queue import Job

LOOK_AGAIN = timedelta(days=1)  # a deadline held by an open-ended pause looks again daily


def morning(day: date, tz: str, hours: WorkingHours) -> datetime:
    """The start of working time on `day` (or the next working day)."""
    return worktime.within(to_utc(datetime.combine(day, hours.start), tz), tz, hours)


async def held_since(ctx: Context, rel: Relationship) -> datetime | None:
    """When the hold on `rel` began, if it is held (paused, or its practitioner away)."""
    if rel.status == PAUSED:
        return rel.paused_at or ctx.now()
    who = await ctx.store.practitioner(rel.tenant, rel.owner)
    if who.away:
        return datetime.fromisoformat(who.away_since) if who.away_since else ctx.now()
    return None


async def wait(ctx: Context, rel: Relationship, job: Job, since: datetime) -> None:
    """A reminder or "missed" fell due while held: keep it, with the working time it had
    left when the hold began, until the hold ends (`release`)."""
    left = job.payload.get("left")
    if left is None:
        hours = await ctx.hours_of(rel)
        due = datetime.fromtimestamp(job.due, UTC)
        left = worktime.working_between(since, due, rel.tz, hours).total_seconds()
    key = f"{job.payload['rid']}:{job.payload['number']}"
    payload = {**job.payload, "left": left}
    await ctx.schedule(job.kind, rel.tenant, key, ctx.now() + LOOK_AGAIN, **payload)
