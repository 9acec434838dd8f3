"""Replies about the practitioner's own account: help, export, forget."""

from __future__ import annotations

from bot.core import commands
from bot.core.messages import Action, Actions, Attachment, Bullets, Button, Message, Span
from bot.core.prompts import Prompts
from bot.core.views.text import p


def help_message(prompts: Prompts, topic: str | None = None) -> Message:
    entries = commands.help_entries(topic)
    if topic is None:
        intro = p(prompts.say("help_intro"))
        summary = prompts.say("help_intro")
    else:
        intro = p("Form: ", Span(commands.USAGE[topic], code=True))
        summary = f"Form: {commands.USAGE[topic]}"
    rows = tuple((Span(form, code=True), Span(" — " + what)) for form, what in entries)
    summary += " " + "; ".join(form for form, _ in entries)
    return Message(summary=summary, blocks=(intro, Bullets(rows)))


def forget_confirm(prompts: Prompts, alias: str, token: str) -> Message:
    line = prompts.say("forget_confirm", alias=alias)
    return Message(
        summary=line,
        blocks=(
            p(line),
            Actions(
                (
                    Button("Delete for good", Action.CONFIRM_FORGET, token, destructive=True),
                    Button("Keep it", Action.CANCEL_FORGET, token, False),
                )
            ),
        ),
        kind="confirm",
    )


def export_message(prompts: Prompts, filename: str, content: bytes) -> Message:
    return Message(
        summary=prompts.say("export_ready"),
        blocks=(p(prompts.say("export_ready")),),
        attachment=Attachment(filename, content),
    )
