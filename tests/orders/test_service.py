"""Orders through their service: the lifecycle kept as history, cancellation with a reason, results flagged by
their reference ranges, acknowledgement, the charge on the visit's account and the events in the outbox."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest
from sqlalchemy import select

from his.billing import api as billing
from his.kernel.errors import Conflict, InvalidInput, NotFound
from his.kernel.events.models import OutboxRecord
from his.kernel.runtime import Kernel
from his.orders import api, service
from his.orders.events import OrderCancelled, OrderPlaced, ResultFinal
from his.orders.schemas import OrderItemIn, PlaceIn, ResultIn, ResultsIn
from tests.orders.conftest import (
    CHEST_XRAY,
    DOCTOR,
    DOCTOR_ACTOR,
    ELECTROLYTES,
    GLUCOSE,
    LAB,
    LAB_ACTOR,
    Clinic,
)

pytestmark = [pytest.mark.criterion(37), pytest.mark.criterion(38)]


async def place(kernel: Kernel, clinic: Clinic, **fields: object) -> list[int]:
    data = msgspec.convert({"context_type": "outpatient", "context_id": clinic.visit, **fields}, PlaceIn)
    async with kernel.db.transaction() as session:
        rows = await service.place_orders(kernel, session, DOCTOR_ACTOR, DOCTOR, data)
        return [row.id for row in rows]


async def outbox(kernel: Kernel) -> list[OutboxRecord]:
    async with kernel.db.transaction() as session:
        return list(await session.scalars(select(OutboxRecord).order_by(OutboxRecord.id)))


async def results(kernel: Kernel, order_id: int, *items: ResultIn, report: str = "") -> None:
    async with kernel.db.transaction() as session:
        await service.record_results(kernel, session, LAB_ACTOR, LAB, order_id, ResultsIn(list(items), report))


async def step(kernel: Kernel, order_id: int, target: str) -> None:
    async with kernel.db.transaction() as session:
        if target == "verified":
            await service.verify(kernel, session, LAB_ACTOR, LAB, order_id)
        else:
            await service.advance(kernel, session, LAB_ACTOR, LAB, order_id, target)


async def test_an_order_set_expands_is_charged_and_announced(kernel: Kernel, clinic: Clinic) -> None:
    ids = await place(
        kernel,
        clinic,
        panels=["BMP"],
        items=[{"service_code": GLUCOSE}, {"service_code": CHEST_XRAY}],
        priority="urgent",
    )
    async with kernel.db.transaction() as session:
        orders = [await api.get_order(session, order_id=i) for i in ids]
        account = await billing.account_summary(session, kernel=kernel, encounter_ref=clinic.visit_code)
    # Glucose is in the panel and ordered alone too: ordered once, as part of the panel.
    assert [o.service_code for o in orders] == [GLUCOSE, ELECTROLYTES, CHEST_XRAY]
    glucose, electrolytes, xray = orders
    assert glucose.panel_code == "BMP" and glucose.specimen == "Máu, ống Heparin"
    assert xray.category == "imaging" and xray.specimen == "" and xray.panel_code is None
    assert {o.priority for o in orders} == {"urgent"}
    assert {o.status for o in orders} == {"placed"}
    assert electrolytes.code == f"YL{electrolytes.id:08d}"
    assert electrolytes.hospital_price == 32000 and electrolytes.bhyt_price == 29000
    # The visit's account holds the exam and one charge per order, referenced to it.
    charged = {line.source_ref: line for line in account.lines}
    assert charged[f"order:{electrolytes.id}"].code == ELECTROLYTES
    assert charged[f"order:{electrolytes.id}"].charge_id == electrolytes.charge_id
    assert {f"order:{i}" for i in ids} <= set(charged)
    # One OrderPlaced per order, with the price a billing consumer needs.
    placed = [msgspec.json.decode(r.payload, type=OrderPlaced) for r in await outbox(kernel)]
    assert [p.order_id for p in placed] == ids
    assert placed[1].hospital_price == 32000 and placed[1].charged and placed[1].visit_code == clinic.visit_code


async def test_the_lifecycle_is_kept_as_history_and_the_final_result_published(kernel: Kernel, clinic: Clinic) -> None:
    (order_id,) = await place(kernel, clinic, items=[{"service_code": ELECTROLYTES}])
    with pytest.raises(Conflict):
        await results(kernel, order_id, ResultIn(name="Kali", code="K", value="4.0"))  # not accepted yet
    await step(kernel, order_id, "accepted")
    await step(kernel, order_id, "in_progress")
    await results(
        kernel,
        order_id,
        ResultIn(name="Natri", code="NA", value="138"),
        ResultIn(name="Kali", code="K", value="6,8"),
        ResultIn(name="Nhận xét", kind="text", value="Mẫu không vỡ hồng cầu"),
    )
    await step(kernel, order_id, "verified")
    with pytest.raises(Conflict):
        await step(kernel, order_id, "accepted")
    async with kernel.db.transaction() as session:
        order = await api.get_order(session, order_id=order_id)
    assert order.status == "verified" and order.verified_by == "ktvxn"
    assert [(h.from_status, h.to_status, h.by_username) for h in order.history] == [
        (None, "placed", "bacsi"),
        ("placed", "accepted", "ktvxn"),
        ("accepted", "in_progress", "ktvxn"),
        ("in_progress", "resulted", "ktvxn"),
        ("resulted", "verified", "ktvxn"),
    ]
    sodium, potassium, comment = order.results
    assert (sodium.flag, sodium.unit, sodium.reference_range) == ("", "mmol/L", "135 - 145")
    assert (potassium.value, potassium.flag) == ("6.8", "HH")
    assert comment.kind == "text" and comment.flag == ""
    assert order.flag == "HH"
    final = [r for r in await outbox(kernel) if r.event_type == "orders.ResultFinal"]
    event = msgspec.json.decode(final[0].payload, type=ResultFinal)
    assert event.order_id == order_id and event.ordered_by == "bacsi"
    assert [(v.code, v.value, v.flag) for v in event.results] == [
        ("NA", "138", ""),
        ("K", "6.8", "HH"),
        ("", "Mẫu không vỡ hồng cầu", ""),
    ]


async def test_cancelling_needs_a_reason_and_cancels_the_charge(kernel: Kernel, clinic: Clinic) -> None:
    first, second = await place(kernel, clinic, items=[{"service_code": GLUCOSE}, {"service_code": CHEST_XRAY}])
    async with kernel.db.transaction() as session:
        with pytest.raises(InvalidInput):
            await service.cancel(kernel, session, DOCTOR_ACTOR, DOCTOR, first, " x ")
    async with kernel.db.transaction() as session:
        await service.cancel(kernel, session, DOCTOR_ACTOR, DOCTOR, first, "Trùng chỉ định")
        order = await api.get_order(session, order_id=first)
        account = await billing.account_summary(session, kernel=kernel, encounter_ref=clinic.visit_code)
    assert order.status == "cancelled" and order.cancelled_reason == "Trùng chỉ định"
    assert order.history[-1].reason == "Trùng chỉ định" and order.history[-1].by_username == "bacsi"
    refs = {line.source_ref for line in account.lines}
    assert f"order:{first}" not in refs and f"order:{second}" in refs
    cancelled = [r for r in await outbox(kernel) if r.event_type == "orders.OrderCancelled"]
    assert msgspec.json.decode(cancelled[0].payload, type=OrderCancelled).reason == "Trùng chỉ định"
    # A resulted order can no longer be cancelled.
    await step(kernel, second, "accepted")
    await results(kernel, second, report="Bình thường")
    async with kernel.db.transaction() as session:
        with pytest.raises(Conflict):
            await service.cancel(kernel, session, DOCTOR_ACTOR, DOCTOR, second, "Quá muộn")


async def test_acknowledgement_is_recorded_and_a_correction_asks_for_it_again(kernel: Kernel, clinic: Clinic) -> None:
    (order_id,) = await place(kernel, clinic, items=[{"service_code": GLUCOSE}])
    async with kernel.db.transaction() as session:
        with pytest.raises(Conflict):
            await service.acknowledge(kernel, session, DOCTOR_ACTOR, DOCTOR, order_id)
    await step(kernel, order_id, "accepted")
    await results(kernel, order_id, ResultIn(name="Glucose", code="GLU", value="7.2"))
    async with kernel.db.transaction() as session:
        mine = await service.doctor_rows(session, "bacsi", unacknowledged_only=True)
        assert [o.id for o in mine] == [order_id]
        await service.acknowledge(kernel, session, DOCTOR_ACTOR, DOCTOR, order_id)
        first = (await api.get_order(session, order_id=order_id)).acknowledged_at
        await service.acknowledge(kernel, session, DOCTOR_ACTOR, DOCTOR, order_id)  # twice: nothing changes
        order = await api.get_order(session, order_id=order_id)
        assert order.acknowledged_by == "bacsi" and order.acknowledged_at == first
        assert await service.doctor_rows(session, "bacsi", unacknowledged_only=True) == []
    await results(kernel, order_id, ResultIn(name="Glucose", code="GLU", value="2.0"))
    async with kernel.db.transaction() as session:
        order = await api.get_order(session, order_id=order_id)
        changes = await service.changes_after(session, 0, ordered_by="bacsi")
    assert order.acknowledged_at is None and order.flag == "LL"
    assert [c.kind for c in changes] == ["placed", "accepted", "resulted", "acknowledged", "resulted"]


async def test_results_are_checked(kernel: Kernel, clinic: Clinic) -> None:
    (order_id,) = await place(kernel, clinic, items=[{"service_code": GLUCOSE}])
    await step(kernel, order_id, "accepted")
    for bad in (
        ResultIn(name="Glucose", code="GLU", value="bảy"),
        ResultIn(name="Glucose", code="GLU", value=""),
        ResultIn(name="Glucose", value="5", ref_low=Decimal(7), ref_high=Decimal(3)),
    ):
        with pytest.raises(InvalidInput):
            await results(kernel, order_id, bad)
    with pytest.raises(InvalidInput):
        await results(kernel, order_id)  # nothing at all
    # A line the catalog does not define takes the limits it is given.
    await results(kernel, order_id, ResultIn(name="Ceton", unit="mmol/L", value="1.2", ref_high=Decimal("0.6")))
    async with kernel.db.transaction() as session:
        (line,) = (await api.get_order(session, order_id=order_id)).results
    assert (line.flag, line.reference_range) == ("H", "≤ 0.6")


async def test_orders_need_an_open_exam_and_an_orderable_service(kernel: Kernel, clinic: Clinic) -> None:
    with pytest.raises(InvalidInput):
        await place(kernel, clinic)
    with pytest.raises(InvalidInput):
        await place(kernel, clinic, items=[{"service_code": "DV03001"}])  # a bed-day is not ordered
    with pytest.raises(InvalidInput):
        await place(kernel, clinic, items=[{"service_code": "DV99999"}])
    with pytest.raises(InvalidInput):
        await place(kernel, clinic, panels=["NOPE"])
    with pytest.raises(Conflict):
        await place(kernel, clinic, context_id=clinic.waiting_visit, items=[{"service_code": GLUCOSE}])
    with pytest.raises(NotFound):
        await place(kernel, clinic, context_id=999999, items=[{"service_code": GLUCOSE}])
    assert await outbox(kernel) == []


async def test_inpatient_orders_name_their_patient_and_leave_the_charge_to_the_stay(
    kernel: Kernel, clinic: Clinic
) -> None:
    data = PlaceIn(
        context_type="inpatient",
        context_id=77,
        items=[OrderItemIn(GLUCOSE, "stat")],
        patient_id=clinic.other_patient,
        visit_code="NT-0077",
    )
    async with kernel.db.transaction() as session:
        (order,) = await api.place_orders(
            session, kernel=kernel, actor=DOCTOR_ACTOR, username="bacsi", full_name="BS. Lê Văn An", data=data
        )
        listed = await api.orders_of_context(session, context_type="inpatient", context_id=77)
    assert order.patient_name == "Trần Thị Bình" and order.priority == "stat" and order.charge_id is None
    assert [o.id for o in listed] == [order.id]
    (record,) = await outbox(kernel)
    assert msgspec.json.decode(record.payload, type=OrderPlaced).charged is False
    with pytest.raises(InvalidInput):
        async with kernel.db.transaction() as session:
            await service.place_orders(
                kernel, session, DOCTOR_ACTOR, DOCTOR, PlaceIn("inpatient", 78, [OrderItemIn(GLUCOSE)])
            )


async def test_the_worklist_serves_stat_first_and_filters(kernel: Kernel, clinic: Clinic) -> None:
    routine = await place(kernel, clinic, items=[{"service_code": GLUCOSE}])
    stat = await place(kernel, clinic, items=[{"service_code": ELECTROLYTES}], priority="stat")
    xray = await place(kernel, clinic, items=[{"service_code": CHEST_XRAY}])
    async with kernel.db.transaction() as session:
        lab = await service.worklist_rows(session, category="lab", statuses=["placed"])
        imaging = await service.worklist_rows(session, category="imaging", statuses=["placed"])
        only_stat = await service.worklist_rows(session, category="lab", statuses=["placed"], priority="stat")
        by_code = await service.worklist_rows(session, category="lab", statuses=["placed"], term=f"yl{routine[0]:08d}")
    assert [o.id for o in lab] == stat + routine
    assert [o.id for o in imaging] == xray
    assert [o.id for o in only_stat] == stat
    assert [o.id for o in by_code] == routine


async def test_attachments_are_stored_under_the_data_dir(kernel: Kernel, clinic: Clinic) -> None:
    (order_id,) = await place(kernel, clinic, items=[{"service_code": CHEST_XRAY}])
    async with kernel.db.transaction() as session:
        with pytest.raises(Conflict):  # not accepted yet
            await service.add_attachment(
                kernel,
                session,
                LAB_ACTOR,
                LAB,
                order_id,
                file_name="a.pdf",
                content_type="application/pdf",
                content=b"x",
            )
    await step(kernel, order_id, "accepted")
    async with kernel.db.transaction() as session:
        with pytest.raises(InvalidInput):
            await service.add_attachment(
                kernel,
                session,
                LAB_ACTOR,
                LAB,
                order_id,
                file_name="a.exe",
                content_type="application/x-msdownload",
                content=b"MZ",
            )
        row = await service.add_attachment(
            kernel,
            session,
            LAB_ACTOR,
            LAB,
            order_id,
            file_name="../../phim phổi.png",
            content_type="image/png",
            content=b"\x89PNG...",
        )
    path = service.attachment_path(kernel, row)
    assert path.read_bytes() == b"\x89PNG..."
    assert path.is_relative_to(kernel.settings.data_dir / "orders")
    assert row.file_name == "phim phổi.png"
