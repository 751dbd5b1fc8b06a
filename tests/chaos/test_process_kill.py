"""A service process killed with SIGKILL in the middle of handling a stream of events, then
restarted: every event the registry stored takes effect in booking exactly once, and booking's
read models equal a replay of its store from scratch."""
import eventlet

from services.booking.projections import booking_projections
from tests.chaos.conftest import facility
from tests.chaos.exactly_once import (assert_each_facility_event_took_effect_once, handled_ids, read_models,
                                      replayed_read_models)
from tests.support.broker import wait_for
from tests.support.nodes import call

FACILITIES = 120


def test_booking_killed_mid_stream_and_restarted_takes_every_event_once(district):
    registry, booking, registry_url, booking_url = district
    booking.start()
    writer = eventlet.spawn(lambda: [call(registry, "register_facility", facility(n)) for n in range(FACILITIES)])
    wait_for(lambda: len(handled_ids(booking_url)) >= 20, timeout=60,
             message="booking handling the registry's facilities")
    booking.kill()  # mid-stream: the registry goes on registering, the rest waits in the queue
    killed_at = len(handled_ids(booking_url))
    writer.wait()
    assert killed_at < FACILITIES, "the kill came after the stream ended; the case proves nothing"

    booking.start()
    wait_for(lambda: len(handled_ids(booking_url)) == FACILITIES, timeout=120,
             message=f"booking to catch up after the restart (log: {booking.log()[-4000:]})")
    booking.stop()
    assert assert_each_facility_event_took_effect_once(registry_url, booking_url) == FACILITIES
    before = read_models(booking_url)
    assert any(before.values()), "booking's read models are empty: nothing to compare"
    assert replayed_read_models(booking_url, booking_projections()) == before
