"""Every message the bot sends, built once as a platform-neutral value.

One module per thing a practitioner looks at; callers use `views.<name>` from here.
"""

from bot.core.views.checkin import checkin_done, checkin_prompt, missed, reminder
from bot.core.views.nudges import drift_nudge, watch_note
from bot.core.views.overview import Overview, history_message, home_message, list_message
from bot.core.views.replies import export_message, forget_confirm, help_message
from bot.core.views.text import (
    REVIEW_NAMES,
    band_label,
    compose,
    day,
    error,
    p,
    pct,
    say,
    sparkline,
    when,
)

__all__ = [
    "REVIEW_NAMES",
    "Overview",
    "band_label",
    "checkin_done",
    "checkin_prompt",
    "compose",
    "day",
    "drift_nudge",
    "error",
    "export_message",
    "forget_confirm",
    "help_message",
    "history_message",
    "home_message",
    "list_message",
    "missed",
    "p",
    "pct",
    "reminder",
    "say",
    "sparkline",
    "watch_note",
    "when",
]
