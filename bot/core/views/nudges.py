"""Nudges: the messages the bot sends of its own accord to invite a look at a relationship."""

from __future__ import annotations

from bot.core.messages import Bullets, Heading, Message, Span
from bot.core.models import Relationship
from bot.core.prompts import Prompts
from bot.core.rubric import Rubric
from bot.core.views.text import p


def _where(rubric: Rubric, group: str | None, word: str) -> str:
    """'mostly in power and influence', or, when every group fell alike, says so."""
    return (
        f"{word} in {rubric.group(group).name.lower()}" if group else "about equally in every area"
    )


def drift_nudge(
    rubric: Rubric, prompts: Prompts, rel: Relationship, rule: str | None, group: str | None
) -> Message:
    body = (
        prompts.table("drift_body")
        .get(rule or "trend", "")
        .format(mostly=_where(rubric, group, "mostly"), lowest=_where(rubric, group, "lowest"))
    )
    heading = prompts.say("drift_heading", alias=rel.alias)
    tips = list(prompts.lines("repair_checklist"))
    tip = prompts.table("group_tips").get(group or "")
    if tip:
        tips.insert(0, tip)
    return Message(
        summary=f"{heading}. {body}",
        blocks=(
            Heading(heading),
            p(body),
            p(prompts.say("drift_invite")),
            Bullets(tuple((Span("☐ " + t),) for t in tips)),
        ),
        kind="drift",
    )


def watch_note(
    rubric: Rubric, prompts: Prompts, rel: Relationship, reason: str | None, group: str | None
) -> Message:
    """The softer message: one low session, or a first dip after a perfect start."""
    body = (
        prompts.table("watch_body")
        .get(reason or "low", "")
        .format(mostly=_where(rubric, group, "mostly"))
    )
    heading = prompts.say("watch_heading", alias=rel.alias)
    return Message(
        summary=f"{heading}. {body}",
        blocks=(Heading(heading), p(body), p(prompts.say("watch_invite"))),
        kind="watch",
    )
