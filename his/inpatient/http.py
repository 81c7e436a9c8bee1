"""Inpatient over HTTP: the JSON API under /api/v1/inpatient, the bed board, the stay page, the printed papers.
Thin: every rule lives in rules.py and service.py."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import FormMultiDict
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from his.catalogs import api as catalogs
from his.inpatient import api, rules, service
from his.inpatient.pdf import discharge_paper_pdf, treatment_sheet_pdf
from his.inpatient.plugin import medication_checks_of
from his.inpatient.schemas import (
    AdmitIn,
    BedMoveIn,
    BedStatusIn,
    BoardOut,
    DischargeIn,
    MedicationBlockedOut,
    MedicationCheckOut,
    MedicationOrderedOut,
    MedicationOrderIn,
    MedicationOrderOut,
    MedicationStopIn,
    OverrideIn,
    SheetDayOut,
    SheetEntryIn,
    StayOut,
)
from his.kernel.audit.service import AuditEntry
from his.kernel.clock import local_date, vietnam_zone
from his.kernel.errors import Conflict, DomainError, InvalidInput
from his.kernel.hospital import get_hospital
from his.kernel.i18n import lazy as _
from his.kernel.runtime import Kernel
from his.kernel.web.context import RequestContext, context_of
from his.kernel.web.guard import requires
from his.kernel.web.render import render_fragment, render_page
from his.orders import api as orders
from his.orders.schemas import OrderItemIn, PlaceIn
from his.outpatient.checks import CheckAlert, PrescriptionChecks, localized
from his.patients import api as patients

ADMIT = requires("inpatient.admit")
BEDS = requires("inpatient.beds")
SHEET = requires("inpatient.sheet")
MEDICATE = requires("inpatient.medicate")
PROBLEM_JSON = "application/problem+json"
MEDICATION_FIELDS = ("drug_code", "dose_per_time", "times_per_day", "days", "route", "instructions")
SEVERITY_LABELS = {"hard_stop": _("Hard stop"), "warning": _("Warning"), "info": _("Information")}
SEARCH_LIMIT = 15
READ = requires("inpatient.read")
STATUS_LABELS = {
    "free": _("Free"),
    "occupied": _("Occupied"),
    "cleaning": _("Cleaning"),
    "reserved": _("Reserved"),
    "out_of_service": _("Out of service"),
}
OUTCOME_LABELS = {
    "1": _("Cured"),
    "2": _("Improved"),
    "3": _("Unchanged"),
    "4": _("Worse"),
    "5": _("Died"),
    "6": _("Poor prognosis, went home at the family's request"),
    "7": _("Undetermined"),
}
KIND_LABELS = {
    "1": _("Discharged"),
    "2": _("Transferred to another facility for professional reasons"),
    "3": _("Left without permission"),
    "4": _("Discharged at own request"),
    "5": _("Transferred to another facility at the patient's request"),
}


def _kernel(request: Request[Any, Any, Any]) -> Kernel:
    kernel: Kernel = request.app.state["kernel"]
    return kernel


def _staff(ctx: RequestContext) -> service.Doctor:
    actor = ctx.require_actor()
    return service.Doctor(actor.username, actor.full_name)


async def _audit_read(kernel: Kernel, ctx: RequestContext, session: AsyncSession, stay: StayOut, action: str) -> None:
    """A read of one stay (the patient's data), audited with the patient's id (criterion 116)."""
    entry = AuditEntry(action=action, object_type="stay", object_id=stay.code, patient_id=str(stay.patient_id))
    await kernel.audit(ctx.audit_actor(), entry, session)


async def _audit_board(kernel: Kernel, ctx: RequestContext, session: AsyncSession, board: BoardOut) -> None:
    entry = AuditEntry(action="board.read", object_type="department", object_id=board.department_code)
    await kernel.audit(ctx.audit_actor(), entry, session)


# ---------------------------------------------------------------- JSON API


@get("/departments/{department_code:str}/board", opt=BEDS, summary="The bed board of a department")
async def api_board(request: Request[Any, Any, Any], department_code: FromPath[str]) -> BoardOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        board = await api.bed_board(session, department_code=department_code)
        await _audit_board(kernel, context_of(request), session, board)
        return board


@post("/stays", opt=ADMIT, status_code=201, summary="Admit a patient (from an exam, emergency, or directly)")
async def api_admit(request: Request[Any, Any, Any], data: JSONBody[AdmitIn]) -> StayOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        stay = await service.admit(kernel, session, ctx.audit_actor(), _staff(ctx), data)
        return await api.stay_out(session, stay)


@get("/stays/{stay_id:int}", opt=READ, summary="A stay with its bed history")
async def api_stay(request: Request[Any, Any, Any], stay_id: FromPath[int]) -> StayOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        stay = await api.get_stay(session, stay_id=stay_id)
        await _audit_read(kernel, context_of(request), session, stay, "stay.read")
        return stay


@post("/stays/{stay_id:int}/bed", opt=BEDS, status_code=200, summary="Assign a bed, or transfer to another bed")
async def api_bed(request: Request[Any, Any, Any], stay_id: FromPath[int], data: JSONBody[BedMoveIn]) -> StayOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        await _move(kernel, context_of(request), session, stay_id, data.bed_code, data.from_bed_code)
        return await api.get_stay(session, stay_id=stay_id)


async def _move(
    kernel: Kernel, ctx: RequestContext, session: AsyncSession, stay_id: int, bed_code: str, seen: str | None
) -> None:
    stay = await service.get_stay_row(session, stay_id)
    current = (await api.stay_out(session, stay)).bed_code
    if seen is not None and seen.strip() != (current or ""):
        raise Conflict(_("The patient's bed changed meanwhile (now: {bed}): look again"), bed=current or "—")
    if current is None:
        await service.assign_bed(kernel, session, ctx.audit_actor(), stay, bed_code)
    else:
        await service.transfer(kernel, session, ctx.audit_actor(), stay, bed_code)


@post("/beds/{bed_code:str}/status", opt=BEDS, status_code=200, summary="Set a bed free, cleaning, reserved...")
async def api_bed_status(
    request: Request[Any, Any, Any], bed_code: FromPath[str], data: JSONBody[BedStatusIn]
) -> dict[str, str]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        bed = await service.set_bed_status(kernel, session, context_of(request).audit_actor(), bed_code, data.status)
        return {"code": bed.code, "status": bed.status}


@get("/stays/{stay_id:int}/sheet", opt=READ, summary="The treatment sheet, day by day")
async def api_sheet(request: Request[Any, Any, Any], stay_id: FromPath[int]) -> list[SheetDayOut]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        stay = await api.get_stay(session, stay_id=stay_id)
        await _audit_read(kernel, context_of(request), session, stay, "stay.sheet.read")
        return await api.treatment_sheet(session, stay_id=stay_id, today=local_date(kernel.clock.now()))


@post("/stays/{stay_id:int}/sheet", opt=SHEET, status_code=201, summary="Write on the day's treatment sheet")
async def api_sheet_add(
    request: Request[Any, Any, Any], stay_id: FromPath[int], data: JSONBody[SheetEntryIn]
) -> list[SheetDayOut]:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        stay = await service.get_stay_row(session, stay_id)
        await service.add_sheet_entry(kernel, session, ctx.audit_actor(), _staff(ctx), stay, data)
        return await api.treatment_sheet(session, stay_id=stay_id, today=local_date(kernel.clock.now()))


@post("/stays/{stay_id:int}/discharge", opt=ADMIT, status_code=200, summary="Discharge: bed days charged")
async def api_discharge(
    request: Request[Any, Any, Any], stay_id: FromPath[int], data: JSONBody[DischargeIn]
) -> StayOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        stay = await service.get_stay_row(session, stay_id)
        await service.discharge(kernel, session, ctx.audit_actor(), _staff(ctx), stay, data)
        return await api.stay_out(session, stay)


# ---------------------------------------------------------------- medication orders


def _checks(kernel: Kernel) -> PrescriptionChecks:
    return medication_checks_of(kernel.modules)


def _alerts_out(kernel: Kernel, ctx: RequestContext, alerts: list[CheckAlert]) -> list[CheckAlert]:
    """The alerts in the reader's language (the check filled them in the hospital's, for the record)."""
    return localized(alerts, lambda message, params: kernel.translator.gettext(ctx.locale, message, params or None))


async def _audit_blocked(kernel: Kernel, ctx: RequestContext, stay_id: int, blocked: service.MedicationBlocked) -> None:
    """The refused order is audited after the rollback: the doctor saw these hard stops."""
    async with kernel.db.transaction() as session:
        stay = await api.get_stay(session, stay_id=stay_id)
        await kernel.audit(
            ctx.audit_actor(),
            AuditEntry(
                action="medication.blocked",
                outcome="refused",
                object_type="stay",
                object_id=stay.code,
                patient_id=str(stay.patient_id),
                detail=", ".join(f"{a.source}:{a.ref}" for a in blocked.blocking)[:500],
            ),
            session,
        )


async def _order(
    kernel: Kernel, ctx: RequestContext, stay_id: int, data: MedicationOrderIn
) -> tuple[MedicationOrderOut, list[CheckAlert]]:
    async with kernel.db.transaction() as session:
        stay = await service.get_stay_row(session, stay_id)
        row, alerts = await service.order_medication(
            kernel, session, ctx.audit_actor(), _staff(ctx), stay, data, _checks(kernel)
        )
        return api.medication_order_out(row), alerts


@get("/stays/{stay_id:int}/medications", opt=READ, summary="The stay's medication orders, running and stopped")
async def api_medications(request: Request[Any, Any, Any], stay_id: FromPath[int]) -> list[MedicationOrderOut]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        stay = await api.get_stay(session, stay_id=stay_id)
        await _audit_read(kernel, context_of(request), session, stay, "stay.medications.read")
        return await api.medication_orders_of_stay(session, stay_id=stay_id)


@post(
    "/stays/{stay_id:int}/medications",
    opt=MEDICATE,
    status_code=201,
    summary="Order a medication; 409 lists the decision-support hard stops to override with a reason",
    responses={
        409: ResponseSpec(
            data_container=MedicationBlockedOut,
            description="Not ordered: `alerts` holds every alert; override the hard stops with `overrides`",
            media_type=PROBLEM_JSON,
        )
    },
)
async def api_medication_order(
    request: Request[Any, Any, Any], stay_id: FromPath[int], data: JSONBody[MedicationOrderIn]
) -> Response[MedicationOrderedOut | MedicationBlockedOut]:
    kernel = _kernel(request)
    ctx = context_of(request)
    try:
        order, alerts = await _order(kernel, ctx, stay_id, data)
    except service.MedicationBlocked as blocked:
        await _audit_blocked(kernel, ctx, stay_id, blocked)
        body = MedicationBlockedOut(
            type="about:blank",
            title=kernel.translator.gettext(ctx.locale, "Conflict"),
            status=409,
            detail=kernel.translator.gettext(ctx.locale, blocked.message, blocked.params),
            instance=request.url.path,
            request_id=ctx.request_id,
            alerts=_alerts_out(kernel, ctx, blocked.alerts),
        )
        return Response(body, status_code=409, media_type=PROBLEM_JSON, headers={"Content-Language": ctx.locale})
    return Response(MedicationOrderedOut(order, _alerts_out(kernel, ctx, alerts)), status_code=201)


async def _check(kernel: Kernel, stay_id: int, data: MedicationOrderIn, *, partial: bool = False) -> list[CheckAlert]:
    async with kernel.db.transaction() as session:
        stay = await service.get_stay_row(session, stay_id)
        day = data.start_day or local_date(kernel.clock.now())
        line = await service.medication_line(
            session, data.drug_code, data.dose_per_time, data.times_per_day, data.days, data.route, day, partial=partial
        )
        return await _checks(kernel).run(await service.medication_draft(session, stay, [line], day))


@post(
    "/stays/{stay_id:int}/medications/check",
    opt=MEDICATE,
    status_code=200,
    summary="The decision-support alerts an order would raise; nothing is written",
)
async def api_medication_check(
    request: Request[Any, Any, Any], stay_id: FromPath[int], data: JSONBody[MedicationOrderIn]
) -> MedicationCheckOut:
    kernel = _kernel(request)
    return MedicationCheckOut(_alerts_out(kernel, context_of(request), await _check(kernel, stay_id, data)))


@post(
    "/stays/{stay_id:int}/medications/{order_id:int}/stop",
    opt=MEDICATE,
    status_code=200,
    summary="Stop a running medication order, with the reason",
)
async def api_medication_stop(
    request: Request[Any, Any, Any], stay_id: FromPath[int], order_id: FromPath[int], data: JSONBody[MedicationStopIn]
) -> MedicationOrderOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        stay = await service.get_stay_row(session, stay_id)
        row = await service.stop_medication(
            kernel, session, ctx.audit_actor(), _staff(ctx), stay, order_id, data.reason
        )
        return api.medication_order_out(row)


def api_router() -> Router:
    return Router(
        path="/api/v1/inpatient",
        route_handlers=[
            api_board,
            api_admit,
            api_stay,
            api_bed,
            api_bed_status,
            api_sheet,
            api_sheet_add,
            api_medications,
            api_medication_order,
            api_medication_check,
            api_medication_stop,
            api_discharge,
        ],
        tags=["inpatient"],
    )


# ---------------------------------------------------------------- printed papers


async def _paper_facts(kernel: Kernel, ctx: RequestContext, stay_id: int, action: str) -> tuple[Any, ...]:
    async with kernel.db.transaction() as session:
        stay = await api.get_stay(session, stay_id=stay_id)
        patient = await patients.get_patient(session, patient_id=stay.patient_id)
        hospital = await get_hospital(session, kernel.settings.hospital)
        department = await catalogs.get_department(session, code=stay.department_code)
        days = await api.treatment_sheet(session, stay_id=stay_id, today=local_date(kernel.clock.now()))
        await _audit_read(kernel, ctx, session, stay, action)
    return stay, patient, hospital, department.name if department else stay.department_code, days


@get("/inpatient/stays/{stay_id:int}/discharge-paper.pdf", opt=READ, include_in_schema=False)
async def discharge_paper(request: Request[Any, Any, Any], stay_id: FromPath[int]) -> Response[bytes]:
    kernel = _kernel(request)
    stay, patient, hospital, department, _days = await _paper_facts(
        kernel, context_of(request), stay_id, "stay.discharge_paper"
    )
    if stay.status != "discharged":
        raise InvalidInput(_("The patient is not discharged yet"))
    headers = {"Content-Disposition": f'inline; filename="giay-ra-vien-{stay.code}.pdf"'}
    return Response(
        discharge_paper_pdf(stay, patient, hospital, department), media_type="application/pdf", headers=headers
    )


@get("/inpatient/stays/{stay_id:int}/treatment-sheet.pdf", opt=READ, include_in_schema=False)
async def sheet_pdf(request: Request[Any, Any, Any], stay_id: FromPath[int]) -> Response[bytes]:
    kernel = _kernel(request)
    stay, patient, hospital, department, days = await _paper_facts(
        kernel, context_of(request), stay_id, "stay.sheet.print"
    )
    headers = {"Content-Disposition": f'inline; filename="to-dieu-tri-{stay.code}.pdf"'}
    content = treatment_sheet_pdf(stay, patient, hospital, department, days)
    return Response(content, media_type="application/pdf", headers=headers)


# ---------------------------------------------------------------- pages


def _translate(kernel: Kernel, ctx: RequestContext, error: DomainError) -> str:
    return kernel.translator.gettext(ctx.locale, error.message, error.params or None)


@get("/inpatient", opt=READ, include_in_schema=False)
async def home_page(
    request: Request[Any, Any, Any],
    source: Annotated[str | None, QueryParameter(max_length=16)] = None,
    visit_id: Annotated[int | None, QueryParameter(ge=1)] = None,
) -> Response[str]:
    """The patients in the hospital and the admission form; `?source=outpatient&visit_id=N` (the exam page's
    "admit" link) fills the form in."""
    form = {"source": source, "visit_id": str(visit_id)} if source in rules.SOURCES and visit_id else None
    return await _home(request, form=form)


async def _home(
    request: Request[Any, Any, Any], *, error: str = "", form: dict[str, str] | None = None, status_code: int = 200
) -> Response[str]:
    kernel = _kernel(request)
    ctx = context_of(request)
    day = local_date(kernel.clock.now())
    async with kernel.db.transaction() as session:
        codes = await api.departments_with_beds(session)
        departments = [await catalogs.get_department(session, code=code) for code in codes]
        stays = await api.current_stays(session)
        await kernel.audit(
            ctx.audit_actor(), AuditEntry(action="stays.read", object_type="stay", object_id="*"), session
        )
    return await render_page(
        request,
        "inpatient/home.html",
        status_code=status_code,
        departments=[d for d in departments if d is not None],
        stays=stays,
        day=day,
        error=error,
        form=form or {},
        zone=vietnam_zone(),
    )


def _plain(form: FormMultiDict) -> dict[str, str]:
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


def _optional_int(form: FormMultiDict, name: str) -> int | None:
    text = str(form.get(name) or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(_("{value} is not a whole number"), field=name, value=text[:20]) from None


def _optional_decimal(form: FormMultiDict, name: str) -> Decimal | None:
    raw = str(form.get(name) or "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(_("{value} is not a number"), field=name, value=raw[:20]) from None


@post("/inpatient/admit", opt=ADMIT, include_in_schema=False)
async def admit_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    source = str(form.get("source") or "outpatient")
    try:
        if source not in rules.SOURCES:
            raise InvalidInput(_("Choose where the patient comes from"), field="source")
        number = _optional_int(form, "visit_id")
        data = AdmitIn(
            source=source,  # type: ignore[arg-type]
            department_code=str(form.get("department_code") or "").strip() or "-",
            icd10_code=str(form.get("icd10_code") or "").strip() or "-",
            reason=str(form.get("reason") or "")[:500],
            visit_id=number if source != "direct" else None,
            patient_id=number if source == "direct" else None,
            bed_code=str(form.get("bed_code") or "").strip()[:32],
        )
        async with kernel.db.transaction() as session:
            stay = await service.admit(kernel, session, ctx.audit_actor(), _staff(ctx), data)
            stay_id = stay.id
    except DomainError as error:
        return await _home(
            request, error=_translate(kernel, ctx, error), form=_plain(form), status_code=error.status_code
        )
    return Redirect(f"/inpatient/stays/{stay_id}", status_code=303)


@get("/inpatient/board/{department_code:str}", opt=BEDS, include_in_schema=False)
async def board_page(request: Request[Any, Any, Any], department_code: FromPath[str]) -> Response[str]:
    return await _board(request, department_code, render_page)


@get("/inpatient/board/{department_code:str}/live", opt=BEDS, include_in_schema=False)
async def board_fragment(request: Request[Any, Any, Any], department_code: FromPath[str]) -> Response[str]:
    """The board's body, fetched again every few seconds by the page (htmx), so every tablet sees changes."""
    return await _board(request, department_code, render_fragment)


