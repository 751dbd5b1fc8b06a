"""The broker goes away under a working node: first a service's connection is cut mid-stream (a
TCP proxy the test controls), then the broker itself is restarted (stop_app /
start_app, restored at the end whatever happens). Every event the registry stored takes effect in
booking exactly once, and booking's read models equal a replay from scratch."""
import subprocess
import tempfile
import time

import eventlet
import eventlet.debug
import pytest

from services.booking.projections import booking_projections
from tests.chaos.conftest import facility
from tests.chaos.exactly_once import (assert_each_facility_event_took_effect_once, handled_ids, read_models,
                                      replayed_read_models)
from tests.support.broker import wait_for
from tests.support.nodes import call
from tests.support.tcp_proxy import TcpProxy

FACILITIES = 90


def through(proxy: TcpProxy, amqp_uri: str) -> str:
    return amqp_uri.replace("127.0.0.1:5672", f"127.0.0.1:{proxy.port}").replace(
        "localhost:5672", f"127.0.0.1:{proxy.port}")


def test_a_connection_cut_mid_stream_loses_nothing(district):
    registry, booking, registry_url, booking_url = district
    proxy = TcpProxy()
    try:
        booking.start(amqp_uri=through(proxy, booking.config["AMQP_URI"]))
        booking.wait_started()
        writer = eventlet.spawn(lambda: [call(registry, "register_facility", facility(n)) for n in range(FACILITIES)])
        wait_for(lambda: len(handled_ids(booking_url)) >= 15, timeout=90,
                 message=f"booking under way (log: {booking.log()[-4000:]})")
        proxy.cut()  # mid-stream: handlers finishing now cannot ack on the lost connection
        cut_at = len(handled_ids(booking_url))
        eventlet.sleep(1.0)  # cut off for a while: the registry goes on writing
        proxy.restore()
        writer.wait()
        assert cut_at < FACILITIES, "the cut came after the stream ended; the case proves nothing"
        wait_for(lambda: len(handled_ids(booking_url)) == FACILITIES, timeout=120,
                 message=f"booking to catch up after the cut (log: {booking.log()[-4000:]})")
    finally:
        booking.stop()
        proxy.close()
    assert assert_each_facility_event_took_effect_once(registry_url, booking_url) == FACILITIES
    before = read_models(booking_url)
    assert replayed_read_models(booking_url, booking_projections()) == before


def rabbitmqctl(*args) -> None:
    # Output to a file, not pipes: two green readers of a child's pipes trip eventlet's hub. The
    # hub may also still hold a listener on an fd number an earlier test's closed socket left,
    # which the child's exec-error pipe reuses: that one never fires, so a second reader is safe.
    eventlet.debug.hub_prevent_multiple_readers(False)
    try:
        with tempfile.TemporaryFile() as output:
            result = subprocess.run(["rabbitmqctl", "-q", *args], stdout=output, stderr=output, timeout=120)
            output.seek(0)
            said = output.read().decode()
    finally:
        eventlet.debug.hub_prevent_multiple_readers(True)
    if result.returncode:
        raise AssertionError(f"rabbitmqctl {' '.join(args)}: exit {result.returncode}: {said}")


@pytest.fixture
def broker_restart():
    """stop_app / start_app, and start_app again at the end whatever the test did."""
    try:
        rabbitmqctl("status")
    except (OSError, AssertionError) as error:
        pytest.fail(f"rabbitmqctl is needed to restart the broker (run the tests as the broker's admin): {error}")
    yield lambda: rabbitmqctl("stop_app"), lambda: rabbitmqctl("start_app")
    rabbitmqctl("start_app")
    rabbitmqctl("await_startup")


def test_a_broker_restart_mid_stream_loses_nothing(district, broker_restart):
    registry, booking, registry_url, booking_url = district
    stop, start = broker_restart
    booking.start()
    for n in range(30):
        call(registry, "register_facility", facility(n))
    wait_for(lambda: len(handled_ids(booking_url)) >= 10, timeout=60, message="booking under way")
    stop()
    for n in range(30, FACILITIES):  # stored while the broker is down: the outbox keeps them
        call(registry, "register_facility", facility(n))
    time.sleep(1.0)
    start()
    rabbitmqctl("await_startup")
    wait_for(lambda: len(handled_ids(booking_url)) == FACILITIES, timeout=180,
             message=f"booking to catch up after the broker restart (log: {booking.log()[-4000:]})")
    booking.stop()
    assert assert_each_facility_event_took_effect_once(registry_url, booking_url) == FACILITIES
    before = read_models(booking_url)
    assert replayed_read_models(booking_url, booking_projections()) == before
