"""Sample data for `make demo`, made by living through its past with the real use cases.

The clock starts months back; relationships are added and sessions logged at the times
below, the worker runs every half hour in between, and everyone's check-ins are answered on
autopilot. So what you see at the start is exactly what the bot would hold by then.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.channels.console.app import Autopilot, Console

START = datetime(2025, 8, 10, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 17, 8, 0, tzinfo=UTC)  # a Tuesday morning
_STEP = timedelta(hours=1)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# (when, who, what they typed)
EVENTS: tuple[tuple[str, str, str], ...] = (
    ("2025-08-10 09:00", "you", "add Jordan every=monthly start=2025-08-12 10:00"),
    ("2025-08-10 09:00", "you", "digest here weekly mon 09:00"),
    ("2026-01-05 09:00", "alex", "add Client Q sessions=16 every=weekly start=2026-01-07 11:00"),
    ("2026-01-05 09:00", "alex", "add Dana every=biweekly start=2026-01-08 15:00"),
    ("2026-01-05 09:00", "bea", "add Kai sessions=10 every=weekly start=2026-01-06 09:30"),
    ("2026-01-05 09:00", "bea", "add Lee every=weekly start=2026-01-09 13:00"),
    ("2026-01-05 09:00", "cam", "add Mo sessions=12 every=weekly start=2026-01-05 16:00"),
    ("2026-01-23 09:00", "cam", "pause Mo until 2026-02-02"),
    ("2026-01-27 09:00", "you", "add Client B sessions=12 every=weekly start=2026-01-29 14:00"),
    ("2026-02-13 09:00", "bea", "away until 2026-02-23"),
    ("2026-02-20 08:00", "you", "add Riley sessions=6"),
    ("2026-02-20 16:00", "you", "log Riley"),
    ("2026-02-22 09:00", "you", "add Sam sessions=8 every=weekly start=2026-02-24 10:00"),
    ("2026-02-22 09:05", "you", "client Sam on"),
    ("2026-03-02 16:00", "you", "log Riley"),
    ("2026-03-09 16:00", "you", "log Riley"),
    ("2026-03-09 17:00", "you", "move Sam 2026-03-10 11:00"),
    ("2026-03-10 09:00", "you", "skip Jordan"),
    ("2026-03-11 09:00", "you", "hours 09:00-18:00 mon,tue,wed,thu,fri"),
    ("2026-03-16 09:00", "you", "add Ellis sessions=10 every=biweekly start=2026-01-19 15:00"),
)

_CLIENT_B = (0.86, 0.86, 0.8, 0.72, 0.66, 0.58, 0.5, 0.45)


def pilots() -> dict[str, Autopilot]:
    return {
        "you": Autopilot(
            {
                "Jordan": lambda n: 0.72,
                "Sam": lambda n: 0.86,
                "Riley": lambda n: 0.6,
                "Ellis": lambda n: 0.7,
                "Client B": lambda n: _CLIENT_B[min(n, len(_CLIENT_B)) - 1],
            },
            clients={"Sam": lambda n: 0.55},  # Sam's client sees it less rosily than you
        ),
        "alex": Autopilot(
            {"Client Q": lambda n: 0.8 if n <= 11 else 0.3, "Dana": lambda n: 0.7}, reviews=True
        ),
        "bea": Autopilot({"Kai": lambda n: 0.76, "Lee": lambda n: 0.64}, reviews=True),
        "cam": Autopilot({"Mo": lambda n: 0.82}, reviews=True),
    }


async def seed(console: Console) -> None:
    """Live through the sample's past, quietly; then hand the clock to the user at NOW."""
    console.quiet = True
    console.clock.set(START)
    console.autopilots = pilots()
    for when, user, words in EVENTS:
        at = _at(when)
        if at > console.clock.now():
            await console.advance(at - console.clock.now(), step=_STEP)
        await console.command(words, user=user)
    await console.advance(NOW - console.clock.now(), step=_STEP)
    del console.autopilots["you"]  # from now on, you answer your own check-ins
    console.buttons.clear()
    console.quiet = False


INTRO = """\
Rapport demo: a console window on a small workspace. You are "you", a practitioner with five
client relationships (Sam, Client B, Riley, Jordan, Ellis); alex, bea and cam are colleagues
whose check-ins answer themselves. Type the same words as /checkin in Slack: help, list,
history Sam, log Sam, review Riley, skip Sam, move Sam 2026-03-25 11:00, away until
2026-03-30, hours, add <alias> ... held=<n>. Sam has client ratings on (`client Sam on`):
each of Sam's check-ins carries a link for the client, with a button to play the client here.
Also:
  advance 7d | advance 3h   move the clock; check-ins, reminders, reviews and digests happen
  press <n>                 press a [button]
  answer 4 5 3 4 | text     answer the check-in you opened
  now, quit
"""