async def _board(request: Request[Any, Any, Any], department_code: str, render: Any, error: str = "") -> Response[str]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        board = await api.bed_board(session, department_code=department_code)
        await _audit_board(kernel, context_of(request), session, board)
        others = [
            b
            for code in await api.departments_with_beds(session)
            for b in (await api.bed_board(session, department_code=code)).beds
            if b.status in rules.ASSIGNABLE
        ]
    template = "inpatient/board.html" if render is render_page else "inpatient/_board.html"
    response: Response[str] = await render(
        request, template, board=board, labels=STATUS_LABELS, free_beds=others, error=error, zone=vietnam_zone()
    )
    return response


@post("/inpatient/beds/{bed_code:str}/status", opt=BEDS, include_in_schema=False)
async def bed_status_submit(request: Request[Any, Any, Any], bed_code: FromPath[str]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    department = str(form.get("department") or "")
    try:
        status = str(form.get("status") or "")
        async with kernel.db.transaction() as session:
            await service.set_bed_status(kernel, session, ctx.audit_actor(), bed_code, status)
    except DomainError as error:
        return await _board(request, department, render_page, error=_translate(kernel, ctx, error))
    return Redirect(f"/inpatient/board/{department}", status_code=303)


@post("/inpatient/stays/{stay_id:int}/bed", opt=BEDS, include_in_schema=False)
async def bed_submit(request: Request[Any, Any, Any], stay_id: FromPath[int]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    back = str(form.get("back") or "")
    try:
        async with kernel.db.transaction() as session:
            seen = form.get("from_bed_code")
            bed_code = str(form.get("bed_code") or "").strip()[:32]
            await _move(kernel, ctx, session, stay_id, bed_code, None if seen is None else str(seen)[:32])
    except DomainError as error:
        if back.startswith("/inpatient/board/"):
            return await _board(request, back.rsplit("/", 1)[-1], render_page, error=_translate(kernel, ctx, error))
        return await _stay_page(request, stay_id, error=_translate(kernel, ctx, error), status_code=error.status_code)
    return Redirect(back if back.startswith("/inpatient/") else f"/inpatient/stays/{stay_id}", status_code=303)


@get("/inpatient/stays/{stay_id:int}", opt=READ, include_in_schema=False)
async def stay_page(request: Request[Any, Any, Any], stay_id: FromPath[int]) -> Response[str]:
    return await _stay_page(request, stay_id)


async def _stay_page(
    request: Request[Any, Any, Any],
    stay_id: int,
    *,
    error: str = "",
    status_code: int = 200,
    medication_form: dict[str, Any] | None = None,
) -> Response[str]:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        stay = await api.get_stay(session, stay_id=stay_id)
        await _audit_read(kernel, ctx, session, stay, "stay.read")
        days = await api.treatment_sheet(session, stay_id=stay_id, today=local_date(kernel.clock.now()))
        medications = await api.medication_orders_of_stay(session, stay_id=stay_id)
        free_beds = [
            b
            for code in await api.departments_with_beds(session)
            for b in (await api.bed_board(session, department_code=code)).beds
            if b.status in rules.ASSIGNABLE
        ]
    return await render_page(
        request,
        "inpatient/stay.html",
        status_code=status_code,
        stay=stay,
        days=days,
        medications=medications,
        medication_form=medication_form or {"values": {}, "alerts": []},
        severity_labels=SEVERITY_LABELS,
        free_beds=free_beds,
        outcomes=OUTCOME_LABELS,
        kinds=KIND_LABELS,
        error=error,
        zone=vietnam_zone(),
        today=local_date(kernel.clock.now()),
    )


@post("/inpatient/stays/{stay_id:int}/sheet", opt=SHEET, include_in_schema=False)
async def sheet_submit(request: Request[Any, Any, Any], stay_id: FromPath[int]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    try:
        data = SheetEntryIn(
            progress=str(form.get("progress") or "")[:20_000],
            care_orders=str(form.get("care_orders") or "")[:20_000],
            pulse=_optional_int(form, "pulse"),
            temperature=_optional_decimal(form, "temperature"),
            systolic=_optional_int(form, "systolic"),
            diastolic=_optional_int(form, "diastolic"),
            respiratory_rate=_optional_int(form, "respiratory_rate"),
            spo2=_optional_int(form, "spo2"),
        )
        async with kernel.db.transaction() as session:
            stay = await service.get_stay_row(session, stay_id)
            await service.add_sheet_entry(kernel, session, ctx.audit_actor(), _staff(ctx), stay, data)
    except DomainError as error:
        return await _stay_page(request, stay_id, error=_translate(kernel, ctx, error), status_code=error.status_code)
    return Redirect(f"/inpatient/stays/{stay_id}#sheet", status_code=303)


@post("/inpatient/stays/{stay_id:int}/orders", opt=ADMIT, include_in_schema=False)
async def order_submit(request: Request[Any, Any, Any], stay_id: FromPath[int]) -> Response[Any]:
    """Lab, imaging and procedure orders of the day for the stay, placed through his.orders (charged to the stay's
    account by the outbox handler, listed on the treatment sheet)."""
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    codes = [c.strip() for c in str(form.get("service_codes") or "").replace(";", ",").split(",") if c.strip()]
    try:
        async with kernel.db.transaction() as session:
            stay = await api.get_stay(session, stay_id=stay_id)
            if stay.status != "admitted":
                raise InvalidInput(rules.MSG_STAY_CLOSED, code=stay.code)
            staff = _staff(ctx)
            await orders.place_orders(
                session,
                kernel=kernel,
                actor=ctx.audit_actor(),
                username=staff.username,
                full_name=staff.full_name,
                data=PlaceIn(
                    context_type="inpatient",
                    context_id=stay.id,
                    items=[OrderItemIn(code[:40]) for code in codes[:20]],
                    patient_id=stay.patient_id,
                    visit_code=stay.code,
                    clinical_note=str(form.get("clinical_note") or "")[:500],
                ),
            )
    except DomainError as error:
        return await _stay_page(request, stay_id, error=_translate(kernel, ctx, error), status_code=error.status_code)
    return Redirect(f"/inpatient/stays/{stay_id}#sheet", status_code=303)


def _medication_in(form: FormMultiDict) -> MedicationOrderIn:
    """The order form as the service takes it; unreadable numbers are refused naming their field."""
    reasons = [str(r) for r in form.getall("override_reason", [])]
    keys = [str(k) for k in form.getall("override_key", [])]
    return MedicationOrderIn(
        drug_code=str(form.get("drug_code") or "").strip()[:40],
        dose_per_time=_optional_decimal(form, "dose_per_time") or Decimal(0),
        times_per_day=_optional_int(form, "times_per_day") or 0,
        days=_optional_int(form, "days") or 1,
        route=str(form.get("route") or "").strip()[:64],
        instructions=str(form.get("instructions") or "").strip()[:300],
        overrides=[
            OverrideIn(key[:200], reason[:500]) for key, reason in zip(keys, reasons, strict=False) if key.strip()
        ],
    )


def _shown_alerts(kernel: Kernel, ctx: RequestContext, alerts: list[CheckAlert]) -> list[dict[str, str]]:
    return [
        {"key": a.ref, "severity": a.severity, "kind": a.kind, "message": a.message, "source": a.source}
        for a in _alerts_out(kernel, ctx, alerts)
    ]


@post("/inpatient/stays/{stay_id:int}/medications", opt=MEDICATE, include_in_schema=False)
async def medication_submit(request: Request[Any, Any, Any], stay_id: FromPath[int]) -> Response[Any]:
    """The medication order form: checked by decision support; hard stops come back with a reason to give."""
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    values = {name: str(form.get(name) or "") for name in MEDICATION_FIELDS}
    try:
        await _order(kernel, ctx, stay_id, _medication_in(form))
    except service.MedicationBlocked as blocked:
        await _audit_blocked(kernel, ctx, stay_id, blocked)
        shown = {"values": values, "alerts": _shown_alerts(kernel, ctx, blocked.alerts)}
        return await _stay_page(
            request, stay_id, error=_translate(kernel, ctx, blocked), status_code=409, medication_form=shown
        )
    except DomainError as error:
        shown = {"values": values, "alerts": []}
        return await _stay_page(
            request, stay_id, error=_translate(kernel, ctx, error), status_code=error.status_code, medication_form=shown
        )
    return Redirect(f"/inpatient/stays/{stay_id}#medications", status_code=303)


@post("/inpatient/stays/{stay_id:int}/medications/alerts", opt=MEDICATE, include_in_schema=False, status_code=200)
async def medication_alerts(request: Request[Any, Any, Any], stay_id: FromPath[int]) -> Response[str]:
    """The alerts of the order being written, shown as the doctor fills the form in (htmx)."""
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    alerts: list[dict[str, str]] = []
    problem = ""
    if str(form.get("drug_code") or "").strip():
        try:
            checked = await _check(kernel, stay_id, _medication_in(form), partial=True)
            alerts = _shown_alerts(kernel, ctx, checked)
        except InvalidInput as error:
            problem = _translate(kernel, ctx, error)
    return await render_fragment(
        request, "inpatient/_medication_alerts.html", alerts=alerts, problem=problem, severity_labels=SEVERITY_LABELS
    )


@post("/inpatient/stays/{stay_id:int}/medications/{order_id:int}/stop", opt=MEDICATE, include_in_schema=False)
async def medication_stop_submit(
    request: Request[Any, Any, Any], stay_id: FromPath[int], order_id: FromPath[int]
) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    try:
        async with kernel.db.transaction() as session:
            stay = await service.get_stay_row(session, stay_id)
            await service.stop_medication(
                kernel, session, ctx.audit_actor(), _staff(ctx), stay, order_id, str(form.get("reason") or "")
            )
    except DomainError as error:
        return await _stay_page(request, stay_id, error=_translate(kernel, ctx, error), status_code=error.status_code)
    return Redirect(f"/inpatient/stays/{stay_id}#medications", status_code=303)


@get("/inpatient/search/drugs", opt=MEDICATE, include_in_schema=False)
async def drug_options(
    request: Request[Any, Any, Any], drug_code: Annotated[str | None, QueryParameter(max_length=100)] = None
) -> Response[str]:
    """Drugs of the catalog by name or active substance, accent-insensitive, as options of the form's list."""
    kernel = _kernel(request)
    items: list[Any] = []
    if drug_code and drug_code.strip():
        async with kernel.db.transaction() as session:
            page = await catalogs.search(
                session, kind="drugs", q=drug_code, as_of=local_date(kernel.clock.now()), limit=SEARCH_LIMIT
            )
        items = page.items
    return await render_fragment(
        request, "inpatient/_drug_options.html", items=items, substances=service.substances_text
    )


@post("/inpatient/stays/{stay_id:int}/discharge", opt=ADMIT, include_in_schema=False)
async def discharge_submit(request: Request[Any, Any, Any], stay_id: FromPath[int]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    try:
        when_text = str(form.get("discharged_at") or "").strip()
        try:
            when = datetime.fromisoformat(when_text).replace(tzinfo=vietnam_zone()) if when_text else None
        except ValueError:
            raise InvalidInput(
                _("{value} is not a date and time"), field="discharged_at", value=when_text[:20]
            ) from None
        data = DischargeIn(
            icd10_code=str(form.get("icd10_code") or "").strip()[:16],
            treatment_method=str(form.get("treatment_method") or "")[:1500],
            outcome=str(form.get("outcome") or "")[:1],
            kind=str(form.get("kind") or "")[:1],
            note=str(form.get("note") or "")[:1500],
            discharged_at=when,
        )
        async with kernel.db.transaction() as session:
            stay = await service.get_stay_row(session, stay_id)
            await service.discharge(kernel, session, ctx.audit_actor(), _staff(ctx), stay, data)
    except DomainError as error:
        return await _stay_page(request, stay_id, error=_translate(kernel, ctx, error), status_code=error.status_code)
    return Redirect(f"/inpatient/stays/{stay_id}", status_code=303)


PAGE_HANDLERS = (
    discharge_paper,
    sheet_pdf,
    home_page,
    admit_submit,
    board_page,
    board_fragment,
    bed_status_submit,
    bed_submit,
    stay_page,
    sheet_submit,
    order_submit,
    medication_submit,
    medication_alerts,
    medication_stop_submit,
    drug_options,
    discharge_submit,
)
