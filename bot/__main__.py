"""The commands: run (web + scheduler), serve (web only), worker (scheduler only), demo."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import shutil
import signal
import sys
from dataclasses import replace

from aiohttp import web

from bot.config import ConfigError, Settings, from_env
from bot.core.clock import ManualClock, SystemClock
from bot.core.prompts import PromptError
from bot.core.rubric import RubricError
from bot.service.app import Rapport, build
from bot.service.clocks import ClockOff
from bot.startup import channel_lines
from bot.store.connection import connect
from bot.store.crypto import demo_key, validate_key
from bot.store.errors import StorageUnavailable

log = logging.getLogger("rapport")


def _check(settings: Settings) -> None:
    if settings.encryption_key and (problem := validate_key(settings.encryption_key)):
        raise ConfigError(problem)
    if not settings.encryption_key and not settings.allow_plaintext:
        log.warning(
            "RAPPORT_ENCRYPTION_KEY is not set: free-text answers will not be stored "
            "(set a key, or RAPPORT_ALLOW_PLAINTEXT=1 to store them unencrypted)"
        )
    if settings.teams_local_mode:
        log.warning(
            "TEAMS_LOCAL_MODE=1: Teams runs WITHOUT authentication, for trying it on this "
            "machine only; listening on 127.0.0.1 only, loopback serviceUrls only"
        )


def _host(settings: Settings) -> str:
    """Where to listen: everywhere, except in Teams local mode (nothing is verified)."""
    return "127.0.0.1" if settings.teams_local_mode else "0.0.0.0"  # noqa: S104


async def _clock_first(rapport: Rapport, settings: Settings) -> None:
    """A worker does not start on a clock that disagrees with Redis's."""
    try:
        await rapport.check_clock(settings.max_clock_skew)
    except StorageUnavailable:
        log.warning("could not compare clocks with Redis yet; every poll checks again")


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _background_settled(grace: float) -> bool:
    """Wait for work started by requests that were already answered (Slack's lazy
    listeners reply after the ack). True if all of it finished within `grace` seconds."""
    me = asyncio.current_task()
    pending = {t for t in asyncio.all_tasks() if t is not me and not t.done()}
    if not pending:
        return True
    _done, pending = await asyncio.wait(pending, timeout=grace)
    return not pending


async def serve(settings: Settings, web_on: bool, worker_on: bool) -> None:
    from bot.jobs.scheduler import Worker  # noqa: PLC0415
    from bot.web import create_app, create_metrics_app  # noqa: PLC0415

    _check(settings)
    for line in channel_lines(settings):
        log.info("%s", line)
    conn = connect(settings.redis_url, settings.data_dir, cluster=settings.redis_cluster)
    rapport = await build(settings, SystemClock(), conn.redis)
    if worker_on:
        try:
            await _clock_first(rapport, settings)
        except ClockOff:
            await conn.close()
            raise
    app = create_app(rapport, settings)  # also registers each channel's notifier
    # Everything loaded so far lives as long as the process: keep it out of the collector's
    # full passes, which otherwise hold the event loop for 30-50 ms (BENCHMARKS.md, export).
    gc.freeze()
    runner = metrics_runner = None
    if web_on:
        runner = web.AppRunner(app, shutdown_timeout=settings.shutdown_seconds)
        await runner.setup()
        await web.TCPSite(runner, _host(settings), settings.port).start()
        log.info("listening on port %s", settings.port)
    if settings.metrics_port is not None:
        metrics_runner = web.AppRunner(create_metrics_app())
        await metrics_runner.setup()
        await web.TCPSite(metrics_runner, _host(settings), settings.metrics_port).start()
        log.info("metrics on port %s", settings.metrics_port)
    worker = None
    if worker_on:
        worker = Worker(
            rapport, poll_seconds=settings.poll_seconds, max_clock_skew=settings.max_clock_skew
        )
        worker.start()
        log.info("worker polling the due-queue every %.1fs", settings.poll_seconds)
    try:
        await _until_stopped()
    finally:
        # Finish what is in hand, in order: no new polls or requests, then the poll and the
        # requests in progress, then what those requests started; Redis closes last.
        log.info("stopping: finishing what is in hand")
        clean = True
        if worker:
            clean = await worker.stop(settings.shutdown_seconds) and clean
        if runner:
            await runner.cleanup()
        if metrics_runner:
            await metrics_runner.cleanup()
        clean = await _background_settled(settings.shutdown_seconds) and clean
        await conn.close()
        log.info("stopped %s", "cleanly" if clean else "with work unfinished")


async def demo(settings: Settings) -> None:
    from bot.channels.console.app import Console, run  # noqa: PLC0415
    from bot.channels.console.sample import INTRO, seed  # noqa: PLC0415

    data_dir = settings.data_dir / "demo"
    shutil.rmtree(data_dir / "redis", ignore_errors=True)  # each demo starts from the sample
    settings = replace(
        settings,
        redis_url=None,
        data_dir=data_dir,
        encryption_key=settings.encryption_key or demo_key(data_dir),
    )
    conn = connect(None, data_dir)
    try:
        clock = ManualClock()
        rapport: Rapport = await build(settings, clock, conn.redis)
        console = Console(rapport, clock, charts_dir=data_dir / "charts")
        print("Setting up the sample workspace (living through its past)...", flush=True)
        await seed(console)
        print(INTRO, flush=True)
        console.show([f"It is {console.stamp()} ({console.tz})."])
        await run(console, sys.stdin, interactive=sys.stdin.isatty())
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rapport", description=__doc__)
    parser.add_argument("command", choices=["run", "serve", "worker", "demo"])
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.command != "demo" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # APScheduler logs every poll (every few seconds) at INFO: keep its warnings only.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    try:
        settings = from_env()
        if args.command == "demo":
            asyncio.run(demo(settings))
        else:
            web_on = args.command in {"run", "serve"}
            worker_on = args.command in {"run", "worker"}
            asyncio.run(serve(settings, web_on, worker_on))
    except (ConfigError, RubricError, PromptError, ClockOff) as e:
        print(f"rapport: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
