from collections import Counter
from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.alerts.domain import alerts as a
from services.alerts.domain.deduplication import IGNORE, RAISE, REPEAT, alert_id_for, resolved, take
from tests.unit.alerts.builders import SOS, T0, minutes


def signals(burst, *offsets, window=minutes(5)):
    """The actions of signals of one key at T0 + each offset (minutes), and the burst after them."""
    actions = []
    for offset in offsets:
        burst, action = take(burst, "btn-1", "sos", T0 + minutes(offset), window)
        actions.append(action)
    return burst, actions


def test_a_burst_is_one_alert_and_its_repeats():
    burst, actions = signals(None, 0, 0.1, 0.5, 3)
    assert actions == [RAISE, REPEAT, REPEAT, REPEAT]
    assert burst.alert_id == alert_id_for("btn-1", "sos", T0) and burst.last_at == T0 + minutes(3)


def test_an_open_alert_takes_every_repeat_however_late():
    assert signals(None, 0, 60, 600)[1] == [RAISE, REPEAT, REPEAT]


def test_a_retried_delivery_of_the_same_signal_is_not_a_repeat():
    assert signals(None, 0, 0)[1] == [RAISE, IGNORE]


def test_after_resolution_the_tail_is_ignored_within_the_window_and_a_later_signal_raises_anew():
    burst, _ = signals(None, 0, 1)
    burst, actions = signals(resolved(burst), 2, 6)  # 1 and 5 minutes after the last counted one
    assert actions == [IGNORE, IGNORE]
    later, [action] = signals(burst, 6.01)
    assert action == RAISE and later.alert_id != burst.alert_id and later.open


def test_the_tail_does_not_stretch_the_window():
    burst, _ = signals(None, 0)
    assert signals(resolved(burst), 4, 8)[1] == [IGNORE, RAISE]


def test_the_window_is_configurable():
    burst, _ = signals(None, 0)
    assert signals(resolved(burst), 2, window=minutes(1))[1] == [RAISE]


def test_keys_do_not_mix_and_ids_are_derived():
    burst, _ = take(None, "btn-1", "sos", T0)
    other, action = take(None, "btn-1", "fall", T0)
    assert action == RAISE and other.alert_id != burst.alert_id
    assert alert_id_for("btn-1", "sos", T0) == burst.alert_id != alert_id_for("btn-2", "sos", T0)


steps = st.lists(st.tuples(st.sampled_from(["sos", "fall"]), st.integers(0, 900), st.booleans()), max_size=40)


@settings(max_examples=200)
@given(steps)
def test_never_more_than_one_open_alert_per_device_and_kind_and_no_signal_lost(steps):
    """Signals in time order (gaps in seconds), some alerts acknowledged and resolved along the way."""
    bursts, histories, states, kinds, ignored, now = {}, {}, {}, {}, 0, T0
    for kind, gap, resolve in steps:
        now += timedelta(seconds=gap)
        bursts[kind], action = take(bursts.get(kind), "btn-1", kind, now)
        alert_id = bursts[kind].alert_id
        if action == RAISE:
            kinds[alert_id] = kind
            histories[alert_id] = a.alert.run([], replace(SOS, alert_id=alert_id, kind=kind, at=now))[1]
        elif action == REPEAT:
            histories[alert_id] += a.alert.run(histories[alert_id], a.RecordRepeat(alert_id, now))[1]
        else:
            ignored += 1
        if resolve and bursts[kind].open:
            for command in (a.AcknowledgeAlert(alert_id, "li", "village", now),
                            a.ResolveAlert(alert_id, "li", "village", "assisted", "", now)):
                histories[alert_id] += a.alert.run(histories[alert_id], command)[1]
            bursts[kind] = resolved(bursts[kind])
        states = {alert_id: a.alert.fold(history) for alert_id, history in histories.items()}
        open_alerts = Counter(kinds[alert_id] for alert_id, state in states.items() if state.status != "resolved")
        assert max(open_alerts.values(), default=0) <= 1
    assert sum(1 + state.repeats for state in states.values()) + ignored == len(steps)
