"""What happens when scheduled work falls due: one handler per job kind.

Every handler here (and `digests.scheduled`, `away.back_due`, `away.resume_due`) follows the
due-queue's rule (bot/store/queue.py): it reaches the platform only through
`ctx.notifier(...)`, which inside a due job makes each platform call once and checks the
relationship just before it (bot/service/delivery.py); after its sends it only does
bookkeeping that is safe to run again, because a run that failed after a send is run again
to finish it, with the sends it made answered from memory instead of sent twice. A
relationship forgotten or closed while the handler runs stops it (`Gone`): no DM, and the
follow-up jobs it had collected are dropped.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from bot.core import timeline, views
from bot.core.models import CLOSED, MISSED, PENDING, SESSION, Relationship
from bot.core.reviews import due_review, next_calendar_review
from bot.core.schedule import plan_of
from bot.service import checkins, digests, holds
from bot.service import client as client_side
from bot.service.context import Context
from bot.service.delivery import Gone
from bot.store.queue import Job, current_sends, drain

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
        mine = _held_by_earlier_attempt(rel, slot)
        checkin = await ctx.store.checkin(rel.tenant, rel.id, mine) if mine else None
        if checkin is not None:  # this job held it and sent it: finish its bookkeeping
            await checkins.send(ctx, rel, checkin)
            await checkins.after_session(ctx, rel)
        await plan_next(ctx, rel)
        return
    if await holds.held_since(ctx, rel) is not None:
        # paused, or the practitioner away: the session may not have happened; no check-in
        rel = await ctx.store.update(rel.tenant, rel.id, lambda r: _cancelled(r, slot)) or rel
        await plan_next(ctx, rel)
        return
    try:  # the timeline's change and the check-in: one write (see Store.hold)
        held = await checkins.hold_session(
            ctx, rel, lambda t, plan, n: timeline.hold_slot(t, plan, slot, n)
        )
    except timeline.Refused:
        return
    if held is None:
        return  # forgotten meanwhile: nothing was written
    rel, checkin = held
    await plan_next(ctx, rel)
    await checkins.send(ctx, rel, checkin)
    await checkins.after_session(ctx, rel)
    again = await checkins.offer_again(ctx, rel)  # a review set aside, still due
    if again:
        await checkins.send(ctx, *again)


def _held_by_earlier_attempt(rel: Relationship, slot: int) -> int | None:
    """The check-in number of `slot`, if an earlier attempt of this job held it and sent
    (or may have sent) its check-in; None otherwise (a `log` held it, or it was skipped)."""
    sends = current_sends()
    if sends is None or not sends.resumed:
        return None
    return next((o.checkin for o in rel.timeline.done if o.slot == slot and o.checkin), None)


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
    counted = checkin.reminders + 1  # what this reminder makes it: counted once if run again
    await ctx.store.update_checkin(rel.tenant, rel.id, checkin.number, _reminded(counted))


def _reminded(counted: int):
    return lambda c: replace(c, reminders=max(c.reminders, counted))


async def _missed(ctx: Context, rel: Relationship, job: Job) -> None:
    checkin = await ctx.store.checkin(rel.tenant, rel.id, int(job.payload["number"]))
    if checkin and rel.status != CLOSED and await holds.held_since(ctx, rel) is not None:
        return  # planned again, with the time it had left, when the hold ends
    if not checkin:
        return
    finishing = checkin.status == MISSED and _resumed()  # marked by an earlier attempt
    if not finishing and not await checkins.mark_missed(ctx, rel, checkin):
        return
    recipient = await ctx.recipient(rel)
    # The client's link stays on the message while it is open: the practitioner may not
    # have passed it on yet.
    notice = client_side.with_link(ctx, rel, checkin, views.missed(ctx.prompts, rel, checkin))
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
    if opened is None and _resumed() and rel.open_review:  # opened and sent by an earlier attempt
        review = await ctx.store.checkin(rel.tenant, rel.id, rel.open_review)
        opened = (rel, review) if review and review.status == PENDING else None
    if opened:
        await checkins.send(ctx, *opened)


def _resumed() -> bool:
    sends = current_sends()
    return sends is not None and sends.resumed


HANDLERS = {
    "session": _session,
    "send": _send,
    "remind": _remind,
    "missed": _missed,
    "review": _review,
    "client": client_side.tell,
}


async def handle(ctx: Context, job: Job) -> None:
    if job.kind == "purge":
        from bot.service import workspaces  # noqa: PLC0415 - workspaces builds on this module

        await workspaces.purge_due(ctx, job)
        return
    if job.kind in ("digest", "back") and await ctx.store.uninstall_mark(job.tenant):
        log.info("due job %s dropped: the app is uninstalled there", job.id)
        return
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
        if await ctx.store.uninstall_mark(job.tenant):  # prefetched: no round trip of its own
            await _uninstalled(ctx, rel, job)
            return
        try:
            await handler(ctx, rel, job)
        except Gone:  # forgotten or closed while the job ran: no DM, and no follow-up
            ctx.queue.drop_deferred()
            log.info("due job %s stopped: its relationship was forgotten or closed", job.id)


async def _uninstalled(ctx: Context, rel: Relationship, job: Job) -> None:
    """Nothing is sent to a tenant that uninstalled the app. A scheduled session that falls
    due meanwhile is cancelled, as during a pause, so a reinstall brings no check-ins for
    sessions long past (see service.workspaces)."""
    log.info("due job %s dropped: the app is uninstalled there", job.id)
    slot = int(job.payload.get("n", 0))
    if job.kind == "session" and rel.status != CLOSED and not rel.timeline.settled(slot):
        rel = await ctx.store.update(rel.tenant, rel.id, lambda r: _cancelled(r, slot)) or rel
        await plan_next(ctx, rel)


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
    """Delete check-ins older than the retention period, in every tenant; first finish any
    `forget` that was interrupted (nightly housekeeping, whatever the retention)."""
    from bot.service.commands import finish_forgets  # noqa: PLC0415 - commands builds on this

    for tenant in await ctx.store.tenants():
        await finish_forgets(ctx, tenant)
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
