from datetime import datetime, timezone

import pytest

from shared.aggregate import Rejected
from tests.support.ward import (AdmitElder, DischargeElder, ElderAdmitted, ElderDischarged, OpenWard,
                                WardOpened, ward)

AT = datetime(2026, 11, 23, 8, tzinfo=timezone.utc)


def test_decide_then_evolve():
    state, events = ward.run([], OpenWard("w1", 2, AT))
    assert events == [WardOpened("w1", 2)]
    state, events = ward.run([WardOpened("w1", 2)], AdmitElder("w1", "e1", AT))
    assert events == [ElderAdmitted("w1", "e1")]
    assert state.residents == {"e1"}


def test_state_is_rebuilt_by_folding_history():
    history = [WardOpened("w1", 2), ElderAdmitted("w1", "e1"), ElderAdmitted("w1", "e2"), ElderDischarged("w1", "e1")]
    state = ward.fold(history)
    assert state.residents == {"e2"} and state.beds == 2


def test_a_full_ward_rejects_naming_the_field():
    history = [WardOpened("w1", 1), ElderAdmitted("w1", "e1")]
    with pytest.raises(Rejected) as error:
        ward.run(history, AdmitElder("w1", "e2", AT))
    assert error.value.field == "ward_id" and "no free bed" in str(error.value)


def test_deciding_does_not_change_the_history():
    history = [WardOpened("w1", 1)]
    ward.run(history, AdmitElder("w1", "e1", AT))
    assert history == [WardOpened("w1", 1)]


def test_idempotent_command_decides_nothing():
    assert ward.run([WardOpened("w1", 1), ElderAdmitted("w1", "e1")], AdmitElder("w1", "e1", AT))[1] == []


def test_unknown_resident_cannot_be_discharged():
    with pytest.raises(Rejected) as error:
        ward.run([WardOpened("w1", 1)], DischargeElder("w1", "e9", AT))
    assert error.value.field == "elder_id"


def test_stream_ids_are_category_prefixed():
    assert ward.stream_id("w1") == "ward-w1"
