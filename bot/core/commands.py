"""The `/checkin` grammar: text in, one frozen command value out.

The same words come from Slack's slash command text, Teams messages and the console, so
this is the only place that knows how a command is spelled. `parse` either returns a
command or raises `CommandError` with a short, friendly message plus the right form of
the command; it never raises anything else, whatever the text.

Choices worth knowing:
- The command word and option keys are case-insensitive; a leading `/checkin` (or
  `checkin`) word is ignored, so pasted slash commands work in Teams and the console.
- An alias (pseudonym) may contain spaces. One pair of surrounding quotes (straight or
  curly) is removed and runs of whitespace become one space; the rest is kept exactly as
  typed (escaping is the renderer's job, so `<!channel>` is a valid alias). It is 1 to 40
  characters, has at least one visible character, and has no control characters, no
  bidirectional overrides (they can disguise how a name reads) and no `=` (it marks an
  option in `add`). `alias_key` gives the case-insensitive key to match aliases by.
- `add`: the alias is every word before the first `key=value` option. A bare option word
  inside the alias (`add Sam sessions 10`) is refused with a hint, because the practitioner
  almost surely forgot the `=`; quoting the alias allows such a word.
- `log <alias> YYYY-MM-DD` (a date without a time) means that day at 09:00: people often
  remember the day of a past session but not its hour. `start=` needs a time, since it
  fixes the hour of every scheduled session.
- Dates run from 2000 to 2100; anything else is surely a typo, and it keeps the service's
  time zone arithmetic far from datetime's limits. No time zone is attached here: the
  service knows the practitioner's zone.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime, time

from bot.core import aliases

# --- limits ---------------------------------------------------------------------------

MAX_ALIAS_LENGTH = 40
MIN_SESSIONS, MAX_SESSIONS = 1, 200
MAX_CADENCE_DAYS = 365
MIN_LENGTH_MINUTES, MAX_LENGTH_MINUTES = 5, 480
MIN_YEAR, MAX_YEAR = 2000, 2100
LOG_DEFAULT_TIME = time(9, 0)  # `log <alias> YYYY-MM-DD` without a time


# --- command values ------------------------------------------------------------------


@dataclass(frozen=True)
class Cadence:
    """How often sessions happen: every `days` days, or once a calendar month."""

    days: int | None
    monthly: bool = False

    def __post_init__(self) -> None:
        if self.monthly != (self.days is None):
            raise ValueError("a cadence is either monthly or a number of days")
        if self.days is not None and not 1 <= self.days <= MAX_CADENCE_DAYS:
            raise ValueError(f"cadence days must be 1..{MAX_CADENCE_DAYS}")

    @property
    def label(self) -> str:
        if self.monthly or self.days is None:
            return "monthly"
        if self.days == 1:
            return "daily"
        if self.days == 7:
            return "weekly"
        if self.days % 7 == 0:
            return f"every {self.days // 7} weeks"
        return f"every {self.days} days"


WEEKLY = Cadence(7)
BIWEEKLY = Cadence(14)
MONTHLY = Cadence(None, monthly=True)


@dataclass(frozen=True)
class Help:
    topic: str | None = None  # a command word from USAGE, lower case


@dataclass(frozen=True)
class Add:
    alias: str
    sessions: int | None = None  # None = open-ended
    cadence: Cadence | None = None  # None = not scheduled (sessions are logged)
    start: datetime | None = None  # naive local wall time of the first session
    length_minutes: int = 60
    held: int | None = None  # sessions held before Rapport; None: counted from a past start
    client: bool = False  # client ratings on from the start (`client=on`)


@dataclass(frozen=True)
class Log:
    alias: str
    at: datetime | None = None  # naive local wall time; None = just now


@dataclass(frozen=True)
class History:
    alias: str


@dataclass(frozen=True)
class ListRelationships:
    pass


@dataclass(frozen=True)
class Review:
    alias: str


@dataclass(frozen=True)
class Pause:
    alias: str
    until: date | None = None  # resumes by itself that morning


@dataclass(frozen=True)
class Resume:
    alias: str


@dataclass(frozen=True)
class Close:
    alias: str


@dataclass(frozen=True)
class Skip:
    alias: str
    day: date | None = None  # None: the next scheduled session


@dataclass(frozen=True)
class Move:
    alias: str
    to: datetime  # naive local wall time


@dataclass(frozen=True)
class Extend:
    alias: str
    sessions: int | None  # the new total; None = open-ended


@dataclass(frozen=True)
class Reopen:
    alias: str


@dataclass(frozen=True)
class Rename:
    alias: str
    new: str


@dataclass(frozen=True)
class Away:
    until: date


@dataclass(frozen=True)
class Back:
    pass


@dataclass(frozen=True)
class Hours:
    start: time | None = None  # None: show the hours
    end: time | None = None
    days: tuple[int, ...] | None = None  # 0 = Monday; None: keep the days


@dataclass(frozen=True)
class DigestHere:
    weekday: int | None = None  # 0 = Monday; None (with `at`) = the service's default
    at: time | None = None  # local wall time


@dataclass(frozen=True)
class DigestNow:
    pass


@dataclass(frozen=True)
class DigestOff:
    pass


@dataclass(frozen=True)
class Export:
    pass


@dataclass(frozen=True)
class ClientRatings:
    """`client <alias> on|off`: a private link for the client with each session's check-in."""

    alias: str
    on: bool


