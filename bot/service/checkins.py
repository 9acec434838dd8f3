"""Check-ins and reviews: opened, sent, reminded, answered, edited.

A check-in and its relationship's aggregate are always changed together by one
compare-and-set write (`Store.change_entry`), recomputed from a fresh read on a conflict:
an answer, a send's count or a 'missed' is never lost to a concurrent one nor applied twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import timedelta

from bot.core import drift, timeline, views, worktime
from bot.core.checkins import (
    Answers,
    build_form,
    questions_for,
    read_answers,
    split_ref,
    with_kept,
)
from bot.core.messages import Form, Message
from bot.core.models import (
    ANSWERED,
    CLOSED,
    EARLY,
    MISSED,
    PENDING,
    SESSION,
    Aggregate,
    CheckIn,
    Relationship,
    Summary,
)
from bot.core.reviews import ReviewDue, due_review
from bot.core.schedule import iso_week, plan_of
from bot.core.scoring import Scores, rotation, score
from bot.service import client as client_side
from bot.service.api import Actor, Submitted
from bot.service.context import Context

Held = Callable[[timeline.Timeline, timeline.Plan, int], timeline.Timeline]


async def hold_session(
    ctx: Context, rel: Relationship, held: Held
) -> tuple[Relationship, CheckIn] | None:
    """Put a held session on the timeline (`held(timeline, plan, check-in number)`, e.g. a
    log or a scheduled slot) and open its check-in, in one write. Raises timeline.Refused
    (nothing written) if the timeline does not take it; None if the relationship is gone."""
    weeks: list[str] = []

    def bump(r: Relationship) -> Relationship:
        number = r.entries + 1
        return replace(r, timeline=held(r.timeline, plan_of(r), number), entries=number)

    def open_(r: Relationship) -> CheckIn:
        found = timeline.held_with(r.timeline, r.entries)
        session, at = (found.number or 0, found.at) if found else (r.sessions_held, ctx.now())
        weeks[:] = [iso_week(at)]
        asked = tuple(c.id for c in rotation(ctx.rubric, session))
        return CheckIn(r.id, r.entries, SESSION, session, at, ctx.now(), asked)

    def count(a: Aggregate) -> Aggregate:
        # a session with client ratings on: its link is counted for the digest's response rate
        return a.count(weeks[0], sessions=1, **client_side.link_count(ctx, rel))

    return await ctx.store.hold(rel.tenant, rel, bump, open_, count)


async def open_review(
    ctx: Context, rel: Relationship, due: ReviewDue
) -> tuple[Relationship, CheckIn]:
    """Open a review (or return the one already open)."""
    if rel.open_review:
        existing = await ctx.store.checkin(rel.tenant, rel.id, rel.open_review)
        if existing and existing.status == PENDING:
            return rel, existing

    def bump(r: Relationship) -> Relationship:
        offered = (
            r.reviews_offered if due.key in r.reviews_offered else (*r.reviews_offered, due.key)
        )
        return replace(r, entries=r.entries + 1, open_review=r.entries + 1, reviews_offered=offered)

    rel = await ctx.store.update(rel.tenant, rel.id, bump) or rel
    asked = tuple(c.id for c in ctx.rubric.contrasts)
    now = ctx.now()
    checkin = CheckIn(rel.id, rel.entries, due.kind, rel.sessions_held, now, now, asked)
    await ctx.store.save_checkin(rel.tenant, checkin)
    return rel, checkin


async def after_session(ctx: Context, rel: Relationship) -> None:
    """Once the plan's last session is held: one message saying so, and the ways on."""
    if timeline.complete(rel.timeline, plan_of(rel)):
        message = views.say(
            ctx.prompts, "plan_complete", alias=rel.alias, planned=rel.planned_sessions
        )
        await ctx.notifier(rel.tenant).send(await ctx.recipient(rel), message)


def form_for(ctx: Context, rel: Relationship, checkin: CheckIn) -> Form:
    return build_form(ctx.rubric, ctx.prompts, rel, checkin, with_text=ctx.store.stores_text)


def prompt_for(ctx: Context, rel: Relationship, checkin: CheckIn) -> Message:
    prompt = views.checkin_prompt(ctx.prompts, rel, checkin, form_for(ctx, rel, checkin))
    return client_side.with_link(ctx, rel, checkin, prompt)  # client ratings on: the link


