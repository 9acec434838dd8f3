"""What channels hand the service, and what the service asks of channels.

A channel turns a platform event into one of the `Rapport` calls (see `app.py`) and
renders the `core.messages` values it gets back. Outbound messages (a check-in that fell
due, a reminder, a nudge, a digest) go through the `Notifier` the channel registered for
its platform.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

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
    """Where a command was typed: the channel or conversation, and whether it is a DM.

    `address` is whatever the channel needs to post there later (Teams: a conversation
    reference as JSON-safe dict); the service stores it as is and hands it back.
    """

    channel: str | None = None
    direct: bool = True
    address: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Recipient:
    """Where an outbound message goes: a user's DM (`user`) or a team channel (`channel`).

    `address` is what the channel asked the service to remember for it (Slack: the DM
    channel id; Teams: the conversation reference), or None if nothing was remembered.
    """

    tenant: str
    user: str | None = None
    channel: str | None = None
    address: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Submitted:
    """The outcome of a form submission.

    `errors` maps question id -> a short message (the form stays open, nothing stored).
    Otherwise `update` replaces the original check-in message (Slack DM, Teams card),
    and `followups` are extra messages for the same user (e.g. a drift nudge).
    """

    errors: Mapping[str, str] = field(default_factory=dict)
    update: Message | None = None
    followups: tuple[Message, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


class Notifier(Protocol):
    """What a channel does for the service when something falls due."""

    async def send(self, to: Recipient, message: Message) -> str | None:
        """Send to a user's DM or a channel. Returns a reference to update it later."""
        ...

    async def update(self, to: Recipient, ref: str, message: Message) -> None:
        """Replace a message sent earlier by `send`."""
        ...


__all__ = ["Actor", "Place", "Recipient", "Submitted", "Notifier", "Form", "Message"]