@dataclass(frozen=True)
class Forget:
    alias: str
    confirmed: bool = False


Command = (
    Help
    | Add
    | Log
    | History
    | ListRelationships
    | Review
    | Pause
    | Resume
    | Close
    | DigestHere
    | DigestNow
    | DigestOff
    | Export
    | Forget
    | Skip
    | Move
    | Extend
    | Reopen
    | Rename
    | Away
    | Back
    | Hours
    | ClientRatings
)


class CommandError(Exception):
    """What was wrong (`message`) and the right form of the command (`usage`)."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


# --- forms --------------------------------------------------------------------------

USAGE: dict[str, str] = {
    "help": "help [command]",
    "add": (
        "add <alias> [sessions=<n>|open] [every=weekly|biweekly|monthly|<n>d]"
        " [start=YYYY-MM-DD HH:MM] [length=<minutes>] [held=<n>] [client=on]"
    ),
    "log": "log <alias> [YYYY-MM-DD HH:MM]",
    "history": "history <alias>",
    "list": "list",
    "review": "review <alias>",
    "pause": "pause <alias> [until YYYY-MM-DD]",
    "resume": "resume <alias>",
    "close": "close <alias>",
    "digest": "digest here [weekly <mon..sun> <HH:MM>] | digest now | digest off",
    "export": "export",
    "forget": "forget <alias> [confirm]",
    "skip": "skip <alias> [YYYY-MM-DD]",
    "move": "move <alias> YYYY-MM-DD HH:MM",
    "extend": "extend <alias> sessions=<n>|open",
    "reopen": "reopen <alias>",
    "rename": "rename <alias> to <new alias>",
    "away": "away until YYYY-MM-DD",
    "back": "back",
    "hours": "hours [HH:MM-HH:MM [mon,tue,...]]",
    "client": "client <alias> on|off",
}

# The `help` reply: most used and shortest forms first, each with what it does.
_HELP: tuple[tuple[str, str], ...] = (
    ("log <alias>", "record a session you just held; its check-in comes at once"),
    ("log <alias> YYYY-MM-DD HH:MM", "record an earlier session (a date alone means 09:00)"),
    ("add <alias>", "register a relationship under a pseudonym"),
    (
        "add <alias> sessions=<n>|open every=weekly|biweekly|monthly|<n>d"
        " start=YYYY-MM-DD HH:MM length=<minutes>",
        "plan it; with every and start, a check-in follows each session",
    ),
    ("list", "your relationships, one line each"),
    ("history <alias>", "trends, sessions held and reviews (only you see it)"),
    ("add <alias> sessions=<n> held=<n>", "a relationship under way: n held before Rapport"),
    ("client <alias> on", "a private link for your client to rate each session too"),
    ("client <alias> off", "no more client links (their answers so far are kept)"),
    ("add <alias> client=on", "client ratings on from the start"),
    ("skip <alias>", "cancel the next scheduled session: no check-in, the plan runs longer"),
    ("skip <alias> YYYY-MM-DD", "cancel that day's session instead"),
    ("move <alias> YYYY-MM-DD HH:MM", "move the next session to another time"),
    ("extend <alias> sessions=<n>|open", "a new total of planned sessions (or open-ended)"),
    ("review <alias>", "start a review now"),
    ("pause <alias>", "hold check-ins for a while"),
    ("pause <alias> until YYYY-MM-DD", "hold them until that morning, then resume by itself"),
    ("away until YYYY-MM-DD", "time away: hold every relationship until that morning"),
    ("back", "end time away early"),
    ("hours", "your working hours (check-ins and reminders come inside them)"),
    ("hours HH:MM-HH:MM mon,tue,wed,thu,fri", "set your own working hours and days"),
    ("resume <alias>", "start check-ins again"),
    ("close <alias>", "end a relationship; its history is kept"),
    ("reopen <alias>", "make a closed relationship active again"),
    ("rename <alias> to <new alias>", "give a relationship another alias"),
    ("forget <alias>", "delete a relationship and all its answers (asks first)"),
    ("digest here", "a weekly team digest in this channel"),
    ("digest here weekly <mon..sun> <HH:MM>", "choose the digest's day and time"),
    ("digest now", "post the team digest now"),
    ("digest off", "stop the digest in this channel"),
    ("export", "your own data as a JSON file"),
    ("help <command>", "the full form of one command"),
)

COMMAND_WORDS: tuple[str, ...] = tuple(USAGE)


def help_entries(topic: str | None = None) -> tuple[tuple[str, str], ...]:
    """(form, what it does) pairs for `help`, or only those of one command word."""
    if topic is None:
        return _HELP
    return tuple(entry for entry in _HELP if entry[0].split()[0] == topic)


def help_lines(topic: str | None = None) -> tuple[str, ...]:
    """The `help` reply as plain lines: "form — what it does"."""
    return tuple(f"{form} — {what}" for form, what in help_entries(topic))


# --- aliases -------------------------------------------------------------------------

# Pairs of quotes people (and phone keyboards) put around a name.
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "„": "“", "«": "»", "”": "”", "’": "’"}
_QUOTE_CHARS = "".join(sorted(set(_QUOTES) | set(_QUOTES.values())))
# Invisible characters that reorder text: a name containing one can read as another.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _strip_quotes(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        return text[1:-1]
    return text


def alias_key(alias: str) -> str:
    """The key aliases are matched by: case-insensitive, whitespace and width folded,
    format characters dropped (see bot.core.aliases).

    NFKC folds look-alike encodings ("é" composed or not, full-width letters), and
    casefold is Unicode's case-insensitive form ("Straße" matches "STRASSE").
    """
    return aliases.key(alias)


def _alias_problem(alias: str) -> str | None:
    """Why `alias` (already stripped and collapsed) is not a valid alias, or None."""
    if len(alias) > MAX_ALIAS_LENGTH:
        return f"an alias is at most {MAX_ALIAS_LENGTH} characters (that one has {len(alias)})"
    for char in alias:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs") or char in _BIDI_CONTROLS:
            return "an alias can't contain control characters"
    if "=" in alias:
        return "an alias can't contain “=” (it marks an option, like sessions=10)"
    if not any(unicodedata.category(char)[0] in "LNPS" for char in alias):
        return "an alias needs at least one visible letter, digit or sign"
    return None


def clean_alias(text: str, command: str = "add") -> str:
    """The display form of an alias as typed, or CommandError showing `command`'s form."""
    alias = _collapse(_strip_quotes(_collapse(text)))
    if not alias:
        raise CommandError(f"{command} needs an alias, a pseudonym such as Sam", USAGE[command])
    # stored and shown without invisible characters; NFKC may lengthen it, so check both
    shown = aliases.normalise(alias)
    problem = _alias_problem(alias) or _alias_problem(shown)
    if problem:
        raise CommandError(problem, USAGE[command])
    return shown


