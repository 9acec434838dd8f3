"""The service facade: every channel and job calls these, so all behave alike."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.core import commands as c
from bot.core import views
from bot.core.charts import Chart
from bot.core.clock import Clock
from bot.core.messages import Action, Attachment, Form, Message
from bot.core.prompts import Prompts, load_prompts
from bot.core.rubric import Rubric, load_rubric
from bot.core.signed import Signer
from bot.service import away, checkins, clocks, due, metrics, workspaces
from bot.service import commands as use_cases
from bot.service import export as exporting
from bot.service.api import Actor, Notifier, Place, Submitted
from bot.service.charts import ChartGone, Charts, public_base
from bot.service.client import HANDLERS as CLIENT_HANDLERS
from bot.service.client import make as make_client_side
from bot.service.context import Context
from bot.store.charts import ChartCache, SettledWeeks
from bot.store.connection import Client
from bot.store.crypto import PlainText, TextCipher
from bot.store.errors import StorageUnavailable
from bot.store.installations import RedisInstallationStore, RedisStateStore
from bot.store.queue import DueQueue
from bot.store.repository import Store

log = logging.getLogger(__name__)
HANDLERS = {**use_cases.HANDLERS, **away.HANDLERS, **CLIENT_HANDLERS}


class Rapport:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    @property
    def rubric(self) -> Rubric:
        return self.ctx.rubric

    @property
    def prompts(self) -> Prompts:
        return self.ctx.prompts

    def register(self, platform: str, notifier: Notifier) -> None:
        self.ctx.notifiers[platform] = notifier

    def _unavailable(self) -> Message:
        return views.say(self.ctx.prompts, "try_again", kind="error")

    async def command(self, actor: Actor, words: str, place: Place) -> Message:
        started = time.perf_counter()
        try:
            cmd = c.parse(words)
        except c.CommandError as e:
            metrics.COMMANDS.labels("invalid", "error").inc()
            return views.error(e.message, e.usage)
        name = type(cmd).__name__.lower()
        try:
            await self._note_tz(actor)
            reply = await HANDLERS[type(cmd)](self.ctx, actor, cmd, place)
        except StorageUnavailable:
            log.warning("command %s: storage unavailable", name, exc_info=True)
            metrics.COMMANDS.labels(name, "unavailable").inc()
            return self._unavailable()
        metrics.COMMANDS.labels(name, reply.kind).inc()
        metrics.COMMAND_SECONDS.observe(time.perf_counter() - started)
        return reply

    async def open_form(self, actor: Actor, ref: str) -> Form | Message:
        try:
            return await checkins.open_form(self.ctx, actor, ref)
        except StorageUnavailable:
            return self._unavailable()

    async def submit(self, actor: Actor, ref: str, values: Mapping[str, Any]) -> Submitted:
        try:
            result = await checkins.submit(self.ctx, actor, ref, values)
        except StorageUnavailable:
            return Submitted(errors={"_": self.ctx.prompts.say("try_again")})
        if result.ok:
            metrics.CHECKINS_SUBMITTED.inc()
            metrics.DRIFT_NUDGES.inc(sum(1 for m in result.followups if m.kind == "drift"))
        return result

    async def button(self, actor: Actor, action: str, value: str) -> Message:
        try:
            if action == Action.CONFIRM_FORGET:
                return await use_cases.confirm_forget(self.ctx, actor, value)
            if action == Action.CANCEL_FORGET:
                return await use_cases.cancel_forget(self.ctx, actor, value)
        except StorageUnavailable:
            return self._unavailable()
        return views.error("That button is no longer in use.")

    async def export_file(self, actor: Actor) -> Attachment | None:
        """The actor's export file (for a download link); None while storage is away."""
        try:
            return (await exporting.export(self.ctx, actor)).attachment
        except StorageUnavailable:
            return None

    async def home(self, actor: Actor) -> Message:
        items = await use_cases.overviews(self.ctx, actor)
        return views.home_message(self.ctx.rubric, self.ctx.prompts, items)

    async def remember(self, actor: Actor, address: Mapping[str, Any] | None = None) -> None:
        who = await self.ctx.store.practitioner(actor.tenant, actor.user)
        updated = replace(
            who,
            tz=actor.tz or who.tz,
            address=dict(address) if address is not None else who.address,
        )
        if updated != who:
            await self.ctx.store.save_practitioner(updated)

    async def _note_tz(self, actor: Actor) -> None:
        if actor.tz:
            await self.remember(actor)

    async def seen_event(self, tenant: str, event_id: str) -> bool:
        """True the first time an event id is seen (platform retries are dropped)."""
        return await self.ctx.store.first_seen(tenant, event_id)

    async def run_due(self, limit: int = 100, worker: str = "") -> int:
        handled = await due.run_due(self.ctx, limit, worker, self.ctx.dispatch_concurrency)
        metrics.DUE_HANDLED.inc(handled)
        return handled

    async def apply_retention(self) -> int:
        """Delete check-ins older than RAPPORT_RETENTION_DAYS, across tenants."""
        return await due.apply_retention(self.ctx)

    async def reap(self) -> int:
        return await self.ctx.queue.reap(self.ctx.now().timestamp())

    async def clock_skew(self) -> float:
        """Seconds this process's clock is ahead of Redis's (StorageUnavailable if down)."""
        return await clocks.skew(self.ctx)

    async def check_clock(self, limit: float) -> None:
        """Raise clocks.ClockOff when this clock is more than `limit` seconds off Redis's."""
        await clocks.check(self.ctx, limit)

    # --- Slack installations (multi-workspace mode) -----------------------------------
    def slack_stores(self) -> tuple[RedisInstallationStore, RedisStateStore]:
        """bolt's installation store (tokens sealed like free text) and OAuth state store."""
        sealer = self.ctx.store.sealer
        if sealer is None:
            raise ValueError("storing Slack tokens needs RAPPORT_ENCRYPTION_KEY")
        redis = self.ctx.store.redis
        return RedisInstallationStore(redis, sealer), RedisStateStore(redis, self.clock)

    async def workspace_installed(self, tenant: str) -> bool:
        """True if the tenant was uninstalled and is back within the grace period."""
        return await workspaces.installed(self.ctx, tenant)

    async def workspace_uninstalled(self, tenant: str) -> None:
        await workspaces.uninstalled(self.ctx, tenant)

    async def picture(self, chart: Chart | None) -> Message | None:
        """The chart a reply carries (`Message.chart`), drawn or cached; None if charts are
        off or the chart cannot be had now (the text reply already said it all)."""
        if self.ctx.charts is None or chart is None:
            return None
        try:
            return await self.ctx.charts.picture(chart)
        except StorageUnavailable:
            log.warning("chart: storage unavailable", exc_info=True)
        except Exception:  # a chart that fails never takes the reply down with it
            log.exception("chart could not be drawn")
        return None

    async def chart_png(self, token: str) -> bytes:
        """The PNG behind a signed chart path (raises BadToken, ExpiredToken, ChartGone)."""
        if self.ctx.charts is None:
            raise ChartGone("charts are off")
        return await self.ctx.charts.served(token)

    def save_charts_under(self, directory: Path) -> None:
        """Write charts as PNG files there and show their path (the console)."""
        if self.ctx.charts is not None:
            self.ctx.charts.files_dir = directory

    async def healthy(self) -> bool:
        try:
            return await self.ctx.store.ping()
        except StorageUnavailable:
            return False


