"""Run eldernet's benchmarks: ``python bench/run.py [--quick] [--postgres] [--only store|outbox|sync|booking|billing]``.

Each figure is printed beside a raw baseline measured in the same run (see bench/store.py and
bench/outbox.py). A full default run takes ≈ 2–3 minutes on a 2-core machine.
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402 - the services run under eventlet; so do the benchmarks

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 1000 instead of 5000")
    parser.add_argument("--postgres", action="store_true", help="add PostgreSQL rows to the store benchmark")
    parser.add_argument("--only", choices=["store", "outbox", "sync", "booking", "billing", "alerts"], help="run one benchmark")
    parser.add_argument("--backlog", type=int, help="events the village holds in the sync benchmark "
                                                    "(default 100 000; --quick 20 000)")
    parser.add_argument("--rates", default="20,100", help="steady rates (events/s) of the end-to-end sync "
                                                          "benchmark, comma-separated (default 20,100)")
    parser.add_argument("-n", type=int, help="events per figure (overrides --quick)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per figure (the median is printed)")
    args = parser.parse_args(argv)
    n = args.n or (1000 if args.quick else 5000)

    from bench import alerts, billing, booking, outbox, store, sync, sync_e2e  # after the path is set

    started = time.perf_counter()
    if args.only in (None, "store"):
        store.run(n, args.rounds, postgres=args.postgres)
    if args.only in (None, "outbox"):
        outbox.run(n, args.rounds)
    if args.only in (None, "sync"):
        sync.run(args.backlog or (20_000 if args.quick else 100_000), rounds=1)
        sync_e2e.run_end_to_end([float(r) if "." in r else int(r) for r in args.rates.split(",")],
                            seconds=5 if args.quick else 20, backlog=1000 if args.quick else 5000)
    if args.only in (None, "booking"):
        booking.run(args.n or (200 if args.quick else 1000), args.rounds)
    if args.only in (None, "billing"):
        billing.run(args.n or (200 if args.quick else 1000), args.rounds)
    if args.only in (None, "alerts"):
        alerts.run(args.n or (200 if args.quick else 1000), args.rounds)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
