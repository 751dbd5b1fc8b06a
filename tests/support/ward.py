"""A small example domain used by the kernel's tests and benchmarks: the beds of one ward.

It is written exactly as a service's domain module should be: plain dataclasses for commands
and events, decide() and evolve(), no I/O; plus its marshmallow schemas, kept apart.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from marshmallow import Schema, fields, post_load

from shared.aggregate import Decider, Rejected
from shared.schemas import EventRegistry


# -- commands ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpenWard:
    ward_id: str
    beds: int
    at: datetime


@dataclass(frozen=True)
class AdmitElder:
    ward_id: str
    elder_id: str
    at: datetime


@dataclass(frozen=True)
class DischargeElder:
    ward_id: str
    elder_id: str
    at: datetime


# -- events -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class WardOpened:
    ward_id: str
    beds: int


@dataclass(frozen=True)
class ElderAdmitted:
    ward_id: str
    elder_id: str


@dataclass(frozen=True)
class ElderDischarged:
    ward_id: str
    elder_id: str


# -- state ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ward:
    opened: bool = False
    beds: int = 0
    residents: frozenset = frozenset()


def decide(state: Ward, command) -> list:
    if isinstance(command, OpenWard):
        if state.opened:
            raise Rejected("the ward is already open", field="ward_id")
        if command.beds <= 0:
            raise Rejected("a ward needs at least one bed", field="beds")
        return [WardOpened(command.ward_id, command.beds)]
    if not state.opened:
        raise Rejected("no such ward", field="ward_id")
    if isinstance(command, AdmitElder):
        if command.elder_id in state.residents:
            return []  # already admitted: admitting again changes nothing
        if len(state.residents) >= state.beds:
            raise Rejected("no free bed", field="ward_id")
        return [ElderAdmitted(command.ward_id, command.elder_id)]
    if isinstance(command, DischargeElder):
        if command.elder_id not in state.residents:
            raise Rejected("the elder is not a resident", field="elder_id")
        return [ElderDischarged(command.ward_id, command.elder_id)]
    raise TypeError(f"unknown command {command!r}")


def evolve(state: Ward, event) -> Ward:
    if isinstance(event, WardOpened):
        return replace(state, opened=True, beds=event.beds)
    if isinstance(event, ElderAdmitted):
        return replace(state, residents=state.residents | {event.elder_id})
    if isinstance(event, ElderDischarged):
        return replace(state, residents=state.residents - {event.elder_id})
    return state


ward = Decider(category="ward", initial=Ward, decide=decide, evolve=evolve)


# -- schemas ----------------------------------------------------------------------------------
class WardOpenedSchema(Schema):
    ward_id = fields.String(required=True)
    beds = fields.Integer(required=True, strict=True)

    @post_load
    def make(self, data, **kwargs):
        return WardOpened(**data)


class ResidentSchema(Schema):
    ward_id = fields.String(required=True)
    elder_id = fields.String(required=True)


class ElderAdmittedSchema(ResidentSchema):
    @post_load
    def make(self, data, **kwargs):
        return ElderAdmitted(**data)


class ElderDischargedSchema(ResidentSchema):
    @post_load
    def make(self, data, **kwargs):
        return ElderDischarged(**data)


def ward_events() -> EventRegistry:
    registry = EventRegistry()
    registry.register("eldernet.test.WardOpened", WardOpened, WardOpenedSchema())
    registry.register("eldernet.test.ElderAdmitted", ElderAdmitted, ElderAdmittedSchema())
    registry.register("eldernet.test.ElderDischarged", ElderDischarged, ElderDischargedSchema())
    return registry
