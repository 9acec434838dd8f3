"""Whether a relationship is held (paused, or its practitioner away), and what a deadline
that falls due meanwhile does: nothing (away.release plans it again when the hold ends,
with the working time it had left)."""

from __future__ import annotations

from datetime import date, datetime

from bot.core import worktime
from bot.core.models import PAUSED, Relationship
from bot.core.rubric import WorkingHours
from bot.core.schedule import to_utc
from bot.service.context import Context


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
