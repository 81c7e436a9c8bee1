"""Reception's public face for other modules (outpatient, billing, claims): visits as Structs, never rows."""

from __future__ import annotations

from datetime import date

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from his.catalogs import api as catalogs
from his.kernel.audit.service import AuditActor
from his.kernel.clock import Clock
from his.kernel.errors import NotFound
from his.patients import api as patients
from his.reception import service
from his.reception.models import Visit
from his.reception.rules import ROUTE_REASONS
from his.reception.schemas import VisitOut


async def visit_out(session: AsyncSession, visit: Visit) -> VisitOut:
    patient = await patients.get_patient(session, patient_id=visit.patient_id)
    room = await catalogs.get_clinic_room(session, code=visit.room_code, as_of=visit.ticket_day)
    return VisitOut(
        id=visit.id,
        code=visit.code,
        patient_id=visit.patient_id,
        patient_code=patient.code,
        patient_name=patient.full_name,
        kind=visit.kind,
        room_code=visit.room_code,
        room_name=room.name if room else visit.room_code,
        service_code=visit.service_code,
        ticket_day=visit.ticket_day,
        ticket_number=visit.ticket_number,
        status=visit.status,
        route=visit.route,
        route_reason=ROUTE_REASONS[visit.route],
        card_number=visit.card_number,
        card_benefit_level=visit.card_benefit_level,
        registered_at=visit.registered_at,
    )


async def get_visit(session: AsyncSession, *, visit_id: int) -> VisitOut:
    return await visit_out(session, await service.get_visit_row(session, visit_id))


async def get_visit_by_code(session: AsyncSession, *, code: str) -> VisitOut:
    """The visit by its claim code (MA_LK), as printed and scanned; NotFound if there is none."""
    visit = await session.scalar(select(Visit).where(Visit.code == code.strip()))
    if visit is None:
        raise NotFound("No visit {id}", id=code.strip()[:40])
    return await visit_out(session, visit)


async def finished_visits(session: AsyncSession, *, date_from: date, date_to: date) -> list[VisitOut]:
    """Visits finished at the desk whose ticket day is in [date_from, date_to] (both included), oldest first."""
    rows = await session.scalars(
        select(Visit)
        .where(Visit.status == "finished", Visit.ticket_day >= date_from, Visit.ticket_day <= date_to)
        .order_by(Visit.ticket_day, Visit.id)
    )
    return [await visit_out(session, visit) for visit in rows.all()]


async def room_queue(session: AsyncSession, *, room_code: str, day: date) -> list[VisitOut]:
    return [
        await visit_out(session, visit) for visit in await service.room_queue(session, room_code=room_code, day=day)
    ]


async def change_status(
    session: AsyncSession,
    clock: Clock,
    actor: AuditActor,
    *,
    visit_id: int,
    status: str,
    reason: str | None = None,
) -> VisitOut:
    """Moves a visit through the queue (waiting → in_exam → finished, or cancelled); audited."""
    visit = await service.change_status(session, clock, actor, visit_id, status, reason)
    return await visit_out(session, visit)


class VisitFlowRow(msgspec.Struct, frozen=True):
    """One visit as statistics count it: no patient data, only where and when it queued and how it ended."""

    id: int
    code: str
    kind: str  # outpatient | emergency
    room_code: str
    ticket_day: date
    status: str  # waiting | in_exam | finished | cancelled


async def visit_flow(session: AsyncSession, *, date_from: date, date_to: date) -> list[VisitFlowRow]:
    """Every visit (any status) whose ticket day is in [date_from, date_to] (both included), oldest first, in one
    query: what daily-flow statistics count, without the per-visit patient and room look-ups of `visit_out`."""
    rows = await session.execute(
        select(Visit.id, Visit.code, Visit.kind, Visit.room_code, Visit.ticket_day, Visit.status)
        .where(Visit.ticket_day >= date_from, Visit.ticket_day <= date_to)
        .order_by(Visit.ticket_day, Visit.id)
    )
    return [
        VisitFlowRow(id=id_, code=code, kind=kind, room_code=room, ticket_day=day, status=status)
        for id_, code, kind, room, day, status in rows.all()
    ]
