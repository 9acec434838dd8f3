"""`make bench`: every benchmark, its figures printed as it goes (see BENCHMARKS.md)."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable

from bench import ack, chart, checkin, digest, dispatch, forget, history, signal
from bench import export as export_bench

Lines = list[str]


def _signal(args: argparse.Namespace) -> Lines:
    if args.sweep:
        return signal.sweep()
    if args.seeds:
        return signal.seeds(args.series, [int(s) for s in args.seeds.split(",")], args.intake)
    from bench import signal_client  # noqa: PLC0415 - the client's series and the gap

    lines = signal.report(signal.run(args.series, args.seed), args.series, args.seed)
    two_views = signal_client.run(args.series, args.seed)
    return lines + signal_client.report(two_views, args.series, args.seed)


def _client(args: argparse.Namespace) -> Lines:
    from bench import client  # noqa: PLC0415

    return client.report(asyncio.run(client.run(args.reps)))


# One entry per benchmark, in the order `make bench` runs them: name -> runner(args) -> lines.
BENCHES: dict[str, Callable[[argparse.Namespace], Lines]] = {
    "checkin": lambda a: checkin.report(asyncio.run(checkin.run())),
    "dispatch": lambda a: dispatch.report(asyncio.run(dispatch.run(a.n, a.reps))),
    "history": lambda a: history.report_history(asyncio.run(history.run_history(a.reps))),
    "digest": lambda a: digest.report(asyncio.run(digest.run(a.reps))),
    "memory": lambda a: history.report_memory(asyncio.run(history.run_memory())),
    "ack": lambda a: ack.report(asyncio.run(ack.run(a.reps))),
    "client": _client,
    "signal": _signal,
    "export": lambda a: export_bench.report(asyncio.run(export_bench.run(reps=a.reps))),
    "forget": lambda a: forget.report(asyncio.run(forget.run(a.reps))),
    "chart": lambda a: chart.report(asyncio.run(chart.run(a.reps))),
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "only", nargs="*", choices=[*BENCHES, []], help="run only these (default: all)"
    )
    parser.add_argument("--reps", type=int, default=3, help="repetitions (medians are shown)")
    parser.add_argument("-n", type=int, default=10_000, help="check-ins for dispatch")
    parser.add_argument("--series", type=int, default=signal.SERIES, help="series per kind")
    parser.add_argument("--seed", type=int, default=10, help="seed of the signal simulation")
    parser.add_argument(
        "--seeds", help="signal: the targets on several seeds side by side, e.g. 10,11,12"
    )
    parser.add_argument(
        "--intake",
        action="store_true",
        help="signal --seeds: what if session 1 asked all sixteen contrasts (not the yardstick)",
    )
    parser.add_argument(
        "--sweep", action="store_true", help="signal: one-parameter changes (800 series, seed 77)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    for name in args.only or list(BENCHES):
        t = time.perf_counter()
        for line in BENCHES[name](args):
            print(line, flush=True)
        print(f"  ({name}: {time.perf_counter() - t:.0f}s)", flush=True)
    print(f"all benchmarks: {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
