"""Orders over HTTP: the JSON API under /api/v1/orders and /api/v1/cdr, the order entry, the performing
department's worklist, result entry, the doctor's live results and the patient's clinical record.
Thin: every rule lives in rules.py and service.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get, post, put
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Redirect, ServerSentEvent, ServerSentEventMessage
from sqlalchemy.ext.asyncio import AsyncSession

from his.catalogs import api as catalogs
from his.catalogs.schemas import ServiceEntry
from his.kernel.audit.service import AuditEntry
from his.kernel.clock import local_date, vietnam_zone
from his.kernel.errors import DomainError, InvalidInput, NotFound
from his.kernel.i18n import lazy as _
from his.kernel.runtime import Kernel
from his.kernel.web.context import RequestContext, context_of
from his.kernel.web.guard import requires
from his.kernel.web.render import render_fragment, render_page
from his.orders import api, rules, service
from his.orders.schemas import (
    AnalyteOut,
    AttachmentOut,
    ChangeOut,
    OrderableOut,
    OrderOut,
    PanelOut,
    PatientRecordOut,
    PlaceIn,
    ReasonIn,
    ResultIn,
    ResultsIn,
)
from his.outpatient import api as outpatient
from his.reception import api as reception

PLACE = requires("orders.place")
READ = requires("orders.read")
PERFORM = requires("orders.perform")
VERIFY = requires("orders.verify")
CANCEL = requires("orders.cancel")
ACKNOWLEDGE = requires("orders.acknowledge")
RECORD = requires("orders.record", reads_patient="patient_id")
MAX_QUERY = 100
SEARCH_LIMIT = 20
POLL_SECONDS = 0.5
STREAM_SECONDS = 300  # then the browser reconnects (EventSource does, sending Last-Event-ID)
EXTRA_RESULT_ROWS = 3


def _kernel(request: Request[Any, Any, Any]) -> Kernel:
    kernel: Kernel = request.app.state["kernel"]
    return kernel


def _staff(ctx: RequestContext) -> service.Staff:
    actor = ctx.require_actor()
    return service.Staff(actor.username, actor.full_name)


def _translate(kernel: Kernel, ctx: RequestContext, message: str, params: dict[str, Any] | None = None) -> str:
    return kernel.translator.gettext(ctx.locale, message, params or None)


async def _audit_read(kernel: Kernel, ctx: RequestContext, session: AsyncSession, orders: Sequence[OrderOut]) -> None:
    """A read of orders and results, audited with each patient's id (criterion 116)."""
    for patient_id in sorted({o.patient_id for o in orders}):
        codes = ",".join(o.code for o in orders if o.patient_id == patient_id)
        entry = AuditEntry(
            action="orders.read", object_type="orders_order", object_id=codes[:64], patient_id=str(patient_id)
        )
        await kernel.audit(ctx.audit_actor(), entry, session)


async def _read_order(request: Request[Any, Any, Any], order_id: int) -> OrderOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        order = await api.get_order(session, order_id=order_id)
        await _audit_read(kernel, context_of(request), session, [order])
        return order


def _local_time(moment: datetime | None) -> str:
    return moment.astimezone(vietnam_zone()).strftime("%H:%M %d/%m/%Y") if moment else ""


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=vietnam_zone())
    return start, start + timedelta(days=1)


def _parse_day(text: str | None, kernel: Kernel) -> date:
    if not text:
        return local_date(kernel.clock.now())
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_("Write the date as YYYY-MM-DD"), field="day") from None


def _check_choice(value: str | None, allowed: Sequence[str], field: str) -> str | None:
    if value and value not in allowed:
        raise InvalidInput(_("Unknown value {value}"), field=field, value=value[:20])
    return value or None


