"""Start-up: settings, the rubric check, and the scheduler's wiring."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, from_env
from bot.core.rubric import RubricError
from bot.jobs.scheduler import build_scheduler
from bot.service.app import build
from tests.service_helpers import DM, actor, make_service


def test_settings_are_read_once_and_validated():
    s = from_env(
        {
            "PORT": "8080",
            "REDIS_URL": "redis://x:6379/0",
            "TEAMS_ENABLED": "1",
            "TEAMS_LOCAL_MODE": "1",
        }
    )
    assert s.port == 8080 and s.teams_enabled and not s.slack_enabled
    assert from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}).socket_mode
    for env, name in (
        ({"PORT": "eighty"}, "PORT"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL"),
        ({"RAPPORT_RETENTION_DAYS": "0"}, "RAPPORT_RETENTION_DAYS"),
    ):
        with pytest.raises(ConfigError, match=name):
            from_env(env)


def test_secrets_never_show_in_a_repr():
    s = from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-secret",
            "SLACK_SIGNING_SECRET": "sign-secret",
            "TEAMS_APP_PASSWORD": "teams-secret",
            "RAPPORT_ENCRYPTION_KEY": "key-secret",
        }
    )
    assert "secret" not in repr(s)


async def test_a_bad_rubric_stops_start_up_naming_the_key(redis, clock, tmp_path: Path):
    good = Path(Settings().rubric_path).read_text()
    bad = tmp_path / "rubric.yaml"
    bad.write_text(re.sub(r"lambda: [0-9.]+", "lambda: 1.5", good))
    with pytest.raises(RubricError, match=r"drift\.lambda"):
        await build(Settings(rubric_path=bad), clock, redis)


async def test_the_scheduler_polls_the_due_queue_in_utc(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    scheduler = build_scheduler(rapport, poll_seconds=2)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"due-queue", "reaper", "retention"}
    assert str(jobs["due-queue"].trigger.timezone) == "UTC"
    assert str(jobs["retention"].trigger.timezone) == "UTC"
    assert jobs["due-queue"].trigger.interval == timedelta(seconds=2)
    await rapport.command(actor(), "add Sam", DM)
    await rapport.command(actor(), "log Sam", DM)
    await jobs["due-queue"].func()  # one tick, as APScheduler would run it
    assert len(outbox.to("u1", "checkin")) == 1
