"""Charts end to end on a real Redis and the real aiohttp app: a history's chart follows its
text, is served at a signed path (404 when altered, 410 when expired, never another team's),
cached by content, and a digest's chart leaves out the weeks below three practitioners."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from PIL import Image as PILImage

from bot.core.messages import Image
from bot.core.signed import Signer
from bot.service import charts as service_charts
from bot.store import keys
from bot.web import create_app
from tests.service_helpers import CHANNEL, DM, actor, answers, drain, make_service
from tests.serving import serving

PUBLIC = "https://rapport.example.org"


class CountingRenderer(service_charts.Renderer):
    """The real process pool, counting what it is asked to draw."""

    def __init__(self) -> None:
        super().__init__()
        self.drawn = 0

    async def render(self, data):
        self.drawn += 1
        return await super().render(data)


@pytest.fixture(scope="module")
def renderer():
    r = CountingRenderer()
    yield r
    r.close()


async def _answered(rapport, outbox, me, alias="Sam", ratings=(4,)):
    if (await rapport.command(me, f"history {alias}", DM)).kind == "error":
        await rapport.command(me, f"add {alias}", DM)
    for rating in ratings:
        await rapport.command(me, f"log {alias}", DM)
        await drain(rapport)
        form = outbox.to(me.user, "checkin")[-1].form
        assert (await rapport.submit(me, form.ref, answers(form, rating))).ok


async def _service(redis, clock, renderer, **settings):
    rapport, outbox = await make_service(redis, clock, **settings)
    rapport.ctx.charts.renderer = renderer
    return rapport, outbox


@pytest.fixture
async def served(redis, clock, renderer) -> AsyncIterator[tuple]:
    """A service whose charts link to PUBLIC, and its web app on a free local port."""
    rapport, outbox = await _service(redis, clock, renderer, public_url=PUBLIC)
    from bot.config import Settings  # noqa: PLC0415

    async with serving(create_app(rapport, Settings())) as base, aiohttp.ClientSession() as http:
        yield rapport, outbox, base, http


def _image(message) -> Image:
    (image,) = [b for b in message.blocks if isinstance(b, Image)]
    return image


async def _get(http, url):
    async with http.get(url) as resp:
        return resp.status, dict(resp.headers), await resp.read()


async def test_history_chart_is_served_at_its_signed_path_with_strict_headers(served):
    rapport, outbox, local, http = served
    me = actor()
    await _answered(rapport, outbox, me, ratings=(5, 3))
    reply = await rapport.command(me, "history Sam", DM)
    assert "Trend per group" in str(reply.blocks)  # the text answer, sparklines and all
    picture = await rapport.picture(reply.chart)
    image = _image(picture)
    assert image.url.startswith(f"{PUBLIC}/charts/") and image.url.endswith(".png")
    assert "Sam" in image.alt and "1: 100%" in image.alt and picture.attachment is None
    status, headers, body = await _get(http, local + image.url.removeprefix(PUBLIC))
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert headers["Cache-Control"] == "no-store" and headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert PILImage.open(io.BytesIO(body)).size == (800, 700)


async def test_altered_forged_and_expired_paths_are_refused(served, clock):
    rapport, outbox, local, http = served
    me = actor()
    await _answered(rapport, outbox, me)
    path = _image(await rapport.picture((await rapport.command(me, "history Sam", DM)).chart))
    path = path.url.removeprefix(PUBLIC)
    token = path.removeprefix("/charts/").removesuffix(".png")
    body, mac = token.split(".")
    altered = f"/charts/{body}.{mac[:-2]}{'AA' if mac[-2:] != 'AA' else 'BB'}.png"
    forged = (
        "/charts/"
        + Signer(b"another secret").sign(
            "chart", {"t": "x", "h": "y"}, clock.now() + timedelta(days=1)
        )
        + ".png"
    )
    for bad in (altered, forged, "/charts/nothing.png", "/charts/a.b.png"):
        status, headers, _body = await _get(http, local + bad)
        assert status == 404, bad
        assert headers["Cache-Control"] == "no-store"
    clock.advance(timedelta(days=service_charts.CHART_DAYS, seconds=1))
    status, headers, _body = await _get(http, local + path)
    assert status == 410 and headers["X-Frame-Options"] == "DENY"


async def test_no_path_reaches_another_teams_chart(served, clock):
    rapport, outbox, local, http = served
    mine, theirs = actor("u1", tenant="console:t1"), actor("u2", tenant="console:t2")
    await _answered(rapport, outbox, theirs, alias="Kim")
    chart = (await rapport.command(theirs, "history Kim", DM)).chart
    their_url = _image(await rapport.picture(chart)).url
    name = service_charts.core_charts.fingerprint(chart)
    charts = rapport.ctx.charts
    # a genuine token of the first team, naming the second team's chart: nothing there
    token = charts.signer.sign(
        "chart", {"t": mine.tenant, "h": name}, clock.now() + timedelta(days=1)
    )
    status, _h, _b = await _get(http, f"{local}/charts/{token}.png")
    assert status == 404
    # a token for another purpose (a client page) opens no chart
    other = charts.signer.sign(
        "client", {"t": theirs.tenant, "h": name}, clock.now() + timedelta(days=1)
    )
    assert (await _get(http, f"{local}/charts/{other}.png"))[0] == 404
    assert (await _get(http, local + their_url.removeprefix(PUBLIC)))[0] == 200


async def test_the_same_chart_is_drawn_once_and_cached_with_a_ttl(served, redis, renderer):
    rapport, outbox, _local, _http = served
    me = actor()
    await _answered(rapport, outbox, me)
    chart = (await rapport.command(me, "history Sam", DM)).chart
    before = renderer.drawn
    first, second = await rapport.picture(chart), await rapport.picture(chart)
    assert renderer.drawn == before + 1 and _image(first).alt == _image(second).alt
    key = keys.chart(me.tenant, service_charts.core_charts.fingerprint(chart))
    ttl = await redis.ttl(key)
    assert 0 < ttl <= service_charts.CHART_DAYS * 86_400
    await _answered(rapport, outbox, me, ratings=(2,))  # new data, new chart
    await rapport.picture((await rapport.command(me, "history Sam", DM)).chart)
    assert renderer.drawn == before + 2


async def test_without_a_public_url_the_chart_travels_as_a_png_file(redis, clock, renderer):
    rapport, outbox = await _service(redis, clock, renderer)  # http://localhost:3000
    me = actor()
    await _answered(rapport, outbox, me)
    picture = await rapport.picture((await rapport.command(me, "history Sam", DM)).chart)
    assert _image(picture).url is None
    assert picture.attachment.mime == "image/png"
    assert picture.attachment.content.startswith(b"\x89PNG")


async def test_console_charts_are_png_files_under_the_data_dir(redis, clock, renderer, tmp_path):
    rapport, outbox = await _service(redis, clock, renderer)
    rapport.save_charts_under(tmp_path / "charts")
    me = actor()
    await _answered(rapport, outbox, me)
    picture = await rapport.picture((await rapport.command(me, "history Sam", DM)).chart)
    path = _image(picture).path
    assert path.startswith(str(tmp_path / "charts")) and picture.attachment is None
    assert Path(path).read_bytes().startswith(b"\x89PNG")


async def test_no_chart_before_an_answered_checkin(redis, clock, renderer):
    rapport, _outbox = await _service(redis, clock, renderer)
    me = actor()
    await rapport.command(me, "add Sam", DM)
    assert (await rapport.command(me, "history Sam", DM)).chart is None


async def _team_week(rapport, outbox, users):
    for user in users:
        await _answered(rapport, outbox, actor(user), alias=f"Client of {user}")


async def test_digest_chart_leaves_out_a_week_below_three_and_says_so(redis, clock, renderer):
    rapport, outbox = await _service(redis, clock, renderer, public_url=PUBLIC)
    await _team_week(rapport, outbox, ["a", "b", "c"])  # week 1: three practitioners
    clock.advance(timedelta(days=7))
    await _team_week(rapport, outbox, ["a", "b"])  # week 2: two
    clock.advance(timedelta(days=7))
    await _team_week(rapport, outbox, ["a", "b", "c"])  # week 3: three
    clock.advance(timedelta(days=7))
    digest = await rapport.command(actor("a"), "digest now", CHANNEL)
    chart = digest.chart
    shown = [w.week for w in chart.weeks]
    assert len(shown) == 2 and len(chart.left_out) == 10
    week2 = sorted([*shown, *chart.left_out])[-2]
    assert week2 in chart.left_out
    text = str(digest.blocks)
    assert "Left out (fewer than three practitioners)" in text and week2[-3:] in text
    picture = await rapport.picture(chart)
    assert week2[-3:] in _image(picture).alt.split("Left out")[1]
    assert "Client of" not in _image(picture).alt + str(picture.blocks)


async def test_the_weekly_digest_posts_its_chart_in_the_same_message(redis, clock, renderer):
    rapport, outbox = await _service(redis, clock, renderer, public_url=PUBLIC)
    await _team_week(rapport, outbox, ["a", "b", "c"])
    await rapport.command(actor("a"), "digest here", CHANNEL)
    for _ in range(8 * 24):  # up to a week on, an hour at a time
        clock.advance(timedelta(hours=1))
        await drain(rapport)
        if any(m.kind == "digest" for _r, m in outbox.sent):
            break
    (post,) = [m for _r, m in outbox.sent if m.kind == "digest"]
    image = _image(post)
    assert image.url.startswith(PUBLIC) and "Response rate" in image.alt
    assert post.chart is None  # nothing left to follow: the chart is in the post


async def test_forget_deletes_the_relationships_charts_and_their_links_die(served, redis):
    rapport, outbox, local, http = served
    me = actor()
    await _answered(rapport, outbox, me, ratings=(4, 2))
    first = _image(await rapport.picture((await rapport.command(me, "history Sam", DM)).chart))
    await _answered(rapport, outbox, me, ratings=(5,))
    second = _image(await rapport.picture((await rapport.command(me, "history Sam", DM)).chart))
    for image in (first, second):
        assert (await _get(http, local + image.url.removeprefix(PUBLIC)))[0] == 200
    confirm = await rapport.command(me, "forget Sam", DM)
    (button,) = [
        b
        for block in confirm.blocks
        if hasattr(block, "buttons")
        for b in block.buttons
        if b.action == "confirm_forget"
    ]
    assert "Deleted Sam" in (await rapport.button(me, button.action, button.value)).summary
    for image in (first, second):
        assert (await _get(http, local + image.url.removeprefix(PUBLIC)))[0] == 404
    assert not [k async for k in redis.scan_iter(match=f"*{me.tenant}*chart*")]


async def test_settled_weeks_are_kept_and_give_the_same_chart(redis, clock, renderer):
    rapport, outbox = await _service(redis, clock, renderer, public_url=PUBLIC)
    for users in (["a", "b", "c"], ["a", "b"], ["a", "b", "c"], ["a", "b", "c"]):
        await _team_week(rapport, outbox, users)
        clock.advance(timedelta(days=7))
    first = (await rapport.command(actor("a"), "digest now", CHANNEL)).chart
    kept = await redis.hgetall(keys.digest_weeks(actor().tenant))
    assert len(kept) == 10  # every week two or more back; the last two are always read anew
    assert sum(v != "null" for v in kept.values()) == 1  # the first week; its next had two
    again = (await rapport.command(actor("a"), "digest now", CHANNEL)).chart
    assert again == first
    # an unreadable kept week is set aside and worked out again from the aggregates
    await redis.hset(keys.digest_weeks(actor().tenant), mapping={w: "{oops" for w in kept})
    assert (await rapport.command(actor("a"), "digest now", CHANNEL)).chart == first
