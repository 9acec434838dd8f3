"""A service on the test Redis, with a notifier that keeps what it was asked to send."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.config import Settings
from bot.core.clock import ManualClock
from bot.core.messages import Form, Message, RatingQuestion
from bot.service.api import Actor, Place, Recipient
from bot.service.app import Rapport, build

TENANT = "console:t1"
KEY = "m1VkXqAa0nH4eo3fW9zQ2Zt8Yc2S6V0dJq0n5uH5gGs="  # a fixed Fernet key for tests


@dataclass
class Outbox:
    """The console-like notifier tests use: it records every message, update and when."""

    clock: ManualClock
    sent: list[tuple[Recipient, Message]] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    updates: list[tuple[Recipient, str, Message]] = field(default_factory=list)
    update_times: list[datetime] = field(default_factory=list)

    async def send(self, to: Recipient, message: Message) -> str | None:
        self.sent.append((to, message))
        self.times.append(self.clock.now())
        return f"ref{len(self.sent)}"

    def when(self, kind: str) -> list[datetime]:
        return [t for t, (_r, m) in zip(self.times, self.sent, strict=True) if m.kind == kind]

    async def update(self, to: Recipient, ref: str, message: Message) -> None:
        self.updates.append((to, ref, message))
        self.update_times.append(self.clock.now())

    def to(self, user: str, kind: str | None = None) -> list[Message]:
        return [m for r, m in self.sent if r.user == user and (kind is None or m.kind == kind)]


async def make_service(redis, clock: ManualClock, **overrides) -> tuple[Rapport, Outbox]:
    settings = Settings(encryption_key=KEY, **overrides)
    rapport = await build(settings, clock, redis)
    outbox = Outbox(clock)
    rapport.register("console", outbox)
    return rapport, outbox


def actor(user: str = "u1", tz: str = "Europe/London", tenant: str = TENANT) -> Actor:
    return Actor(tenant, user, tz)


DM = Place()
CHANNEL = Place(channel="C-team", direct=False)


def answers(form: Form, rating: int, **texts: str) -> dict[str, str]:
    values = {q.id: str(rating) for q in form.questions if isinstance(q, RatingQuestion)}
    values.update(texts)
    return values


async def drain(rapport: Rapport) -> None:
    while await rapport.run_due() >= 100:
        pass


async def advance(
    rapport: Rapport, clock: ManualClock, delta: timedelta, step: timedelta = timedelta(minutes=10)
) -> None:
    end = clock.now() + delta
    while clock.now() < end:
        clock.set(min(end, clock.now() + step))
        await drain(rapport)
