"""The `/checkin` grammar: every form, valid and invalid, and properties over any text."""

from __future__ import annotations

import unicodedata
from datetime import datetime, time

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.core.aliases import normalise
from bot.core.commands import (
    USAGE,
    Add,
    Cadence,
    Close,
    CommandError,
    DigestHere,
    DigestNow,
    DigestOff,
    Export,
    Forget,
    Help,
    History,
    ListRelationships,
    Log,
    Pause,
    Resume,
    Review,
    alias_key,
    help_entries,
    help_lines,
    parse,
)

# --- valid forms ---------------------------------------------------------------------

VALID = [
    ("", Help()),
    ("   ", Help()),
    ("/checkin", Help()),
    ("help", Help()),
    ("HELP", Help()),
    ("?", Help()),
    ("help add", Help(topic="add")),
    ("help Digest", Help(topic="digest")),
    ("/checkin help forget", Help(topic="forget")),
    ("add Sam", Add(alias="Sam")),
    ("Add Client B", Add(alias="Client B")),
    ("add Sam sessions=12", Add(alias="Sam", sessions=12)),
    ("add Sam sessions=1", Add(alias="Sam", sessions=1)),
    ("add Sam sessions=200", Add(alias="Sam", sessions=200)),
    ("add Sam sessions=open", Add(alias="Sam", sessions=None)),
    ("add Sam SESSIONS=Open", Add(alias="Sam", sessions=None)),
    ("add Sam every=weekly", Add(alias="Sam", cadence=Cadence(7))),
    ("add Sam every=biweekly", Add(alias="Sam", cadence=Cadence(14))),
    ("add Sam every=fortnightly", Add(alias="Sam", cadence=Cadence(14))),
    ("add Sam every=Monthly", Add(alias="Sam", cadence=Cadence(None, monthly=True))),
    ("add Sam every=10d", Add(alias="Sam", cadence=Cadence(10))),
    ("add Sam every=1d", Add(alias="Sam", cadence=Cadence(1))),
    ("add Sam every=365d", Add(alias="Sam", cadence=Cadence(365))),
    ("add Sam every=3w", Add(alias="Sam", cadence=Cadence(21))),
    ("add Sam length=50", Add(alias="Sam", length_minutes=50)),
    ("add Sam length=5", Add(alias="Sam", length_minutes=5)),
    ("add Sam length=480", Add(alias="Sam", length_minutes=480)),
    ("add Sam length=90min", Add(alias="Sam", length_minutes=90)),
    ("add Sam length=2h", Add(alias="Sam", length_minutes=120)),
    ("add Sam start=2026-03-02 10:00", Add(alias="Sam", start=datetime(2026, 3, 2, 10, 0))),
    ("add Sam start=2026-03-02T10:00", Add(alias="Sam", start=datetime(2026, 3, 2, 10, 0))),
    ("add Sam start=2026-3-2 9:05", Add(alias="Sam", start=datetime(2026, 3, 2, 9, 5))),
    ("add Sam start=2028-02-29 23:59", Add(alias="Sam", start=datetime(2028, 2, 29, 23, 59))),
    (
        'add Sam start="2026-03-02 10:00"',
        Add(alias="Sam", start=datetime(2026, 3, 2, 10, 0)),
    ),
    (
        "add Client B sessions=10 every=biweekly start=2026-03-02 10:00 length=50",
        Add(
            alias="Client B",
            sessions=10,
            cadence=Cadence(14),
            start=datetime(2026, 3, 2, 10, 0),
            length_minutes=50,
        ),
    ),
    (
        "add Sam length=45 start=2026-03-02 10:00 every=monthly sessions=open",
        Add(
            alias="Sam",
            cadence=Cadence(None, monthly=True),
            start=datetime(2026, 3, 2, 10, 0),
            length_minutes=45,
        ),
    ),
    ('add "Client Start" sessions=4', Add(alias="Client Start", sessions=4)),
    ("add “Client B” every=weekly", Add(alias="Client B", cadence=Cadence(7))),
    ("log Sam", Log(alias="Sam")),
    ("LOG  client   b ", Log(alias="client b")),
    ("log Client B 2026-03-01 14:30", Log(alias="Client B", at=datetime(2026, 3, 1, 14, 30))),
    ("log Sam 2026-03-01T14:30", Log(alias="Sam", at=datetime(2026, 3, 1, 14, 30))),
    ("log Sam 2026-03-01", Log(alias="Sam", at=datetime(2026, 3, 1, 9, 0))),
    ("log 'Sam' 2026-03-01 00:00", Log(alias="Sam", at=datetime(2026, 3, 1, 0, 0))),
    ("log Client 2026", Log(alias="Client 2026")),
    ("history Sam", History(alias="Sam")),
    ("history  Client \t B", History(alias="Client B")),
    ("history 'Sam'", History(alias="Sam")),
    ("history ‘Sam’", History(alias="Sam")),
    ("history Sam's client", History(alias="Sam's client")),
    ("history <!channel>", History(alias="<!channel>")),
    ("history <@U123|bob> & *bold*", History(alias="<@U123|bob> & *bold*")),
    ("history 山田さん", History(alias="山田さん")),
    ("history 👩‍⚕️ Dr", History(alias="👩‍⚕️ Dr")),
    ("list", ListRelationships()),
    ("ls", ListRelationships()),
    ("/checkin LIST", ListRelationships()),
    ("checkin list", ListRelationships()),
    ("review Sam", Review(alias="Sam")),
    ("pause Client B", Pause(alias="Client B")),
    ("resume Client B", Resume(alias="Client B")),
    ("close Sam", Close(alias="Sam")),
    ("digest here", DigestHere()),
    ("digest HERE weekly mon 09:00", DigestHere(weekday=0, at=time(9, 0))),
    ("digest here weekly Friday 16:30", DigestHere(weekday=4, at=time(16, 30))),
    ("digest here sun 8:00", DigestHere(weekday=6, at=time(8, 0))),
    ("digest here weekly thurs 23:59", DigestHere(weekday=3, at=time(23, 59))),
    ("digest now", DigestNow()),
    ("Digest Off", DigestOff()),
    ("export", Export()),
    ("forget Sam", Forget(alias="Sam")),
    ("forget Client B confirm", Forget(alias="Client B", confirmed=True)),
    ("forget Sam CONFIRM", Forget(alias="Sam", confirmed=True)),
    ("forget confirm", Forget(alias="confirm")),
    ("forget confirm confirm", Forget(alias="confirm", confirmed=True)),
]


