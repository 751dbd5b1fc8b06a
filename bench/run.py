"""Run eldernet's benchmarks: ``python bench/run.py [--quick] [--postgres] [--only NAME] [--report FILE]``.

Each figure is printed beside a raw baseline measured in the same run (see bench/store.py and
bench/outbox.py). ``--report docs/performance.md`` (what ``make bench`` does) also writes what was
printed, with the machine and the command, as a Markdown document.
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402 - the services run under eventlet; so do the benchmarks

import argparse  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 1000 instead of 5000")
    parser.add_argument("--postgres", action="store_true", help="add PostgreSQL rows to the store benchmark")
    parser.add_argument("--only", choices=["store", "outbox", "sync", "booking", "billing", "alerts", "memory"],
                        help="run one benchmark")
    parser.add_argument("--report", metavar="FILE", help="also write the figures as Markdown (docs/performance.md)")
    parser.add_argument("--backlog", type=int, help="events the village holds in the sync benchmark "
                                                    "(default 100 000; --quick 20 000)")
    parser.add_argument("--rates", default="20,100", help="steady rates (events/s) of the end-to-end sync "
                                                          "benchmark, comma-separated (default 20,100)")
    parser.add_argument("-n", type=int, help="events per figure (overrides --quick)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per figure (the median is printed)")
    args = parser.parse_args(argv)
    printed = _Tee(sys.stdout)
    sys.stdout = printed
    try:
        seconds = _run(args)
    finally:
        sys.stdout = printed.terminal
    if args.report:
        _write_report(args.report, printed.getvalue(), argv if argv is not None else sys.argv[1:], seconds)
        print(f"wrote {args.report}")
    return 0


def _run(args) -> float:
    n = args.n or (1000 if args.quick else 5000)

    from bench import alerts, billing, booking, memory, outbox, store, sync, sync_e2e  # after the path is set

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
    if args.only in (None, "memory"):
        memory.run()
    seconds = time.perf_counter() - started
    print(f"\n(total {seconds:.0f} s)")
    return seconds


class _Tee(io.StringIO):
    """Prints as usual and keeps a copy for the report."""

    def __init__(self, terminal):
        super().__init__()
        self.terminal = terminal

    def write(self, text):
        self.terminal.write(text)
        self.terminal.flush()
        return super().write(text)


def _markdown(printed: str) -> str:
    """What the benchmarks print as Markdown: "== title ==" a section, tables as they are, every
    other line a paragraph of its own."""
    out: list[str] = []
    for line in printed.strip().splitlines():
        line = re.sub(r"^== (.+) ==$", r"## \1", line.strip())
        if not line:
            continue
        if line.startswith("|") and out and out[-1].startswith("|"):
            out.append(line)
        else:
            out += ["", line]
    return "\n".join(out).strip()


def _write_report(path: str, printed: str, argv: list[str], seconds: float) -> None:
    """The run as a Markdown page: each benchmark's header becomes a section; its tables already are."""
    from bench.common import machine

    m = machine()
    body = _markdown(printed)
    command = " ".join(["python bench/run.py", *argv])
    with open(path, "w", encoding="utf-8") as report:
        report.write(f"""# Performance

Written by `make bench` ({command}) in {seconds:.0f} s on a machine with {m['nproc']} cores, Python
{m['python']}, SQLite {m['sqlite']}, RabbitMQ {m['rabbitmq']}, PostgreSQL {m['postgresql']}. Every
figure stands beside a raw baseline measured in the same run on the same machine — raw SQLAlchemy
Core inserts and selects, raw pika confirmed publishes, a raw AMQP round trip — so the **ratios**
are what to compare between machines; the machines these runs come from are shared, and absolute
rates vary by ±30 % from round to round. Run it again with `make bench`; the issues' notes discuss
the figures and the hot spots found by profiling.

{body}
""")


if __name__ == "__main__":
    sys.exit(main())
