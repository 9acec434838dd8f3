"""Charts as pictures: drawn off the event loop, cached by content, handed out behind signed,
expiring paths (or as a file where the platform cannot reach this server).

A chart is named by the hash of its data (`core.charts.fingerprint`, tenant included). The
PNG is drawn once per name in a process pool (drawing is CPU work, and a process keeps the
loop answering other commands at full speed), kept in Redis for as long as links to it live,
and served from there by whichever web process Slack or Teams asks.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import multiprocessing
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.core import charts as core_charts
from bot.core.clock import Clock
from bot.core.messages import Attachment, Image, Message
from bot.core.signed import BadToken, Signer
from bot.service import metrics
from bot.service.drawing import draw
from bot.store.charts import ChartCache, SettledWeeks

log = logging.getLogger(__name__)

PURPOSE = "chart"
ROUTE = "/charts/{token}.png"
# How long a chart link (and its cached PNG) lives. Slack keeps its own copy once fetched;
# Teams fetches again when a card is shown, so a digest stays viewable for two weeks.
CHART_DAYS = 14


class ChartGone(LookupError):
    """A genuine link whose PNG is no longer kept: answered 404 like any unknown path."""


def public_base(url: str | None, secret: bytes | None) -> str | None:
    """The base URL Slack and Teams can fetch charts from, or None: no signing secret, or
    a loopback address (the default http://localhost:PORT), which no platform can reach."""
    if not url or secret is None:
        return None
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass  # a name, not an address
    return url.rstrip("/")


class Renderer:
    """Draws PNGs in a pool of worker processes (spawned: nothing of this process's loop or
    sockets is inherited)."""

    def __init__(self, workers: int = 1) -> None:
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self._workers, mp_context=context)
        return self._pool

    async def render(self, data: Mapping[str, Any]) -> bytes:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor(), draw, dict(data))
        except BrokenProcessPool:
            self._pool = None  # a worker died (killed, out of memory): start afresh once
            return await loop.run_in_executor(self._executor(), draw, dict(data))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


_shared: Renderer | None = None


def shared_renderer() -> Renderer:
    """One pool per process, started on first use, whatever the number of services built."""
    global _shared  # noqa: PLW0603 - a process-wide resource, like the event loop
    if _shared is None:
        _shared = Renderer()
    return _shared


@dataclass
class Charts:
    cache: ChartCache
    settled: SettledWeeks  # past weeks of each team's digest chart
    clock: Clock
    signer: Signer | None
    public_url: str | None  # public_base(): None means charts go as files
    files_dir: Path | None = None  # console: PNGs written here, their path shown
    renderer: Renderer = field(default_factory=shared_renderer)
    days: int = CHART_DAYS
    _drawing: dict[str, asyncio.Future] = field(default_factory=dict, repr=False)

    @property
    def ttl_seconds(self) -> int:
        return self.days * 86_400

    async def png(self, chart: core_charts.Chart) -> tuple[str, bytes]:
        """(name, PNG) of a chart: from the cache, or drawn once however many ask at once."""
        name = core_charts.fingerprint(chart)
        cached = await self.cache.get(chart.tenant, name)
        if cached is not None:
            return name, cached
        pending = self._drawing.get(name)
        if pending is None:
            pending = asyncio.ensure_future(self._draw(chart, name))
            self._drawing[name] = pending
            pending.add_done_callback(lambda _f: self._drawing.pop(name, None))
        return name, await asyncio.shield(pending)

    async def _draw(self, chart: core_charts.Chart, name: str) -> bytes:
        started = time.perf_counter()
        png = await self.renderer.render(core_charts.to_data(chart))
        metrics.CHART_SECONDS.labels(chart.kind).observe(time.perf_counter() - started)
        rid = chart.relationship if isinstance(chart, core_charts.HistoryChart) else None
        await self.cache.put(chart.tenant, name, png, self.ttl_seconds, rid=rid or None)
        return png

    async def forget(self, tenant: str, rid: str) -> int:
        """A forgotten relationship's charts go with it: their links answer 404 at once."""
        return await self.cache.forget(tenant, rid)

    def path(self, tenant: str, name: str) -> str | None:
        """The signed path of a chart, or None when nothing can sign it."""
        if self.signer is None:
            return None
        expires = self.clock.now() + timedelta(days=self.days)
        token = self.signer.sign(PURPOSE, {"t": tenant, "h": name}, expires)
        return ROUTE.format(token=token)

    async def picture(self, chart: core_charts.Chart, private: bool = True) -> Message:
        """The chart as a message: an image with its alt text, linked, written or attached."""
        name, png = await self.png(chart)
        alt, title = core_charts.alt_text(chart), core_charts.title(chart)
        url = path = None
        attachment = None
        signed = self.path(chart.tenant, name)
        if self.public_url and signed:
            url = self.public_url + signed
        elif self.files_dir is not None:
            path = str(await asyncio.to_thread(self._write, name, png))
        else:
            attachment = Attachment(f"rapport-{chart.kind}-chart.png", png, "image/png")
        return Message(
            summary=title,
            blocks=(Image(alt=alt, title=title, url=url, path=path),),
            kind="chart",
            private=private,
            attachment=attachment,
        )

    def _write(self, name: str, png: bytes) -> Path:
        assert self.files_dir is not None
        self.files_dir.mkdir(parents=True, exist_ok=True)
        target = self.files_dir / f"{name}.png"
        if not target.exists():  # named by content: an existing file is this very chart
            target.write_bytes(png)
        return target.resolve()

    async def served(self, token: str) -> bytes:
        """The PNG behind a signed path. BadToken (404), ExpiredToken (410), ChartGone (404)."""
        if self.signer is None:
            raise BadToken("no signing secret")
        claims = self.signer.verify(PURPOSE, token, self.clock.now())
        tenant, name = claims.get("t"), claims.get("h")
        if not isinstance(tenant, str) or not isinstance(name, str):
            raise BadToken("malformed claims")
        png = await self.cache.get(tenant, name)
        if png is None:
            raise ChartGone(name)
        return png
