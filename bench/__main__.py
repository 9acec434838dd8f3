"""`make bench`: every benchmark, its figures printed as it goes (see BENCHMARKS.md)."""

from __future__ import annotations

import argparse
import asyncio
import time

from bench import ack, checkin, digest, dispatch, history


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "only",
        nargs="*",
        choices=["checkin", "dispatch", "history", "digest", "memory", "ack", []],
        help="run only these (default: all)",
    )
    parser.add_argument("--reps", type=int, default=3, help="repetitions (medians are shown)")
    parser.add_argument("-n", type=int, default=10_000, help="check-ins for dispatch")
    args = parser.parse_args()
    chosen = args.only or ["checkin", "dispatch", "history", "digest", "memory", "ack"]
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
        else:
            lines = ack.report(asyncio.run(ack.run(args.reps)))
        for line in lines:
            print(line, flush=True)
        print(f"  ({name}: {time.perf_counter() - t:.0f}s)", flush=True)
    print(f"all benchmarks: {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
