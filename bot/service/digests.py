"""The team digest: set up, posted weekly (once, whatever the replicas), or now."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, time, timedelta

from bot.core import charts as core_charts
from bot.core import digest as core_digest
from bot.core.messages import Message, Paragraph, Span
from bot.core.models import ACTIVE, DigestSchedule
from bot.core.reviews import due_review, next_calendar_review
from bot.core.schedule import iso_week, local, next_weekly
from bot.service.api import Recipient
from bot.service.context import Context
from bot.store.queue import Job

log = logging.getLogger(__name__)
DEFAULT_DAY, DEFAULT_TIME = 0, time(9, 0)  # Monday 09:00, the team's start of the week
SOON = timedelta(days=14)
CHART_WEEKS = core_charts.WEEKS


async def plan(ctx: Context, schedule: DigestSchedule) -> datetime:
    hh, mm = (int(x) for x in schedule.at.split(":"))
    due = next_weekly(schedule.weekday, time(hh, mm), schedule.tz, ctx.now())
    key = f"{schedule.channel}:{schedule.weekday}:{schedule.at}:{due.isoformat()}"
    await ctx.schedule(
        "digest",
        schedule.tenant,
        key,
        due,
        channel=schedule.channel,
        weekday=schedule.weekday,
        at=schedule.at,
    )
    return due


async def build(ctx: Context, tenant: str, now: datetime) -> Message:
    """Aggregates only: no pseudonym, no free text, nothing from fewer than three people."""
    week = iso_week(now - timedelta(days=1))
    previous = iso_week(now - timedelta(days=8))
    # The chart's twelve weeks (oldest first): those settled by an earlier digest are kept,
    # the rest come in the same read as the digest's own two weeks.
    weeks = [iso_week(now - timedelta(days=1 + 7 * k)) for k in range(CHART_WEEKS - 1, -1, -1)]
    charts = ctx.charts
    settled = await charts.settled.get(tenant, weeks[:-2]) if charts else {}
    fresh = [w for w in weeks if w not in settled] if charts else []
    rows, figures = [], []
    group_ids = [g.id for g in ctx.rubric.groups]
    for _user, rels, aggs in await ctx.store.team(
        tenant, tuple(dict.fromkeys([*fresh, week, previous]))
    ):  # a few round trips in all
        drifting = sum(
            1 for r, a in zip(rels, aggs, strict=True) if a.drifting and r.status == ACTIVE
        )
        soon = sum(1 for r in rels if r.status == ACTIVE and _review_soon(ctx, r, now))
        rows.append(core_digest.practitioner_week(aggs, week, previous, drifting, soon))
        if fresh:
            figures.append(core_charts.week_figures(aggs, fresh, group_ids))
    label = local(now - timedelta(days=1), "UTC").strftime("%d %b %Y")
    message = core_digest.team_digest(ctx.rubric, ctx.prompts, f"{week} (to {label})", rows)
    if charts is None:
        return message
    chart = core_charts.digest_chart(ctx.rubric, tenant, weeks, figures, settled)
    newly = [w for w in weeks[:-2] if w not in settled]  # two or more weeks back: settled
    await charts.settled.put(tenant, core_charts.settled_of(chart, newly))
    return with_chart(message, chart)


def with_chart(message: Message, chart: core_charts.DigestChart) -> Message:
    """The digest with its chart to follow, and the weeks the chart leaves out said in words."""
    if not chart.weeks:
        return message  # too little data in every week: the text says so, no empty chart
    blocks = message.blocks
    if chart.left_out:
        blocks += (Paragraph((Span(core_charts.left_out_text(chart)),)),)
    return replace(message, blocks=blocks, chart=chart)


def _review_soon(ctx: Context, rel, now: datetime) -> bool:
    if due_review(rel, ctx.rubric.reviews, now):
        return True
    upcoming = next_calendar_review(rel, ctx.rubric.reviews, now)
    return bool(upcoming and upcoming[2] - now <= SOON)


async def post(ctx: Context, schedule: DigestSchedule) -> None:
    message = await build(ctx, schedule.tenant, ctx.now())
    picture = await _picture(ctx, message.chart)
    if picture is not None:
        # one post: the digest's words, then its chart (a file where no link can be had)
        message = replace(
            message,
            blocks=message.blocks + picture.blocks,
            attachment=picture.attachment,
            chart=None,
        )
    to = Recipient(schedule.tenant, channel=schedule.channel, address=schedule.address)
    await ctx.notifier(schedule.tenant).send(to, message)


async def _picture(ctx: Context, chart: core_charts.DigestChart | None) -> Message | None:
    if chart is None or ctx.charts is None:
        return None
    try:
        return await ctx.charts.picture(chart, private=False)
    except Exception:  # the digest goes out without its chart rather than not at all
        log.exception("digest chart could not be drawn")
        return None


async def scheduled(ctx: Context, job: Job) -> None:
    """A weekly digest fell due: post it if the channel still wants this one, plan the next."""
    schedule = await ctx.store.digest(job.tenant, str(job.payload.get("channel")))
    if schedule is None:
        return
    if (schedule.weekday, schedule.at) != (job.payload.get("weekday"), job.payload.get("at")):
        return  # the schedule changed since this job was planned; its own job is queued
    await plan(ctx, schedule)
    await post(ctx, schedule)
