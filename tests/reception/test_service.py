"""Registering visits on both databases; ticket numbers under concurrent desks."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from his.kernel.audit.models import AuditRecord
from his.kernel.errors import Conflict, InvalidInput, NotFound
from his.kernel.runtime import Kernel
from his.reception import api, service
from his.reception.schemas import VisitIn
from tests.reception.conftest import DESK, Hospital

pytestmark = pytest.mark.criterion(32)


async def register(kernel: Kernel, data: VisitIn) -> int:
    async with kernel.db.transaction() as session:
        visit = await service.register_visit(session, kernel.clock, kernel.settings.hospital, DESK, data)
        return visit.id


async def test_a_visit_gets_a_ticket_a_route_and_a_claim_code(kernel: Kernel, hospital: Hospital) -> None:
    first = await register(
        kernel, VisitIn(patient_id=hospital.insured_here, room_code="PK-NOI1", service_code="DV01001")
    )
    second = await register(
        kernel, VisitIn(patient_id=hospital.insured_elsewhere, room_code="PK-NOI1", service_code="DV01001")
    )
    other_room = await register(
        kernel, VisitIn(patient_id=hospital.uninsured, room_code="PK-NHI1", service_code="DV01002")
    )
    async with kernel.db.transaction() as session:
        a, b, c = [await api.get_visit(session, visit_id=v) for v in (first, second, other_room)]
        audited = (await session.scalars(select(AuditRecord).where(AuditRecord.action == "visit.register"))).all()
    assert (a.ticket_number, b.ticket_number, c.ticket_number) == (1, 2, 1)
    assert (a.route, b.route, c.route) == ("registered", "wrong", "none")
    assert a.card_number == "DN4797912345678" and c.card_number is None
    assert a.code.startswith("00000" + hospital.today.strftime("%Y%m%d"))
    assert {r.patient_id for r in audited} == {
        str(hospital.insured_here),
        str(hospital.insured_elsewhere),
        str(hospital.uninsured),
    }


async def test_referral_and_emergency_routes(kernel: Kernel, hospital: Hospital) -> None:
    referred = await register(
        kernel,
        VisitIn(
            patient_id=hospital.insured_elsewhere,
            room_code="PK-NOI1",
            service_code="DV01001",
            referral_from="79001",
            referral_number="CT-2026-15",
        ),
    )
    emergency = await register(
        kernel,
        VisitIn(patient_id=hospital.insured_elsewhere, room_code="PK-NOI1", service_code="DV01001", kind="emergency"),
    )
    async with kernel.db.transaction() as session:
        assert (await api.get_visit(session, visit_id=referred)).route == "referral"
        assert (await api.get_visit(session, visit_id=emergency)).route == "emergency"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"room_code": "PK-XXX"}, "room_code"),
        ({"service_code": "DV99999"}, "service_code"),
        ({"kind": "inpatient"}, "kind"),
        ({"referral_from": "123", "referral_number": "CT-1"}, "referral_from"),
    ],
)
async def test_bad_input_names_the_field_and_takes_no_number(
    kernel: Kernel, hospital: Hospital, change: dict[str, str], field: str
) -> None:
    data = {"patient_id": hospital.insured_here, "room_code": "PK-NOI1", "service_code": "DV01001", **change}
    with pytest.raises(InvalidInput) as refused:
        await register(kernel, VisitIn(**data))  # type: ignore[arg-type]
    assert refused.value.field == field
    # The refused registration used no number: the next visit still gets 1.
    visit_id = await register(
        kernel, VisitIn(patient_id=hospital.insured_here, room_code="PK-NOI1", service_code="DV01001")
    )
    async with kernel.db.transaction() as session:
        assert (await api.get_visit(session, visit_id=visit_id)).ticket_number == 1


async def test_unknown_patient_is_not_found(kernel: Kernel, hospital: Hospital) -> None:
    with pytest.raises(NotFound):
        await register(kernel, VisitIn(patient_id=999_999, room_code="PK-NOI1", service_code="DV01001"))


async def test_queue_moves_forward_only_and_cancelling_needs_a_reason(kernel: Kernel, hospital: Hospital) -> None:
    visit_id = await register(
        kernel, VisitIn(patient_id=hospital.insured_here, room_code="PK-NOI1", service_code="DV01001")
    )
    async with kernel.db.transaction() as session:
        await service.change_status(session, kernel.clock, DESK, visit_id, "in_exam")
        await service.change_status(session, kernel.clock, DESK, visit_id, "finished")
    with pytest.raises(Conflict):
        async with kernel.db.transaction() as session:
            await service.change_status(session, kernel.clock, DESK, visit_id, "waiting")
    other = await register(kernel, VisitIn(patient_id=hospital.uninsured, room_code="PK-NOI1", service_code="DV01001"))
    with pytest.raises(InvalidInput):
        async with kernel.db.transaction() as session:
            await service.change_status(session, kernel.clock, DESK, other, "cancelled", " ")


async def test_fifty_desks_at_once_get_fifty_consecutive_numbers(kernel: Kernel, hospital: Hospital) -> None:
    """On PostgreSQL the registrations truly run in parallel connections; numbers stay unique and gapless."""
    patients = [hospital.insured_here, hospital.insured_elsewhere, hospital.uninsured]

    async def one(index: int) -> int:
        return await register(
            kernel, VisitIn(patient_id=patients[index % 3], room_code="PK-NOI1", service_code="DV01001")
        )

    ids = await asyncio.gather(*(one(i) for i in range(50)))
    async with kernel.db.transaction() as session:
        numbers = sorted([(await api.get_visit(session, visit_id=v)).ticket_number for v in ids])
    assert numbers == list(range(1, 51))
