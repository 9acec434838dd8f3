"""What happens when scheduled work falls due: one handler per job kind."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from bot.core import timeline, views
from bot.core.models import CLOSED, PENDING, SESSION, Relationship
from bot.core.reviews import due_review, next_calendar_review
from bot.core.schedule import plan_of
from bot.service import checkins, digests, holds
from bot.service import client as client_side
from bot.service.context import Context
from bot.store.queue import Job, drain

log = logging.getLogger(__name__)


def session_job(rel: Relationship, slot: int) -> str:
    return f"session:{rel.tenant}:{rel.id}:{slot}"


async def plan_session(ctx: Context, rel: Relationship, slot: int) -> datetime | None:
    """Queue the check-in of scheduled slot `slot` if it is planned; when that session ends."""
    upto = max(1, slot - rel.timeline.next_slot + 1)
    found = next(
        (o for o in timeline.planned(rel.timeline, plan_of(rel), upto) if o.slot == slot), None
    )
    return await _plan(ctx, rel, found) if found else None


async def _plan(ctx: Context, rel: Relationship, o: timeline.Occurrence) -> datetime:
    ends = o.at + timedelta(minutes=rel.length_minutes)
    due = await ctx.working_for(rel, ends + ctx.prompt_delay)
    key = f"{rel.id}:{o.slot}"
    await ctx.schedule("session", rel.tenant, key, due, rid=rel.id, n=o.slot, owner=rel.owner)
    return ends


async def plan_next(ctx: Context, rel: Relationship) -> timeline.Occurrence | None:
    """Queue the check-in of the next planned session, if there is one."""
    o = timeline.next_planned(rel.timeline, plan_of(rel))
    if o is not None:
        await _plan(ctx, rel, o)
    return o


async def plan_calendar_review(ctx: Context, rel: Relationship) -> None:
    upcoming = next_calendar_review(rel, ctx.rubric.reviews, ctx.now())
    if upcoming:
        _kind, key, when = upcoming
        due = await ctx.working_for(rel, when)
        await ctx.schedule("review", rel.tenant, f"{rel.id}:{key}", due, rid=rel.id)


async def _session(ctx: Context, rel: Relationship, job: Job) -> None:
    slot = int(job.payload["n"])
    if rel.status == CLOSED:
        return
    if rel.timeline.settled(slot):  # held by a `log` already, or skipped
        await plan_next(ctx, rel)
        return
    if await holds.held_since(ctx, rel) is not None:
        # paused, or the practitioner away: the session may not have happened; no check-in
        rel = await ctx.store.update(rel.tenant, rel.id, lambda r: _cancelled(r, slot)) or rel
        await plan_next(ctx, rel)
        return
    try:  # the timeline's change and the check-in: one write (see Store.hold)
        rel, checkin = await checkins.hold_session(
            ctx, rel, lambda t, plan, n: timeline.hold_slot(t, plan, slot, n)
        )
    except timeline.Refused:
        return
    await plan_next(ctx, rel)
    await checkins.send(ctx, rel, checkin)
    await checkins.after_session(ctx, rel)
    again = await checkins.offer_again(ctx, rel)  # a review set aside, still due
    if again:
        await checkins.send(ctx, *again)


def _cancelled(rel: Relationship, slot: int) -> Relationship | None:
    if rel.timeline.settled(slot):
        return None
    return replace(rel, timeline=timeline.cancel_slot(rel.timeline, plan_of(rel), slot))


async def _send(ctx: Context, rel: Relationship, job: Job) -> None:
    checkin = await ctx.store.checkin(rel.tenant, rel.id, int(job.payload["number"]))
    if checkin and checkin.status == PENDING and rel.status != CLOSED:
        await checkins.send(ctx, rel, checkin)
        again = await checkins.offer_again(ctx, rel) if checkin.kind == SESSION else None
        if again:  # a review set aside, still due: once more with this session's check-in
            await checkins.send(ctx, *again)


async def _remind(ctx: Context, rel: Relationship, job: Job) -> None:
    checkin = await ctx.store.checkin(rel.tenant, rel.id, int(job.payload["number"]))
    if not checkin or checkin.status != PENDING or rel.status == CLOSED:
        return
    if await holds.held_since(ctx, rel) is not None:
        return  # planned again, with the time it had left, when the hold ends
    if checkin.reminders >= ctx.rubric.reminders.max_reminders:
        return
    form = checkins.form_for(ctx, rel, checkin)
    message = views.reminder(ctx.prompts, rel, checkin, form)
    await ctx.notifier(rel.tenant).send(await ctx.recipient(rel), message)
    await ctx.store.update_checkin(
        rel.tenant, rel.id, checkin.number, lambda c: replace(c, reminders=c.reminders + 1)
    )


async def _missed(ctx: Context, rel: Relationship, job: Job) -> None:
    checkin = await ctx.store.checkin(rel.tenant, rel.id, int(job.payload["number"]))
    if checkin and rel.status != CLOSED and await holds.held_since(ctx, rel) is not None:
        return  # planned again, with the time it had left, when the hold ends
    if not checkin or not await checkins.mark_missed(ctx, rel, checkin):
        return
    recipient = await ctx.recipient(rel)
    notice = views.missed(ctx.prompts, rel, checkin)
    if checkin.message_ref:
        await ctx.notifier(rel.tenant).update(recipient, checkin.message_ref, notice)
    else:  # shown as the reply to `review`: there is no message of ours to change
        await ctx.notifier(rel.tenant).send(recipient, notice)
    if checkin.is_review and rel.open_review == checkin.number:
        await ctx.store.update(rel.tenant, rel.id, lambda r: replace(r, open_review=None))
        return
    rel = await ctx.store.relationship(rel.tenant, rel.id, fresh=True) or rel
    opened = await checkins.review_if_due(ctx, rel)
    if opened:
        await checkins.send(ctx, *opened)


async def _review(ctx: Context, rel: Relationship, job: Job) -> None:
    if rel.status == CLOSED:
        return
    await plan_calendar_review(ctx, rel)
    if not due_review(rel, ctx.rubric.reviews, ctx.now()):
        return
    if await holds.held_since(ctx, rel) is not None:
        return  # offered when the hold ends (away.release)
    opened = await checkins.review_if_due(ctx, rel)
    if opened:
        await checkins.send(ctx, *opened)


HANDLERS = {
    "session": _session,
    "send": _send,
    "remind": _remind,
    "missed": _missed,
    "review": _review,
    "client": client_side.tell,
}


async def handle(ctx: Context, job: Job) -> None:
    if job.kind == "digest":
        await digests.scheduled(ctx, job)
        return
    if job.kind in ("back", "resume"):
        from bot.service import away  # noqa: PLC0415 - away builds on this module

        if job.kind == "back":
            await away.back_due(ctx, job)
            return
        handler = away.resume_due
    else:
        handler = HANDLERS.get(job.kind)
    with ctx.store.scope():
        await _prefetch(ctx, job)
        rel = await ctx.store.relationship(job.tenant, str(job.payload.get("rid", "")))
        if handler is None or rel is None:
            log.info("due job %s dropped: unknown kind or relationship gone", job.id)
            return
        await handler(ctx, rel, job)


async def _prefetch(ctx: Context, job: Job) -> None:
    """Everything the job will read, in one round trip: the relationship, its aggregate, the
    check-in it names and (when the job knows the owner) the practitioner to write to."""
    number = job.payload.get("number")
    owner = job.payload.get("owner")
    await ctx.store.prefetch(
        job.tenant,
        str(job.payload.get("rid", "")),
        int(number) if number is not None else None,
        str(owner) if owner is not None else None,
    )


# Due jobs one worker runs side by side (one relationship's always in order). 1 by default:
# a worker killed mid-send then loses at most the one DM in flight (see DueQueue.begin);
# with N, up to N. The benchmark shows what N buys (BENCHMARKS.md).
CONCURRENCY = 1


def _relationship_of(job: Job) -> str:
    return f"{job.tenant}:{job.payload.get('rid') or job.id}"


async def run_due(
    ctx: Context, limit: int = 100, worker: str = "", concurrency: int = CONCURRENCY
) -> int:
    now = ctx.now().timestamp()
    return await drain(
        ctx.queue,
        lambda job: handle(ctx, job),
        now,
        limit=limit,
        worker=worker,
        concurrency=concurrency,
        group=_relationship_of,
    )


async def apply_retention(ctx: Context) -> int:
    """Delete check-ins older than the retention period, in every tenant."""
    if not ctx.retention_days:
        return 0
    before = (ctx.now() - timedelta(days=ctx.retention_days)).timestamp()
    removed = 0
    for tenant in await ctx.store.tenants():
        for user in await ctx.store.practitioners(tenant):
            for rel in await ctx.store.relationships_of(tenant, user):
                removed += await ctx.store.prune_checkins(tenant, rel.id, before)
                removed += await client_side.prune(ctx, rel, before)
    return removed
