"""The console channel: the same /checkin words in a terminal, with a movable clock.

It is a window on a small demo workspace: your DMs are shown in full, colleagues' in one
line, and the team channel's digest as posted. Colleagues answer their check-ins on
autopilot so that the digest and their nudges have something to show.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from bot.channels.console import client, render
from bot.core.clock import ManualClock
from bot.core.messages import Action, Button, Form, Message, RatingQuestion
from bot.service.api import Actor, Place, Recipient
from bot.service.app import Rapport

TENANT = "console:demo"
TEAM_CHANNEL = "#team"
ADVANCE = re.compile(r"^(\d{1,4})\s*([dhm])$")
UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
MAX_ADVANCE = timedelta(days=400)
# The console's own words (not /checkin commands): shown after `help`, and by `help <word>`.
DEMO_WORDS: dict[str, tuple[str, str]] = {
    "advance": ("advance <n>d | advance <n>h", "move the demo's clock; what falls due happens"),
    "press": ("press <n>", "press the button shown as [… → press n]"),
    "answer": (
        "answer 4 5 3 4 | text | text",
        "answer the check-in you opened (or, as the client, the client's page)",
    ),
    "now": ("now", "the demo's date and time"),
    "quit": ("quit", "leave the demo (Ctrl-C does too)"),
}

Script = Callable[[int], float]  # answer number (1-based) -> level 0..1


@dataclass
class Autopilot:
    """Answers check-ins for a practitioner by script: alias -> level per session."""

    scripts: dict[str, Script] = field(default_factory=dict)
    answered: dict[str, int] = field(default_factory=dict)
    reviews: bool = False
    clients: dict[str, Script] = field(default_factory=dict)  # alias -> the client's level

    def alias_in(self, summary: str) -> str | None:
        for alias in sorted(self.scripts, key=len, reverse=True):
            if alias in summary:
                return alias
        return None

    def values(self, alias: str, form: Form) -> dict[str, str]:
        n = self.answered.get(alias, 0) + 1
        self.answered[alias] = n
        level = self.scripts[alias](n)
        out = {}
        for i, q in enumerate(form.questions):
            if isinstance(q, RatingQuestion):
                jitter = (-0.45, 0.0, 0.45)[(n + i) % 3]
                out[q.id] = str(max(1, min(5, round(1 + 4 * level + jitter))))
        return out


class ConsoleNotifier:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.sent = 0

    async def send(self, to: Recipient, message: Message) -> str | None:
        self.sent += 1
        await self.console.deliver(to, message)
        return f"m{self.sent}"

    async def update(self, to: Recipient, ref: str, message: Message) -> None:
        if to.user == self.console.user and not self.console.quiet:
            stamp = self.console.stamp()
            self.console.show(
                [f"[{stamp}] your message {ref} now reads:"] + self.console.lines(message)
            )


class Console:
    def __init__(
        self,
        rapport: Rapport,
        clock: ManualClock,
        out: TextIO = sys.stdout,
        user: str = "you",
        tz: str = "Europe/London",
        charts_dir: Path | None = None,
    ) -> None:
        self.rapport = rapport
        self.charts = charts_dir is not None  # charts as PNG files there, their path shown
        if charts_dir is not None:
            rapport.save_charts_under(charts_dir)
        self.clock = clock
        self.out = out
        self.user = user
        self.tz = tz
        self.quiet = False
        self.buttons: dict[int, Button] = {}
        self.form: Form | None = None
        self.client_url: str | None = None  # a client's page opened to answer as the client
        self.autopilots: dict[str, Autopilot] = {}
        self.notifier = ConsoleNotifier(self)
        rapport.register("console", self.notifier)

    # --- output ---------------------------------------------------------------------
    def stamp(self) -> str:
        return self.clock.now().astimezone(_zone(self.tz)).strftime("%a %d %b %H:%M")

    def show(self, lines: list[str]) -> None:
        if not self.quiet:
            print("\n".join(lines), file=self.out, flush=True)

    def number(self, button: Button) -> int:
        n = len(self.buttons) + 1
        self.buttons[n] = button
        return n

    def lines(self, message: Message) -> list[str]:
        return render.message(message, self.number)

    def actor(self, user: str | None = None) -> Actor:
        return Actor(TENANT, user or self.user, self.tz)

    async def deliver(self, to: Recipient, message: Message) -> None:
        if to.channel:
            self.show([f"[{self.stamp()}] posted in {to.channel}:"] + self.lines(message))
            return
        if to.user == self.user:
            self.show([f"[{self.stamp()}] DM to you:"] + self.lines(message))
            pilot = self.autopilots.get(self.user)
        else:
            self.show([f"[{self.stamp()}] DM to {to.user}: {message.summary}"])
            pilot = self.autopilots.get(to.user or "")
        if pilot and message.form:
            await self.autoanswer(to.user or "", pilot, message)
        if pilot and pilot.clients:
            await client.autoanswer(self, pilot, message)

    async def autoanswer(self, user: str, pilot: Autopilot, message: Message) -> None:
        alias = pilot.alias_in(message.summary)
        if alias is None or message.form is None:
            return
        if message.kind == "review" and not pilot.reviews:
            return
        if message.kind == "reminder":
            return
        result = await self.rapport.submit(
            self.actor(user), message.form.ref, pilot.values(alias, message.form)
        )
        for follow in result.followups:
            await self.deliver(Recipient(TENANT, user=user), follow)

    # --- input ----------------------------------------------------------------------
    async def handle(self, line: str) -> bool:
        """Handle one typed line. False means: stop."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        word, _, rest = line.partition(" ")
        word = word.lower()
        if word in {"quit", "exit"}:
            return False
        if word == "advance":
            await self.advance_text(rest)
        elif word == "press":
            await self.press(rest)
        elif word == "answer":
            await self.answer(rest)
        elif word == "now":
            self.show([f"It is {self.stamp()} ({self.tz})."])
        elif word == "help" and rest.strip().lower() in DEMO_WORDS:
            self.show(demo_help(rest.strip().lower()))
        elif word == "help" and not rest.strip():
            await self.command(line)
            self.show(demo_help())
        else:
            await self.command(line)
        return True

    async def command(self, words: str, user: str | None = None, channel: bool = False) -> None:
        words = re.sub(r"^/?checkin\b", "", words.strip()).strip()
        digest = words.lower().startswith("digest")
        place = Place(channel=TEAM_CHANNEL, direct=False) if (digest or channel) else Place()
        reply = await self.rapport.command(self.actor(user), words, place)
        if user is None or user == self.user:
            self.reply(reply)
            if reply.chart is not None and self.charts:
                picture = await self.rapport.picture(reply.chart)
                if picture is not None:
                    self.show(self.lines(picture))
        await self.tick()

    def reply(self, reply: Message) -> None:
        if reply.attachment:
            body = reply.attachment.content.decode("utf-8")
            self.show(self.lines(reply) + [f"--- {reply.attachment.filename} ---", body])
        elif reply.form:  # a review started by a command: open it at once, no button needed
            self.form, self.client_url = reply.form, None
            self.show([reply.summary] + render.form(reply.form))
        else:
            self.show(self.lines(reply))

    async def press(self, rest: str) -> None:
        try:
            button = self.buttons[int(rest.strip())]
        except (ValueError, KeyError):
            self.show(
                ["There is no such button. Right form: `press <n>` (n from a → press n hint)."]
            )
            return
        if button.action == render.CLIENT_PAGE:
            await client.open_page(self, button.value)
            return
        if button.action == Action.OPEN_FORM:
            self.client_url = None
            opened = await self.rapport.open_form(self.actor(), button.value)
            if isinstance(opened, Form):
                self.form = opened
                self.show(render.form(opened))
            else:
                self.show(self.lines(opened))
            return
        self.show(self.lines(await self.rapport.button(self.actor(), button.action, button.value)))

    async def answer(self, rest: str) -> None:
        if self.client_url is not None:
            await client.answer(self, rest)
            return
        if self.form is None:
            self.show(["No check-in is open. Press its [Check in] button first: `press <n>`."])
            return
        values = answer_values(self.form, rest)
        if isinstance(values, str):
            self.show([values])
            return
        result = await self.rapport.submit(self.actor(), self.form.ref, values)
        if not result.ok:
            self.show(["Not saved:"] + [f"  {k}: {v}" for k, v in result.errors.items()])
            return
        self.form = None
        if result.update:
            self.show(self.lines(result.update))
        for follow in result.followups:
            await self.deliver(Recipient(TENANT, user=self.user), follow)
        await self.tick()

    async def advance_text(self, rest: str) -> None:
        match = ADVANCE.match(rest.strip().lower())
        if not match:
            self.show(["Right form: `advance <n>d` or `advance <n>h` (e.g. advance 7d)."])
            return
        delta = int(match.group(1)) * UNITS[match.group(2)]
        if delta > MAX_ADVANCE:
            self.show(["That's a long jump: advance at most 400 days at a time."])
            return
        await self.advance(delta)
        self.show([f"It is now {self.stamp()}."])

    async def advance(self, delta: timedelta, step: timedelta = timedelta(minutes=10)) -> None:
        """Move the clock in small steps, doing what falls due at each, as a worker would."""
        end = self.clock.now() + delta
        while self.clock.now() < end:
            self.clock.set(min(end, self.clock.now() + step))
            await self.tick()

    async def tick(self) -> None:
        while await self.rapport.run_due(limit=100) >= 100:
            pass