# --- dates and times -----------------------------------------------------------------

_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_DATETIME_T = re.compile(r"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2})[Tt]([0-9]{1,2}:[0-9]{2})")


def _shown(text: str, limit: int = 24) -> str:
    """A short, printable excerpt of user text for an error message."""
    printable = "".join(
        "?" if unicodedata.category(c) in ("Cc", "Cs") or c in _BIDI_CONTROLS else c
        for c in text[: limit + 1]
    )
    return printable if len(printable) <= limit else printable[: limit - 1] + "…"


def _date(text: str, usage: str, form: str) -> date:
    match = _DATE.fullmatch(text)
    if not match:
        raise CommandError(f"“{_shown(text)}” isn't a date; write it as {form}", usage)
    year, month, day = (int(part) for part in match.groups())
    try:
        value = date(year, month, day)
    except ValueError:
        raise CommandError(f"{_shown(text)} isn't a real date; write it as {form}", usage) from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise CommandError(
            f"{_shown(text)} is out of range (years {MIN_YEAR} to {MAX_YEAR}); write it as {form}",
            usage,
        )
    return value


def _time(text: str, usage: str, form: str) -> time:
    match = _TIME.fullmatch(text)
    if not match:
        raise CommandError(f"“{_shown(text)}” isn't a time; write it as {form} (24-hour)", usage)
    hour, minute = (int(part) for part in match.groups())
    if hour > 23 or minute > 59:
        raise CommandError(f"{_shown(text)} isn't a real time; write it as {form} (24-hour)", usage)
    return time(hour, minute)