@pytest.mark.parametrize(("text", "expected"), VALID, ids=[text for text, _ in VALID])
def test_valid_forms(text: str, expected: object) -> None:
    assert parse(text) == expected


def test_a_40_character_alias_is_accepted() -> None:
    assert parse("history " + "x" * 40) == History(alias="x" * 40)


# --- invalid forms: a specific message and the right form ----------------------------

INVALID = [
    # (text, part of the message, USAGE key of the form shown)
    ("frobnicate", "Try help", "help"),
    ("histroy Sam", "Did you mean history?", "help"),
    ("hello there", "add, log, history, list", "help"),
    ("help nonsense", "no command", "help"),
    ("add", "add needs an alias", "add"),
    ("add ''", "add needs an alias", "add"),
    ("add sessions=3", "needs an alias before its options", "add"),
    ("add Sam sessions=0", "sessions must be a whole number from 1 to 200, or open", "add"),
    ("add Sam sessions=201", "sessions must be a whole number from 1 to 200, or open", "add"),
    ("add Sam sessions=ten", "sessions must be a whole number from 1 to 200, or open", "add"),
    ("add Sam sessions=-3", "sessions must be a whole number from 1 to 200, or open", "add"),
    ("add Sam sessions=١٠", "sessions must be a whole number from 1 to 200, or open", "add"),
    ("add Sam sessions=" + "9" * 5000, "sessions must be a whole number", "add"),
    ("add Sam sessions=", "sessions must be a whole number", "add"),
    ("add Sam sessions 10", "key=value without spaces, e.g. sessions=10", "add"),
    ("add Sam every weekly", "key=value without spaces, e.g. every=weekly", "add"),
    ("add Sam every=yearly", "every must be weekly, biweekly, monthly", "add"),
    ("add Sam every=0d", "from 1d to 365d", "add"),
    ("add Sam every=366d", "from 1d to 365d", "add"),
    ("add Sam every=53w", "from 1d to 365d", "add"),
    ("add Sam length=4", "length must be a whole number of minutes from 5 to 480", "add"),
    ("add Sam length=481", "length must be a whole number of minutes from 5 to 480", "add"),
    ("add Sam length=9h", "from 5 to 480", "add"),
    ("add Sam length=long", "from 5 to 480", "add"),
    ("add Sam start=2026-02-30 10:00", "isn't a real date; write it as YYYY-MM-DD HH:MM", "add"),
    ("add Sam start=2026-03-02 24:00", "isn't a real time; write it as YYYY-MM-DD HH:MM", "add"),
    ("add Sam start=2026-03-02 10:60", "isn't a real time", "add"),
    ("add Sam start=2026-03-02", "start needs a time too: start=YYYY-MM-DD HH:MM", "add"),
    ("add Sam start=2026-03-02 every=weekly", "start needs a time too", "add"),
    ("add Sam start=tomorrow", "start must be a date and time: start=YYYY-MM-DD HH:MM", "add"),
    ("add Sam start=10:00 2026-03-02", "start must be a date and time", "add"),
    ("add Sam start=0001-01-01 10:00", "out of range", "add"),
    ("add Sam start=9999-12-31 23:59", "out of range", "add"),
    ("add Sam colour=blue", "“colour” isn't an option", "add"),
    (
        "add Sam =5",
        "isn't an option; the options are sessions, every, start, length, held and client",
        "add",
    ),
    ("add Sam sessions=3 sessions=4", "sessions is given twice", "add"),
    ("add Sam EVERY=weekly every=monthly", "every is given twice", "add"),
    ("add Sam sessions=3 weekly", "“weekly” isn't an option", "add"),
    ("add " + "x" * 41, "at most 40 characters (that one has 41)", "add"),
    ("log", "log needs an alias", "log"),
    ("log 2026-03-01 10:00", "log needs an alias", "log"),
    ("log Sam 10:00", "give the date too", "log"),
    ("log Sam 2026-13-01 10:00", "isn't a real date; write it as YYYY-MM-DD HH:MM", "log"),
    ("log Sam 2026-02-29", "isn't a real date", "log"),
    ("log Sam 2026-03-01 25:00", "isn't a real time; write it as YYYY-MM-DD HH:MM", "log"),
    ("history", "history needs an alias", "history"),
    ("history ' '", "history needs an alias", "history"),
    ("history " + "y" * 41, "at most 40 characters", "history"),
    ("history a\x00b", "control characters", "history"),
    ("history a\x7fb", "control characters", "history"),
    ("history Sam\u202eevil", "control characters", "history"),
    ("history a=b", "can't contain “=”", "history"),
    ("history \u200b", "visible", "history"),
    ("review", "review needs an alias", "review"),
    ("pause", "pause needs an alias", "pause"),
    ("resume", "resume needs an alias", "resume"),
    ("close", "close needs an alias", "close"),
    ("forget", "forget needs an alias", "forget"),
    ("list everything", "list takes nothing after it", "list"),
    ("export now", "export takes nothing after it", "export"),
    ("digest", "digest needs one of: here, now or off", "digest"),
    ("digest sometime", "digest takes here, now or off", "digest"),
    ("digest now please", "digest now takes nothing after it", "digest"),
    ("digest off now", "digest off takes nothing after it", "digest"),
    ("digest here weekly", "give a day and a time", "digest"),
    ("digest here weekly mon", "give a day and a time", "digest"),
    ("digest here weekly mon 09:00 extra", "give a day and a time", "digest"),
    ("digest here weekly funday 09:00", "“funday” isn't a day", "digest"),
    ("digest here weekly mon 9am", "isn't a time; write it as HH:MM", "digest"),
    ("digest here weekly mon 24:00", "isn't a real time", "digest"),
]


