"""What channels hand the service, and what the service asks of channels.

A channel turns a platform event into one of the `Rapport` calls (see `app.py`) and
renders the `core.messages` values it gets back. Outbound messages (a check-in that fell
due, a reminder, a nudge, a digest) go through the `Notifier` the channel registered for
its platform.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.messages import Form, Message


@dataclass(frozen=True)
class Actor:
    """Who is asking. `tenant` is "<platform>:<workspace or tenant id>", e.g. "slack:T01"."""

    tenant: str
    user: str
    tz: str | None = None  # IANA zone when the platform told us (Slack users.info, Teams)

    @property
    def platform(self) -> str:
        return self.tenant.split(":", 1)[0]


@dataclass(frozen=True)
class Place:
    """Where a command was typed: the channel or conversation id, and whether it is a DM."""

    channel: str | None = None
    direct: bool = True


@dataclass(frozen=True)
class Submitted:
    """The outcome of a form submission.

    `errors` maps question id -> a short message (the form stays open, nothing stored).
    Otherwise `update` replaces the original check-in message (e.g. Slack DM, Teams card),
    and `followups` are extra messages for the same user (e.g. a drift nudge).
    """

    errors: Mapping[str, str] = field(default_factory=dict)
    update: Message | None = None
    message_ref: str | None = None
    followups: tuple[Message, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


class Notifier(Protocol):
    """What a channel does for the service when something falls due."""

    async def send_direct(self, tenant: str, user: str, message: Message) -> str | None:
        """DM `user`. Returns a reference to the sent message (to update it later)."""
        ...

    async def update_direct(self, tenant: str, user: str, ref: str, message: Message) -> None:
        """Replace a message sent earlier by `send_direct`."""
        ...

    async def post_channel(self, tenant: str, channel: str, message: Message) -> None:
        """Post in a team channel (the digest)."""
        ...


__all__ = ["Actor", "Place", "Submitted", "Notifier", "Form", "Message"]
