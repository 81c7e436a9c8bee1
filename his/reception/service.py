"""Reception use cases: register a visit with its ticket, move it through the queue, cancel it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from his.catalogs import api as catalogs
from his.kernel.audit.service import AuditActor, AuditEntry, append_audit
from his.kernel.clock import Clock, local_date
from his.kernel.errors import Conflict, InvalidInput, NotFound
from his.kernel.hospital import get_hospital
from his.patients import api as patients
from his.reception.models import TicketCounter, Visit
from his.reception.rules import (
    VISIT_KINDS,
    CardOnDay,
    Referral,
    VisitKind,
    claimed_route,
    referral_problems,
    visit_code,
)
from his.reception.schemas import VisitIn
from his.settings import HospitalDefaults

# The queue moves forward only; a cancelled or finished visit stays where it is.
_NEXT_STATUS = {"waiting": {"in_exam", "cancelled"}, "in_exam": {"finished", "waiting", "cancelled"}}


async def next_ticket(session: AsyncSession, *, room_code: str, day: date) -> int:
    """Takes the room's next number for the day. One atomic upsert: the row stays locked until the
    visit commits, so concurrent desks get consecutive numbers, and a rolled-back visit frees its number."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(TicketCounter)
        .values(room_code=room_code, day=day, last_number=1)
        .on_conflict_do_update(index_elements=["room_code", "day"], set_={"last_number": TicketCounter.last_number + 1})
        .returning(TicketCounter.last_number)
    )
    return int((await session.execute(statement)).scalar_one())


def _referral_of(data: VisitIn) -> Referral | None:
    if not (data.referral_from or data.referral_number):
        return None
    return Referral((data.referral_from or "").strip(), (data.referral_number or "").strip())


async def register_visit(
    session: AsyncSession, clock: Clock, hospital_defaults: HospitalDefaults, actor: AuditActor, data: VisitIn
) -> Visit:
    if data.kind not in VISIT_KINDS:
        raise InvalidInput("Unknown kind of visit: {kind}", field="kind", kind=data.kind)
    now = clock.now()
    day = local_date(now)
    patient = await patients.get_patient(session, patient_id=data.patient_id)
    if patient.merged_into_id is not None:
        raise Conflict("This record was merged into another; register the visit on that record")
    room = await catalogs.get_clinic_room(session, code=data.room_code, as_of=day)
    if room is None:
        raise InvalidInput("No clinic room {code} in force today", field="room_code", code=data.room_code)
    service = await catalogs.get_service(session, code=data.service_code, as_of=day)
    if service is None:
        raise InvalidInput("No service {code} in force today", field="service_code", code=data.service_code)
    facility = (await get_hospital(session, hospital_defaults)).facility_code
    referral = _referral_of(data)
    for field, message in referral_problems(referral, facility):
        raise InvalidInput(message, field=field)
    card_out = await patients.active_card(session, patient_id=patient.id, on=day)
    card = (
        CardOnDay(
            card_out.card_number,
            card_out.benefit_level,
            card_out.initial_facility_code,
            card_out.valid_from,
            card_out.valid_to,
        )
        if card_out is not None
        else None
    )
    kind: VisitKind = "emergency" if data.kind == "emergency" else "outpatient"
    claim = claimed_route(kind=kind, card=card, day=day, facility_code=facility, referral=referral)
    number = await next_ticket(session, room_code=room.code, day=day)
    usable = claim.route != "none"
    visit = Visit(
        code=f"pending-{room.code}-{day:%Y%m%d}-{number}",
        patient_id=patient.id,
        kind=kind,
        room_code=room.code,
        service_code=service.code,
        ticket_day=day,
        ticket_number=number,
        status="waiting",
        route=claim.route,
        card_number=card.card_number if card and usable else None,
        card_benefit_level=card.benefit_level if card and usable else None,
        card_facility_code=card.initial_facility_code if card and usable else None,
        card_valid_to=card.valid_to if card and usable else None,
        referral_from=referral.from_facility if referral else None,
        referral_number=referral.paper_number if referral else None,
        reason=data.reason.strip()[:500],
        registered_at=now,
        registered_by=actor.username or "",
    )
    session.add(visit)
    await session.flush()
    visit.code = visit_code(facility, day, visit.id)
    await session.flush()
    await append_audit(
        session,
        clock,
        actor,
        AuditEntry(
            action="visit.register",
            object_type="visit",
            object_id=visit.code,
            patient_id=str(patient.id),
            detail=f"room {room.code} ticket {number}; route {claim.route}",
        ),
    )
    return visit


async def get_visit_row(session: AsyncSession, visit_id: int, *, for_update: bool = False) -> Visit:
    # FOR UPDATE makes a second desk or doctor wait, then see the status the first one committed.
    visit = await session.get(Visit, visit_id, with_for_update=for_update, populate_existing=for_update)
    if visit is None:
        raise NotFound("No visit {id}", id=visit_id)
    return visit


async def change_status(
    session: AsyncSession, clock: Clock, actor: AuditActor, visit_id: int, status: str, reason: str | None = None
) -> Visit:
    visit = await get_visit_row(session, visit_id, for_update=True)
    if status not in _NEXT_STATUS.get(visit.status, set()):
        raise Conflict("A visit that is {current} cannot become {wanted}", current=visit.status, wanted=status)
    if status == "cancelled":
        if not (reason or "").strip():
            raise InvalidInput("Give the reason for cancelling", field="reason")
        visit.cancelled_reason = (reason or "").strip()[:300]
    visit.status = status
    await session.flush()
    await append_audit(
        session,
        clock,
        actor,
        AuditEntry(
            action=f"visit.{status}",
            object_type="visit",
            object_id=visit.code,
            patient_id=str(visit.patient_id),
            detail=reason,
        ),
    )
    return visit


async def room_queue(session: AsyncSession, *, room_code: str, day: date) -> list[Visit]:
    rows = await session.scalars(
        select(Visit).where(Visit.room_code == room_code, Visit.ticket_day == day).order_by(Visit.ticket_number)
    )
    return list(rows.all())
