"""Nudges: the messages the bot sends of its own accord to invite a look at a relationship."""

from __future__ import annotations

from bot.core.messages import Bullets, Heading, Message, Span
from bot.core.models import Relationship
from bot.core.prompts import Prompts
from bot.core.rubric import Rubric
from bot.core.views.text import p


def drift_nudge(
    rubric: Rubric, prompts: Prompts, rel: Relationship, rule: str | None, group: str | None
) -> Message:
    group_name = rubric.group(group).name.lower() if group else "several areas"
    body = prompts.table("drift_body").get(rule or "trend", "").format(group=group_name)
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