# --- add options ---------------------------------------------------------------------

_OPTIONS = ("sessions", "every", "start", "length", "held", "client")
_EXAMPLES = {
    "sessions": "sessions=10",
    "every": "every=weekly",
    "start": "start=2026-03-02 10:00",
    "length": "length=50",
    "held": "held=7",
    "client": "client=on",
}
_NUMBER = re.compile(r"[0-9]{1,6}")  # ASCII digits only, short enough for int()
_DAYS = re.compile(r"([0-9]{1,6})\s*(d|days?|w|weeks?)")
_MINUTES = re.compile(r"([0-9]{1,6})\s*(m|mins?|minutes?|h|hours?)?")
_NAMED_CADENCES = {
    "daily": Cadence(1),
    "weekly": WEEKLY,
    "biweekly": BIWEEKLY,
    "fortnightly": BIWEEKLY,
    "monthly": MONTHLY,
}
_DATETIME_FORM = "YYYY-MM-DD HH:MM"


def _option_with_space(word: str, following: str) -> bool:
    """`add Sam sessions 6`: an option written with a space for its `=`. Only when the next
    word reads as that option's value, so aliases such as "Acme Client" or "Big Start" stay
    aliases."""
    key, value = word.casefold(), following.casefold().strip(_QUOTE_CHARS)
    if key in ("sessions", "held", "length"):
        return bool(_NUMBER.fullmatch(value) or _MINUTES.fullmatch(value)) or value == "open"
    if key == "every":
        return value in _NAMED_CADENCES or bool(_DAYS.fullmatch(value))
    if key == "start":
        return bool(_DATE.fullmatch(value) or _DATETIME_T.fullmatch(value))
    return key == "client" and value in ("on", "off")


def _sessions(value: str) -> int | None:
    if value.casefold() == "open":
        return None
    if _NUMBER.fullmatch(value) and MIN_SESSIONS <= int(value) <= MAX_SESSIONS:
        return int(value)
    raise CommandError(
        f"sessions must be a whole number from {MIN_SESSIONS} to {MAX_SESSIONS}, or open",
        USAGE["add"],
    )


def _cadence(value: str) -> Cadence:
    folded = value.casefold()
    if folded in _NAMED_CADENCES:
        return _NAMED_CADENCES[folded]
    match = _DAYS.fullmatch(folded)
    if match:
        days = int(match.group(1)) * (7 if match.group(2).startswith("w") else 1)
        if 1 <= days <= MAX_CADENCE_DAYS:
            return Cadence(days)
    raise CommandError(
        "every must be weekly, biweekly, monthly or a number of days"
        f" from 1d to {MAX_CADENCE_DAYS}d",
        USAGE["add"],
    )


def _held(value: str) -> int:
    if _NUMBER.fullmatch(value) and int(value) <= MAX_SESSIONS:
        return int(value)
    raise CommandError(f"held must be a whole number from 0 to {MAX_SESSIONS}", USAGE["add"])


def _on_off(value: str, command: str) -> bool:
    folded = value.casefold()
    if folded in ("on", "yes", "true"):
        return True
    if folded in ("off", "no", "false"):
        return False
    raise CommandError(f"client must be on or off (got “{_shown(value)}”)", USAGE[command])


