"""The check-in as the practitioner meets it: the prompt, its reminder, the missed notice and
the summary once answered."""

from __future__ import annotations

from datetime import timedelta

from bot.core.messages import Action, Actions, Button, Fields, Form, Message, Span
from bot.core.models import EARLY, SESSION, CheckIn, Relationship
from bot.core.prompts import Prompts
from bot.core.rubric import Rubric
from bot.core.schedule import local
from bot.core.views.text import REVIEW_NAMES, band_label, p, pct, say

JUST_ENDED = timedelta(hours=2)  # later than this after its end, a session is named by day


def checkin_prompt(prompts: Prompts, rel: Relationship, checkin: CheckIn, form: Form) -> Message:
    if checkin.kind == SESSION:
        line = _session_line(prompts, rel, checkin)
        label, kind = prompts.say("checkin_button"), "checkin"
    else:
        name = REVIEW_NAMES.get(checkin.kind, "review")
        key = "early_review_prompt" if checkin.kind == EARLY else "review_prompt"
        line = prompts.say(key, kind=name, alias=rel.alias)
        label, kind = prompts.say("review_button"), "review"
    return Message(
        summary=line,
        blocks=(p(line), Actions((Button(label, Action.OPEN_FORM, form.ref),))),
        kind=kind,
        form=form,
    )


def _session_line(prompts: Prompts, rel: Relationship, checkin: CheckIn) -> str:
    """'Session 4 with Sam just ended', or, for a session of an earlier day or hours ago (a
    back-dated log, a check-in held back for working hours), 'Session 4 with Riley, Tue 10
    Nov'."""
    held, asked = local(checkin.session_at, rel.tz), local(checkin.created, rel.tz)
    ended = checkin.session_at + timedelta(minutes=rel.length_minutes)
    if held.date() == asked.date() and checkin.created - ended <= JUST_ENDED:
        return prompts.say("checkin_prompt", session=checkin.session, alias=rel.alias)
    day = held.strftime("%a %d %b")
    return prompts.say("checkin_prompt_dated", session=checkin.session, alias=rel.alias, day=day)


def reminder(prompts: Prompts, rel: Relationship, checkin: CheckIn, form: Form) -> Message:
    if checkin.is_review:
        name = REVIEW_NAMES.get(checkin.kind, "review")
        line = prompts.say("review_reminder", kind=name, alias=rel.alias)
        button = Button(prompts.say("review_button"), Action.OPEN_FORM, form.ref)
        return Message(
            summary=line, blocks=(p(line), Actions((button,))), kind="reminder", form=form
        )
    line = prompts.say("reminder", session=checkin.session, alias=rel.alias)
    button = Button(prompts.say("checkin_button"), Action.OPEN_FORM, form.ref)
    return Message(summary=line, blocks=(p(line), Actions((button,))), kind="reminder", form=form)


def missed(prompts: Prompts, rel: Relationship, checkin: CheckIn) -> Message:
    if checkin.is_review:
        name = REVIEW_NAMES.get(checkin.kind, "review")
        return say(prompts, "review_missed", kind="missed", review=name, alias=rel.alias)
    return say(prompts, "missed", kind="missed", session=checkin.session, alias=rel.alias)


def checkin_done(
    rubric: Rubric, prompts: Prompts, rel: Relationship, checkin: CheckIn, text_dropped: bool
) -> Message:
    scores = checkin.scores or {}
    overall = scores.get("overall")
    band_line = (
        prompts.say("band_line", overall=pct(overall), band=band_label(rubric, overall))
        if overall is not None
        else ""
    )
    if checkin.kind == SESSION:
        line = prompts.say(
            "checkin_done", session=checkin.session, alias=rel.alias, band_line=band_line
        )
    else:
        name = REVIEW_NAMES.get(checkin.kind, "review").capitalize()
        line = prompts.say("review_done", kind=name, alias=rel.alias, band_line=band_line)
    blocks: list = [p("✓ ", Span(line))]
    groups = scores.get("groups") or {}
    if groups:
        blocks.append(
            Fields(tuple((g.name, pct(groups.get(g.id))) for g in rubric.groups if g.id in groups))
        )
    if text_dropped:
        blocks.append(p(prompts.say("plaintext_refused")))
    ref = f"{rel.id}:{checkin.number}"
    blocks.append(Actions((Button(prompts.say("edit_button"), Action.OPEN_FORM, ref, False),)))
    return Message(summary=line, blocks=tuple(blocks), kind="done")
