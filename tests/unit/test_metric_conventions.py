"""The checks behind the metrics scrape test and the Prometheus/Grafana file tests, on names that
break each convention, and the documented set itself (docs/metrics.md)."""
import pytest

from tests.support.metrics_doc import documented_metrics, label_problems, naming_problems, promql_metric_names


def test_docs_metrics_table_is_read_and_follows_the_conventions():
    documented = documented_metrics()
    assert documented["eldernet_events_dead_lettered_total"] == ("counter", frozenset({"handler", "stage"}))
    assert documented["eldernet_outbox_backlog"] == ("gauge", frozenset())
    problems = [p for name, (kind, labels) in documented.items()
                for p in naming_problems(name, kind) + label_problems(name, dict.fromkeys(labels, ""))]
    assert problems == []


@pytest.mark.parametrize("name, kind, complaint", [
    ("eldernet_bookings", "counter", "_total"),
    ("eldernet_open_alerts_total", "gauge", "only counters"),
    ("eldernet_handler_milliseconds", "histogram", "base units"),
    ("eldernet_sync_lag", "gauge", "seconds"),
    ("eldernet_claim_amount", "histogram", "unit"),
    ("eldernetBookings_total", "counter", "snake_case"),
])
def test_names_breaking_a_convention_are_named(name, kind, complaint):
    assert any(complaint in p for p in naming_problems(name, kind)), naming_problems(name, kind)


def test_good_names_pass():
    assert naming_problems("eldernet_billing_subsidy_priced_fen_total", "counter") == []
    assert naming_problems("eldernet_sync_last_forwarded_timestamp_seconds", "gauge") == []
    assert naming_problems("eldernet_alert_acknowledge_seconds", "histogram") == []


def test_labels_that_could_hold_an_id_are_named():
    assert label_problems("m", {"elder_id": "x"}) and label_problems("m", {"facility": "x"})
    assert label_problems("m", {"handler": "3f2b9c1e-8d4a-4c7e-9b1f-2a6d5e8c0b7a"})
    assert label_problems("m", {"who": "21040219450101123X"})
    assert label_problems("m", {"node": "xinfu", "link": "up:fushun", "type": "eldernet.booking.BookingConfirmed",
                                "stage": "handler", "outcome": "priced"}) == []


def test_metric_names_are_found_in_promql():
    expr = ('sum by (node) (rate(eldernet_events_appended_total{node=~"$node", type!="x"}[5m])) / '
            'histogram_quantile(0.95, sum by (le) (rate(eldernet_handler_seconds_bucket[${__rate_interval}]))) '
            '> on (node) group_left max_over_time(eldernet_outbox_backlog[15m]) and up == 0 or time() - 3600')
    assert promql_metric_names(expr) == {"eldernet_events_appended_total", "eldernet_handler_seconds_bucket",
                                         "eldernet_outbox_backlog", "up"}
