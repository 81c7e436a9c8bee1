"""Outbox consumers of the inpatient module: an order placed for a stay is charged to the stay's account.

his.orders charges outpatient orders itself and leaves inpatient ones (`charged=False`) to the stay's billing:
this handler posts the charge when the order is placed and cancels it when the order is cancelled. Idempotent: the
charge carries `source_ref="order:<id>"`, so a second delivery finds it and does nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from his.billing import api as billing
from his.billing.schemas import ChargeIn
from his.inpatient import service
from his.kernel.audit.service import AuditActor
from his.kernel.clock import local_date
from his.kernel.errors import Conflict, NotFound
from his.kernel.events import EventHandler, OutboxEvent, decode
from his.kernel.runtime import Kernel
from his.orders.events import OrderCancelled, OrderPlaced

ORDER_PLACED, ORDER_CANCELLED = "orders.OrderPlaced", "orders.OrderCancelled"


def _actor(username: str) -> AuditActor:
    return AuditActor(user_id=None, username=username, role="system", client_ip=None, request_id="outbox")


async def _charge_of(session: AsyncSession, kernel: Kernel, stay_code: str, order_id: int) -> int | None:
    """The live charge of the order on the stay's account, or None."""
    summary = await billing.account_summary(session, kernel=kernel, encounter_ref=stay_code)
    return next((line.charge_id for line in summary.lines if line.source_ref == f"order:{order_id}"), None)


async def handle_order_event(kernel: Kernel, session: AsyncSession, event: OutboxEvent) -> None:
    if event.event_type == ORDER_PLACED:
        await _placed(kernel, session, decode(event, OrderPlaced))
    elif event.event_type == ORDER_CANCELLED:
        await _cancelled(kernel, session, decode(event, OrderCancelled))


async def _placed(kernel: Kernel, session: AsyncSession, order: OrderPlaced) -> None:
    if order.context_type != "inpatient" or order.charged or not order.visit_code:
        return
    stay = await service.find_stay_by_code(session, order.visit_code)
    if stay is None or await _charge_of(session, kernel, stay.code, order.order_id) is not None:
        return
    try:
        await billing.post_charge(
            session,
            kernel=kernel,
            actor=_actor(order.ordered_by),
            encounter_ref=stay.code,
            charge=ChargeIn(
                source_kind="service",
                code=order.service_code,
                name=order.service_name,
                quantity=Decimal(1),
                unit_price_hospital=order.hospital_price,
                unit_price_bhyt=order.bhyt_price,
                in_bhyt_list=order.bhyt_price is not None,
                service_date=local_date(order.ordered_at),
                source_ref=f"order:{order.order_id}",
            ),
        )
    except (Conflict, NotFound):  # a closed account: the cashier settles the order by hand
        return


async def _cancelled(kernel: Kernel, session: AsyncSession, order: OrderCancelled) -> None:
    if not order.visit_code or await service.find_stay_by_code(session, order.visit_code) is None:
        return
    found = await _charge_of(session, kernel, order.visit_code, order.order_id)
    if found is None:
        return
    try:
        await billing.cancel_charge(
            session, kernel=kernel, actor=_actor(order.cancelled_by), charge_id=found, reason="Hủy chỉ định"
        )
    except (Conflict, NotFound):  # already cancelled, or on a receipt: the cashier refunds by hand
        return


def event_handlers() -> list[EventHandler]:
    return [EventHandler("inpatient.order_charges", (ORDER_PLACED, ORDER_CANCELLED), handle_order_event)]