def _length(value: str) -> int:
    match = _MINUTES.fullmatch(value.casefold())
    if match:
        minutes = int(match.group(1)) * (60 if (match.group(2) or "m").startswith("h") else 1)
        if MIN_LENGTH_MINUTES <= minutes <= MAX_LENGTH_MINUTES:
            return minutes
    raise CommandError(
        f"length must be a whole number of minutes from {MIN_LENGTH_MINUTES}"
        f" to {MAX_LENGTH_MINUTES}",
        USAGE["add"],
    )


def _start(value: str, following: str | None) -> tuple[datetime, bool]:
    """The start option's datetime, and whether it used the following word (the time)."""
    usage = USAGE["add"]
    joined = _DATETIME_T.fullmatch(value)
    if joined:
        day_text, time_text, used_next = joined.group(1), joined.group(2), False
    elif following is not None and _TIME.fullmatch(following.strip(_QUOTE_CHARS)):
        day_text, time_text, used_next = value, following.strip(_QUOTE_CHARS), True
    elif _DATE.fullmatch(value):
        raise CommandError(f"start needs a time too: start={_DATETIME_FORM}", usage)
    else:
        raise CommandError(f"start must be a date and time: start={_DATETIME_FORM}", usage)
    day = _date(day_text, usage, _DATETIME_FORM)
    return datetime.combine(day, _time(time_text, usage, _DATETIME_FORM)), used_next


def _parse_add(words: list[str]) -> Add:
    usage = USAGE["add"]
    first_option = next((i for i, word in enumerate(words) if "=" in word), len(words))
    alias_words, option_words = words[:first_option], words[first_option:]
    if not alias_words and option_words:
        raise CommandError("add needs an alias before its options, e.g. add Sam sessions=10", usage)
    for word, following in zip(alias_words[1:], alias_words[2:], strict=False):
        if _option_with_space(word, following):
            raise CommandError(
                f"write options as key=value without spaces, e.g. {_EXAMPLES[word.casefold()]}"
                " (quote the alias if the word is part of it)",
                usage,
            )
    command = Add(alias=clean_alias(" ".join(alias_words), "add"))
    seen: set[str] = set()
    i = 0
    while i < len(option_words):
        word = option_words[i]
        if "=" not in word:
            raise CommandError(
                f"“{_shown(word)}” isn't an option; options look like every=weekly", usage
            )
        key, _, value = word.partition("=")
        key, value = key.casefold(), value.strip(_QUOTE_CHARS)
        if key not in _OPTIONS:
            raise CommandError(
                f"“{_shown(key)}” isn't an option; the options are sessions, every, start,"
                " length, held and client",
                usage,
            )
        if key in seen:
            raise CommandError(f"{key} is given twice; give it once", usage)
        seen.add(key)
        if key == "sessions":
            command = replace(command, sessions=_sessions(value))
        elif key == "every":
            command = replace(command, cadence=_cadence(value))
        elif key == "length":
            command = replace(command, length_minutes=_length(value))
        elif key == "held":
            command = replace(command, held=_held(value))
        elif key == "client":
            command = replace(command, client=_on_off(value, "add"))
        else:
            following = option_words[i + 1] if i + 1 < len(option_words) else None
            start, used_next = _start(value, following)
            command = replace(command, start=start)
            i += used_next
        i += 1
    if command.sessions is not None and (command.held or 0) > command.sessions:
        raise CommandError("held can't be more than the sessions planned", usage)
    return command


# --- the other commands --------------------------------------------------------------


def _parse_log(words: list[str]) -> Log:
    """`log <alias> [YYYY-MM-DD HH:MM]`; also `YYYY-MM-DDTHH:MM`, or a date alone = 09:00."""
    usage, form = USAGE["log"], _DATETIME_FORM
    at: datetime | None = None
    last = words[-1] if words else ""
    before_last = words[-2] if len(words) >= 2 else ""
    joined = _DATETIME_T.fullmatch(last)
    if _TIME.fullmatch(last) and _DATE.fullmatch(before_last):
        at = datetime.combine(_date(before_last, usage, form), _time(last, usage, form))
        words = words[:-2]
    elif joined:
        day = _date(joined.group(1), usage, form)
        at = datetime.combine(day, _time(joined.group(2), usage, form))
        words = words[:-1]
    elif _DATE.fullmatch(last):
        at = datetime.combine(_date(last, usage, form), LOG_DEFAULT_TIME)
        words = words[:-1]
    elif _TIME.fullmatch(last):
        raise CommandError(f"give the date too: log <alias> {form}", usage)
    return Log(alias=clean_alias(" ".join(words), "log"), at=at)


