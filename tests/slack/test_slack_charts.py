"""Charts in Slack: `history` answers in text at once, then its chart follows as an image
block with alt text (a public URL) or as a PNG file uploaded to the user's DM (none)."""

from __future__ import annotations

import pytest
from fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, SlackUser, dm_of
from slack_steps import answer, next_prompt, said

from bot.channels.slack.notifier import Pacer, SlackNotifier
from bot.config import Settings
from bot.core.charts import DigestChart, DigestWeek
from bot.service.api import Recipient

PUBLIC = "https://rapport.example.org"
TENANT = "slack:T0RAPPORT"


@pytest.fixture
def slack_settings(fake_slack: FakeSlack, tmp_path, request) -> Settings:
    """The conftest's settings with a link secret, and a public URL when a test asks."""
    return Settings(
        data_dir=tmp_path,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        allow_plaintext=True,
        link_secret_raw="chart tests",
        public_url=getattr(request, "param", "http://localhost:3000"),
    )


async def _answered_history(alice: SlackUser, fake_slack: FakeSlack, rapport) -> dict:
    await alice.ask("add Sam sessions=8")
    await alice.ask("log Sam")
    await answer(alice, await next_prompt(fake_slack, rapport, "UALICE"), "4")
    return await alice.ask("history Sam")


@pytest.mark.parametrize("slack_settings", [PUBLIC], indirect=True)
async def test_history_text_comes_first_then_an_image_block_with_alt_text(
    alice: SlackUser, fake_slack: FakeSlack, rapport
) -> None:
    before = len(fake_slack.responses)
    history = await _answered_history(alice, fake_slack, rapport)
    assert "Trend per group" in said(history) and history["response_type"] == "ephemeral"
    assert fake_slack.responses.index(history) >= before
    await fake_slack.wait_for(
        lambda: fake_slack.responses[-1] is not history, what="the chart after the text"
    )
    chart = fake_slack.responses[-1]
    (image,) = [b for b in chart["blocks"] if b["type"] == "image"]
    assert image["image_url"].startswith(f"{PUBLIC}/charts/")
    assert "Sam" in image["alt_text"] and "Overall by session: 1: " in image["alt_text"]
    assert image["title"]["text"] == "Sam: scores by session"
    assert chart["response_type"] == "ephemeral"  # as private as the history it follows
    assert not fake_slack.files


async def test_without_a_public_url_the_chart_is_uploaded_to_the_dm(
    alice: SlackUser, fake_slack: FakeSlack, rapport
) -> None:
    history = await _answered_history(alice, fake_slack, rapport)
    assert "Trend per group" in said(history)
    await fake_slack.wait_for(lambda: fake_slack.files, what="the chart's upload")
    (uploaded,) = fake_slack.files
    assert uploaded["channel"] == dm_of("UALICE")
    assert [c.method for c in fake_slack.calls if c.method.startswith("files.")] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    assert fake_slack.uploads[uploaded["id"]].startswith(b"\x89PNG")
    (get_url,) = fake_slack.called("files.getUploadURLExternal")
    assert "Overall by session" in get_url.args.get("alt_txt", "")


@pytest.mark.parametrize("slack_settings", [PUBLIC], indirect=True)
async def test_a_digest_posts_its_chart_as_an_image_block(
    fake_slack: FakeSlack, slack_client, rapport
) -> None:
    groups = tuple((g.id, g.name) for g in rapport.rubric.groups)
    weeks = tuple(DigestWeek(f"2026-W0{n}", {groups[0][0]: 0.6}, 0.8) for n in (1, 3))
    chart = DigestChart(TENANT, groups, (0.4, 0.7), weeks, left_out=("2026-W02",))
    picture = await rapport.picture(chart)
    notifier = SlackNotifier(slack_client, Pacer(interval=0))
    await notifier.send(Recipient(TENANT, channel="CTEAM"), picture)
    (post,) = fake_slack.posted["CTEAM"]
    (image,) = post.blocks
    assert image["type"] == "image" and image["image_url"].startswith(PUBLIC)
    assert "Left out (fewer than three practitioners): W02" in image["alt_text"]
