"""Multi-workspace mode: installs by OAuth, each workspace on its own token, uninstall.

Everything goes through the real aiohttp app and bolt's own OAuth flow against the fake
Slack (oauth.v2.access, auth.test per token, token rotation, the uninstall events).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from cryptography.fernet import Fernet
from fake_slack import CLIENT_ID, CLIENT_SECRET, SIGNING_SECRET, FakeSlack, SlackUser, Workspace
from slack_steps import has_form_button, said

from bot.channels.slack import EVENTS_PATH, mount
from bot.config import Settings
from bot.core.clock import ManualClock
from bot.store.crypto import TextCipher
from tests.serving import serving

KEY = Fernet.generate_key().decode()
ACME = Workspace(team="T0ACME", name="Acme")
GLOBEX = Workspace(team="T0GLOBEX", name="Globex")


@pytest.fixture
def multi_settings(fake_slack: FakeSlack, tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        slack_signing_secret=SIGNING_SECRET,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_api_url=fake_slack.api_url,
        encryption_key=KEY,
        uninstall_grace_days=30,
    )


@pytest.fixture
async def multi(multi_settings: Settings, clock: ManualClock, redis: aioredis.Redis):
    from bot.service.app import build  # noqa: PLC0415 - the facade under test

    return await build(multi_settings, clock, redis)


@pytest.fixture
async def base_url(multi, multi_settings: Settings) -> AsyncIterator[str]:
    app = web.Application()
    mount(app, multi, multi_settings, pace=0)
    async with serving(app) as base:
        yield base


async def install(
    http: aiohttp.ClientSession, base_url: str, slack: FakeSlack, workspace: Workspace
) -> tuple[int, str]:
    """Add to Slack: the install link, Slack's consent, the redirect back. (status, page)"""
    async with http.get(f"{base_url}/slack/install", allow_redirects=False) as resp:
        assert resp.status == 302
        to_slack = urlparse(resp.headers["Location"])
        cookie = resp.headers["Set-Cookie"].split(";")[0]
    query = parse_qs(to_slack.query)
    assert query["client_id"] == [CLIENT_ID]
    assert "chat:write" in query["scope"][0].split(",")
    code = slack.consent(workspace)
    return await redirect(http, base_url, code, query["state"][0], cookie)


async def redirect(
    http: aiohttp.ClientSession, base_url: str, code: str, state: str, cookie: str
) -> tuple[int, str]:
    url = f"{base_url}/slack/oauth_redirect?code={code}&state={state}"
    async with http.get(url, headers={"Cookie": cookie}, allow_redirects=False) as resp:
        return resp.status, await resp.text()


def user(slack: FakeSlack, base_url: str, http, name: str, workspace: Workspace) -> SlackUser:
    return SlackUser(slack, base_url + EVENTS_PATH, name, http, workspace=workspace)


async def every_value(redis: aioredis.Redis) -> str:
    """Every key and value in Redis, as one string."""
    out = []
    async for key in redis.scan_iter(count=1000):
        kind = await redis.type(key)
        if kind == "string":
            out.append(f"{key}={await redis.get(key)}")
        elif kind == "hash":
            out.append(f"{key}={await redis.hgetall(key)}")
        elif kind == "set":
            out.append(f"{key}={await redis.smembers(key)}")
        elif kind == "zset":
            out.append(f"{key}={await redis.zrange(key, 0, -1)}")
    return "\n".join(out)


def unsealed(dump: str) -> list[str]:
    """Whatever the encrypted values in a dump decrypt to."""
    cipher = TextCipher(KEY)
    return [cipher.open(m) for m in re.findall(r"fernet:[A-Za-z0-9_\-=]+", dump)]


def tokens_used(slack: FakeSlack, method: str, channel: str) -> set[str]:
    return {c.token for c in slack.called(method) if c.args.get("channel") == channel}


async def test_two_workspaces_each_use_their_own_token(
    base_url, multi, fake_slack: FakeSlack, http, redis, clock: ManualClock
) -> None:
    for workspace in (ACME, GLOBEX):
        status, page = await install(http, base_url, fake_slack, workspace)
        assert status == 200 and "Rapport is installed" in page
    acme, globex = fake_slack.token_of(ACME), fake_slack.token_of(GLOBEX)
    dump = await every_value(redis)
    assert acme not in dump and globex not in dump  # stored encrypted
    assert {acme, globex} <= set(unsealed(dump))

    ann = user(fake_slack, base_url, http, "UANN", ACME)
    gus = user(fake_slack, base_url, http, "UGUS", GLOBEX)
    assert "Added Sam" in said(await ann.ask("add Sam"))
    assert "Added Sam" in said(await gus.ask("add Sam"))
    assert {c.token for c in fake_slack.called("auth.test")} >= {acme, globex}
    await ann.ask("log Sam")
    await gus.ask("log Sam")
    await multi.run_due()  # the check-ins are due jobs: sent by the worker
    assert [m for m in fake_slack.dm("UANN") if has_form_button(m)]
    assert [m for m in fake_slack.dm("UGUS") if has_form_button(m)]
    assert tokens_used(fake_slack, "chat.postMessage", "DUANN") == {acme}
    assert tokens_used(fake_slack, "chat.postMessage", "DUGUS") == {globex}
    # the Slack data of one workspace is no other's
    assert "Sam" in said(await ann.ask("list"))
    assert (await redis.exists("rapport:{slack:T0ACME}:slack:bot")) == 1


