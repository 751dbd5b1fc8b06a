"""Check (d): SQLite under eventlet: a long call blocks the hub; what eventlet.tpool changes.

Part 1, one long query (a recursive CTE summing 1..N, ≈ 1 s) while a greenthread ticks every
10 ms: run directly in the greenthread, then through eventlet.tpool.execute (an OS thread; the
sqlite3 module releases the GIL while SQLite works).
Part 2, the cost of tpool on short calls: per-call time of a trivial SELECT, and of one-row
INSERT + COMMIT transactions (WAL, synchronous=NORMAL and FULL) on a file in a temp dir,
direct vs through tpool.

    .venv/bin/python docs/checks/check_sqlite_eventlet.py
    .venv/bin/python docs/checks/check_sqlite_eventlet.py --rows 8000000   # size of the long query
"""
import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import os  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from eventlet import tpool  # noqa: E402


class Ticker:
    def __init__(self, period=0.01):
        self.period, self.gaps, self.done = period, [], False

    def run(self):
        last = time.monotonic()
        while not self.done:
            eventlet.sleep(self.period)
            now = time.monotonic()
            self.gaps.append(now - last)
            last = now

    def __enter__(self):
        self.thread = eventlet.spawn(self.run)
        eventlet.sleep(0)  # let it start
        return self

    def __exit__(self, *exc):
        self.done = True
        self.thread.wait()


def long_query(conn, rows):
    sql = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) "
           "SELECT sum(x) FROM c")
    return conn.execute(sql, (rows,)).fetchone()[0]


def part1(rows):
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    results = {}
    for how in ("direct", "tpool"):
        with Ticker() as ticker:
            t0 = time.monotonic()
            if how == "direct":
                total = long_query(conn, rows)
            else:
                total = tpool.execute(long_query, conn, rows)
            elapsed = time.monotonic() - t0
        assert total == rows * (rows + 1) // 2
        results[how] = (elapsed, len(ticker.gaps), max(ticker.gaps))
        print(f"  long query, {how:6}: {elapsed:.2f} s; ticker: {len(ticker.gaps)} ticks "
              f"(expected ≈ {elapsed / 0.01:.0f}), longest gap {1000 * max(ticker.gaps):.0f} ms")
    return results


def per_call(fn, n):
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e6  # µs per call


def part2(n_select, n_insert, repeats):
    tmp = tempfile.mkdtemp(prefix="eldernet-sqlite-check-")
    conn = sqlite3.connect(os.path.join(tmp, "events.db"), check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE events (position INTEGER PRIMARY KEY, body BLOB NOT NULL)")
    body = b"x" * 200

    def select1():
        conn.execute("SELECT 1").fetchone()

    def insert_commit():
        conn.execute("BEGIN")
        conn.execute("INSERT INTO events (body) VALUES (?)", (body,))
        conn.execute("COMMIT")

    cases = [("SELECT 1", select1, n_select, None),
             ("INSERT+COMMIT, synchronous=NORMAL", insert_commit, n_insert, "NORMAL"),
             ("INSERT+COMMIT, synchronous=FULL", insert_commit, n_insert, "FULL")]
    for label, fn, n, sync in cases:
        if sync:
            conn.execute(f"PRAGMA synchronous={sync}")
        direct = statistics.median(per_call(fn, n) for _ in range(repeats))
        pooled = statistics.median(per_call(lambda: tpool.execute(fn), n) for _ in range(repeats))
        print(f"  {label:34}: direct {direct:8.1f} µs/call, tpool {pooled:8.1f} µs/call "
              f"(+{pooled - direct:.1f} µs, ×{pooled / direct:.1f}); median of {repeats} x {n}")
    conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=8_000_000)
    ap.add_argument("--selects", type=int, default=5000)
    ap.add_argument("--inserts", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    from importlib.metadata import version

    print(f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, eventlet {version('eventlet')}, "
          f"tpool threads {os.environ.get('EVENTLET_THREADPOOL_SIZE', '20 (default)')}")
    print("part 1: one long query while a greenthread ticks every 10 ms")
    part1(args.rows)
    print("part 2: cost per short call, direct vs eventlet.tpool.execute")
    part2(args.selects, args.inserts, args.repeats)
    tpool.killall()


if __name__ == "__main__":
    main()