def _parse_skip(words: list[str]) -> Skip:
    usage = USAGE["skip"]
    if words and _DATE.fullmatch(words[-1]):
        day = _date(words[-1], usage, "YYYY-MM-DD")
        return Skip(alias=clean_alias(" ".join(words[:-1]), "skip"), day=day)
    return Skip(alias=clean_alias(" ".join(words), "skip"))


def _parse_move(words: list[str]) -> Move:
    usage, form = USAGE["move"], _DATETIME_FORM
    if len(words) >= 2 and _DATE.fullmatch(words[-2]) and _TIME.fullmatch(words[-1]):
        to = datetime.combine(_date(words[-2], usage, form), _time(words[-1], usage, form))
        return Move(alias=clean_alias(" ".join(words[:-2]), "move"), to=to)
    if words and _DATETIME_T.fullmatch(words[-1]):
        joined = _DATETIME_T.fullmatch(words[-1])
        assert joined is not None
        day, at = _date(joined.group(1), usage, form), _time(joined.group(2), usage, form)
        return Move(alias=clean_alias(" ".join(words[:-1]), "move"), to=datetime.combine(day, at))
    raise CommandError(f"give the new date and time: move <alias> {form}", usage)


def _parse_extend(words: list[str]) -> Extend:
    usage = USAGE["extend"]
    if not words or not words[-1].casefold().startswith("sessions="):
        raise CommandError("give the new total: extend <alias> sessions=<n> (or open)", usage)
    value = words[-1].partition("=")[2].strip(_QUOTE_CHARS)
    try:
        sessions = _sessions(value)
    except CommandError as e:
        raise CommandError(e.message, usage) from None
    return Extend(alias=clean_alias(" ".join(words[:-1]), "extend"), sessions=sessions)


def _parse_rename(words: list[str]) -> Rename:
    usage = USAGE["rename"]
    folded = [w.casefold() for w in words]
    if "to" not in folded[1:]:
        raise CommandError("say the new alias after “to”: rename Sam to Sam B", usage)
    at = len(folded) - 1 - folded[::-1].index("to")  # the last "to": an alias may hold one
    return Rename(
        alias=clean_alias(" ".join(words[:at]), "rename"),
        new=clean_alias(" ".join(words[at + 1 :]), "rename"),
    )


_WEEKDAYS = {
    name: index
    for index, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "weds", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}


def _parse_digest(words: list[str]) -> Command:
    usage = USAGE["digest"]
    if not words:
        raise CommandError("digest needs one of: here, now or off", usage)
    sub, rest = words[0].casefold(), words[1:]
    if sub in ("now", "off"):
        if rest:
            raise CommandError(f"digest {sub} takes nothing after it", usage)
        return DigestNow() if sub == "now" else DigestOff()
    if sub != "here":
        raise CommandError(f"“{_shown(words[0])}”: digest takes here, now or off", usage)
    if not rest:
        return DigestHere()
    if rest[0].casefold() == "weekly":
        rest = rest[1:]
    if len(rest) != 2:
        raise CommandError("give a day and a time, e.g. digest here weekly mon 09:00", usage)
    weekday = _WEEKDAYS.get(rest[0].casefold())
    if weekday is None:
        raise CommandError(f"“{_shown(rest[0])}” isn't a day; use mon, tue, … sun", usage)
    return DigestHere(weekday=weekday, at=_time(rest[1], usage, "HH:MM"))


def _parse_forget(words: list[str]) -> Forget:
    confirmed = len(words) >= 2 and words[-1].casefold() == "confirm"
    alias_words = words[:-1] if confirmed else words
    return Forget(alias=clean_alias(" ".join(alias_words), "forget"), confirmed=confirmed)


def _parse_help(words: list[str]) -> Help:
    if not words:
        return Help()
    topic = words[0].casefold().lstrip("/")
    if topic not in USAGE:
        raise CommandError(
            f"there's no command “{_shown(words[0])}”; the commands are {_word_list()}",
            USAGE["help"],
        )
    return Help(topic=topic)


_ALIAS_COMMANDS = {
    "history": History,
    "review": Review,
    "resume": Resume,
    "close": Close,
    "reopen": Reopen,
}