async def test_an_org_wide_install_serves_the_whole_org(
    base_url, multi, fake_slack: FakeSlack, http, redis
) -> None:
    grid = Workspace(team="T0GRIDWS", name="Initech", enterprise="E0INITECH", org_wide=True)
    status, _page = await install(http, base_url, fake_slack, grid)
    assert status == 200
    assert await redis.exists("rapport:{slack:E0INITECH}:slack:bot") == 1
    ivy = user(fake_slack, base_url, http, "UIVY", grid)
    assert "Added Sam" in said(await ivy.ask("add Sam"))
    await ivy.ask("log Sam")
    await multi.run_due()
    assert tokens_used(fake_slack, "chat.postMessage", "DUIVY") == {fake_slack.token_of(grid)}
    assert await redis.exists("rapport:{slack:E0INITECH}:users") == 1  # one tenant: the org


async def test_a_bad_replayed_or_expired_state_is_refused_and_nothing_is_stored(
    base_url, fake_slack: FakeSlack, http, redis, clock: ManualClock
) -> None:
    async with http.get(f"{base_url}/slack/install", allow_redirects=False) as resp:
        state = parse_qs(urlparse(resp.headers["Location"]).query)["state"][0]
        cookie = resp.headers["Set-Cookie"].split(";")[0]
    # a state that was never issued
    status, page = await redirect(
        http, base_url, fake_slack.consent(ACME), "x" * 32, "slack-app-oauth-state=" + "x" * 32
    )
    assert status == 401 and "expired or was already used" in page
    # ten minutes and a second later, the real one has expired
    clock.advance(timedelta(minutes=10, seconds=1))
    status, page = await redirect(http, base_url, fake_slack.consent(ACME), state, cookie)
    assert status == 401 and "Start the install again" in page
    assert not fake_slack.called("oauth.v2.access")
    # a fresh one works once; the same redirect replayed is refused
    clock.advance(timedelta(hours=1))
    async with http.get(f"{base_url}/slack/install", allow_redirects=False) as resp:
        state = parse_qs(urlparse(resp.headers["Location"]).query)["state"][0]
        cookie = resp.headers["Set-Cookie"].split(";")[0]
    code = fake_slack.consent(GLOBEX)
    assert (await redirect(http, base_url, code, state, cookie))[0] == 200
    before = await every_value(redis)
    status, _page = await redirect(http, base_url, fake_slack.consent(ACME), state, cookie)
    assert status == 401
    assert await every_value(redis) == before
    assert len(fake_slack.called("oauth.v2.access")) == 1
    assert [k async for k in redis.scan_iter(match="*T0ACME*")] == []


async def test_a_rotating_token_is_refreshed_before_it_expires(
    base_url, multi, fake_slack: FakeSlack, http
) -> None:
    rotating = Workspace(team="T0ROT", name="Rotor", rotating=True)
    await install(http, base_url, fake_slack, rotating)
    first = fake_slack.token_of(rotating)  # expires in a minute: under the two hours' margin
    rex = user(fake_slack, base_url, http, "UREX", rotating)
    assert "Added Sam" in said(await rex.ask("add Sam"))
    second = fake_slack.token_of(rotating)
    assert second != first and first in fake_slack.revoked  # refreshed before use
    refreshes = [c for c in fake_slack.called("oauth.v2.access") if c.args.get("grant_type")]
    assert len(refreshes) == 1
    await rex.ask("log Sam")
    await multi.run_due()  # the worker's send uses the refreshed token, not the old one
    assert tokens_used(fake_slack, "chat.postMessage", "DUREX") == {second}


async def _uninstall(person: SlackUser) -> None:
    # Slack sends both, in either order; both are answered 200.
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT"]}}
    assert (await person.event(revoked)).status == 200
    assert (await person.event({"type": "app_uninstalled"})).status == 200