async def send(ctx: Context, rel: Relationship, checkin: CheckIn) -> None:
    """DM the check-in (or review) and plan its reminder and its 'missed'.

    The bookkeeping after the DM may run again (see bot/store/queue.py): it counts the send
    once, marked by the check-in's message reference."""
    notifier = ctx.notifier(rel.tenant)
    ref = await notifier.send(await ctx.recipient(rel), prompt_for(ctx, rel, checkin))
    week = iso_week(ctx.now())

    def sent(c: CheckIn, a: Aggregate) -> tuple[CheckIn, Aggregate] | None:
        if ref is not None and c.message_ref == ref:
            return None  # counted by an earlier run of this bookkeeping
        counted = replace(a, sent=a.sent + 1, reviews_sent=a.reviews_sent + c.is_review)
        return replace(c, message_ref=ref), counted.count(week, sent=1)

    done = await ctx.store.change_entry(rel.tenant, rel.id, checkin.number, sent)
    if done is None and await ctx.store.relationship(rel.tenant, rel.id, fresh=True) is None:
        return  # forgotten meanwhile: nothing is planned for it
    await plan_followups(ctx, rel, checkin)


async def plan_followups(
    ctx: Context,
    rel: Relationship,
    checkin: CheckIn,
    used: timedelta = timedelta(0),
    again: bool = False,
) -> None:
    """The reminder and the 'missed' of a check-in or review put in front of its
    practitioner (sent as a DM, or shown as the reply to `review`). Both delays count
    working time only; `used` of it had passed before (a hold that ended: `again`)."""
    now = ctx.now()
    rules = ctx.rubric.reminders
    hours = await ctx.hours_of(rel)
    key = f"{rel.id}:{checkin.number}"
    payload = {"rid": rel.id, "number": checkin.number, "owner": rel.owner}
    if again:
        # The first jobs may have run (their ids are spent): cancel them, plan new ones.
        for kind in ("remind", "missed"):
            await ctx.queue.cancel(f"{kind}:{rel.tenant}:{key}")
        key = f"{key}:{int(now.timestamp())}"
    if rules.max_reminders > checkin.reminders:
        delay = max(timedelta(0), timedelta(hours=rules.remind_after_hours) - used)
        remind_at = worktime.add_working(now, delay, rel.tz, hours)
        await ctx.schedule("remind", rel.tenant, key, remind_at, **payload)
    delay = max(timedelta(0), timedelta(hours=rules.missed_after_hours) - used)
    missed_at = worktime.add_working(now, delay, rel.tz, hours)
    await ctx.schedule("missed", rel.tenant, key, missed_at, **payload)


async def _owned(ctx: Context, actor: Actor, ref: str) -> tuple[Relationship, CheckIn] | Message:
    parts = split_ref(ref)
    rel = await ctx.store.relationship(actor.tenant, parts[0]) if parts else None
    checkin = await ctx.store.checkin(actor.tenant, rel.id, parts[1]) if rel and parts else None
    if rel is None or checkin is None:
        return views.say(ctx.prompts, "checkin_gone", kind="error")
    if rel.owner != actor.user:
        return views.say(ctx.prompts, "not_yours", kind="error")
    return rel, checkin


async def open_form(ctx: Context, actor: Actor, ref: str) -> Form | Message:
    found = await _owned(ctx, actor, ref)
    if isinstance(found, Message):
        return found
    return form_for(ctx, *found)


def _summary(checkin: CheckIn, scores: Scores) -> Summary:
    return Summary(
        number=checkin.number,
        kind=checkin.kind,
        session=checkin.session,
        at=checkin.session_at,
        overall=scores.overall,
        groups=dict(scores.groups),
        helpful=checkin.process.get("helpful"),
    )


def _week_scores(agg: Aggregate, week: str, scores: Scores, sign: int) -> Aggregate:
    deltas: dict[str, float] = {}
    for gid, value in scores.groups.items():
        deltas[f"sum:{gid}"] = sign * value
        deltas[f"n:{gid}"] = sign
    return agg.count(week, **deltas) if deltas else agg


def _record(
    ctx: Context, agg: Aggregate, before: CheckIn, after: CheckIn, scores: Scores
) -> tuple[Aggregate, drift.DriftVerdict | None]:
    """Fold an answer into the relationship's aggregate and step the drift model.

    An edit of the latest check-in re-steps drift from the state before it; an edit of an
    older one changes its scores but not the drift already stepped past it."""
    week = iso_week(after.session_at)
    if before.status == ANSWERED and before.scores:
        agg = _week_scores(agg, week, Scores.from_dict(before.scores), -1)
    note = next((s.note for s in agg.recent if s.number == after.number), None)
    summary = replace(_summary(after, scores), note=note)  # an edit keeps what was sent
    agg = _week_scores(agg, week, scores, +1).with_summary(summary)
    if before.status == ANSWERED:
        if agg.drift_last != after.number:
            return agg, None
        # What the first answer opened was sent already: an edit does not send it again.
        was = drift.DriftState.from_dict(agg.drift) if agg.drift else drift.DriftState()
        agg, verdict = _step_drift(ctx, agg, agg.drift_before, after.number, after.ratings)
        verdict = replace(
            verdict,
            nudge=verdict.nudge and not was.drifting,
            watch=verdict.watch and was.episode is None,
        )
        return _noted(agg, after.number, verdict), verdict
    late = before.status == MISSED
    agg = replace(
        agg,
        answered=agg.answered + 1,
        reviews_answered=agg.reviews_answered + before.is_review,
        missed=agg.missed - (late and not before.is_review),
        set_aside=max(0, agg.set_aside - (late and before.is_review)),
    )
    agg = agg.count(week, answered=1)
    if _out_of_order(agg, after):
        return agg, None  # drift is judged in session order: a back-dated session is not "latest"
    agg, verdict = _step_drift(ctx, agg, agg.drift, after.number, after.ratings)
    return _noted(agg, after.number, verdict), verdict