async def _orderable(kernel: Kernel, q: str) -> list[OrderableOut]:
    async with kernel.db.transaction() as session:
        page = await catalogs.search(
            session, kind="services", q=q, as_of=local_date(kernel.clock.now()), limit=SEARCH_LIMIT * 3
        )
    found = []
    for entry in page.items:
        if isinstance(entry, ServiceEntry):
            category = rules.category_of_group(entry.group)
            if category is not None:
                found.append(
                    OrderableOut(entry.code, entry.name, entry.group, category, entry.hospital_price, entry.bhyt_price)
                )
    return found[:SEARCH_LIMIT]


async def _worklist(
    kernel: Kernel,
    ctx: RequestContext,
    *,
    department: str,
    status: str | None,
    priority: str | None,
    day: date | None,
    q: str | None,
) -> list[OrderOut]:
    _check_choice(department, rules.CATEGORIES, "department")
    _check_choice(status, rules.STATUSES, "status")
    _check_choice(priority, rules.PRIORITIES, "priority")
    start, end = _day_bounds(day) if day else (None, None)
    async with kernel.db.transaction() as session:
        rows = await service.worklist_rows(
            session,
            category=department,
            statuses=[status] if status else [*rules.OPEN_STATUSES, "resulted"],
            priority=priority,
            ordered_from=start,
            ordered_to=end,
            term=q,
        )
        orders = await api.orders_out(session, rows)
        await _audit_read(kernel, ctx, session, orders)
    return orders


async def _doctor_results(kernel: Kernel, ctx: RequestContext, *, everything: bool) -> tuple[list[OrderOut], int]:
    """(the signed-in doctor's resulted orders, the feed position they are current to)."""
    async with kernel.db.transaction() as session:
        position = await service.latest_change_id(session)
        rows = await service.doctor_rows(session, ctx.require_actor().username, unacknowledged_only=not everything)
        orders = await api.orders_out(session, rows)
        await _audit_read(kernel, ctx, session, orders)
    return orders, position


# ---------------------------------------------------------------- JSON API


@get("/panels", opt=READ, summary="The order sets (panels)")
async def api_panels(request: Request[Any, Any, Any]) -> list[PanelOut]:
    async with _kernel(request).db.transaction() as session:
        return await api.panels(session)


@get("/orderable", opt=PLACE, summary="Services that can be ordered, by name or code (accents optional)")
async def api_orderable(
    request: Request[Any, Any, Any], q: Annotated[str, QueryParameter(min_length=1, max_length=MAX_QUERY)]
) -> list[OrderableOut]:
    return await _orderable(_kernel(request), q)


@get("/analytes/{service_code:str}", opt=READ, summary="What a laboratory service reports, with reference limits")
async def api_analytes(request: Request[Any, Any, Any], service_code: FromPath[str]) -> list[AnalyteOut]:
    async with _kernel(request).db.transaction() as session:
        return await api.analytes(session, service_code=service_code)


@post("/", opt=PLACE, status_code=201, summary="Place orders (services and order sets) for a visit or a stay")
async def api_place(request: Request[Any, Any, Any], data: JSONBody[PlaceIn]) -> list[OrderOut]:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        rows = await service.place_orders(kernel, session, ctx.audit_actor(), _staff(ctx), data)
        return await api.orders_out(session, rows)


@get("/{order_id:int}", opt=READ, summary="One order with its results, attachments and history")
async def api_order(request: Request[Any, Any, Any], order_id: FromPath[int]) -> OrderOut:
    return await _read_order(request, order_id)


@get("/contexts/{context_type:str}/{context_id:int}", opt=READ, summary="The orders of a visit or a stay")
async def api_context_orders(
    request: Request[Any, Any, Any], context_type: FromPath[str], context_id: FromPath[int]
) -> list[OrderOut]:
    _check_choice(context_type, rules.CONTEXT_TYPES, "context_type")
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        orders = await api.orders_of_context(session, context_type=context_type, context_id=context_id)
        await _audit_read(kernel, context_of(request), session, orders)
        return orders


async def _step(request: Request[Any, Any, Any], order_id: int, target: str) -> OrderOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        if target == "verified":
            row = await service.verify(kernel, session, ctx.audit_actor(), _staff(ctx), order_id)
        elif target == "acknowledged":
            row = await service.acknowledge(kernel, session, ctx.audit_actor(), _staff(ctx), order_id)
        else:
            row = await service.advance(kernel, session, ctx.audit_actor(), _staff(ctx), order_id, target)
        return await api.order_out(session, row)