def sealer_for(settings: Settings) -> TextCipher | PlainText | None:
    if settings.encryption_key:
        return TextCipher(settings.encryption_key)
    if settings.allow_plaintext:
        return PlainText()
    return None


async def build(settings: Settings, clock: Clock, redis: Client) -> Rapport:
    store, rubric = Store(redis, sealer_for(settings)), load_rubric(settings.rubric_path)
    ctx = Context(
        store=store,
        queue=DueQueue(redis, lease_seconds=settings.lease_seconds),
        rubric=rubric,
        prompts=load_prompts(settings.prompts_dir),
        clock=clock,
        prompt_delay=timedelta(minutes=settings.prompt_delay_minutes),
        retention_days=settings.retention_days,
        uninstall_grace=timedelta(days=settings.uninstall_grace_days),
        dispatch_concurrency=settings.dispatch_concurrency,
        client=make_client_side(store, rubric, settings.prompts_dir, settings),
        charts=charts_for(settings, clock, redis),
    )
    return Rapport(ctx)


def charts_for(settings: Settings, clock: Clock, redis: Client) -> Charts:
    secret = settings.link_secret
    return Charts(
        cache=ChartCache(redis),
        settled=SettledWeeks(redis),
        clock=clock,
        signer=Signer(secret) if secret else None,
        public_url=public_base(settings.public_url, secret),
    )