def _noted(agg: Aggregate, number: int, verdict: drift.DriftVerdict) -> Aggregate:
    """Mark the check-in that brought a drift nudge or a watch note, for `history`."""
    note = drift.DRIFT if verdict.nudge else drift.WATCH if verdict.watch else None
    if note is None:
        return agg
    recent = tuple(replace(s, note=note) if s.number == number else s for s in agg.recent)
    return replace(agg, recent=recent)


def _out_of_order(agg: Aggregate, checkin: CheckIn) -> bool:
    """Whether a later session than `checkin`'s was answered already (a back-dated log)."""
    return checkin.kind == SESSION and any(
        s.kind == SESSION and s.number != checkin.number and s.at > checkin.session_at
        for s in agg.recent
    )


def _step_drift(
    ctx: Context, agg: Aggregate, prior: Mapping | None, number: int, ratings: Mapping[str, int]
) -> tuple[Aggregate, drift.DriftVerdict]:
    state = drift.DriftState.from_dict(prior) if prior else None
    state, verdict = drift.step(ctx.rubric.drift, state, ratings, ctx.rubric.group_of)
    agg = replace(
        agg,
        drift=state.to_dict(),
        drift_before=dict(prior) if prior else None,
        drift_last=number,
        drifting=verdict.drifting,
        drift_group=verdict.group if verdict.drifting else None,
    )
    return agg, verdict


async def submit(ctx: Context, actor: Actor, ref: str, values: Mapping[str, object]) -> Submitted:
    parts = split_ref(ref)
    with ctx.store.scope():
        if parts:  # the relationship, its aggregate and the check-in: one round trip
            await ctx.store.prefetch(actor.tenant, parts[0], parts[1])
        return await _submit(ctx, actor, ref, values)


async def _submit(ctx: Context, actor: Actor, ref: str, values: Mapping[str, object]) -> Submitted:
    found = await _owned(ctx, actor, ref)
    if isinstance(found, Message):
        return Submitted(errors={"_": found.summary})
    rel, before = found
    questions = questions_for(ctx.rubric, ctx.prompts, before, with_text=ctx.store.stores_text)
    values = with_kept(values, before.texts)
    answers = read_answers(questions, frozenset(before.asked), values)
    if not isinstance(answers, Answers):
        return Submitted(errors=answers)
    scores = score(ctx.rubric, answers.ratings)
    now = ctx.now()
    verdicts: list[drift.DriftVerdict | None] = [None]

    def answer(stored: CheckIn, agg: Aggregate) -> tuple[CheckIn, Aggregate]:
        # Computed from what is stored now, again on every conflict: an answer that landed
        # meanwhile (another process, the same form twice) makes this one an edit of it.
        after = replace(
            stored,
            status=ANSWERED,
            answered_at=stored.answered_at or now,
            edited_at=now if stored.status == ANSWERED else None,
            ratings=dict(answers.ratings),
            process=dict(answers.process),
            texts=dict(answers.texts),
            scores=scores.to_dict(),
        )
        agg, verdicts[0] = _record(ctx, agg, stored, after, scores)
        return after, agg

    done = await ctx.store.change_entry(rel.tenant, rel.id, before.number, answer)
    if done is None:
        return Submitted(errors={"_": views.say(ctx.prompts, "checkin_gone").summary})
    after, verdict = done[0], verdicts[0]
    followups: list[Message] = []
    if verdict and verdict.nudge:
        followups.append(
            views.drift_nudge(ctx.rubric, ctx.prompts, rel, verdict.rule, verdict.group)
        )
    elif verdict and verdict.watch:
        followups.append(
            views.watch_note(ctx.rubric, ctx.prompts, rel, verdict.reason, verdict.group)
        )
    followups += await client_side.after_checkin(ctx, rel, after)
    rel = await _after_answer(ctx, rel, after)
    opened = await review_if_due(ctx, rel)
    if opened:
        rel, review = opened
        await ctx.schedule(
            "send",
            rel.tenant,
            f"{rel.id}:{review.number}",
            ctx.now(),
            rid=rel.id,
            number=review.number,
        )
    text_dropped = not ctx.store.stores_text and any(
        isinstance(values.get(q.id), str) and values.get(q.id) for q in questions
    )
    update = views.checkin_done(ctx.rubric, ctx.prompts, rel, after, text_dropped)
    update = client_side.with_link(ctx, rel, after, update)  # the DM keeps the client's link
    return Submitted(update=update, followups=tuple(followups))