@post("/{order_id:int}/accept", opt=PERFORM, status_code=200, summary="The performing department accepts it")
async def api_accept(request: Request[Any, Any, Any], order_id: FromPath[int]) -> OrderOut:
    return await _step(request, order_id, "accepted")


@post("/{order_id:int}/start", opt=PERFORM, status_code=200, summary="The work (sampling, imaging) has started")
async def api_start(request: Request[Any, Any, Any], order_id: FromPath[int]) -> OrderOut:
    return await _step(request, order_id, "in_progress")


@put("/{order_id:int}/results", opt=PERFORM, summary="Enter or correct the results (until verified)")
async def api_results(request: Request[Any, Any, Any], order_id: FromPath[int], data: JSONBody[ResultsIn]) -> OrderOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        row = await service.record_results(kernel, session, ctx.audit_actor(), _staff(ctx), order_id, data)
        return await api.order_out(session, row)


@post("/{order_id:int}/verify", opt=VERIFY, status_code=200, summary="Verify the results: they become final")
async def api_verify(request: Request[Any, Any, Any], order_id: FromPath[int]) -> OrderOut:
    return await _step(request, order_id, "verified")


@post("/{order_id:int}/cancel", opt=CANCEL, status_code=200, summary="Cancel with a reason (and its charge)")
async def api_cancel(request: Request[Any, Any, Any], order_id: FromPath[int], data: JSONBody[ReasonIn]) -> OrderOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        row = await service.cancel(kernel, session, ctx.audit_actor(), _staff(ctx), order_id, data.reason)
        return await api.order_out(session, row)


@post("/{order_id:int}/acknowledge", opt=ACKNOWLEDGE, status_code=200, summary="The doctor saw the results")
async def api_acknowledge(request: Request[Any, Any, Any], order_id: FromPath[int]) -> OrderOut:
    return await _step(request, order_id, "acknowledged")


async def _attach(request: Request[Any, Any, Any], order_id: int, form: FormMultiDict) -> AttachmentOut:
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput(_("Choose a file to attach"), field="file")
    content = await upload.read()
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        row = await service.add_attachment(
            kernel,
            session,
            ctx.audit_actor(),
            _staff(ctx),
            order_id,
            file_name=upload.filename or "file",
            content_type=upload.content_type or "",
            content=content,
        )
        return api.attachment_out(row)


@post("/{order_id:int}/attachments", opt=PERFORM, status_code=201, summary="Attach a file (multipart field 'file')")
async def api_attach(request: Request[Any, Any, Any], order_id: FromPath[int]) -> AttachmentOut:
    return await _attach(request, order_id, await request.form())


async def _attachment_response(request: Request[Any, Any, Any], order_id: int, attachment_id: int) -> Response[bytes]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        order = await api.get_order(session, order_id=order_id)
        row = await service.get_attachment_row(session, order_id, attachment_id)
        await _audit_read(kernel, context_of(request), session, [order])
    path = service.attachment_path(kernel, row)
    if not path.is_file():
        raise NotFound(_("The file of attachment {id} is missing from the storage"), id=attachment_id)
    return Response(
        path.read_bytes(),
        media_type=row.content_type,
        headers={"content-disposition": f'attachment; filename="{row.id}{path.suffix}"'},
    )


@get("/{order_id:int}/attachments/{attachment_id:int}", opt=READ, summary="Download an attached file")
async def api_attachment(
    request: Request[Any, Any, Any], order_id: FromPath[int], attachment_id: FromPath[int]
) -> Response[bytes]:
    return await _attachment_response(request, order_id, attachment_id)