def demo_help(word: str | None = None) -> list[str]:
    words = [word] if word else list(DEMO_WORDS)
    lines = [] if word else ["In this demo, also:"]
    return lines + [f"  • `{DEMO_WORDS[w][0]}` — {DEMO_WORDS[w][1]}" for w in words]


def answer_values(form: Form, rest: str) -> dict[str, str] | str:
    """`4 5 3 4 | text | text` -> the form's values, or what is wrong with it."""
    ratings_part, *texts = rest.split("|")
    try:
        ratings = shlex.split(ratings_part)
    except ValueError:
        ratings = ratings_part.split()
    rating_qs = [q for q in form.questions if isinstance(q, RatingQuestion)]
    text_qs = [q for q in form.questions if not isinstance(q, RatingQuestion)]
    if len(ratings) != len(rating_qs) or not all(r in "12345" and len(r) == 1 for r in ratings):
        return (
            f"This check-in has {len(rating_qs)} ratings from 1 to 5. Right form: "
            f"`answer {' '.join(['4'] * len(rating_qs))} | optional text | optional text`"
        )
    if len(texts) > len(text_qs):
        return (
            f"This check-in has {len(text_qs)} text answers and you gave {len(texts)};"
            " nothing was saved. Right form: "
            f"`answer {' '.join(['4'] * len(rating_qs))}"
            + "".join(" | optional text" for _ in text_qs)
            + "`"
        )
    values: dict[str, str] = {q.id: r for q, r in zip(rating_qs, ratings, strict=True)}
    for i, q in enumerate(text_qs):
        written = texts[i].strip() if i < len(texts) else ""
        # A saved note stays unless another is written in its place.
        if written or q.initial:
            values[q.id] = written or q.initial or ""
    return values


def _zone(name: str):
    from bot.core.schedule import zone  # noqa: PLC0415

    return zone(name)


def _reader(stream: TextIO) -> asyncio.Queue[str]:
    """Lines of `stream`, read by a daemon thread: a Ctrl-C then ends the demo at once,
    where a read in the event loop's executor would hold the exit until Enter is pressed."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def pump() -> None:
        for line in iter(stream.readline, ""):
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, "")

    threading.Thread(target=pump, name="console-input", daemon=True).start()
    return lines


async def run(console: Console, stream: TextIO, interactive: bool) -> None:
    lines = _reader(stream)
    while True:
        if interactive:
            print(f"[{console.stamp()}] /checkin> ", end="", file=console.out, flush=True)
        line = await lines.get()
        if not line:
            break
        if not interactive:
            console.show([f"> {line.rstrip()}"])
        if not await console.handle(line):
            break


__all__ = ["Console", "Autopilot", "run", "TENANT", "TEAM_CHANNEL", "Mapping"]
