"""`make bench`: every benchmark, its figures printed as it goes (see BENCHMARKS.md)."""

from __future__ import annotations

import argparse
import asyncio
import time

from bench import ack, checkin, digest, dispatch, history, signal


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "only",
        nargs="*",
        choices=["checkin", "dispatch", "history", "digest", "memory", "ack", "signal", []],
        help="run only these (default: all)",
    )
    parser.add_argument("--reps", type=int, default=3, help="repetitions (medians are shown)")
    parser.add_argument("-n", type=int, default=10_000, help="check-ins for dispatch")
    parser.add_argument("--series", type=int, default=signal.SERIES, help="series per kind")
    parser.add_argument("--seed", type=int, default=10, help="seed of the signal simulation")
    parser.add_argument(
        "--sweep", action="store_true", help="signal: one-parameter changes (800 series, seed 77)"
    )
    args = parser.parse_args()
    chosen = args.only or ["checkin", "dispatch", "history", "digest", "memory", "ack", "signal"]
    started = time.perf_counter()
    for name in chosen:
        t = time.perf_counter()
        if name == "checkin":
            lines = checkin.report(asyncio.run(checkin.run()))
        elif name == "dispatch":
            lines = dispatch.report(asyncio.run(dispatch.run(args.n, args.reps)))
        elif name == "history":
            lines = history.report_history(asyncio.run(history.run_history(args.reps)))
        elif name == "memory":
            lines = history.report_memory(asyncio.run(history.run_memory()))
        elif name == "digest":
            lines = digest.report(asyncio.run(digest.run(args.reps)))
        elif name == "signal" and args.sweep:
            lines = signal.sweep()
        elif name == "signal":
            rows = signal.run(args.series, args.seed)
            lines = signal.report(rows, args.series, args.seed)
        else:
            lines = ack.report(asyncio.run(ack.run(args.reps)))
        for line in lines:
            print(line, flush=True)
        print(f"  ({name}: {time.perf_counter() - t:.0f}s)", flush=True)
    print(f"all benchmarks: {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
