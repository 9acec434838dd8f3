"""Time away: a pause (with or without an end), `away until`, `back`, and working hours.

While a relationship is held (paused, or its practitioner away) it gets no check-ins,
reminders or review nudges, and the deadlines of its open check-ins stop: a reminder or
"missed" that falls due meanwhile waits, and when the hold ends it gets the working time it
had left when the hold began.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.core import commands as c
from bot.core import views, worktime
from bot.core.messages import Message
from bot.core.models import ACTIVE, PAUSED, PENDING, Relationship
from bot.core.rubric import WorkingHours
from bot.service import checkins
from bot.service.api import Actor, Place
from bot.service.commands import find_open, next_words, tz_of
from bot.service.context import Context
from bot.service.due import plan_next
from bot.service.holds import morning
from bot.store.queue import Job

RECENT = 6  # open check-ins are among a relationship's last few entries


async def release(ctx: Context, rel: Relationship, since: datetime | None) -> None:
    """The hold on `rel` ended: its open check-ins' reminders and "missed" get the working
    time they had left when the hold began, counted from now; a review that fell due
    meanwhile is offered."""
    hours = await ctx.hours_of(rel)
    now = ctx.now()
    for number in range(max(1, rel.entries - RECENT + 1), rel.entries + 1):
        checkin = await ctx.store.checkin(rel.tenant, rel.id, number)
        if checkin is not None and checkin.status == PENDING:
            used = worktime.working_between(checkin.created, since or now, rel.tz, hours)
            await checkins.plan_followups(ctx, rel, checkin, used=used, again=True)
    await plan_next(ctx, rel)
    opened = await checkins.review_if_due(ctx, rel)
    if opened:
        await checkins.send(ctx, *opened)


# --- pause and resume ------------------------------------------------------------------


async def pause(ctx: Context, actor: Actor, cmd: c.Pause, _place: Place) -> Message:
    rel = await find_open(ctx, actor, cmd.alias)
    if isinstance(rel, Message):
        return rel
    hours = await ctx.hours_of(rel)
    wakes = morning(cmd.until, rel.tz, hours) if cmd.until else None
    if wakes is not None and wakes <= ctx.now():
        return views.say(
            ctx.prompts, "pause_past", kind="error", usage=c.USAGE["pause"], alias=rel.alias
        )
    if rel.status == PAUSED and cmd.until is None:
        return views.say(ctx.prompts, "paused_already", alias=rel.alias)
    now = ctx.now()
    until = cmd.until.isoformat() if cmd.until else None

    def hold(r: Relationship) -> Relationship:
        return replace(r, status=PAUSED, resume_on=until, paused_at=r.paused_at or now)

    rel = await ctx.store.update(rel.tenant, rel.id, hold) or rel
    if wakes is None:
        return views.say(ctx.prompts, "paused", alias=rel.alias)
    await ctx.schedule("resume", rel.tenant, rel.id, wakes, rid=rel.id, on=until)
    return views.say(ctx.prompts, "paused_until", alias=rel.alias, day=views.when(wakes, rel.tz))


async def _resume(ctx: Context, rel: Relationship) -> Relationship:
    since = rel.paused_at

    def wake(r: Relationship) -> Relationship:
        return replace(r, status=ACTIVE, resume_on=None, paused_at=None)

    rel = await ctx.store.update(rel.tenant, rel.id, wake) or rel
    await release(ctx, rel, since)
    return rel


async def resume(ctx: Context, actor: Actor, cmd: c.Resume, _place: Place) -> Message:
    rel = await find_open(ctx, actor, cmd.alias)
    if isinstance(rel, Message):
        return rel
    if rel.status == ACTIVE:
        return views.say(ctx.prompts, "resumed_already", alias=rel.alias)
    rel = await _resume(ctx, rel)
    return views.say(ctx.prompts, "resumed", alias=rel.alias, next=next_words(ctx, rel))


async def resume_due(ctx: Context, rel: Relationship, job: Job) -> None:
    """A pause with an end: it ends by itself that morning, and says so."""
    if rel.status != PAUSED or rel.resume_on != job.payload.get("on"):
        return  # resumed by hand, or paused again with another end
    rel = await _resume(ctx, rel)
    message = views.say(ctx.prompts, "resumed_itself", alias=rel.alias, next=next_words(ctx, rel))
    await ctx.notifier(rel.tenant).send(await ctx.recipient(rel), message)


# --- away and back ---------------------------------------------------------------------


async def away(ctx: Context, actor: Actor, cmd: c.Away, _place: Place) -> Message:
    who = await ctx.store.practitioner(actor.tenant, actor.user)
    tz = await tz_of(ctx, actor)
    hours = worktime.hours_of(ctx.rubric.working_hours, who.hours)
    wakes = morning(cmd.until, tz, hours)
    if wakes <= ctx.now():
        return views.say(ctx.prompts, "away_past", kind="error", usage=c.USAGE["away"])
    since = who.away_since or ctx.now().isoformat()
    until = cmd.until.isoformat()
    await ctx.store.save_practitioner(replace(who, away_until=until, away_since=since))
    await ctx.schedule("back", actor.tenant, actor.user, wakes, owner=actor.user, on=until)
    return views.say(ctx.prompts, "away_set", day=views.when(wakes, tz))


async def _back(ctx: Context, tenant: str, user: str) -> bool:
    who = await ctx.store.practitioner(tenant, user)
    if not who.away:
        return False
    since = datetime.fromisoformat(who.away_since) if who.away_since else None
    await ctx.store.save_practitioner(replace(who, away_until=None, away_since=None))
    for rel in await ctx.store.relationships_of(tenant, user):
        if rel.status == ACTIVE:
            await release(ctx, rel, since)
    return True


async def back(ctx: Context, actor: Actor, _cmd: c.Back, _place: Place) -> Message:
    if not await _back(ctx, actor.tenant, actor.user):
        return views.say(ctx.prompts, "back_not_away")
    return views.say(ctx.prompts, "back")


async def back_due(ctx: Context, job: Job) -> None:
    """Time away ends by itself on the morning given."""
    user = str(job.payload.get("owner", ""))
    who = await ctx.store.practitioner(job.tenant, user)
    if who.away_until != job.payload.get("on") or not await _back(ctx, job.tenant, user):
        return
    rels = await ctx.store.relationships_of(job.tenant, user)
    if rels:
        await ctx.notifier(job.tenant).send(
            await ctx.recipient(rels[0]), views.say(ctx.prompts, "back")
        )


# --- working hours ---------------------------------------------------------------------


async def hours(ctx: Context, actor: Actor, cmd: c.Hours, _place: Place) -> Message:
    who = await ctx.store.practitioner(actor.tenant, actor.user)
    tz = await tz_of(ctx, actor)
    current = worktime.hours_of(ctx.rubric.working_hours, who.hours)
    if cmd.start is None or cmd.end is None:
        text = worktime.hours_text(current)
        return views.say(ctx.prompts, "hours_show", hours=text, tz=tz)
    chosen = WorkingHours(cmd.start, cmd.end, cmd.days if cmd.days else current.days)
    await ctx.store.save_practitioner(replace(who, hours=worktime.stored_hours(chosen)))
    return views.say(ctx.prompts, "hours_set", hours=worktime.hours_text(chosen), tz=tz)


HANDLERS = {
    c.Pause: pause,
    c.Resume: resume,
    c.Away: away,
    c.Back: back,
    c.Hours: hours,
}