def _parse_pause(words: list[str]) -> Pause:
    usage = USAGE["pause"]
    if len(words) >= 2 and words[-2].casefold() == "until":
        until = _date(words[-1], usage, "YYYY-MM-DD")
        return Pause(alias=clean_alias(" ".join(words[:-2]), "pause"), until=until)
    return Pause(alias=clean_alias(" ".join(words), "pause"))


def _parse_away(words: list[str]) -> Away:
    usage = USAGE["away"]
    if len(words) != 2 or words[0].casefold() != "until":
        raise CommandError("say until when: away until YYYY-MM-DD", usage)
    return Away(until=_date(words[1], usage, "YYYY-MM-DD"))


def _parse_back(words: list[str]) -> Back:
    if words:
        raise CommandError("back takes nothing after it", USAGE["back"])
    return Back()


_SPAN = re.compile(r"([0-9]{1,2}:[0-9]{2})\s*-\s*([0-9]{1,2}:[0-9]{2})")


def _parse_hours(words: list[str]) -> Hours:
    usage, form = USAGE["hours"], "HH:MM-HH:MM"
    if not words:
        return Hours()
    joined = " ".join(words)
    span = _SPAN.match(joined)
    if not span:
        raise CommandError(f"give the hours as {form}, e.g. hours 08:00-16:00", usage)
    start, end = _time(span.group(1), usage, form), _time(span.group(2), usage, form)
    if end <= start:
        raise CommandError("the end of the working day must come after its start", usage)
    rest = joined[span.end() :].replace(",", " ").split()
    if not rest:
        return Hours(start, end)
    days = []
    for word in rest:
        day = _WEEKDAYS.get(word.casefold())
        if day is None:
            raise CommandError(f"“{_shown(word)}” isn't a day; use mon, tue, … sun", usage)
        if day not in days:
            days.append(day)
    return Hours(start, end, tuple(sorted(days)))


def _parse_client(words: list[str]) -> ClientRatings:
    usage = USAGE["client"]
    if not words or words[-1].casefold() not in ("on", "off"):
        raise CommandError("say on or off after the alias: client Sam on", usage)
    return ClientRatings(
        alias=clean_alias(" ".join(words[:-1]), "client"), on=words[-1].casefold() == "on"
    )


_NEW_PARSERS = {
    "pause": _parse_pause,
    "away": _parse_away,
    "back": _parse_back,
    "hours": _parse_hours,
    "skip": _parse_skip,
    "move": _parse_move,
    "extend": _parse_extend,
    "rename": _parse_rename,
    "client": _parse_client,
}
_BARE_COMMANDS = {"list": ListRelationships, "export": Export}
_SYNONYMS = {"?": "help", "ls": "list"}


def _word_list() -> str:
    return ", ".join(COMMAND_WORDS[:-1]) + " and " + COMMAND_WORDS[-1]


def _unknown(word: str) -> CommandError:
    guess = difflib.get_close_matches(word.casefold(), COMMAND_WORDS, n=1, cutoff=0.7)
    hint = f" Did you mean {guess[0]}?" if guess else ""
    return CommandError(
        f"I don't know “{_shown(word)}”.{hint} Try help; the commands are {_word_list()}.",
        USAGE["help"],
    )


def parse(text: str) -> Command:
    """The command `text` spells, or CommandError (and never any other exception)."""
    words = text.split()
    if words and words[0].casefold() in ("/checkin", "checkin"):
        words = words[1:]
    if not words:
        return Help()
    word, rest = words[0].casefold(), words[1:]
    word = _SYNONYMS.get(word, word)
    if word == "help":
        return _parse_help(rest)
    if word == "add":
        return _parse_add(rest)
    if word == "log":
        return _parse_log(rest)
    if word == "digest":
        return _parse_digest(rest)
    if word == "forget":
        return _parse_forget(rest)
    if word in _NEW_PARSERS:
        return _NEW_PARSERS[word](rest)
    if word in _ALIAS_COMMANDS:
        return _ALIAS_COMMANDS[word](alias=clean_alias(" ".join(rest), word))
    if word in _BARE_COMMANDS:
        if rest:
            raise CommandError(f"{word} takes nothing after it", USAGE[word])
        return _BARE_COMMANDS[word]()
    raise _unknown(words[0])
