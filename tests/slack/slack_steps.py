"""Steps the Slack end-to-end tests share: a practitioner's round trips through Slack."""

from __future__ import annotations

import json
from typing import Any

from fake_slack import FakeSlack, Posted, SlackUser

from bot.core.messages import Action


def said(reply: dict[str, Any] | Posted) -> str:
    """Everything a message shows, as one string (text and blocks)."""
    if isinstance(reply, Posted):
        return reply.text + json.dumps(reply.blocks, ensure_ascii=False)
    return reply.get("text", "") + json.dumps(reply.get("blocks", []), ensure_ascii=False)


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def has_form_button(message: Posted) -> bool:
    return any(e["action_id"].startswith(Action.OPEN_FORM) for e in buttons(message.blocks))


def ratings(view: dict[str, Any], value: str) -> dict[str, str]:
    """The same rating for every five-option question of a modal."""
    return {
        b["block_id"]: value
        for b in view["blocks"]
        if b["type"] == "input" and b["element"]["type"] == "radio_buttons"
    }


async def open_modal(
    user: SlackUser, message: Posted, action: str | None = Action.OPEN_FORM
) -> dict[str, Any]:
    slack = user.slack
    before = len(slack.views)
    ack = await user.click(message, action)
    assert ack.status == 200
    await slack.wait_for(lambda: len(slack.views) > before, what="views.open")
    return slack.views[-1]


async def answer(user: SlackUser, message: Posted, value: str, **text: str) -> Posted:
    """Open the prompt's modal, answer every rating with `value`, wait for the DM update."""
    view = await open_modal(user, message)
    edits = len(message.history)
    ack = await user.submit(view, {**ratings(view, value), **text})
    assert ack.status == 200 and ack.json() is None  # the modal closes
    await user.slack.wait_for(lambda: len(message.history) > edits, what="the DM update")
    return message


async def next_prompt(slack: FakeSlack, rapport: Any, user: str) -> Posted:
    """Run due work; the newest DM with a check-in button."""
    await rapport.run_due()
    prompts = [m for m in slack.dm(user) if has_form_button(m) and not m.history]
    assert prompts, f"no check-in DM for {user}: {slack.summary()}"
    return prompts[-1]
