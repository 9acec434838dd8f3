"""Teams is never an open door: no credentials means no start, unless local mode is asked
for, and then only this machine can talk to it and be talked to."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.channels.teams import create_adapter
from bot.channels.teams.guard import ServiceUrls, is_loopback_url
from bot.channels.teams.notifier import TeamsNotifier
from bot.config import ConfigError, Settings, from_env
from bot.core.messages import text
from bot.service.api import Recipient
from bot.service.app import build
from bot.store.server import free_port
from bot.web import create_app
from tests.faults.procs import BotProcess, until
from tests.serving import serving

from .activities import TENANT, activity, personal_conversation, user
from .connector import FakeConnector

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = Settings(
    teams_enabled=True, teams_app_id="rapport-app-id", teams_app_password="app-secret"
)


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "TEAMS_", "RAPPORT_", "REDIS_", "PORT", "METRICS_"))
    }
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


def _start(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own program
        [sys.executable, "-m", "bot", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "teams",
    [
        {"TEAMS_ENABLED": "1"},
        {"TEAMS_ENABLED": "1", "TEAMS_APP_ID": "", "TEAMS_APP_PASSWORD": ""},
        {"TEAMS_APP_ID": "rapport-app-id"},  # the secret failed to load
        {"TEAMS_ENABLED": "1", "TEAMS_APP_PASSWORD": "app-secret"},
    ],
)
def test_teams_without_credentials_and_without_the_switch_does_not_start(teams, tmp_path):
    done = _start(_env(RAPPORT_DATA_DIR=str(tmp_path), PORT=str(free_port()), **teams))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "TEAMS_LOCAL_MODE=1" in done.stderr and "is empty" in done.stderr
    assert "listening" not in done.stderr + done.stdout


def test_the_switch_is_refused_where_it_makes_no_sense():
    for env, words in (
        ({"TEAMS_LOCAL_MODE": "1", "TEAMS_ENABLED": "1", "TEAMS_APP_ID": "x"}, "without"),
        ({"TEAMS_LOCAL_MODE": "1"}, "needs TEAMS_ENABLED=1"),
    ):
        with pytest.raises(ConfigError, match=words):
            from_env(env)
    assert from_env({"TEAMS_ENABLED": "1", "TEAMS_LOCAL_MODE": "1"}).teams_local_mode


async def test_an_app_built_without_credentials_or_switch_is_refused(redis, clock):
    settings = Settings(teams_enabled=True, allow_plaintext=True)
    rapport = await build(settings, clock, redis)
    with pytest.raises(ConfigError, match="TEAMS_LOCAL_MODE"):
        create_app(rapport, settings)


def _outside_address() -> str | None:
    """An address of this machine that is not loopback (None when it has none)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


async def test_local_mode_warns_at_start_and_listens_on_loopback_only(redis_server, tmp_path):
    port = free_port()
    env = _env(
        TEAMS_ENABLED="1",
        TEAMS_LOCAL_MODE="1",
        REDIS_URL=redis_server.url,
        RAPPORT_DATA_DIR=str(tmp_path),
        RAPPORT_ALLOW_PLAINTEXT="1",
    )
    bot = BotProcess("serve", env, tmp_path / "serve.log", port=port).start()
    try:
        await bot.wait_log("listening on port")
        assert "WITHOUT authentication" in bot.log() and "127.0.0.1 only" in bot.log()
        async with aiohttp.ClientSession() as http:

            async def healthy() -> bool:
                try:
                    async with http.get(f"{bot.url}/healthz") as resp:
                        return resp.status == 200
                except aiohttp.ClientError:
                    return False

            await until(healthy, 20, "the local-mode bot on loopback")
        outside = _outside_address()
        if outside is not None:
            with pytest.raises(OSError):
                socket.create_connection((outside, port), timeout=5).close()
    finally:
        bot.stop()


def _forged_token(service_url: str) -> str:
    """A JWT that says all the right things but is signed by a key Microsoft never issued."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {
        "iss": "https://forged.example/",
        "aud": CREDENTIALS.teams_app_id,
        "serviceurl": service_url,
        "exp": 4_102_444_800,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "forged"})


async def test_with_credentials_an_unsigned_or_forged_activity_gets_401_and_no_call(
    redis, clock, connector: FakeConnector
):
    rapport = await build(CREDENTIALS, clock, redis)
    body = activity(
        connector.url, sender=user(1), conversation=personal_conversation(1), text="list"
    )
    async with serving(create_app(rapport, CREDENTIALS)) as base, aiohttp.ClientSession() as http:
        url = f"{base}/api/messages"
        async with http.post(url, json=body) as resp:
            assert resp.status == 401
        forged = {"Authorization": f"Bearer {_forged_token(connector.url)}"}
        async with http.post(url, json=body, headers=forged) as resp:
            assert resp.status == 401
    assert connector.posted == [] and connector.created == []  # nothing went to its serviceUrl
    who = await rapport.ctx.store.practitioner(f"teams:{TENANT}", "aad-1")
    assert who.address is None  # and it was not remembered for later posts either


async def test_local_mode_refuses_an_activity_naming_another_host(teams):
    for elsewhere in ("http://192.0.2.10:9/", "https://smba.trafficmanager.net/emea/", "x"):
        body = activity(
            elsewhere, sender=user(1), conversation=personal_conversation(1), text="export"
        )
        assert await teams.post(body) == 403
    assert teams.connector.posted == [] and teams.connector.created == []
    who = await teams.rapport.ctx.store.practitioner(f"teams:{TENANT}", "aad-1")
    assert who.address is None
    assert len(await teams.say(1, "help")) == 1  # this machine's own connector still works


async def test_a_stored_reference_naming_an_unverified_url_is_not_posted_to(
    redis, clock, connector: FakeConnector
):
    local = Settings(teams_enabled=True, teams_local_mode=True)
    address = {
        "serviceUrl": "https://evil.example/",
        "channelId": "msteams",
        "conversation": {"id": "a:chat-1"},
        "user": user(1),
        "bot": {"id": "28:rapport-bot"},
    }
    to = Recipient(f"teams:{TENANT}", user="aad-1", address=address)
    local_only = TeamsNotifier(create_adapter(local), service_urls=ServiceUrls(local_mode=True))
    assert await local_only.send(to, text("hi")) is None
    # with credentials, only HTTPS (every Bot Framework service URL is): plain HTTP is refused
    plain = {**address, "serviceUrl": connector.url}
    assert (
        await TeamsNotifier(create_adapter(local)).send(
            Recipient(f"teams:{TENANT}", user="aad-1", address=plain), text("hi")
        )
        is None
    )
    assert connector.posted == []


def test_loopback_urls():
    assert is_loopback_url("http://127.0.0.1:3978/") and is_loopback_url("http://[::1]:80/")
    assert is_loopback_url("http://localhost:3978/")
    for url in ("http://10.0.0.1/", "https://127.0.0.1.evil.example/", "file:///etc", ""):
        assert not is_loopback_url(url)
