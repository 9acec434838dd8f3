"""Shared steps of the security tests: a practitioner with an answered check-in, a dump of
everything in Redis."""

from __future__ import annotations

from bot.core.messages import Action
from bot.service.api import Actor
from tests.service_helpers import DM, answers, drain


async def answered(rapport, outbox, me: Actor, alias: str, note: str, rating: int = 4) -> str:
    """`alias` added and logged for `me`, its check-in answered with free text `note`.
    Returns the check-in's form ref."""
    await rapport.command(me, f"add {alias} sessions=8", DM)
    await rapport.command(me, f"log {alias}", DM)
    await drain(rapport)
    prompt = [m for r, m in outbox.sent if r.user == me.user and r.tenant == me.tenant][-1]
    form = prompt.form
    result = await rapport.submit(me, form.ref, answers(form, rating, takeaway=note))
    assert result.ok, result.errors
    return form.ref


async def everything(redis) -> dict[str, str]:
    """Every key and its value (any type) as text: the whole store, to compare or search."""
    out = {}
    async for key in redis.scan_iter(match="*"):
        kind = await redis.type(key)
        if kind == "string":
            value = await redis.get(key)
        elif kind == "hash":
            value = sorted((await redis.hgetall(key)).items())
        elif kind == "zset":
            value = await redis.zrange(key, 0, -1, withscores=True)
        elif kind == "set":
            value = sorted(await redis.smembers(key))
        else:
            value = kind
        out[key] = str(value)
    return out


def button_value(message, action: str) -> str:
    for block in message.blocks:
        for button in getattr(block, "buttons", ()):
            if button.action == action:
                return button.value
    raise AssertionError(f"no {action} button in {message.summary!r}")


CONFIRM = Action.CONFIRM_FORGET
