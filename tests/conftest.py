"""Test set-up. eventlet must monkey-patch before anything imports socket or threading:
nameko and the kernel's broker code run on green threads, and tests that touch the broker hang
without it (see ../shared/STACK.md)."""
import eventlet

eventlet.monkey_patch()  # noqa: E402 - must run first

import copy  # noqa: E402
import os  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from shared.config import DEFAULTS, merge  # noqa: E402
from shared.db import make_engine  # noqa: E402

POSTGRES_URL = os.environ.get("ELDERNET_TEST_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432/eldernet_test")
SETUP_HINT = "start the services with `make services` (deploy/ensure-services.sh)"


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path}/store.db"


@pytest.fixture
def postgres_url():
    """A fresh PostgreSQL schema per test, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}: {error.orig}; {SETUP_HINT}")
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    """Run a test once against each supported backend (the store's contract)."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


# -- broker-backed tests (integration, e2e, cli): a throw-away vhost per test, made by nameko's
# ``rabbit_config`` fixture through the management API and deleted after.
@pytest.fixture
def amqp_uri(rabbit_config):
    return rabbit_config["AMQP_URI"].replace("pyamqp://", "amqp://", 1)  # pika knows only amqp://


@pytest.fixture
def node_config(rabbit_config, tmp_path):
    """A node's nameko config: the test vhost, SQLite files in tmp_path, fast retries."""
    config = copy.deepcopy(DEFAULTS)
    merge(config, rabbit_config)
    merge(config, {"ELDERNET": {
        "node": {"id": "xinfu", "tier": "district", "area_code": "210402", "parent": "fushun"},
        "data_dir": str(tmp_path / "xinfu"),
        "consumer": {"max_attempts": 3, "retry_delay": 0.01},
        "outbox": {"poll_interval": 0.02},
    }})
    return config


@pytest.fixture
def web_node_config(node_config, web_config):
    """A node config whose HTTP gateway listens where nameko's ``web_session`` fixture talks."""
    return {**node_config, "WEB_SERVER_ADDRESS": web_config["WEB_SERVER_ADDRESS"]}
