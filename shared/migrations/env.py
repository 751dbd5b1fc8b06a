"""Alembic's environment for the ``alembic`` command (developers writing a migration).

Nodes do not go through this file: ``shared.schema.upgrade`` configures the same environment in
the caller's transaction. Give the database as ``-x url=...`` (or sqlalchemy.url in an ini file).
"""
from alembic import context

from shared.db import make_engine
from shared.schema import configure

url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option("sqlalchemy.url")
if not url:
    raise SystemExit("give the database: alembic -c shared/migrations/alembic.ini -x url=sqlite:///scratch.db ...")
if context.is_offline_mode():
    context.configure(url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = make_engine(url)
    with engine.connect() as conn:
        configure(context, conn)
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()
    engine.dispose()
