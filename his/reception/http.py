"""Reception over HTTP: the JSON API, the front-desk page and the printed ticket."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter, URLEncodedBody
from litestar.response import Redirect

from his.catalogs import api as catalogs
from his.kernel.audit.service import AuditEntry
from his.kernel.clock import local_date
from his.kernel.errors import DomainError, InvalidInput
from his.kernel.hospital import get_hospital
from his.kernel.runtime import Kernel
from his.kernel.web.context import context_of
from his.kernel.web.guard import requires
from his.kernel.web.render import render_page, translator_for
from his.patients import api as patients
from his.reception import api, service
from his.reception.schemas import CancelIn, VisitIn, VisitOut
from his.reception.ticket import ticket_pdf

REGISTER = requires("reception.register")
READ = requires("reception.read")
QUEUE = requires("reception.queue")
EXAM_SERVICE_GROUP = "Khám bệnh"


class StatusIn(msgspec.Struct, forbid_unknown_fields=True):
    status: str
    reason: str | None = None


def _kernel(request: Request[Any, Any, Any]) -> Kernel:
    kernel: Kernel = request.app.state["kernel"]
    return kernel


@post("/visits", opt=REGISTER, status_code=201, summary="Register a visit and take a ticket for the room")
async def api_register(request: Request[Any, Any, Any], data: JSONBody[VisitIn]) -> VisitOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        visit = await service.register_visit(session, kernel.clock, kernel.settings.hospital, ctx.audit_actor(), data)
        return await api.visit_out(session, visit)


@get("/visits/{visit_id:int}", opt=READ)
async def api_visit(request: Request[Any, Any, Any], visit_id: FromPath[int]) -> VisitOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        visit = await api.get_visit(session, visit_id=visit_id)
        # The visit names its patient: a read of patient data, audited with the patient's id.
        await kernel.audit(
            ctx.audit_actor(),
            AuditEntry(
                action="visit.read", object_type="visit", object_id=visit.code, patient_id=str(visit.patient_id)
            ),
            session,
        )
        return visit


@post("/visits/{visit_id:int}/status", opt=QUEUE, status_code=200)
async def api_status(request: Request[Any, Any, Any], visit_id: FromPath[int], data: JSONBody[StatusIn]) -> VisitOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        visit = await service.change_status(
            session, kernel.clock, ctx.audit_actor(), visit_id, data.status, data.reason
        )
        return await api.visit_out(session, visit)


@post("/visits/{visit_id:int}/cancel", opt=REGISTER, status_code=200)
async def api_cancel(request: Request[Any, Any, Any], visit_id: FromPath[int], data: JSONBody[CancelIn]) -> VisitOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        visit = await service.change_status(
            session, kernel.clock, ctx.audit_actor(), visit_id, "cancelled", data.reason
        )
        return await api.visit_out(session, visit)


@get("/rooms/{room_code:str}/queue", opt=QUEUE)
async def api_queue(
    request: Request[Any, Any, Any], room_code: FromPath[str], day: FromQuery[date | None] = None
) -> list[VisitOut]:
    kernel = _kernel(request)
    ctx = context_of(request)
    on = day or local_date(kernel.clock.now())
    async with kernel.db.transaction() as session:
        queue = await api.room_queue(session, room_code=room_code, day=on)
        await kernel.audit(
            ctx.audit_actor(),
            AuditEntry(
                action="queue.read",
                object_type="room",
                object_id=room_code,
                detail=f"{on.isoformat()}: patients " + ",".join(str(v.patient_id) for v in queue)[:400],
            ),
            session,
        )
        return queue


async def _ticket_labels(request: Request[Any, Any, Any]) -> dict[str, str]:
    _ = translator_for(_kernel(request), context_of(request))
    return {
        "room": _("Room"),
        "number": _("Queue number"),
        "insurance": _("Health insurance"),
        "self_pay": _("Self-paying"),
        "please_wait": _("Please wait until your number is called"),
    }


@get("/reception/visits/{visit_id:int}/ticket.pdf", opt=REGISTER, include_in_schema=False)
async def ticket(request: Request[Any, Any, Any], visit_id: FromPath[int]) -> Response[bytes]:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        visit = await api.get_visit(session, visit_id=visit_id)
        hospital = await get_hospital(session, kernel.settings.hospital)
        await kernel.audit(
            ctx.audit_actor(),
            AuditEntry(
                action="visit.ticket", object_type="visit", object_id=visit.code, patient_id=str(visit.patient_id)
            ),
            session,
        )
    content = ticket_pdf(visit, hospital_name=hospital.name, labels=await _ticket_labels(request))
    headers = {"Content-Disposition": f'inline; filename="ticket-{visit.code}.pdf"'}
    return Response(content, media_type="application/pdf", headers=headers)


async def _desk_values(kernel: Kernel) -> dict[str, Any]:
    day = local_date(kernel.clock.now())
    async with kernel.db.transaction() as session:
        rooms = await catalogs.search(session, kind="clinic-rooms", as_of=day, limit=200)
        services = await catalogs.search(session, kind="services", q=EXAM_SERVICE_GROUP, as_of=day, limit=200)
    exam_services = [s for s in services.items if getattr(s, "group", "") == EXAM_SERVICE_GROUP]
    return {"rooms": rooms.items, "services": exam_services}


@get("/reception", opt=REGISTER, include_in_schema=False)
async def desk(
    request: Request[Any, Any, Any],
    patient: Annotated[str | None, QueryParameter(max_length=40)] = None,
    registered: FromQuery[int | None] = None,
) -> Response[str]:
    kernel = _kernel(request)
    values = await _desk_values(kernel)
    found = None
    error = None
    visit = None
    async with kernel.db.transaction() as session:
        if patient:
            try:
                found = await patients.get_patient_by_code(session, code=patient.strip().upper())
            except DomainError as err:
                error = kernel.translator.gettext(context_of(request).locale, err.message, err.params or None)
        if registered:
            visit = await api.get_visit(session, visit_id=registered)
    return await render_page(
        request, "reception/desk.html", patient=found, error=error, visit=visit, form={}, errors={}, **values
    )


@post("/reception", opt=REGISTER, include_in_schema=False)
async def desk_register(request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, str]]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    try:
        patient_id = int(data.get("patient_id", "0") or "0")
        visit_in = VisitIn(
            patient_id=patient_id,
            room_code=data.get("room_code", ""),
            service_code=data.get("service_code", ""),
            kind=data.get("kind", "outpatient"),
            reason=data.get("reason", ""),
            referral_from=data.get("referral_from") or None,
            referral_number=data.get("referral_number") or None,
        )
        async with kernel.db.transaction() as session:
            visit = await service.register_visit(
                session, kernel.clock, kernel.settings.hospital, ctx.audit_actor(), visit_in
            )
    except (DomainError, ValueError) as err:
        if isinstance(err, ValueError):
            err = InvalidInput("Choose the patient first", field="patient_id")
        message = kernel.translator.gettext(ctx.locale, err.message, err.params or None)
        field = getattr(err, "field", None) or "form"
        async with kernel.db.transaction() as session:
            try:
                found = await patients.get_patient(session, patient_id=int(data.get("patient_id") or 0))
            except (DomainError, ValueError):
                found = None
        values = await _desk_values(kernel)
        return await render_page(
            request,
            "reception/desk.html",
            status_code=422,
            patient=found,
            error=None,
            visit=None,
            form=data,
            errors={field: message},
            **values,
        )
    return Redirect(f"/reception?registered={visit.id}", status_code=303)


def api_router() -> Router:
    return Router(
        path="/api/v1/reception",
        route_handlers=[api_register, api_visit, api_status, api_cancel, api_queue],
        tags=["reception"],
    )


PAGE_HANDLERS = (ticket, desk, desk_register)
