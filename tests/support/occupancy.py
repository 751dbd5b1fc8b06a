"""A read model for the example ward domain: residents per ward."""
import sqlalchemy as sa

from shared.projections import Projection

metadata = sa.MetaData()
ward_occupancy = sa.Table(
    "ward_occupancy", metadata,
    sa.Column("ward_id", sa.String(64), primary_key=True),
    sa.Column("beds", sa.Integer, nullable=False),
    sa.Column("residents", sa.Integer, nullable=False),
)


class WardOccupancy(Projection):
    name = "ward_occupancy"
    tables = (ward_occupancy,)
    handles = frozenset({"eldernet.test.WardOpened", "eldernet.test.ElderAdmitted", "eldernet.test.ElderDischarged"})

    def apply(self, conn, event):
        ward_id = event.data["ward_id"]
        if event.type == "eldernet.test.WardOpened":
            conn.execute(ward_occupancy.insert().values(ward_id=ward_id, beds=event.data["beds"], residents=0))
            return
        change = 1 if event.type == "eldernet.test.ElderAdmitted" else -1
        conn.execute(ward_occupancy.update().where(ward_occupancy.c.ward_id == ward_id)
                     .values(residents=ward_occupancy.c.residents + change))


def occupancy(conn):
    return {r.ward_id: (r.beds, r.residents) for r in conn.execute(sa.select(ward_occupancy))}
