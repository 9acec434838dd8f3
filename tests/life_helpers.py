"""The console channel on the test Redis with a manual clock: a practitioner's week, typed."""

from __future__ import annotations

import io
from datetime import datetime

from bot.channels.console.app import Console
from bot.core.clock import ManualClock
from tests.service_helpers import make_service


class Typed:
    """A console session; `type` returns what the console printed for those lines."""

    def __init__(self, console: Console, out: io.StringIO) -> None:
        self.console = console
        self.out = out

    async def type(self, *lines: str) -> str:
        start = self.out.tell()
        for line in lines:
            self.out.write(f"> {line}\n")
            await self.console.handle(line)
        self.out.seek(start)
        text = self.out.read()
        self.out.seek(0, io.SEEK_END)
        return text

    @property
    def all(self) -> str:
        return self.out.getvalue()


async def console_at(redis, clock: ManualClock, when: datetime, tz: str = "Europe/London"):
    clock.set(when)
    rapport, _outbox = await make_service(redis, clock)
    out = io.StringIO()
    console = Console(rapport, clock, out=out, tz=tz)
    return Typed(console, out)


async def answer_latest(me: Typed, *ratings: int) -> str:
    """Press the newest "Check in" / review button and answer every rating with 4."""
    from bot.core.messages import Action, RatingQuestion  # noqa: PLC0415

    buttons = me.console.buttons
    n = max(k for k, b in buttons.items() if b.action == Action.OPEN_FORM)
    shown = await me.type(f"press {n}")
    form = me.console.form
    assert form is not None, shown
    count = sum(isinstance(q, RatingQuestion) for q in form.questions)
    values = " ".join(str(r) for r in (ratings or (4,) * count))
    return shown + await me.type(f"answer {values}")
