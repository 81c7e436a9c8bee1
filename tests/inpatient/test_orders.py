"""Orders of his.orders placed for a stay: on the treatment sheet under their day, charged to the stay's account
by the outbox handler (once, however often the event comes), the charge cancelled with the order."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from his.billing import api as billing
from his.inpatient import api, service
from his.inpatient.handlers import event_handlers
from his.inpatient.schemas import AdmitIn
from his.kernel.events import OutboxEvent
from his.kernel.events.dispatcher import deliver_until_idle
from his.kernel.events.models import OutboxRecord
from his.kernel.events.outbox import as_event
from his.kernel.runtime import Kernel
from his.orders import api as orders
from his.orders import service as orders_service
from his.orders.schemas import OrderItemIn, PlaceIn
from tests.inpatient.conftest import WARD_DOCTOR, WARD_DOCTOR_ACTOR, Ward

pytestmark = pytest.mark.criterion(39)


async def test_an_order_for_the_stay_is_on_the_sheet_and_charged_once(ward_kernel: Kernel, ward: Ward) -> None:
    async with ward_kernel.db.transaction() as session:
        stay = await service.admit(
            ward_kernel,
            session,
            WARD_DOCTOR_ACTOR,
            WARD_DOCTOR,
            AdmitIn(source="direct", patient_id=ward.patients.insured, department_code="KNOI", icd10_code="J18.9"),
        )
        stay_id, code = stay.id, stay.code
        placed = await orders.place_orders(
            session,
            kernel=ward_kernel,
            actor=WARD_DOCTOR_ACTOR,
            username=WARD_DOCTOR.username,
            full_name=WARD_DOCTOR.full_name,
            data=PlaceIn(
                context_type="inpatient",
                context_id=stay_id,
                items=[OrderItemIn("XN0001")],
                patient_id=ward.patients.insured,
                visit_code=code,
            ),
        )
    handlers = event_handlers()
    await deliver_until_idle(ward_kernel, handlers)
    async with ward_kernel.db.transaction() as session:
        sheet = await api.treatment_sheet(session, stay_id=stay_id)
        assert [o.service_code for day in sheet for o in day.orders] == ["XN0001"]
        summary = await billing.account_summary(session, kernel=ward_kernel, encounter_ref=code)
        assert [(line.code, line.source_ref) for line in summary.lines] == [("XN0001", f"order:{placed[0].id}")]
        # A second delivery of the same event changes nothing.
        for handler in handlers:
            event = await _placed_event(session, placed[0].id)
            await handler.handle(ward_kernel, session, event)
        summary = await billing.account_summary(session, kernel=ward_kernel, encounter_ref=code)
        assert len(summary.lines) == 1
        await orders_cancel(ward_kernel, session, placed[0].id)
    await deliver_until_idle(ward_kernel, handlers)
    async with ward_kernel.db.transaction() as session:
        summary = await billing.account_summary(session, kernel=ward_kernel, encounter_ref=code)
        assert summary.lines == []


async def _placed_event(session: AsyncSession, order_id: int) -> OutboxEvent:
    rows = await session.scalars(select(OutboxRecord).where(OutboxRecord.event_type == "orders.OrderPlaced"))
    return next(as_event(row) for row in rows if f'"order_id":{order_id},' in row.payload)


async def orders_cancel(kernel: Kernel, session: AsyncSession, order_id: int) -> None:
    staff = orders_service.Staff(WARD_DOCTOR.username, WARD_DOCTOR.full_name)
    await orders_service.cancel(kernel, session, WARD_DOCTOR_ACTOR, staff, order_id, "Bác sĩ đổi chỉ định")


async def test_the_clinical_record_shows_the_stay_and_its_orders(ward_kernel: Kernel, ward: Ward) -> None:
    async with ward_kernel.db.transaction() as session:
        stay = await service.admit(
            ward_kernel,
            session,
            WARD_DOCTOR_ACTOR,
            WARD_DOCTOR,
            AdmitIn(source="direct", patient_id=ward.patients.insured, department_code="KNOI", icd10_code="J18.9"),
        )
        await orders.place_orders(
            session,
            kernel=ward_kernel,
            actor=WARD_DOCTOR_ACTOR,
            username=WARD_DOCTOR.username,
            full_name=WARD_DOCTOR.full_name,
            data=PlaceIn(
                context_type="inpatient",
                context_id=stay.id,
                items=[OrderItemIn("XN0001")],
                patient_id=ward.patients.insured,
                visit_code=stay.code,
            ),
        )
    async with ward_kernel.db.transaction() as session:
        record = await orders.patient_record(session, patient_id=ward.patients.insured)
    assert [(s.code, s.admission_icd10, s.status) for s in record.stays] == [(stay.code, "J18.9", "admitted")]
    assert [(o.context_type, o.service_code) for o in record.orders] == [("inpatient", "XN0001")]