@get("/worklist", opt=PERFORM, summary="A performing department's orders: stat first, then urgent, then routine")
async def api_worklist(
    request: Request[Any, Any, Any],
    department: Annotated[str, QueryParameter(max_length=16)] = "lab",
    status: Annotated[str | None, QueryParameter(max_length=16)] = None,
    priority: Annotated[str | None, QueryParameter(max_length=8)] = None,
    day: FromQuery[date | None] = None,
    q: Annotated[str | None, QueryParameter(max_length=MAX_QUERY)] = None,
) -> list[OrderOut]:
    kernel = _kernel(request)
    return await _worklist(
        kernel, context_of(request), department=department, status=status, priority=priority, day=day, q=q
    )


@get("/results", opt=READ, summary="The signed-in doctor's orders with results (unacknowledged unless all=true)")
async def api_my_results(request: Request[Any, Any, Any], all: FromQuery[bool] = False) -> list[OrderOut]:
    orders, _position = await _doctor_results(_kernel(request), context_of(request), everything=all)
    return orders


@get("/changes", opt=READ, summary="The numbered feed of order changes after `after` (poll it; mine=true: my orders)")
async def api_changes(
    request: Request[Any, Any, Any], after: FromQuery[int] = 0, mine: FromQuery[bool] = True
) -> list[ChangeOut]:
    kernel = _kernel(request)
    username = context_of(request).require_actor().username if mine else None
    async with kernel.db.transaction() as session:
        rows = await service.changes_after(session, after, ordered_by=username)
    return [ChangeOut(r.id, r.order_id, r.patient_id, r.kind, r.at) for r in rows]


@get("/patients/{patient_id:int}/record", opt=RECORD, summary="The patient's clinical data repository record")
async def api_record(request: Request[Any, Any, Any], patient_id: FromPath[int]) -> PatientRecordOut:
    async with _kernel(request).db.transaction() as session:
        return await api.patient_record(session, patient_id=patient_id)


def api_router() -> Router:
    return Router(
        path="/api/v1/orders",
        route_handlers=[
            api_panels,
            api_orderable,
            api_analytes,
            api_place,
            api_order,
            api_context_orders,
            api_accept,
            api_start,
            api_results,
            api_verify,
            api_cancel,
            api_acknowledge,
            api_attach,
            api_attachment,
            api_worklist,
            api_my_results,
            api_changes,
        ],
        tags=["orders"],
    )


def cdr_router() -> Router:
    return Router(path="/api/v1/cdr", route_handlers=[api_record], tags=["clinical data repository"])


# ---------------------------------------------------------------- pages: order entry


def _message(kernel: Kernel, ctx: RequestContext, error: DomainError) -> str:
    return _translate(kernel, ctx, error.message, error.params)


def _next(form: FormMultiDict, fallback: str) -> str:
    """Where a form returns to: a path on this site only."""
    target = str(form.get("next") or "")
    return target if target.startswith("/") and not target.startswith("//") else fallback


async def _entry_page(
    request: Request[Any, Any, Any], visit_id: int, *, error: str = "", status_code: int = 200
) -> Response[str]:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        visit = await reception.get_visit(session, visit_id=visit_id)
        encounter = await outpatient.find_encounter(session, visit_id=visit_id)
        orders = await api.orders_of_context(session, context_type="outpatient", context_id=visit_id)
        panels = await api.panels(session)
        await kernel.audit(
            ctx.audit_actor(),
            AuditEntry(
                action="orders.read", object_type="visit", object_id=visit.code, patient_id=str(visit.patient_id)
            ),
            session,
        )
    return await render_page(
        request,
        "orders/new.html",
        status_code=status_code,
        visit=visit,
        encounter=encounter,
        orders=orders,
        panels=panels,
        error=error,
        labels=_labels(),
        local_time=_local_time,
    )


def _labels() -> dict[str, dict[str, str]]:
    return {
        "category": rules.CATEGORY_LABELS,
        "priority": rules.PRIORITY_LABELS,
        "status": rules.STATUS_LABELS,
        "flag": rules.FLAG_LABELS,
    }


