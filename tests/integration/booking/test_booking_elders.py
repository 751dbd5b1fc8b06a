"""What booking knows of the registry's elders (``booking_elders``, on real SQLite): every elder it
hears of, the newest version of each whatever the order the events arrive in."""
import itertools
import uuid

import pytest
import sqlalchemy as sa

from shared.events import Event
from services.booking import elders

ELDER = str(uuid.uuid4())
REGISTERED = Event(type="eldernet.registry.ElderRegistered", source="/eldernet/xinfu/registry", subject="s",
                   stream_id=f"elder-{ELDER}", stream_version=1, origin_node="xinfu", area_code="210402003001",
                   data={"elder_id": ELDER, "home_area_code": "210402003001", "name": "王秀英"})
MOVED = REGISTERED.replace(type="eldernet.registry.ElderMoved", stream_version=2,
                           data={"elder_id": ELDER, "from_area_code": "210402003001",
                                 "home_area_code": "210402004001"})


@pytest.fixture
def conn(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'booking.db'}")
    elders.elders_table.create(engine)
    with engine.begin() as connection:
        yield connection
    engine.dispose()


@pytest.mark.parametrize("order", list(itertools.permutations([REGISTERED, MOVED, MOVED])))
def test_the_newest_word_on_an_elder_wins_whatever_the_order(conn, order):
    assert not elders.is_known(conn, ELDER)
    for event in order:
        elders.follow(conn, event)
    rows = conn.execute(sa.select(elders.elders_table)).mappings().all()
    assert [dict(r) for r in rows] == [{"elder_id": ELDER, "home_area_code": "210402004001", "version": 2}]
    assert elders.is_known(conn, ELDER)
