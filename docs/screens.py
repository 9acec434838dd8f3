"""The README's screenshots of the client's side, taken in Debian's headless Chromium:

- docs/client-page.png: the client's page on a phone-sized viewport (375 x 667 CSS pixels);
- docs/history-both-views.png: `history Sam` with the practitioner's view and the client's,
  as the console shows it.

Run: `.venv/bin/python docs/screens.py` (needs /usr/bin/chromium). It lives a short
relationship through the real service on a throw-away embedded Redis: four sessions with
both views, the client seeing it less rosily than the practitioner.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import timedelta
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis.asyncio as aioredis  # noqa: E402
from aiohttp import web  # noqa: E402

from bot.channels.console.render import message as console_text  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.clock import ManualClock  # noqa: E402
from bot.core.messages import Link  # noqa: E402
from bot.service import client as client_side  # noqa: E402
from bot.service.api import Actor, Place  # noqa: E402
from bot.service.app import build  # noqa: E402
from bot.store.server import EmbeddedRedis, free_port  # noqa: E402
from bot.web import create_app  # noqa: E402
from tests.browser import chromium_page  # noqa: E402
from tests.service_helpers import KEY, Outbox, answers  # noqa: E402

ME = Actor("console:demo", "you", "Europe/London")
CLIENT = ((4, 4, 3, 4), (4, 3, 3, 4), (3, 3, 3, 3), (3, 2, 3, 3))
TERMINAL = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>history</title>
<style>body{margin:0;background:#1e1f22;color:#e6e6e6}
pre{font:15px/1.45 "DejaVu Sans Mono",monospace;padding:16px 20px;margin:0;white-space:pre-wrap}
.p{color:#7fd1ff}</style></head><body><pre>%s</pre></body></html>"""


async def live(rapport, outbox: Outbox, clock: ManualClock) -> str:
    """Four weekly sessions with both views; the link of a fifth, not answered yet."""
    await rapport.command(ME, "add Sam sessions=8 client=on", Place())
    for week, theirs in enumerate(CLIENT):
        clock.advance(timedelta(days=7))
        await rapport.command(ME, "log Sam", Place())
        await rapport.run_due()
        checkin = outbox.to("you", "checkin")[-1]
        await rapport.submit(ME, checkin.form.ref, answers(checkin.form, 5 if week % 2 else 4))
        token = next(b.url for b in checkin.blocks if isinstance(b, Link)).rsplit("/", 1)[1]
        questions = ("perspectives", "power", "problem_solving", "helped")
        values = dict(zip(questions, map(str, theirs), strict=True))
        await client_side.submit(rapport.ctx, token, values)
        await rapport.run_due()
    clock.advance(timedelta(days=7))
    await rapport.command(ME, "log Sam", Place())
    await rapport.run_due()
    return next(b.url for b in outbox.to("you", "checkin")[-1].blocks if isinstance(b, Link))


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedRedis(Path(tmp), port=free_port()).start()
        port = free_port()
        settings = Settings(encryption_key=KEY, public_url=f"http://127.0.0.1:{port}")
        r = aioredis.from_url(server.url, decode_responses=True)
        clock = ManualClock()
        rapport = await build(settings, clock, r)
        outbox = Outbox(clock)
        rapport.register("console", outbox)
        runner = web.AppRunner(create_app(rapport, settings))
        try:
            url = await live(rapport, outbox, clock)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            async with chromium_page() as page:
                await page.goto(url)
                await page.check("#perspectives-4")
                await page.screenshot(path=str(ROOT / "docs" / "client-page.png"))
            history = await rapport.command(ME, "history Sam", Place())
            text = "\n".join(console_text(history, lambda _b: 1))
            prompt = '<span class="p">/checkin&gt; history Sam</span>\n'
            async with chromium_page({"width": 720, "height": 640}) as page:
                await page.set_content(TERMINAL % (prompt + escape(text)))
                await page.screenshot(
                    path=str(ROOT / "docs" / "history-both-views.png"), full_page=True
                )
        finally:
            await runner.cleanup()
            await r.aclose()
            server.stop()
    print("wrote docs/client-page.png and docs/history-both-views.png")


if __name__ == "__main__":
    asyncio.run(main())