async def _after_answer(ctx: Context, rel: Relationship, checkin: CheckIn) -> Relationship:
    """A review that is answered is done: record which one."""
    if checkin.kind == SESSION:
        return rel
    due = due_review(rel, ctx.rubric.reviews, ctx.now())
    key = due.key if due and due.kind == checkin.kind else f"{checkin.kind}:{checkin.number}"

    def done(r: Relationship) -> Relationship:
        kept = r.reviews_done if key in r.reviews_done else (*r.reviews_done, key)
        open_review = None if r.open_review == checkin.number else r.open_review
        return replace(r, reviews_done=kept, open_review=open_review)

    return await ctx.store.update(rel.tenant, rel.id, done) or rel


async def review_if_due(ctx: Context, rel: Relationship) -> tuple[Relationship, CheckIn] | None:
    """Open the review that fell due, unless it was offered already. A review still open
    (an early one) becomes the due one: the due review is never held back by it."""
    if rel.status != "active":
        return None
    due = due_review(rel, ctx.rubric.reviews, ctx.now())
    if due is None or due.key in rel.reviews_offered:
        return None
    if rel.open_review:
        existing = await ctx.store.checkin(rel.tenant, rel.id, rel.open_review)
        if existing and existing.status == PENDING:
            return await _becomes(ctx, rel, existing, due)
    return await open_review(ctx, rel, due)


async def _becomes(
    ctx: Context, rel: Relationship, review: CheckIn, due: ReviewDue
) -> tuple[Relationship, CheckIn]:
    """The open review `review` is now the due one (its kind and what it counts for)."""

    def offered(r: Relationship) -> Relationship:
        return replace(r, reviews_offered=(*r.reviews_offered, due.key))

    rel = await ctx.store.update(rel.tenant, rel.id, offered) or rel
    changed = await ctx.store.update_checkin(
        rel.tenant, rel.id, review.number, lambda c: replace(c, kind=due.kind)
    )
    return rel, changed or replace(review, kind=due.kind)


async def start_review(
    ctx: Context, rel: Relationship, review: ReviewDue
) -> tuple[Relationship, CheckIn]:
    """The review asked for: the one open (which becomes `review` if that one is due and the
    open one is early), or a new one."""
    if rel.open_review:
        existing = await ctx.store.checkin(rel.tenant, rel.id, rel.open_review)
        if existing and existing.status == PENDING:
            if existing.kind == review.kind or review.kind == EARLY:
                return rel, existing
            return await _becomes(ctx, rel, existing, review)
    return await open_review(ctx, rel, review)


async def offer_again(ctx: Context, rel: Relationship) -> tuple[Relationship, CheckIn] | None:
    """A review set aside while it is still due: offered once more (with a session's
    check-in). `again:<key>` in reviews_offered marks that it was."""
    if rel.status != "active" or rel.open_review:
        return None
    due = due_review(rel, ctx.rubric.reviews, ctx.now())
    if due is None or due.key not in rel.reviews_offered:
        return None
    again = f"again:{due.key}"
    if again in rel.reviews_offered:
        return None
    rel = (
        await ctx.store.update(
            rel.tenant, rel.id, lambda r: replace(r, reviews_offered=(*r.reviews_offered, again))
        )
        or rel
    )
    return await open_review(ctx, rel, due)


async def mark_missed(ctx: Context, rel: Relationship, checkin: CheckIn) -> bool:
    if checkin.status != PENDING or rel.status == CLOSED:
        return False

    now = ctx.now()

    def miss(c: CheckIn, a: Aggregate) -> tuple[CheckIn, Aggregate] | None:
        if c.status != PENDING:
            return None  # answered meanwhile, or marked already: counted once
        if c.is_review:  # a review set aside is not a missed check-in
            return replace(c, status=MISSED), replace(a, set_aside=a.set_aside + 1)
        counted = replace(a, missed=a.missed + 1).count(iso_week(now), missed=1)
        return replace(c, status=MISSED), counted

    return await ctx.store.change_entry(rel.tenant, rel.id, checkin.number, miss) is not None