@get("/orders/new", opt=PLACE, include_in_schema=False)
async def entry_page(request: Request[Any, Any, Any], visit: FromQuery[int]) -> Response[str]:
    return await _entry_page(request, visit)


@post("/orders/new", opt=PLACE, include_in_schema=False)
async def entry_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    try:
        visit_id = int(str(form.get("visit") or ""))
    except ValueError:
        raise InvalidInput(_("Choose the visit to order for"), field="visit") from None
    priority = str(form.get("priority") or "routine")
    try:
        data = msgspec.convert(
            {
                "context_type": "outpatient",
                "context_id": visit_id,
                "items": [{"service_code": str(code)} for code in form.getall("service_code", []) if str(code)],
                "panels": [str(code) for code in form.getall("panel", []) if str(code)],
                "priority": priority,
                "clinical_note": str(form.get("clinical_note") or ""),
                "repeat_reason": str(form.get("repeat_reason") or ""),
            },
            PlaceIn,
        )
    except msgspec.ValidationError:
        error = InvalidInput(rules.MSG_PRIORITY, field="priority", value=priority[:10])
        return await _entry_page(request, visit_id, error=_message(kernel, ctx, error), status_code=422)
    try:
        async with kernel.db.transaction() as session:
            placed = await service.place_orders(kernel, session, ctx.audit_actor(), _staff(ctx), data)
    except DomainError as error:
        status = error.status_code if error.status_code in (404, 409, 422) else 422
        return await _entry_page(request, visit_id, error=_message(kernel, ctx, error), status_code=status)
    return Redirect(f"/orders/new?visit={visit_id}&placed={len(placed)}", status_code=303)


@get("/orders/search", opt=PLACE, include_in_schema=False)
async def search_fragment(
    request: Request[Any, Any, Any], q: Annotated[str | None, QueryParameter(max_length=MAX_QUERY)] = None
) -> Response[str]:
    items = await _orderable(_kernel(request), q) if q and q.strip() else []
    return await render_fragment(request, "orders/_orderable.html", items=items, labels=_labels())


# ---------------------------------------------------------------- pages: the performing department


@get("/orders/worklist", opt=PERFORM, include_in_schema=False)
async def worklist_page(
    request: Request[Any, Any, Any],
    department: Annotated[str, QueryParameter(max_length=16)] = "lab",
    status: Annotated[str | None, QueryParameter(max_length=16)] = None,
    priority: Annotated[str | None, QueryParameter(max_length=8)] = None,
    day: Annotated[str | None, QueryParameter(max_length=10)] = None,
    q: Annotated[str | None, QueryParameter(max_length=MAX_QUERY)] = None,
) -> Response[str]:
    kernel = _kernel(request)
    ctx = context_of(request)
    chosen_day = _parse_day(day, kernel) if day else None
    orders = await _worklist(
        kernel, ctx, department=department, status=status or None, priority=priority or None, day=chosen_day, q=q
    )
    return await render_page(
        request,
        "orders/worklist.html",
        orders=orders,
        department=department,
        status=status or "",
        priority=priority or "",
        day=chosen_day.isoformat() if chosen_day else "",
        q=q or "",
        categories=rules.CATEGORIES,
        statuses=rules.STATUSES,
        priorities=rules.PRIORITIES,
        labels=_labels(),
        local_time=_local_time,
    )


async def _order_page(
    request: Request[Any, Any, Any], order_id: int, *, error: str = "", status_code: int = 200
) -> Response[str]:
    kernel = _kernel(request)
    order = await _read_order(request, order_id)
    async with kernel.db.transaction() as session:
        analytes = await api.analytes(session, service_code=order.service_code)
    entered = {r.code: r for r in order.results if r.code}
    extra = [r for r in order.results if not r.code or r.code not in {a.code for a in analytes}]
    return await render_page(
        request,
        "orders/order.html",
        status_code=status_code,
        order=order,
        analytes=analytes,
        entered=entered,
        extra=extra,
        extra_rows=EXTRA_RESULT_ROWS,
        error=error,
        labels=_labels(),
        local_time=_local_time,
    )