@pytest.mark.parametrize(
    ("text", "fragment", "form"), INVALID, ids=[text[:40] for text, _, _ in INVALID]
)
def test_invalid_forms_say_what_is_wrong_and_show_the_form(
    text: str, fragment: str, form: str
) -> None:
    with pytest.raises(CommandError) as caught:
        parse(text)
    assert fragment in caught.value.message
    assert caught.value.usage == USAGE[form]
    assert str(caught.value) == caught.value.message


def test_the_add_form_is_the_documented_one() -> None:
    assert USAGE["add"] == (
        "add <alias> [sessions=<n>|open] [every=weekly|biweekly|monthly|<n>d]"
        " [start=YYYY-MM-DD HH:MM] [length=<minutes>] [held=<n>] [client=on]"
    )


def test_digest_alone_shows_all_three_forms() -> None:
    with pytest.raises(CommandError) as caught:
        parse("digest")
    for form in ("digest here [weekly <mon..sun> <HH:MM>]", "digest now", "digest off"):
        assert form in caught.value.usage


def test_an_unknown_word_lists_every_command() -> None:
    with pytest.raises(CommandError) as caught:
        parse("zzz")
    for word in USAGE:
        assert word in caught.value.message


def test_error_messages_shorten_and_sanitise_what_the_user_typed() -> None:
    with pytest.raises(CommandError) as caught:
        parse("x\x00" + "y" * 5000)
    assert "\x00" not in caught.value.message
    assert len(caught.value.message) < 300