async def test_uninstall_deletes_the_tokens_at_once_and_the_data_after_the_grace_period(
    base_url, multi, fake_slack: FakeSlack, http, redis, clock: ManualClock
) -> None:
    await install(http, base_url, fake_slack, ACME)
    await install(http, base_url, fake_slack, GLOBEX)
    acme = fake_slack.token_of(ACME)
    ann = user(fake_slack, base_url, http, "UANN", ACME)
    gus = user(fake_slack, base_url, http, "UGUS", GLOBEX)
    await ann.ask("add Sam sessions=8 every=weekly start=2026-01-06 10:00 length=60")
    await gus.ask("add Kim")
    fake_slack.uninstall(ACME)
    await _uninstall(ann)

    dump = await every_value(redis)
    assert acme not in dump and acme not in unsealed(dump)  # no token left, sealed or not
    assert fake_slack.token_of(GLOBEX) in unsealed(dump)  # the other workspace's stays
    # the session falls due: nothing is sent to a workspace without the app
    posts = len(fake_slack.called("chat.postMessage"))
    clock.advance(timedelta(days=2))
    await multi.run_due()
    assert len(fake_slack.called("chat.postMessage")) == posts
    assert await redis.exists("rapport:{slack:T0ACME}:users") == 1  # data kept meanwhile

    clock.advance(timedelta(days=29))  # past the 30 days' grace
    await multi.run_due()
    assert [k async for k in redis.scan_iter(match="*T0ACME*")] == []
    assert "T0ACME" not in await every_value(redis)  # no queued job names it either
    assert "Kim" in said(await gus.ask("list"))  # the other workspace is untouched


async def test_a_reinstall_within_the_grace_period_keeps_the_data_and_the_schedule(
    base_url, multi, fake_slack: FakeSlack, http, redis, clock: ManualClock
) -> None:
    await install(http, base_url, fake_slack, ACME)
    ann = user(fake_slack, base_url, http, "UANN", ACME)
    await ann.ask("add Sam sessions=8 every=weekly start=2026-01-06 10:00 length=60")
    await ann.ask("add Kim")
    await ann.ask("log Kim")
    await multi.run_due()  # Kim's check-in arrives, and stays unanswered
    assert len(fake_slack.dm("UANN")) == 1
    fake_slack.uninstall(ACME)
    await _uninstall(ann)
    clock.advance(timedelta(days=3))  # Thursday: Tuesday's session passed meanwhile
    await multi.run_due()
    assert len(fake_slack.dm("UANN")) == 1  # no reminder, no check-in meanwhile

    status, page = await install(http, base_url, fake_slack, ACME)
    assert status == 200 and "still there" in page
    reinstalled = len(fake_slack.calls)
    listed = said(await ann.ask("list"))
    assert "Sam" in listed
    # the next session (Tuesday 13 January) brings its check-in, on the new token
    clock.advance(timedelta(days=6))
    await multi.run_due()
    prompts = [m for m in fake_slack.dm("UANN") if has_form_button(m) and "Sam" in m.text]
    assert len(prompts) == 1 and "13 Jan" in prompts[0].text  # not the one missed meanwhile
    # Kim's open check-in got its deadline back: one reminder, after the reinstall
    reminders = [m for m in fake_slack.dm("UANN") if "still open" in m.text]
    assert len(reminders) == 1 and "Kim" in reminders[0].text
    after = [c for c in fake_slack.calls[reinstalled:] if c.method == "chat.postMessage"]
    assert {c.token for c in after} == {fake_slack.token_of(ACME)}  # the new token
    # and the purge planned at the uninstall no longer happens
    clock.advance(timedelta(days=40))
    await multi.run_due()
    assert await redis.exists("rapport:{slack:T0ACME}:users") == 1
    assert await redis.exists("rapport:{slack:T0ACME}:slack:bot") == 1


async def test_single_workspace_mode_serves_no_install_pages(bot_url: str, http) -> None:
    base = bot_url.removesuffix(EVENTS_PATH)
    async with http.get(f"{base}/slack/install", allow_redirects=False) as resp:
        assert resp.status == 404


async def test_an_org_wide_uninstall_deletes_the_orgs_tokens(
    base_url, multi, fake_slack: FakeSlack, http, redis
) -> None:
    grid = Workspace(team="T0GRIDWS", name="Initech", enterprise="E0INITECH", org_wide=True)
    await install(http, base_url, fake_slack, grid)
    await install(http, base_url, fake_slack, ACME)
    token = fake_slack.token_of(grid)
    ivy = user(fake_slack, base_url, http, "UIVY", grid)
    await ivy.ask("add Sam")
    fake_slack.uninstall(grid)
    assert (await ivy.event({"type": "app_uninstalled"})).status == 200
    dump = await every_value(redis)
    assert token not in unsealed(dump)
    assert await redis.exists("rapport:{slack:E0INITECH}:uninstalled") == 1
    assert fake_slack.token_of(ACME) in unsealed(dump)


async def test_single_workspace_mode_acknowledges_an_uninstall_and_says_so(
    alice: SlackUser, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.channels.slack.oauth"):
        assert (await alice.event({"type": "app_uninstalled"})).status == 200
        revoked = {"type": "tokens_revoked", "tokens": {"bot": ["U0BOT"]}}
        assert (await alice.event(revoked)).status == 200
    notices = [r.getMessage() for r in caplog.records if "no longer works" in r.getMessage()]
    assert len(notices) == 2