@get("/orders/{order_id:int}", opt=READ, include_in_schema=False)
async def order_page(request: Request[Any, Any, Any], order_id: FromPath[int]) -> Response[str]:
    return await _order_page(request, order_id)


async def _form_step(request: Request[Any, Any, Any], order_id: int, target: str) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    try:
        async with kernel.db.transaction() as session:
            staff = _staff(ctx)
            if target == "cancelled":
                await service.cancel(kernel, session, ctx.audit_actor(), staff, order_id, str(form.get("reason") or ""))
            elif target == "verified":
                await service.verify(kernel, session, ctx.audit_actor(), staff, order_id)
            elif target == "acknowledged":
                await service.acknowledge(kernel, session, ctx.audit_actor(), staff, order_id)
            else:
                await service.advance(kernel, session, ctx.audit_actor(), staff, order_id, target)
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        return await _order_page(request, order_id, error=_message(kernel, ctx, error), status_code=error.status_code)
    return Redirect(_next(form, f"/orders/{order_id}"), status_code=303)


@post("/orders/{order_id:int}/accept", opt=PERFORM, include_in_schema=False)
async def accept_submit(request: Request[Any, Any, Any], order_id: FromPath[int]) -> Response[Any]:
    return await _form_step(request, order_id, "accepted")


@post("/orders/{order_id:int}/start", opt=PERFORM, include_in_schema=False)
async def start_submit(request: Request[Any, Any, Any], order_id: FromPath[int]) -> Response[Any]:
    return await _form_step(request, order_id, "in_progress")


@post("/orders/{order_id:int}/verify", opt=VERIFY, include_in_schema=False)
async def verify_submit(request: Request[Any, Any, Any], order_id: FromPath[int]) -> Response[Any]:
    return await _form_step(request, order_id, "verified")


@post("/orders/{order_id:int}/cancel", opt=CANCEL, include_in_schema=False)
async def cancel_submit(request: Request[Any, Any, Any], order_id: FromPath[int]) -> Response[Any]:
    return await _form_step(request, order_id, "cancelled")


@post("/orders/{order_id:int}/acknowledge", opt=ACKNOWLEDGE, include_in_schema=False)
async def acknowledge_submit(request: Request[Any, Any, Any], order_id: FromPath[int]) -> Response[Any]:
    return await _form_step(request, order_id, "acknowledged")


def _results_in(form: FormMultiDict) -> ResultsIn:
    """The form's rows: defined analytes by code (their limits come from the definition) and free rows, whose
    value is kept as text when it is not a number. Empty rows are left out."""
    columns = ("code", "name", "unit", "value", "ref_low", "ref_high")
    values = {column: [str(v) for v in form.getall(column, [])] for column in columns}
    items: list[ResultIn] = []
    for index in range(len(values["name"])):
        row = {column: values[column][index] if index < len(values[column]) else "" for column in columns}
        if not row["value"].strip() or not row["name"].strip():
            continue
        limits: dict[str, Any] = {}
        for name in ("ref_low", "ref_high"):
            try:
                limits[name] = rules.parse_number(row[name])
            except ValueError:
                raise InvalidInput(rules.MSG_NUMBER, field=name, value=row[name][:20]) from None
        kind = "numeric"
        if not row["code"]:
            try:
                rules.parse_number(row["value"])
            except ValueError:
                kind = "text"
        items.append(
            ResultIn(
                name=row["name"].strip()[:200],
                kind=kind,  # type: ignore[arg-type]
                value=row["value"],
                code=row["code"].strip()[:20],
                unit=row["unit"].strip()[:40],
                **limits,
            )
        )
    return ResultsIn(items=items, report=str(form.get("report") or "")[:20000])


