"""A real browser (Debian's Chromium, phone-sized) loads a chart the way Slack's and Teams'
viewers do: as an <img> from its signed URL."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator

import pytest
from axe_playwright_python.async_playwright import Axe

from bot.config import Settings
from bot.core.messages import Image
from bot.web import create_app
from tests.service_helpers import DM, actor, answers, drain, make_service
from tests.serving import serving
from tests.test_chart_delivery import CountingRenderer


@pytest.fixture
async def app_url(redis, clock) -> AsyncIterator[tuple]:
    rapport, outbox = await make_service(redis, clock)
    renderer = CountingRenderer()
    rapport.ctx.charts.renderer = renderer
    async with serving(create_app(rapport, Settings())) as base:
        rapport.ctx.charts.public_url = base  # this machine is the "public" server here
        yield rapport, outbox, base
    renderer.close()


async def test_a_chart_url_renders_as_an_image_with_strict_headers(app_url, page) -> None:
    rapport, outbox, base = app_url
    me = actor()
    await rapport.command(me, "add Sam", DM)
    for rating in (5, 4, 2):
        await rapport.command(me, "log Sam", DM)
        await drain(rapport)
        form = outbox.to(me.user, "checkin")[-1].form
        await rapport.submit(me, form.ref, answers(form, rating))
    picture = await rapport.picture((await rapport.command(me, "history Sam", DM)).chart)
    (image,) = [b for b in picture.blocks if isinstance(b, Image)]
    assert image.url.startswith(base + "/charts/")

    await page.set_content(
        f'<img id="chart" src="{html.escape(image.url)}" alt="{html.escape(image.alt)}">'
    )
    await page.wait_for_function("document.getElementById('chart').complete")
    width = await page.evaluate("document.getElementById('chart').naturalWidth")
    height = await page.evaluate("document.getElementById('chart').naturalHeight")
    assert (width, height) == (800, 700)
    # the chart as a page shows it: an image whose alt text holds its facts
    await page.set_content(
        '<!doctype html><html lang="en"><head><title>Chart</title></head><body><main>'
        f"<h1>{html.escape(image.title)}</h1>"
        f'<img src="{html.escape(image.url)}" alt="{html.escape(image.alt)}"></main></body></html>'
    )
    scan = await Axe().run(page)
    assert scan.violations_count == 0, scan.generate_report()

    response = await page.goto(image.url)
    assert response.status == 200
    headers = response.headers
    assert headers["content-type"] == "image/png" and headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"

    gone = await page.goto(image.url.replace("/charts/", "/charts/x"))
    assert gone.status == 404
