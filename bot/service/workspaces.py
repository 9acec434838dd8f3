"""A workspace installs, uninstalls and installs again (multi-workspace Slack).

Uninstalled: its tokens are already gone (the channel deleted them); nothing more is sent
to it, and all its data is purged after the grace period. While it is uninstalled its due
jobs are dropped, and a scheduled session that falls due is cancelled as during a pause.
Installed again within the grace period: the data is all there, and what the dropped jobs
would have kept going is planned again through the same paths as the end of a hold
(`away.release`), a timed pause (`resume`), time away (`back`) and a digest set-up.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime

from bot.core import worktime
from bot.core.models import ACTIVE, CLOSED, PAUSED
from bot.service import away, digests
from bot.service.context import Context
from bot.service.due import plan_calendar_review
from bot.service.holds import morning
from bot.store.queue import Job
from bot.store.workspaces import Uninstalled, Workspaces

log = logging.getLogger(__name__)


def _workspaces(ctx: Context) -> Workspaces:
    return Workspaces(ctx.store.redis)


async def uninstalled(ctx: Context, tenant: str) -> Uninstalled:
    """The app was uninstalled (or its bot token revoked): stop sending, plan the purge."""
    now = ctx.now()
    mark = await _workspaces(ctx).mark_uninstalled(
        tenant, Uninstalled(at=now, purge_at=now + ctx.uninstall_grace)
    )
    # Its id does not name the tenant (other jobs' ids are `kind:tenant:…`): the purge of
    # the tenant's queued jobs leaves the purge job itself alone, and its idempotency key,
    # kept a while after it ran, names no purged tenant.
    digest = hashlib.sha256(f"{tenant}={mark.at.isoformat()}".encode()).hexdigest()[:32]
    job_id = f"purge={digest}"
    payload = {"at": mark.at.isoformat()}
    await ctx.queue.put(Job(job_id, "purge", tenant, mark.purge_at.timestamp(), payload))
    log.info("%s uninstalled: its data is purged on %s", tenant, mark.purge_at.date())
    return mark


async def installed(ctx: Context, tenant: str) -> bool:
    """The app was installed. True if the tenant had uninstalled it (its data kept)."""
    mark = await _workspaces(ctx).take_mark(tenant)
    if mark is None:
        return False
    for user in await ctx.store.practitioners(tenant):
        await _plan_again(ctx, tenant, user, mark.at)
    for channel in await _workspaces(ctx).digest_channels(tenant):
        schedule = await ctx.store.digest(tenant, channel)
        if schedule is not None:
            await digests.plan(ctx, schedule)
    log.info("%s installed again within the grace period: its data is kept", tenant)
    return True


async def _plan_again(ctx: Context, tenant: str, user: str, since: datetime) -> None:
    who = await ctx.store.practitioner(tenant, user)
    hours = worktime.hours_of(ctx.rubric.working_hours, who.hours)
    for rel in await ctx.store.relationships_of(tenant, user):
        if rel.status == CLOSED:
            continue
        if rel.status == PAUSED:
            if rel.resume_on:  # as `pause until`: it ends by itself (at once if already past)
                wakes = morning(date.fromisoformat(rel.resume_on), rel.tz, hours)
                await ctx.schedule("resume", tenant, rel.id, wakes, rid=rel.id, on=rel.resume_on)
            continue
        await plan_calendar_review(ctx, rel)
        if rel.status == ACTIVE and not who.away:
            await away.release(ctx, rel, since)  # as the end of a hold that began `since`
    if who.away_until:
        wakes = morning(date.fromisoformat(who.away_until), who.tz or "UTC", hours)
        await ctx.schedule("back", tenant, user, wakes, owner=user, on=who.away_until)


async def purge_due(ctx: Context, job: Job) -> None:
    """The grace period ended: delete everything of the tenant, unless it came back."""
    mark = await _workspaces(ctx).uninstalled(job.tenant)
    if mark is None or mark.at.isoformat() != job.payload.get("at"):
        return  # installed again (and perhaps uninstalled again, with a purge of its own)
    jobs = await ctx.queue.purge(f":{job.tenant}:")
    keys = await _workspaces(ctx).purge(job.tenant)
    log.info("%s purged after the grace period: %d keys, %d queued jobs", job.tenant, keys, jobs)
