"""Hostile input: malformed, oversized and unicode-heavy text into every entry point.

Each gets a clear, short error (or a harmless answer), never a crash, and leaves the store
exactly as it was. Hypothesis drives the inputs; each test runs its own event loop so the
examples share one seeded store.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.teams.bot import parse_card_value
from bot.config import Settings
from bot.core.clock import ManualClock
from bot.core.commands import COMMAND_WORDS
from bot.core.messages import Action
from bot.service.api import Actor
from bot.service.app import build
from bot.store.server import free_port
from bot.web import create_app
from tests.security.security_helpers import answered, everything
from tests.service_helpers import DM, KEY, Outbox
from tests.slack.fake_slack import BOT_TOKEN, SIGNING_SECRET, TEAM, FakeSlack, SlackUser

TRIED: Counter[str] = Counter()
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ME = Actor(f"slack:{TEAM}", "UFUZZ", "UTC")

# Text people (and attackers) actually send: every plane of unicode, controls, bidi
# overrides, mentions, markup, and very long strings.
NASTY = st.sampled_from(
    ["<!channel>", "<@U1>", "\u202e", "\x00", "'; DROP", "{{x}}", "%s", "ﷺ" * 50, "𝕊𝕒𝕞", "=", "\n"]
)
TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=100),
    st.lists(NASTY | st.text(max_size=10), max_size=20).map(" ".join),
    st.text(min_size=2000, max_size=20_000),
)
WORDS = st.builds(
    lambda word, rest: f"{word} {rest}", st.sampled_from(COMMAND_WORDS + ("/checkin",)), TEXT
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=20), inner, max_size=5)
    ),
    max_leaves=20,
)


def _unchanged(before: dict[str, str], after: dict[str, str]) -> set[str]:
    # Event marks (platform retry dedupe) are the only writes a rejected request may make.
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)} - {
        k for k in after if ":event:" in k
    }


class Seeded:
    """A service on the test Redis with one answered check-in, in its own event loop."""

    def __init__(self, runner: asyncio.Runner, url: str) -> None:
        self.run = runner.run
        self.redis = self.run(self._client(url))
        self.clock = ManualClock()
        self.rapport = self.run(build(Settings(encryption_key=KEY), self.clock, self.redis))
        self.outbox = Outbox(self.clock)
        self.rapport.register("slack", self.outbox)
        self.ref = self.run(answered(self.rapport, self.outbox, ME, "Sam", "a note"))
        self.before = self.run(everything(self.redis))

    @staticmethod
    async def _client(url: str) -> aioredis.Redis:
        client = aioredis.from_url(url, decode_responses=True)
        await client.flushall()
        return client

    def changed(self) -> set[str]:
        return _unchanged(self.before, self.run(everything(self.redis)))


@pytest.fixture
def seeded(redis_server):
    with asyncio.Runner() as runner:
        state = Seeded(runner, redis_server.url)
        yield state
        runner.run(state.redis.flushall())
        runner.run(state.redis.aclose())


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _clear(message) -> None:
    assert message.summary.strip() and len(message.summary) < 1000, message.summary[:200]


def test_fuzzed_commands_get_a_clear_answer_and_an_error_changes_nothing(seeded):
    @FUZZ
    @given(TEXT | WORDS)
    def check(words: str) -> None:
        TRIED["command"] += 1
        reply = seeded.run(seeded.rapport.command(ME, words, DM))
        _clear(reply)
        if reply.kind == "error":
            assert not seeded.changed(), words[:80]
        else:  # a valid command: put things back for the next example
            seeded.before = seeded.run(everything(seeded.redis))

    check()


def test_fuzzed_form_submissions_and_buttons_change_nothing(seeded):
    refs = st.one_of(TEXT, st.just(seeded.ref), st.just(seeded.ref + ":9"), st.just("x:1"))
    actions = st.sampled_from([v for k, v in vars(Action).items() if k.isupper()]) | TEXT

    @FUZZ
    @given(refs, st.dictionaries(st.text(max_size=40), JSONISH, max_size=30), actions, TEXT)
    def check(ref: str, values: dict[str, Any], action: str, value: str) -> None:
        TRIED["submit/open/button"] += 3
        result = seeded.run(seeded.rapport.submit(ME, ref, values))
        assert result.errors and all(isinstance(m, str) and m for m in result.errors.values())
        shown = seeded.run(seeded.rapport.open_form(ME, ref))
        assert getattr(shown, "kind", "form") in ("error", "form") or shown.questions
        _clear(seeded.run(seeded.rapport.button(ME, action, value)))
        assert not seeded.changed(), (ref[:40], list(values)[:5])

    check()


def test_teams_card_values_are_read_strictly():
    @FUZZ
    @given(JSONISH)
    def check(value: Any) -> None:
        TRIED["teams card value"] += 1
        parsed = parse_card_value(value)
        if parsed is not None:
            kind, fields = parsed
            assert isinstance(kind, str) and all(isinstance(v, str) for v in fields.values())

    check()


def test_fuzzed_http_bodies_to_slack_and_teams_are_refused_without_a_trace(seeded):
    async def serve() -> tuple[web.AppRunner, FakeSlack, aiohttp.ClientSession, str]:
        slack = FakeSlack()
        await slack.start()
        config = Settings(
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.api_url,
            teams_enabled=True,
            teams_local_mode=True,
            encryption_key=KEY,
        )
        app = create_app(seeded.rapport, config)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner, slack, aiohttp.ClientSession(), f"http://127.0.0.1:{port}"

    runner, slack, session, url = seeded.run(serve())
    user = SlackUser(slack, url + "/slack/events", "UFUZZ", session)

    async def slack_payload(payload: str) -> int:
        body = "payload=" + aiohttp.helpers.quote(payload, safe="") if payload else ""
        return (await user.post(body, "application/x-www-form-urlencoded")).status

    async def teams(body: bytes, content_type: str) -> int:
        headers = {"Content-Type": content_type}
        async with session.post(url + "/api/messages", data=body, headers=headers) as resp:
            return resp.status

    shapes = st.one_of(
        TEXT,
        JSONISH.map(json.dumps),
        st.fixed_dictionaries(
            {"type": st.sampled_from(["view_submission", "block_actions", "shortcut"])},
            optional={"view": JSONISH, "actions": JSONISH, "user": JSONISH, "team": JSONISH},
        ).map(json.dumps),
    )
    teams_bodies = st.one_of(
        TEXT.map(str.encode),
        JSONISH.filter(lambda v: not (isinstance(v, dict) and isinstance(v.get("type"), str)))
        .map(json.dumps)
        .map(str.encode),
    )

    @FUZZ
    @given(shapes, teams_bodies, st.sampled_from(["application/json", "text/plain"]))
    def check(payload: str, teams_body: bytes, content_type: str) -> None:
        TRIED["http body"] += 2
        status = seeded.run(slack_payload(payload))
        if payload and not isinstance(_json(payload), dict):
            assert status == 400, payload[:80]  # not a Slack payload at all
        else:  # signed, but its fields have the wrong shapes: bolt's own error, no effect
            assert status in (200, 400, 404, 500), status
        assert seeded.run(teams(teams_body, content_type)) in (400, 415)
        seeded.run(slack.settle(rounds=2))
        assert not seeded.changed(), payload[:80]

    try:
        check()
        assert not [c for c in slack.calls if c.method == "chat.postMessage"]
    finally:
        seeded.run(session.close())
        seeded.run(runner.cleanup())
        seeded.run(slack.stop())


def test_zz_report_inputs_tried():
    """Prints the tally (run with -s); order-independent: the tally may be partial."""
    print(f"\nfuzz: inputs tried {dict(TRIED)}, total {sum(TRIED.values())}")
