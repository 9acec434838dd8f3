"""The /checkin commands: one use case each."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime, timedelta

import bot.service.client as client_side
from bot.core import commands as c
from bot.core import timeline, views
from bot.core.charts import history_chart
from bot.core.messages import Message
from bot.core.models import ACTIVE, CLOSED, DigestSchedule, Relationship
from bot.core.reviews import due_review, early_review, review_outlook
from bot.core.schedule import local, midway_session, plan_of, to_utc
from bot.service import aliases, checkins, digests
from bot.service import export as exporting
from bot.service.api import Actor, Place
from bot.service.context import Context
from bot.service.due import plan_calendar_review, plan_next, session_job

DEFAULT_DAY, DEFAULT_TIME = digests.DEFAULT_DAY, digests.DEFAULT_TIME
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


async def tz_of(ctx: Context, actor: Actor) -> str:
    if actor.tz:
        return actor.tz
    return (await ctx.store.practitioner(actor.tenant, actor.user)).tz


async def find(ctx: Context, actor: Actor, alias: str) -> Relationship | Message:
    rel = await aliases.find(ctx, actor, alias)
    return rel if rel else views.say(ctx.prompts, "not_found", kind="error", alias=alias)


async def find_open(ctx: Context, actor: Actor, alias: str) -> Relationship | Message:
    """The relationship, or the reply that it is unknown or closed."""
    rel = await find(ctx, actor, alias)
    if isinstance(rel, Relationship) and rel.status == CLOSED:
        return views.say(ctx.prompts, "closed_already", kind="error", alias=rel.alias)
    return rel


def upcoming(rel: Relationship, now: datetime) -> datetime | None:
    """When the next planned session starts; never a time already past (a session whose
    check-in is still to come is not "next")."""
    for o in timeline.planned(rel.timeline, plan_of(rel), limit=3):
        if o.at >= now:
            return o.at
    return None


def overview(ctx: Context, rel: Relationship, agg, series=None) -> views.Overview:
    now = ctx.now()
    nxt = upcoming(rel, now) if rel.status == ACTIVE else None
    first = timeline.next_planned(rel.timeline, plan_of(rel)) if rel.status == ACTIVE else None
    waiting = first.at if first and first.at < now else None
    outlook = review_outlook(rel, ctx.rubric.reviews, now) if rel.status != CLOSED else "closed"
    words = ctx.client.words if ctx.client else None
    return views.Overview(rel, agg, nxt, outlook, waiting, series, words)


async def overviews(ctx: Context, actor: Actor) -> list[views.Overview]:
    rels = await ctx.store.relationships_of(actor.tenant, actor.user)
    rels.sort(key=lambda r: (r.status == CLOSED, r.alias.casefold()))
    aggs = await ctx.store.aggregates(actor.tenant, [r.id for r in rels])
    series = await client_side.series_of(ctx, rels)
    return [overview(ctx, r, a, s) for r, a, s in zip(rels, aggs, series, strict=True)]


def _first_session(cmd: c.Add, now_local: datetime) -> datetime | None:
    if cmd.start:
        return cmd.start
    if cmd.cadence:  # every= without start=: the next full hour, today
        return now_local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return None


async def add(ctx: Context, actor: Actor, cmd: c.Add, _place: Place) -> Message:
    tz = await tz_of(ctx, actor)
    now = ctx.now()
    first = _first_session(cmd, local(now, tz).replace(tzinfo=None))
    rel = Relationship(
        id=secrets.token_hex(6),
        tenant=actor.tenant,
        owner=actor.user,
        alias=cmd.alias,
        tz=tz,
        created=now,
        started=to_utc(first, tz) if first else now,
        planned_sessions=cmd.sessions,
        cadence_days=cmd.cadence.days if cmd.cadence else None,
        cadence_monthly=bool(cmd.cadence and cmd.cadence.monthly),
        first_session=first,
        length_minutes=cmd.length_minutes,
        client=cmd.client and client_side.side(ctx).signer is not None,
    )
    rel, counted = _under_way(rel, cmd, now)
    if refused := await aliases.refuse_look_alike(ctx, actor, cmd.alias):
        return refused
    if not await ctx.store.add(rel, c.alias_key(cmd.alias)):
        return views.say(ctx.prompts, "exists", kind="error", alias=cmd.alias)
    pieces: list[tuple[str, dict]] = [("added", {"alias": cmd.alias})]
    if counted:
        start = views.day(rel.started, tz)
        pieces.append(("added_counted", {"held": counted, "start": start}))
    elif cmd.held:
        pieces.append(("added_held", {"held": cmd.held}))
    nxt = await plan_next(ctx, rel) if first else None
    if nxt:
        cadence = cmd.cadence.label if cmd.cadence else "once"
        start = views.when(nxt.at, tz)
        delay = f"{int(ctx.prompt_delay.total_seconds() // 60)} minutes"
        pieces.append(("added_schedule", {"cadence": cadence, "start": start, "delay": delay}))
    else:
        pieces.append(("added_no_schedule", {"alias": cmd.alias}))
    if cmd.sessions:
        midway = midway_session(cmd.sessions, ctx.rubric.reviews.midway_fraction)
        pieces.append(("added_planned", {"planned": cmd.sessions, "midway": midway}))
    else:
        pieces.append(("added_open", {}))
    await plan_calendar_review(ctx, rel)
    return client_side.added(ctx, views.compose(ctx.prompts, *pieces), cmd)


def _under_way(rel: Relationship, cmd: c.Add, now: datetime) -> tuple[Relationship, int]:
    """Sessions held before Rapport: `held=` as given, else those a past `start=` implies
    (and how many were counted so)."""
    plan = plan_of(rel)
    past = timeline.count_past(rel.timeline, plan, now, timedelta(minutes=rel.length_minutes))
    if cmd.held is not None:  # as given; the past slots are settled, not counted
        return replace(rel, timeline=timeline.Timeline(cmd.held, (), past.next_slot)), 0
    return replace(rel, timeline=past), past.held


async def log(ctx: Context, actor: Actor, cmd: c.Log, _place: Place) -> Message:
    rel = await find_open(ctx, actor, cmd.alias)
    if isinstance(rel, Message):
        return rel
    now = ctx.now()
    at = to_utc(cmd.at, rel.tz) if cmd.at else now
    before = rel.timeline
    try:
        held_now = await checkins.hold_session(
            ctx, rel, lambda t, plan, n: timeline.log(t, plan, at, now, n)
        )
    except timeline.Refused as refused:
        return _refusal(ctx, rel, refused.reason, "log")
    if held_now is None:  # forgotten meanwhile
        return views.say(ctx.prompts, "not_found", kind="error", alias=cmd.alias)
    rel, checkin = held_now
    held = timeline.held_with(rel.timeline, checkin.number)
    if held and held.slot is not None and not before.settled(held.slot):
        await ctx.queue.cancel(session_job(rel, held.slot))  # no second check-in for it
        await plan_next(ctx, rel)
    await ctx.schedule(
        "send",
        rel.tenant,
        f"{rel.id}:{checkin.number}",
        now,
        rid=rel.id,
        number=checkin.number,
        owner=rel.owner,  # read with the rest in the job's one prefetch
    )
    if cmd.at:
        when = views.when(at, rel.tz)
        reply = views.say(
            ctx.prompts, "logged_past", session=checkin.session, alias=rel.alias, when=when
        )
    else:
        reply = views.say(ctx.prompts, "logged", session=checkin.session, alias=rel.alias)
    await checkins.after_session(ctx, rel)
    return reply


def _refusal(ctx: Context, rel: Relationship, reason: str, command: str) -> Message:
    return views.say(
        ctx.prompts,
        reason,
        kind="error",
        usage=c.USAGE[command],
        alias=rel.alias,
        start=views.day(rel.started, rel.tz),
        planned=rel.planned_sessions,
        held=rel.sessions_held,
    )


async def history(ctx: Context, actor: Actor, cmd: c.History, _place: Place) -> Message:
    rel = await find(ctx, actor, cmd.alias)
    if isinstance(rel, Message):
        return rel
    agg = await ctx.store.aggregate(rel.tenant, rel.id)
    (series,) = await client_side.series_of(ctx, [rel])
    reply = views.history_message(ctx.rubric, ctx.prompts, overview(ctx, rel, agg, series))
    # The chart follows the text (channels ask Rapport.picture for it), the client's own
    # series beside the practitioner's when the relationship has client ratings.
    return replace(
        reply,
        chart=history_chart(
            ctx.rubric, rel, agg, client_side.chart_points(ctx.rubric, rel, series)
        ),
    )


async def list_(ctx: Context, actor: Actor, _cmd: c.ListRelationships, _place: Place) -> Message:
    return views.list_message(ctx.rubric, ctx.prompts, await overviews(ctx, actor))


async def review(ctx: Context, actor: Actor, cmd: c.Review, _place: Place) -> Message:
    rel = await find_open(ctx, actor, cmd.alias)
    if isinstance(rel, Message):
        return rel
    due = due_review(rel, ctx.rubric.reviews, ctx.now())
    rel, entry = await checkins.start_review(ctx, rel, due or early_review(rel))
    await checkins.plan_followups(ctx, rel, entry)  # an open review is reminded, then set aside
    prompt = checkins.prompt_for(ctx, rel, entry)
    if due is not None:
        return prompt
    outlook = review_outlook(rel, ctx.rubric.reviews, ctx.now())
    first = views.say(ctx.prompts, "review_not_due", alias=rel.alias, outlook=outlook)
    return replace(
        prompt, summary=f"{first.summary} {prompt.summary}", blocks=first.blocks + prompt.blocks
    )


def next_words(ctx: Context, rel: Relationship) -> str:
    starts = upcoming(rel, ctx.now())
    if starts is None:
        return ""
    return f"; the next check-in follows the session on {views.when(starts, rel.tz)}"


async def close(ctx: Context, actor: Actor, cmd: c.Close, _place: Place) -> Message:
    rel = await find(ctx, actor, cmd.alias)
    if isinstance(rel, Message):
        return rel
    if rel.status == CLOSED:
        return views.say(ctx.prompts, "closed_already", alias=rel.alias)
    await ctx.store.update(rel.tenant, rel.id, lambda r: replace(r, status=CLOSED))
    return views.say(ctx.prompts, "closed", alias=rel.alias)


async def skip(ctx: Context, actor: Actor, cmd: c.Skip, _place: Place) -> Message:
    rel = await find_open(ctx, actor, cmd.alias)
    if isinstance(rel, Message):
        return rel
    skipped: list[timeline.Occurrence] = []

    def cancel(r: Relationship) -> Relationship:
        line, o = timeline.skip(r.timeline, plan_of(r), cmd.day)
        skipped[:] = [o]
        return replace(r, timeline=line)

    try:
        rel = await ctx.store.update(rel.tenant, rel.id, cancel) or rel
    except timeline.Refused as refused:
        return _refusal(ctx, rel, refused.reason, "skip")
    await ctx.queue.cancel(session_job(rel, skipped[0].slot or 0))
    await plan_next(ctx, rel)
    return views.say(
        ctx.prompts, "skipped", alias=rel.alias, when=views.when(skipped[0].at, rel.tz)
    )


async def move(ctx: Context, actor: Actor, cmd: c.Move, _place: Place) -> Message:
    rel = await find_open(ctx, actor, cmd.alias)
    if isinstance(rel, Message):
        return rel
    to, now = to_utc(cmd.to, rel.tz), ctx.now()
    moved: list[timeline.Occurrence] = []

    def shift(r: Relationship) -> Relationship:
        line, o = timeline.move(r.timeline, plan_of(r), to, now)
        moved[:] = [o]
        return replace(r, timeline=line)

    try:
        rel = await ctx.store.update(rel.tenant, rel.id, shift) or rel
    except timeline.Refused as refused:
        return _refusal(ctx, rel, refused.reason, "move")
    o = moved[0]
    await ctx.queue.cancel(session_job(rel, o.slot or 0))
    await plan_next(ctx, rel)
    return views.say(
        ctx.prompts,
        "moved",
        alias=rel.alias,
        session=o.number,
        before=views.when(o.at, rel.tz),
        when=views.when(to, rel.tz),
    )


async def extend(ctx: Context, actor: Actor, cmd: c.Extend, _place: Place) -> Message:
    rel = await find(ctx, actor, cmd.alias)
    if isinstance(rel, Message):
        return rel
    if cmd.sessions is not None and cmd.sessions < rel.sessions_held:
        return _refusal(ctx, rel, "extend_too_few", "extend")
    rel = (
        await ctx.store.update(
            rel.tenant, rel.id, lambda r: replace(r, planned_sessions=cmd.sessions)
        )
        or rel
    )
    await plan_next(ctx, rel)
    planned = "open-ended sessions" if cmd.sessions is None else f"{cmd.sessions} sessions"
    return views.say(ctx.prompts, "extended", alias=rel.alias, planned=planned)


async def reopen(ctx: Context, actor: Actor, cmd: c.Reopen, _place: Place) -> Message:
    rel = await find(ctx, actor, cmd.alias)
    if isinstance(rel, Message):
        return rel
    if rel.status != CLOSED:
        return views.say(ctx.prompts, "reopen_not_closed", alias=rel.alias)
    rel = await ctx.store.update(rel.tenant, rel.id, lambda r: replace(r, status=ACTIVE)) or rel
    await plan_next(ctx, rel)
    await plan_calendar_review(ctx, rel)
    return views.say(ctx.prompts, "reopened", alias=rel.alias, next=next_words(ctx, rel))


async def rename(ctx: Context, actor: Actor, cmd: c.Rename, _place: Place) -> Message:
    rel = await find(ctx, actor, cmd.alias)
    if isinstance(rel, Message):
        return rel
    if refused := await aliases.refuse_look_alike(ctx, actor, cmd.new, renaming=rel.id):
        return refused
    old_key, new_key = await aliases.stored_key(ctx, rel), c.alias_key(cmd.new)
    renamed = await ctx.store.rename(rel, cmd.new, old_key, new_key)
    if renamed is None:
        return views.say(ctx.prompts, "exists", kind="error", alias=cmd.new)
    return views.say(ctx.prompts, "renamed", old=rel.alias, alias=renamed.alias)


async def digest_here(ctx: Context, actor: Actor, cmd: c.DigestHere, place: Place) -> Message:
    if place.direct or not place.channel:
        return views.say(ctx.prompts, "digest_need_channel", kind="error", usage=c.USAGE["digest"])
    day = DEFAULT_DAY if cmd.weekday is None else cmd.weekday
    at = cmd.at or DEFAULT_TIME
    tz = await tz_of(ctx, actor)
    schedule = DigestSchedule(
        actor.tenant,
        place.channel,
        day,
        at.strftime("%H:%M"),
        tz,
        dict(place.address) if place.address else None,
        actor.user,
    )
    await ctx.store.save_digest(schedule)
    await digests.plan(ctx, schedule)
    return views.say(
        ctx.prompts, "digest_here", private=False, day=DAYS[day], time=schedule.at, tz=tz
    )


async def digest_now(ctx: Context, actor: Actor, _cmd: c.DigestNow, place: Place) -> Message:
    if place.direct or not place.channel:
        return views.say(ctx.prompts, "digest_need_channel", kind="error", usage=c.USAGE["digest"])
    schedule = await ctx.store.digest(actor.tenant, place.channel) or DigestSchedule(
        actor.tenant,
        place.channel,
        DEFAULT_DAY,
        "09:00",
        await tz_of(ctx, actor),
        dict(place.address) if place.address else None,
        actor.user,
    )
    return await digests.build(ctx, schedule.tenant, ctx.now())


async def digest_off(ctx: Context, actor: Actor, _cmd: c.DigestOff, place: Place) -> Message:
    if place.channel and await ctx.store.delete_digest(actor.tenant, place.channel):
        return views.say(ctx.prompts, "digest_off", private=False)
    return views.say(ctx.prompts, "digest_off_none")


async def export(ctx: Context, actor: Actor, _cmd: c.Export, _place: Place) -> Message:
    return await exporting.export(ctx, actor)


async def forget(ctx: Context, actor: Actor, cmd: c.Forget, _place: Place) -> Message:
    rel = await find(ctx, actor, cmd.alias)
    if isinstance(rel, Message):
        return rel
    if cmd.confirmed:
        pending = await ctx.store.forget_pending(actor.tenant, actor.user)
        if pending and pending[1] == rel.id:
            return await confirm_forget(ctx, actor, pending[0])
        return views.say(ctx.prompts, "forget_expired", kind="error", alias=rel.alias)
    token = secrets.token_urlsafe(12)
    await ctx.store.set_forget_token(actor.tenant, actor.user, token, rel.id)
    return views.forget_confirm(ctx.prompts, rel.alias, token)


async def confirm_forget(ctx: Context, actor: Actor, token: str) -> Message:
    rid = await ctx.store.take_forget_token(actor.tenant, actor.user, token)
    rel = await ctx.store.relationship(actor.tenant, rid) if rid else None
    if rel is None or rel.owner != actor.user:
        return views.say(ctx.prompts, "forget_expired", kind="error", alias="<alias>")
    # The relationship goes first (nothing about it is written or sent from then on), then
    # the rest of its keys in small batches (Store.forget), then every job naming it.
    await ctx.store.forget(rel, await aliases.stored_key(ctx, rel))
    await ctx.queue.purge(rel.id)
    if ctx.charts is not None:
        await ctx.charts.forget(rel.tenant, rel.id)
    await finish_forgets(ctx, actor.tenant)  # any earlier one that was interrupted
    return views.say(ctx.prompts, "forget_done", alias=rel.alias)


async def finish_forgets(ctx: Context, tenant: str) -> int:
    """Finish every `forget` of the tenant that began and was interrupted (a process stopped
    between its first write and its last batch). Returns keys deleted."""
    deleted = 0
    for rid, entries in (await ctx.store.unfinished_forgets(tenant)).items():
        await ctx.queue.purge(rid)
        deleted += await ctx.store.erase(tenant, rid, entries)
    return deleted


async def cancel_forget(ctx: Context, actor: Actor, token: str) -> Message:
    rid = await ctx.store.take_forget_token(actor.tenant, actor.user, token)
    rel = await ctx.store.relationship(actor.tenant, rid) if rid else None
    if rel is None:  # a stale button (confirmed, replaced or expired): say so, as Delete does
        return views.say(ctx.prompts, "forget_expired", kind="error", alias="<alias>")
    return views.say(ctx.prompts, "forget_cancelled", alias=rel.alias)


async def help_(ctx: Context, _actor: Actor, cmd: c.Help, _place: Place) -> Message:
    return views.help_message(ctx.prompts, cmd.topic)


HANDLERS = {
    c.Help: help_,
    c.Add: add,
    c.Log: log,
    c.History: history,
    c.ListRelationships: list_,
    c.Review: review,
    c.Close: close,
    c.DigestHere: digest_here,
    c.DigestNow: digest_now,
    c.DigestOff: digest_off,
    c.Export: export,
    c.Forget: forget,
    c.Skip: skip,
    c.Move: move,
    c.Extend: extend,
    c.Reopen: reopen,
    c.Rename: rename,
}
