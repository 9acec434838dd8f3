"""The tests' fake Slack, served from its own process so it does not share the worker's CPU."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
from contextlib import contextmanager

from bench import common  # noqa: F401 - puts tests/slack on sys.path


def _serve(ready, stop) -> None:
    from fake_slack import FakeSlack  # noqa: PLC0415

    async def main() -> None:
        slack = FakeSlack()
        await slack.start()
        ready.put(slack.api_url)
        while not stop.is_set():
            await asyncio.sleep(0.1)
            slack.calls.clear()  # keep memory flat over long runs
            slack.posted.clear()
        await slack.stop()

    asyncio.run(main())


@contextmanager
def fake_slack_process():
    """Yields the fake Slack's API URL (e.g. http://127.0.0.1:PORT/api/)."""
    ctx = mp.get_context("spawn")
    ready, stop = ctx.Queue(), ctx.Event()
    proc = ctx.Process(target=_serve, args=(ready, stop), daemon=True)
    proc.start()
    try:
        yield ready.get(timeout=30)
    finally:
        stop.set()
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()