@post("/orders/{order_id:int}/results", opt=PERFORM, include_in_schema=False)
async def results_submit(request: Request[Any, Any, Any], order_id: FromPath[int]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    try:
        data = _results_in(form)
        async with kernel.db.transaction() as session:
            await service.record_results(kernel, session, ctx.audit_actor(), _staff(ctx), order_id, data)
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        return await _order_page(request, order_id, error=_message(kernel, ctx, error), status_code=error.status_code)
    return Redirect(f"/orders/{order_id}#results", status_code=303)


@post("/orders/{order_id:int}/attachments", opt=PERFORM, include_in_schema=False)
async def attach_submit(request: Request[Any, Any, Any], order_id: FromPath[int]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    try:
        await _attach(request, order_id, await request.form())
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        return await _order_page(request, order_id, error=_message(kernel, ctx, error), status_code=error.status_code)
    return Redirect(f"/orders/{order_id}#attachments", status_code=303)


@get("/orders/{order_id:int}/attachments/{attachment_id:int}", opt=READ, include_in_schema=False)
async def attachment_file(
    request: Request[Any, Any, Any], order_id: FromPath[int], attachment_id: FromPath[int]
) -> Response[bytes]:
    return await _attachment_response(request, order_id, attachment_id)


# ---------------------------------------------------------------- pages: the doctor's results, live


@get("/orders/results", opt=READ, include_in_schema=False)
async def results_page(request: Request[Any, Any, Any], all: FromQuery[bool] = False) -> Response[str]:
    orders, position = await _doctor_results(_kernel(request), context_of(request), everything=all)
    return await render_page(
        request,
        "orders/results.html",
        orders=orders,
        position=position,
        everything=all,
        labels=_labels(),
        local_time=_local_time,
    )


@get("/orders/results/rows/{order_id:int}", opt=READ, include_in_schema=False)
async def result_row(request: Request[Any, Any, Any], order_id: FromPath[int]) -> Response[str]:
    order = await _read_order(request, order_id)
    return await render_fragment(
        request, "orders/_result_row.html", order=order, labels=_labels(), local_time=_local_time
    )


@get("/orders/results/stream", opt=READ, include_in_schema=False)
async def results_stream(
    request: Request[Any, Any, Any],
    after: FromQuery[int] = 0,
    seconds: Annotated[int, QueryParameter(ge=1, le=STREAM_SECONDS)] = STREAM_SECONDS,
) -> ServerSentEvent:
    """Server-Sent Events: one `order` event per change to the signed-in doctor's orders, found by polling the
    database's change feed (every worker process answers the same). Sends ids only; the page fetches the row."""
    kernel = _kernel(request)
    username = context_of(request).require_actor().username
    resume = request.headers.get("last-event-id", "")
    start = int(resume) if resume.isdigit() else max(after, 0)

    async def changes() -> AsyncIterator[ServerSentEventMessage]:
        position = start
        deadline = time.monotonic() + seconds
        yield ServerSentEventMessage(data=None, comment="listening", retry=1000)
        while time.monotonic() < deadline:
            async with kernel.db.transaction() as session:
                rows = await service.changes_after(session, position, ordered_by=username)
            for row in rows:
                position = row.id
                payload = msgspec.json.encode({"order_id": row.order_id, "kind": row.kind}).decode()
                yield ServerSentEventMessage(data=payload, event="order", id=row.id)
            if not rows:
                await asyncio.sleep(POLL_SECONDS)

    return ServerSentEvent(changes())


# ---------------------------------------------------------------- the patient's clinical record


@get("/patients/{patient_id:int}/record", opt=RECORD, include_in_schema=False)
async def record_page(request: Request[Any, Any, Any], patient_id: FromPath[int]) -> Response[str]:
    async with _kernel(request).db.transaction() as session:
        record = await api.patient_record(session, patient_id=patient_id)
    return await render_page(request, "orders/record.html", record=record, labels=_labels(), local_time=_local_time)


PAGE_HANDLERS = (
    entry_page,
    entry_submit,
    search_fragment,
    worklist_page,
    order_page,
    accept_submit,
    start_submit,
    verify_submit,
    cancel_submit,
    acknowledge_submit,
    results_submit,
    attach_submit,
    attachment_file,
    results_page,
    result_row,
    results_stream,
    record_page,
)