# --- cadence labels, aliases, help ---------------------------------------------------


@pytest.mark.parametrize(
    ("cadence", "label"),
    [
        (Cadence(7), "weekly"),
        (Cadence(14), "every 2 weeks"),
        (Cadence(21), "every 3 weeks"),
        (Cadence(None, monthly=True), "monthly"),
        (Cadence(10), "every 10 days"),
        (Cadence(1), "daily"),
    ],
)
def test_cadence_labels(cadence: Cadence, label: str) -> None:
    assert cadence.label == label


@pytest.mark.parametrize("bad", [(0, False), (366, False), (None, False), (7, True)])
def test_a_cadence_is_either_monthly_or_a_sane_number_of_days(
    bad: tuple[int | None, bool],
) -> None:
    with pytest.raises(ValueError):
        Cadence(*bad)


@pytest.mark.parametrize(
    ("typed", "other"),
    [
        ("Client B", "client  b"),
        ("SAM", "sam"),
        ("Straße", "STRASSE"),
        ("Jose\u0301", "José"),  # decomposed and composed accents
        ("Ｓａｍ", "sam"),  # full-width letters from some keyboards
    ],
)
def test_alias_key_matches_regardless_of_case_and_spacing(typed: str, other: str) -> None:
    assert alias_key(typed) == alias_key(other)


def test_alias_key_keeps_different_names_apart() -> None:
    assert alias_key("Sam") != alias_key("Sal")
    assert alias_key("Client B") != alias_key("ClientB")


def test_help_lists_every_command_with_what_it_does() -> None:
    lines = help_lines()
    words = {line.split()[0] for line in lines}
    assert words == set(USAGE)
    assert all(" — " in line and line.split(" — ", 1)[1] for line in lines)
    # the commonest short forms come before the long ones
    assert lines[0].startswith("log <alias> — ")
    forms = [form for form, _ in help_entries()]
    assert forms.index("add <alias>") < forms.index(next(f for f in forms if "sessions=" in f))


def test_help_for_one_command_shows_only_its_forms() -> None:
    forms = [form for form, _ in help_entries("digest")]
    assert forms and all(form.startswith("digest ") for form in forms)
    assert help_lines("export") == ("export — your own data as a JSON file",)


def test_every_form_in_help_parses() -> None:
    """The examples people copy from `help` must work once the placeholders are filled."""
    fill = {
        "HH:MM-HH:MM": "08:00-16:00",
        "<alias>": "Sam",
        "<n>|open": "10",
        "weekly|biweekly|monthly|<n>d": "weekly",
        "YYYY-MM-DD HH:MM": "2026-03-02 10:00",
        "<minutes>": "50",
        "<mon..sun>": "tue",
        "<HH:MM>": "09:30",
        "<command>": "add",
        "<n>": "3",
        "YYYY-MM-DD": "2026-03-09",
        "<new alias>": "Sam B",
    }
    for form, _ in help_entries():
        text = form
        for placeholder, value in fill.items():
            text = text.replace(placeholder, value)
        parse(text)  # raises if a documented form does not parse


# --- properties ----------------------------------------------------------------------

