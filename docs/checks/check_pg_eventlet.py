"""Check (c) and (e): PostgreSQL drivers under eventlet's monkey-patching.

Five greenthreads each run `SELECT pg_sleep(0.5)` on their own pooled connection through
SQLAlchemy (connections opened beforehand, so only the queries are timed), while a sixth
greenthread ticks every 10 ms. Cooperative driver: ≈ 0.5 s in all and the ticker keeps ticking;
blocking driver: ≈ 2.5 s and the hub stalls ≈ 0.5 s at a time.

    .venv/bin/python docs/checks/check_pg_eventlet.py            # psycopg2 with and without psycogreen
    .venv/bin/python docs/checks/check_pg_eventlet.py MODE       # one mode, in this process

MODE:
  psycopg2-psycogreen  monkey_patch(psycopg=False), then psycogreen.eventlet.patch_psycopg()
  psycopg2-nowait      monkey_patch(psycopg=False) and no wait callback: libpq blocks the hub
  psycopg2-eventlet    plain monkey_patch(): eventlet installs its own psycopg2 wait callback
                       (eventlet.support.psycopg2_patcher, same code as psycogreen)
  psycopg3             plain monkey_patch() with psycopg 3 (needs `pip install 'psycopg[binary]'`,
                       which eldernet does not depend on: run it from a scratch venv)
Each mode runs in its own process, because a wait callback cannot be undone. Database: ELDERNET_PG_URL_BASE, default
postgres@127.0.0.1:5432/postgres.
"""
import os
import subprocess
import sys

BASE = os.environ.get("ELDERNET_PG_URL_BASE", "postgres@127.0.0.1:5432/postgres")
MODES = {
    "psycopg2-psycogreen": f"postgresql+psycopg2://{BASE}",
    "psycopg2-nowait": f"postgresql+psycopg2://{BASE}",
    "psycopg2-eventlet": f"postgresql+psycopg2://{BASE}",
    "psycopg3": f"postgresql+psycopg://{BASE}",
}
N, SLEEP = 5, 0.5


def run(mode):
    import eventlet

    if mode in ("psycopg2-psycogreen", "psycopg2-nowait"):
        eventlet.monkey_patch(psycopg=False)  # everything else (socket, thread, time, ...) still patched
    else:
        eventlet.monkey_patch()
    if mode == "psycopg2-psycogreen":
        import psycogreen.eventlet

        psycogreen.eventlet.patch_psycopg()
    wait_callback = None
    impl = ""
    if mode == "psycopg3":
        import psycopg
        import psycopg.waiting

        impl = f" (libpq wrapper: {psycopg.pq.__impl__}, wait: {psycopg.waiting.wait.__name__})"
    if mode.startswith("psycopg2"):
        import psycopg2.extensions

        wait_callback = psycopg2.extensions.get_wait_callback()

    import time
    from importlib.metadata import version

    from sqlalchemy import create_engine, text

    driver = "psycopg" if mode == "psycopg3" else "psycopg2-binary"
    print(f"[{mode}] eventlet {version('eventlet')}, sqlalchemy {version('sqlalchemy')}, "
          f"{driver} {version(driver)}{impl}" + (f", psycogreen {version('psycogreen')}" if mode.endswith("psycogreen") else "")
          + (f"; psycopg2 wait callback: {wait_callback.__module__ + '.' + wait_callback.__name__ if wait_callback else None}"
             if mode.startswith("psycopg2") else ""))
    engine = create_engine(MODES[mode], pool_size=N, max_overflow=0)
    conns = [engine.connect() for _ in range(N)]  # open all N connections first
    for c in conns:
        c.close()  # back to the pool

    state = {"done": False, "max_gap": 0.0, "ticks": 0}

    def ticker():
        last = time.monotonic()
        while not state["done"]:
            eventlet.sleep(0.01)
            now = time.monotonic()
            state["max_gap"] = max(state["max_gap"], now - last)
            state["ticks"] += 1
            last = now

    def query(i):
        with engine.connect() as conn:
            return conn.execute(text("SELECT pg_backend_pid(), pg_sleep(:s)"), {"s": SLEEP}).first()[0]

    tick = eventlet.spawn(ticker)
    eventlet.sleep(0)
    t0 = time.monotonic()
    pids = list(eventlet.GreenPool(N).imap(query, range(N)))
    elapsed = time.monotonic() - t0
    state["done"] = True
    tick.wait()
    engine.dispose()
    print(f"[{mode}] {N} x pg_sleep({SLEEP}) on {len(set(pids))} backends: {elapsed:.2f} s total; "
          f"ticker {state['ticks']} ticks, longest hub stall {1000 * state['max_gap']:.0f} ms")
    return elapsed


if __name__ == "__main__":
    if len(sys.argv) > 1:
        run(sys.argv[1])
        sys.exit(0)
    rc = 0
    modes = ["psycopg2-nowait", "psycopg2-eventlet"]
    try:  # psycogreen is not a project dependency any more (plain monkey_patch() does the same)
        import psycogreen  # noqa: F401

        modes.insert(0, "psycopg2-psycogreen")
    except ImportError:
        print("psycogreen not installed: skipping that mode (pip install psycogreen==1.0.2 to compare)")
    for mode in modes:
        rc |= subprocess.call([sys.executable, __file__, mode])
    sys.exit(rc)