_WORDS = [*USAGE, "/checkin", "add Sam", "log Sam", "digest here", "digest here weekly", "forget"]
# Any code point, with lone surrogates and control characters made common on purpose.
_NASTY = st.one_of(
    st.characters(exclude_categories=()),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
    st.characters(max_codepoint=0x9F, categories=("Cc",)),
    st.sampled_from(list("=\"'“”T:- \u202e\u200b")),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(_NASTY),
        st.builds(lambda w, t: f"{w} {t}", st.sampled_from(_WORDS), st.text(_NASTY)),
        st.builds(
            lambda w, t: f"add Sam {w}={t}",
            st.sampled_from(["sessions", "every", "start", "length", "x", ""]),
            st.text(_NASTY, max_size=30),
        ),
        st.builds(
            lambda w, parts: f"{w} " + " ".join(parts),
            st.sampled_from(_WORDS),
            st.lists(
                st.from_regex(r"[0-9]{1,5}[-:T][0-9]{0,3}[-:]?[0-9]{0,3}", fullmatch=True),
                max_size=4,
            ),
        ),
    )
)
def test_parse_only_ever_raises_command_error(text: str) -> None:
    try:
        parse(text)
    except CommandError as error:
        assert error.message and error.usage


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_WORDS), st.text(_NASTY, min_size=1, max_size=12))
def test_parse_copes_with_10k_character_text(word: str, chunk: str) -> None:
    text = f"{word} " + (chunk * (10_000 // len(chunk) + 1))[:10_000]
    try:
        parse(text)
    except CommandError as error:
        assert len(error.message) < 400


_QUOTE_CHARS = "\"'“”‘’„«»"
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def _valid_alias(text: str) -> bool:
    """The documented rule, stated independently of the parser: the alias as typed and as
    stored (normalised: NFKC, no format characters) both pass."""
    return _valid_as_typed(text) and _valid_as_typed(normalise(text))


def _valid_as_typed(text: str) -> bool:
    return (
        1 <= len(text) <= 40
        and "=" not in text
        and not any(unicodedata.category(c) in ("Cc", "Cs") or c in _BIDI for c in text)
        and any(unicodedata.category(c)[0] in "LNPS" for c in text)
        and not (text[0] in _QUOTE_CHARS and text[-1] in _QUOTE_CHARS)
    )


aliases = (
    st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=50)
    .map(lambda s: " ".join(s.split()))
    .filter(_valid_alias)
)


@given(aliases)
def test_any_valid_alias_round_trips_through_history(alias: str) -> None:
    stored = normalise(alias)
    assert parse(f"history {alias}") == History(alias=stored)
    assert parse(f"/checkin HISTORY   {alias}  ") == History(alias=stored)
    assert parse(f'history "{alias}"') == History(alias=stored)


@given(aliases)
def test_any_valid_alias_round_trips_through_add_and_forget(alias: str) -> None:
    # An option word followed by another word may be an option written with a space
    # (`add Sam sessions 6`): refused with a hint, tested below. Anywhere else it is alias.
    words = alias.split()
    assume(
        not any(
            word.casefold() in ("sessions", "every", "start", "length", "held", "client")
            for word in words[1:-1]
        )
    )
    assert parse(f"add {alias} sessions=6").alias == normalise(alias)
    assert parse(f"forget {alias} confirm") == Forget(alias=normalise(alias), confirmed=True)


@given(aliases)
def test_alias_key_is_case_insensitive(alias: str) -> None:
    key = alias_key(alias)
    assert alias_key(alias.casefold()) == key
    assert alias_key(f"  {alias.replace(' ', '   ')} ") == key
    assert alias_key(key) == key
    for variant in (alias.upper(), alias.lower(), alias.swapcase()):
        # Unicode case mappings are not always reversible ("ı".upper() is "I"); where
        # casefold says two spellings are the same name, the key must agree.
        if variant.casefold() == alias.casefold():
            assert alias_key(variant) == key


@given(
    st.one_of(st.integers(1, 200).map(str), st.just("open")),
    st.sampled_from(["weekly", "biweekly", "monthly", "12d"]),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 12, 31, 23, 59)),
    st.integers(5, 480),
    st.permutations(range(4)),
)
def test_add_options_in_any_order_give_the_same_command(
    sessions: str, every: str, start: datetime, length: int, order: list[int]
) -> None:
    start = start.replace(second=0, microsecond=0)
    options = [
        f"sessions={sessions}",
        f"every={every}",
        f"start={start:%Y-%m-%d %H:%M}",
        f"length={length}",
    ]
    parsed = parse("add Client B " + " ".join(options[i] for i in order))
    assert parsed == Add(
        alias="Client B",
        sessions=None if sessions == "open" else int(sessions),
        cadence=parsed.cadence,
        start=start,
        length_minutes=length,
    )
    assert parsed.cadence is not None
    assert (
        parsed.cadence.label
        == {
            "weekly": "weekly",
            "biweekly": "every 2 weeks",
            "monthly": "monthly",
            "12d": "every 12 days",
        }[every]
    )


@pytest.mark.parametrize(
    "text, alias",
    [
        ("add Acme Client sessions=6", "Acme Client"),
        ("add Big Start", "Big Start"),
        ("add Client Held every=weekly", "Client Held"),
        ("add Acme Client Services", "Acme Client Services"),
    ],
)
def test_an_option_word_in_an_alias_stays_part_of_it(text: str, alias: str) -> None:
    assert parse(text).alias == alias


@pytest.mark.parametrize(
    "text, hint",
    [
        ("add Sam sessions 6", "sessions=10"),
        ("add Sam every weekly", "every=weekly"),
        ("add Sam start 2026-03-02 10:00", "start=2026-03-02 10:00"),
        ("add Sam client on", "client=on"),
        ("add Sam held 3 sessions=8", "held=7"),
    ],
)
def test_an_option_written_with_a_space_is_refused_with_its_right_form(text, hint) -> None:
    with pytest.raises(CommandError) as refused:
        parse(text)
    assert hint in str(refused.value) and "quote the alias" in str(refused.value)
