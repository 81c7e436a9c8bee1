"""Outpatient over HTTP: the JSON API under /api/v1/outpatient, the doctor's pages and the printed prescription.
Thin: every rule lives in rules.py and service.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from litestar import Request, Response, Router, get, patch, post, put
from litestar.datastructures import FormMultiDict
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from his.catalogs import api as catalogs
from his.kernel.audit.service import AuditEntry
from his.kernel.clock import local_date, vietnam_zone
from his.kernel.errors import DomainError, InvalidInput, NotFound
from his.kernel.hospital import get_hospital
from his.kernel.i18n import lazy as _
from his.kernel.runtime import Kernel
from his.kernel.web.context import RequestContext, context_of
from his.kernel.web.guard import requires
from his.kernel.web.render import render_fragment, render_page
from his.outpatient import api, rules, service
from his.outpatient.checks import CheckAlert, localized
from his.outpatient.pdf import prescription_pdf
from his.outpatient.plugin import checks_of
from his.outpatient.schemas import (
    DiagnosesIn,
    DiagnosisIn,
    DispositionIn,
    EncounterOut,
    ExamIn,
    ExamOut,
    FindingOut,
    IssuedOut,
    LineIn,
    OverrideIn,
    PrescriptionBlockedOut,
    PrescriptionIn,
    PrescriptionOut,
    ReasonIn,
    WorklistItem,
)
from his.patients import api as patients
from his.reception import api as reception

EXAM = requires("outpatient.exam")
READ = requires("outpatient.read")
PRESCRIBE = requires("outpatient.prescribe")
PROBLEM_JSON = "application/problem+json"
MAX_QUERY = 100
SEARCH_LIMIT = 15
VITAL_LABELS = {
    "pulse": _("Pulse"),
    "temperature": _("Temperature"),
    "systolic": _("Systolic pressure"),
    "diastolic": _("Diastolic pressure"),
    "respiratory_rate": _("Respiratory rate"),
    "spo2": _("SpO2"),
    "height_cm": _("Height"),
    "weight_kg": _("Weight"),
}


def _kernel(request: Request[Any, Any, Any]) -> Kernel:
    kernel: Kernel = request.app.state["kernel"]
    return kernel


def _doctor(ctx: RequestContext) -> service.Doctor:
    actor = ctx.require_actor()
    return service.Doctor(actor.username, actor.full_name)


def _translate(kernel: Kernel, ctx: RequestContext, message: str, params: dict[str, Any] | None = None) -> str:
    return kernel.translator.gettext(ctx.locale, message, params or None)


def _findings_out(kernel: Kernel, ctx: RequestContext, findings: Sequence[rules.Finding]) -> list[FindingOut]:
    return [FindingOut(f.field, _translate(kernel, ctx, f.message, f.params)) for f in findings]


def _alerts_out(kernel: Kernel, ctx: RequestContext, alerts: Sequence[CheckAlert]) -> list[CheckAlert]:
    """The alerts in the reader's language (the check filled them in the hospital's)."""
    return localized(alerts, lambda message, params: _translate(kernel, ctx, message, dict(params or {})))


async def _audit_read(
    kernel: Kernel, ctx: RequestContext, session: AsyncSession, action: str, object_id: str, patient_id: int
) -> None:
    """A read of one patient's examination or prescription, audited with the patient's id (criterion 116)."""
    entry = AuditEntry(action=action, object_type=action.split(".")[0], object_id=object_id, patient_id=str(patient_id))
    await kernel.audit(ctx.audit_actor(), entry, session)


async def _worklist(kernel: Kernel, ctx: RequestContext, room_code: str, day: date) -> list[WorklistItem]:
    async with kernel.db.transaction() as session:
        queue = await reception.room_queue(session, room_code=room_code, day=day)
        encounters = await service.encounters_of_visits(session, [visit.id for visit in queue])
        await kernel.audit(
            ctx.audit_actor(),
            AuditEntry(
                action="worklist.read",
                object_type="room",
                object_id=room_code[:64],
                detail=f"{day.isoformat()}: patients " + ",".join(str(v.patient_id) for v in queue)[:400],
            ),
            session,
        )
    items = []
    for visit in queue:
        encounter = encounters.get(visit.id)
        items.append(
            WorklistItem(
                visit_id=visit.id,
                visit_code=visit.code,
                ticket_number=visit.ticket_number,
                patient_id=visit.patient_id,
                patient_code=visit.patient_code,
                patient_name=visit.patient_name,
                visit_status=visit.status,
                encounter_status=encounter.status if encounter else None,
                doctor=encounter.doctor_name if encounter else None,
            )
        )
    return items


# ---------------------------------------------------------------- JSON API


@get("/rooms/{room_code:str}/worklist", opt=READ, summary="A room's queue for the day, with the examinations")
async def api_worklist(
    request: Request[Any, Any, Any], room_code: FromPath[str], day: FromQuery[date | None] = None
) -> list[WorklistItem]:
    kernel = _kernel(request)
    return await _worklist(kernel, context_of(request), room_code, day or local_date(kernel.clock.now()))


@post("/rooms/{room_code:str}/call-next", opt=EXAM, status_code=200, summary="Open the next waiting patient")
async def api_call_next(request: Request[Any, Any, Any], room_code: FromPath[str]) -> EncounterOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        row = await service.call_next(session, kernel.clock, ctx.audit_actor(), _doctor(ctx), room_code=room_code)
        return await api.encounter_out(session, row)


@post("/visits/{visit_id:int}/encounter", opt=EXAM, status_code=200, summary="Open (or reopen) a visit's exam")
async def api_open(request: Request[Any, Any, Any], visit_id: FromPath[int]) -> EncounterOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        row = await service.open_encounter(session, kernel.clock, ctx.audit_actor(), _doctor(ctx), visit_id)
        return await api.encounter_out(session, row)


@get("/visits/{visit_id:int}/encounter", opt=READ, summary="A visit's examination, diagnoses and prescriptions")
async def api_encounter(request: Request[Any, Any, Any], visit_id: FromPath[int]) -> EncounterOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        encounter = await api.get_encounter(session, visit_id=visit_id)
        await _audit_read(kernel, ctx, session, "encounter.read", encounter.visit_code, encounter.patient_id)
        return encounter


@patch("/visits/{visit_id:int}/encounter", opt=EXAM, summary="Record the reason, history, notes and vital signs")
async def api_exam(request: Request[Any, Any, Any], visit_id: FromPath[int], data: JSONBody[ExamIn]) -> ExamOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        row, warnings = await service.record_exam(session, kernel.clock, ctx.audit_actor(), visit_id, data)
        return ExamOut(await api.encounter_out(session, row), _findings_out(kernel, ctx, warnings))


@put("/visits/{visit_id:int}/encounter/diagnoses", opt=EXAM, summary="Replace the diagnoses (one main)")
async def api_diagnoses(
    request: Request[Any, Any, Any], visit_id: FromPath[int], data: JSONBody[DiagnosesIn]
) -> EncounterOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        await service.set_diagnoses(session, kernel.clock, ctx.audit_actor(), visit_id, data.items)
        return await api.get_encounter(session, visit_id=visit_id)


@put("/visits/{visit_id:int}/encounter/disposition", opt=EXAM, summary="Home, admit, transfer or follow-up")
async def api_disposition(
    request: Request[Any, Any, Any], visit_id: FromPath[int], data: JSONBody[DispositionIn]
) -> EncounterOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        row = await service.set_disposition(session, kernel.clock, ctx.audit_actor(), visit_id, data)
        return await api.encounter_out(session, row)


@post("/visits/{visit_id:int}/encounter/finish", opt=EXAM, status_code=200, summary="Finish the exam and visit")
async def api_finish(request: Request[Any, Any, Any], visit_id: FromPath[int]) -> EncounterOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        row = await service.finish_encounter(session, kernel.clock, ctx.audit_actor(), visit_id)
        return await api.encounter_out(session, row)


async def _issue(
    request: Request[Any, Any, Any], visit_id: int, data: PrescriptionIn
) -> tuple[PrescriptionOut, list[CheckAlert]]:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        row, alerts = await service.issue_prescription(
            session,
            kernel.clock,
            ctx.audit_actor(),
            _doctor(ctx),
            checks_of(kernel.modules),
            kernel.settings.hospital,
            visit_id,
            data,
        )
        return await api.prescription_out(session, row), alerts


async def _audit_blocked(request: Request[Any, Any, Any], visit_id: int, blocked: service.PrescriptionBlocked) -> None:
    """The refused signature is audited after the rollback: the doctor saw these hard stops."""
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        visit = await reception.get_visit(session, visit_id=visit_id)
        await kernel.audit(
            ctx.audit_actor(),
            AuditEntry(
                action="prescription.blocked",
                outcome="refused",
                object_type="encounter",
                object_id=visit.code,
                patient_id=str(visit.patient_id),
                detail=", ".join(f"{a.source}:{a.ref}" for a in blocked.blocking)[:500],
            ),
            session,
        )


@post(
    "/visits/{visit_id:int}/prescriptions",
    opt=PRESCRIBE,
    status_code=201,
    summary="Check and sign a prescription; 409 lists the decision-support hard stops to override with a reason",
    responses={
        409: ResponseSpec(
            data_container=PrescriptionBlockedOut,
            description="Not signed: `alerts` holds every alert; override the hard stops with `overrides`",
            media_type=PROBLEM_JSON,
        )
    },
)
async def api_prescribe(
    request: Request[Any, Any, Any], visit_id: FromPath[int], data: JSONBody[PrescriptionIn]
) -> Response[IssuedOut | PrescriptionBlockedOut]:
    kernel = _kernel(request)
    ctx = context_of(request)
    try:
        prescription, alerts = await _issue(request, visit_id, data)
    except service.PrescriptionBlocked as blocked:
        await _audit_blocked(request, visit_id, blocked)
        body = PrescriptionBlockedOut(
            type="about:blank",
            title=_translate(kernel, ctx, "Conflict"),
            status=409,
            detail=_translate(kernel, ctx, blocked.message, blocked.params),
            instance=request.url.path,
            request_id=ctx.request_id,
            alerts=_alerts_out(kernel, ctx, blocked.alerts),
        )
        return Response(body, status_code=409, media_type=PROBLEM_JSON, headers={"Content-Language": ctx.locale})
    return Response(IssuedOut(prescription, _alerts_out(kernel, ctx, alerts)), status_code=201)


@get("/prescriptions/{code:str}", opt=READ, summary="A prescription by its national code")
async def api_prescription(request: Request[Any, Any, Any], code: FromPath[str]) -> PrescriptionOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        prescription = await api.get_prescription(session, code=code)
        await _audit_read(kernel, ctx, session, "prescription.read", prescription.code, prescription.patient_id)
        return prescription


@post("/prescriptions/{code:str}/cancel", opt=PRESCRIBE, status_code=200, summary="Cancel a prescription")
async def api_cancel(request: Request[Any, Any, Any], code: FromPath[str], data: JSONBody[ReasonIn]) -> PrescriptionOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        row = await service.cancel_prescription(session, kernel.clock, ctx.audit_actor(), code=code, reason=data.reason)
        return await api.prescription_out(session, row)


def api_router() -> Router:
    return Router(
        path="/api/v1/outpatient",
        route_handlers=[
            api_worklist,
            api_call_next,
            api_open,
            api_encounter,
            api_exam,
            api_diagnoses,
            api_disposition,
            api_finish,
            api_prescribe,
            api_prescription,
            api_cancel,
        ],
        tags=["outpatient"],
    )


# ---------------------------------------------------------------- the printed prescription


@get("/outpatient/prescriptions/{file_name:str}", opt=READ, include_in_schema=False)
async def prescription_file(request: Request[Any, Any, Any], file_name: FromPath[str]) -> Response[bytes]:
    """`/outpatient/prescriptions/{id}.pdf`: the prescription as printed for the patient."""
    kernel = _kernel(request)
    ctx = context_of(request)
    stem, _dot, suffix = file_name.rpartition(".")
    if suffix != "pdf" or not stem.isdigit():
        raise NotFound(_("No prescription {code}"), code=file_name[:40])
    async with kernel.db.transaction() as session:
        prescription = await api.get_prescription_by_id(session, prescription_id=int(stem))
        hospital = await get_hospital(session, kernel.settings.hospital)
        await _audit_read(kernel, ctx, session, "prescription.print", prescription.code, prescription.patient_id)
    content = prescription_pdf(prescription, hospital)
    headers = {"Content-Disposition": f'inline; filename="don-thuoc-{prescription.code}.pdf"'}
    return Response(content, media_type="application/pdf", headers=headers)


# ---------------------------------------------------------------- pages


@get("/outpatient", opt=EXAM, include_in_schema=False)
async def worklist_page(
    request: Request[Any, Any, Any],
    room: Annotated[str | None, QueryParameter(max_length=32)] = None,
    empty: FromQuery[bool] = False,
) -> Response[str]:
    kernel = _kernel(request)
    ctx = context_of(request)
    day = local_date(kernel.clock.now())
    async with kernel.db.transaction() as session:
        rooms = (await catalogs.search(session, kind="clinic-rooms", as_of=day, limit=200)).items
    items = await _worklist(kernel, ctx, room, day) if room else []
    return await render_page(
        request, "outpatient/worklist.html", rooms=rooms, room=room or "", items=items, empty=empty, day=day
    )


@post("/outpatient/rooms/{room_code:str}/call-next", opt=EXAM, include_in_schema=False)
async def call_next_submit(request: Request[Any, Any, Any], room_code: FromPath[str]) -> Redirect:
    kernel = _kernel(request)
    ctx = context_of(request)
    try:
        async with kernel.db.transaction() as session:
            row = await service.call_next(session, kernel.clock, ctx.audit_actor(), _doctor(ctx), room_code=room_code)
    except NotFound:
        return Redirect(f"/outpatient?room={room_code}&empty=true", status_code=303)
    return Redirect(f"/outpatient/visits/{row.visit_id}", status_code=303)


@post("/outpatient/visits/{visit_id:int}/open", opt=EXAM, include_in_schema=False)
async def open_submit(request: Request[Any, Any, Any], visit_id: FromPath[int]) -> Redirect:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        await service.open_encounter(session, kernel.clock, ctx.audit_actor(), _doctor(ctx), visit_id)
    return Redirect(f"/outpatient/visits/{visit_id}", status_code=303)


@dataclass
class _Form:
    """What the pages re-show after a refusal: the submitted values and the message per field."""

    values: dict[str, str]
    errors: dict[str, str]
    lines: list[dict[str, str]]
    diagnoses: list[dict[str, str]] | None = None
    alerts: list[CheckAlert] | None = None


async def _exam_page(
    request: Request[Any, Any, Any],
    visit_id: int,
    *,
    form: _Form | None = None,
    warnings: list[FindingOut] | None = None,
    status_code: int = 200,
) -> Response[str]:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        visit = await reception.get_visit(session, visit_id=visit_id)
        encounter = await api.find_encounter(session, visit_id=visit_id)
        patient = await patients.get_patient(session, patient_id=visit.patient_id)
        await _audit_read(kernel, ctx, session, "encounter.read", visit.code, visit.patient_id)
    return await render_page(
        request,
        "outpatient/exam.html",
        status_code=status_code,
        visit=visit,
        encounter=encounter,
        patient=patient,
        form=form or _Form({}, {}, []),
        warnings=warnings or [],
        dispositions=rules.DISPOSITION_LABELS,
        vital_fields=[(spec.field, spec.unit) for spec in rules.VITAL_RANGES],
        vital_labels=VITAL_LABELS,
        local_time=_local_time,
        type_labels=rules.TYPE_LABELS,
        today=local_date(kernel.clock.now()),
    )


def _local_time(moment: datetime) -> str:
    return moment.astimezone(vietnam_zone()).strftime("%H:%M %d/%m/%Y")


@get("/outpatient/visits/{visit_id:int}", opt=READ, include_in_schema=False)
async def exam_page(request: Request[Any, Any, Any], visit_id: FromPath[int]) -> Response[str]:
    return await _exam_page(request, visit_id)


def _message(kernel: Kernel, ctx: RequestContext, error: DomainError) -> tuple[str, str]:
    field = getattr(error, "field", None) or "form"
    return field, _translate(kernel, ctx, error.message, error.params)


def _optional_int(form: FormMultiDict, name: str) -> int | None:
    text = str(form.get(name) or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(_("{value} is not a whole number"), field=name, value=text[:20]) from None


def _optional_decimal(form: FormMultiDict, name: str, text: str | None = None) -> Decimal | None:
    raw = (text if text is not None else str(form.get(name) or "")).strip().replace(",", ".")
    if not raw:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(_("{value} is not a number"), field=name, value=raw[:20]) from None


def _exam_in(form: FormMultiDict) -> ExamIn:
    pregnant = str(form.get("pregnant") or "")
    return ExamIn(
        reason=str(form.get("reason") or ""),
        history=str(form.get("history") or ""),
        exam_notes=str(form.get("exam_notes") or ""),
        pulse=_optional_int(form, "pulse"),
        temperature=_optional_decimal(form, "temperature"),
        systolic=_optional_int(form, "systolic"),
        diastolic=_optional_int(form, "diastolic"),
        respiratory_rate=_optional_int(form, "respiratory_rate"),
        spo2=_optional_int(form, "spo2"),
        height_cm=_optional_decimal(form, "height_cm"),
        weight_kg=_optional_decimal(form, "weight_kg"),
        pregnant=True if pregnant == "yes" else False if pregnant == "no" else None,
    )


def _plain(form: FormMultiDict) -> dict[str, str]:
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


@post("/outpatient/visits/{visit_id:int}/exam", opt=EXAM, include_in_schema=False)
async def exam_submit(request: Request[Any, Any, Any], visit_id: FromPath[int]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    try:
        async with kernel.db.transaction() as session:
            _row, warnings = await service.record_exam(
                session, kernel.clock, ctx.audit_actor(), visit_id, _exam_in(form)
            )
    except InvalidInput as error:
        field, message = _message(kernel, ctx, error)
        return await _exam_page(request, visit_id, form=_Form(_plain(form), {field: message}, []), status_code=422)
    return await _exam_page(request, visit_id, warnings=_findings_out(kernel, ctx, warnings))


def _diagnoses_in(form: FormMultiDict) -> list[DiagnosisIn]:
    removed = {str(code) for code in form.getall("remove", [])}
    codes = [str(code) for code in form.getall("code", [])]
    texts = [str(text) for text in form.getall("text", [])]
    main = str(form.get("main") or "")
    return [
        DiagnosisIn(code=code, is_main=code == main, text=texts[index] if index < len(texts) else None)
        for index, code in enumerate(codes)
        if code.strip() and code not in removed
    ]


@post("/outpatient/visits/{visit_id:int}/diagnoses", opt=EXAM, include_in_schema=False)
async def diagnoses_submit(request: Request[Any, Any, Any], visit_id: FromPath[int]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    items = _diagnoses_in(form)
    try:
        async with kernel.db.transaction() as session:
            await service.set_diagnoses(session, kernel.clock, ctx.audit_actor(), visit_id, items)
    except DomainError as error:
        field, message = _message(kernel, ctx, error)
        shown = [{"code": i.code, "text": i.text or "", "main": "1" if i.is_main else ""} for i in items]
        return await _exam_page(
            request, visit_id, form=_Form({}, {field: message}, [], diagnoses=shown), status_code=422
        )
    return Redirect(f"/outpatient/visits/{visit_id}#diagnoses", status_code=303)


@post("/outpatient/visits/{visit_id:int}/disposition", opt=EXAM, include_in_schema=False)
async def disposition_submit(request: Request[Any, Any, Any], visit_id: FromPath[int]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    try:
        follow_up_text = str(form.get("follow_up_date") or "").strip()
        try:
            follow_up = date.fromisoformat(follow_up_text) if follow_up_text else None
        except ValueError:
            raise InvalidInput(rules.MSG_FOLLOW_UP_DATE, field="follow_up_date") from None
        data = DispositionIn(
            disposition=str(form.get("disposition") or ""),
            follow_up_date=follow_up,
            note=str(form.get("note") or ""),
        )
        async with kernel.db.transaction() as session:
            await service.set_disposition(session, kernel.clock, ctx.audit_actor(), visit_id, data)
    except DomainError as error:
        field, message = _message(kernel, ctx, error)
        return await _exam_page(request, visit_id, form=_Form(_plain(form), {field: message}, []), status_code=422)
    return Redirect(f"/outpatient/visits/{visit_id}#disposition", status_code=303)


def _submitted_lines(form: FormMultiDict) -> list[dict[str, str]]:
    columns = ("drug_code", "drug_name", "unit", "dose_per_time", "times_per_day", "days", "quantity", "instructions")
    values = {column: [str(v) for v in form.getall(column, [])] for column in columns}
    removed = {str(code) for code in form.getall("remove_line", [])}
    count = len(values["drug_code"])
    rows = [
        {column: (values[column][i] if i < len(values[column]) else "") for column in columns} for i in range(count)
    ]
    return [row for row in rows if row["drug_code"] not in removed]


def _line_in(index: int, line: dict[str, str]) -> LineIn:
    def whole(name: str, required: bool = True) -> int | None:
        text = line[name].strip()
        if not text and not required:
            return None
        try:
            return int(text)
        except ValueError:
            raise InvalidInput(
                _("{value} is not a whole number"), field=f"lines[{index}].{name}", value=text[:20]
            ) from None

    try:
        dose = Decimal(line["dose_per_time"].strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(rules.MSG_DOSE, field=f"lines[{index}].dose_per_time") from None
    return LineIn(
        drug_code=line["drug_code"],
        dose_per_time=dose,
        times_per_day=whole("times_per_day") or 0,
        days=whole("days") or 0,
        quantity=whole("quantity", required=False),
        instructions=line["instructions"],
    )


def _prescription_in(form: FormMultiDict, lines: list[dict[str, str]]) -> PrescriptionIn:
    keys = [str(v) for v in form.getall("override_key", [])]
    reasons = [str(v) for v in form.getall("override_reason", [])]
    follow_up_text = str(form.get("follow_up_date") or "").strip()
    return PrescriptionIn(
        lines=[_line_in(index, line) for index, line in enumerate(lines)],
        advice=str(form.get("advice") or ""),
        follow_up_date=date.fromisoformat(follow_up_text) if follow_up_text else None,
        personal_id=str(form.get("personal_id") or "").strip() or None,
        weight_kg=_optional_decimal(form, "prescription_weight_kg"),
        adult_name=str(form.get("adult_name") or "").strip() or None,
        adult_id=str(form.get("adult_id") or "").strip() or None,
        overrides=[OverrideIn(key, reason) for key, reason in zip(keys, reasons, strict=False) if reason.strip()],
    )


@post("/outpatient/visits/{visit_id:int}/prescriptions", opt=PRESCRIBE, include_in_schema=False)
async def prescribe_submit(request: Request[Any, Any, Any], visit_id: FromPath[int]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    lines = _submitted_lines(form)
    try:
        prescription, _alerts = await _issue(request, visit_id, _prescription_in(form, lines))
    except service.PrescriptionBlocked as blocked:
        await _audit_blocked(request, visit_id, blocked)
        message = _translate(kernel, ctx, blocked.message, blocked.params)
        shown = _Form(_plain(form), {"form": message}, lines, alerts=_alerts_out(kernel, ctx, blocked.alerts))
        return await _exam_page(request, visit_id, form=shown, status_code=409)
    except (DomainError, ValueError) as error:
        if not isinstance(error, DomainError):
            error = InvalidInput(rules.MSG_FOLLOW_UP_DATE, field="follow_up_date")
        field, message = _message(kernel, ctx, error)
        return await _exam_page(request, visit_id, form=_Form(_plain(form), {field: message}, lines), status_code=422)
    return Redirect(f"/outpatient/visits/{visit_id}?issued={prescription.id}#prescriptions", status_code=303)


@post("/outpatient/visits/{visit_id:int}/finish", opt=EXAM, include_in_schema=False)
async def finish_submit(request: Request[Any, Any, Any], visit_id: FromPath[int]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    try:
        async with kernel.db.transaction() as session:
            row = await service.finish_encounter(session, kernel.clock, ctx.audit_actor(), visit_id)
    except DomainError as error:
        field, message = _message(kernel, ctx, error)
        return await _exam_page(request, visit_id, form=_Form({}, {field: message}, []), status_code=422)
    return Redirect(f"/outpatient?room={row.room_code}", status_code=303)


@get("/outpatient/search/icd10", opt=EXAM, include_in_schema=False)
async def icd10_results(
    request: Request[Any, Any, Any], q: Annotated[str | None, QueryParameter(max_length=MAX_QUERY)] = None
) -> Response[str]:
    kernel = _kernel(request)
    items: list[Any] = []
    if q and q.strip():
        async with kernel.db.transaction() as session:
            page = await catalogs.search(
                session, kind="icd10", q=q, as_of=local_date(kernel.clock.now()), limit=SEARCH_LIMIT
            )
        items = page.items
    return await render_fragment(request, "outpatient/_icd10_results.html", items=items)


@get("/outpatient/search/drugs", opt=PRESCRIBE, include_in_schema=False)
async def drug_results(
    request: Request[Any, Any, Any], q: Annotated[str | None, QueryParameter(max_length=MAX_QUERY)] = None
) -> Response[str]:
    """Drugs by name or active substance, accent-insensitive (the catalog's search)."""
    kernel = _kernel(request)
    items: list[Any] = []
    if q and q.strip():
        async with kernel.db.transaction() as session:
            page = await catalogs.search(
                session, kind="drugs", q=q, as_of=local_date(kernel.clock.now()), limit=SEARCH_LIMIT
            )
        items = page.items
    return await render_fragment(
        request, "outpatient/_drug_results.html", items=items, substances=service.substances_text
    )


@get("/outpatient/fragments/diagnosis", opt=EXAM, include_in_schema=False)
async def diagnosis_row(
    request: Request[Any, Any, Any], code: Annotated[str, QueryParameter(max_length=16)]
) -> Response[str]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        entry = await catalogs.get_icd10(session, code=code, as_of=local_date(kernel.clock.now()))
    if entry is None:
        raise NotFound(_("No ICD-10 code {code} in force"), code=code)
    return await render_fragment(
        request, "outpatient/_diagnosis_row.html", row={"code": entry.code, "text": entry.name, "main": ""}
    )


@get("/outpatient/fragments/line", opt=PRESCRIBE, include_in_schema=False)
async def line_row(
    request: Request[Any, Any, Any], code: Annotated[str, QueryParameter(max_length=40)]
) -> Response[str]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        drug = await catalogs.get_drug(session, code=code, as_of=local_date(kernel.clock.now()))
    if drug is None:
        raise NotFound(_("No drug {code} in force"), code=code)
    row = {
        "drug_code": drug.code,
        "drug_name": f"{drug.name} ({service.substances_text(drug)})",
        "unit": drug.unit,
        "dose_per_time": "1",
        "times_per_day": "2",
        "days": "5",
        "quantity": "",
        "instructions": "",
    }
    return await render_fragment(request, "outpatient/_line_row.html", line=row, errors={}, index=0)


@get("/outpatient/visits/{visit_id:int}/renew/{prescription_id:int}", opt=PRESCRIBE, include_in_schema=False)
async def renew_page(
    request: Request[Any, Any, Any], visit_id: FromPath[int], prescription_id: FromPath[int]
) -> Response[str]:
    """Renewal: the exam page with an earlier prescription of the same patient copied into the new one, to change
    before signing (decision support checks it like any other)."""
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        visit = await reception.get_visit(session, visit_id=visit_id)
        earlier = await api.get_prescription_by_id(session, prescription_id=prescription_id)
        if earlier.patient_id != visit.patient_id:
            raise NotFound(_("No prescription {code}"), code=str(prescription_id))
        day = local_date(kernel.clock.now())
        lines = []
        for line in earlier.lines:
            drug = await catalogs.get_drug(session, code=line.drug_code, as_of=day)
            if drug is None:  # no longer in the catalog: the doctor chooses another drug
                continue
            lines.append(
                {
                    "drug_code": drug.code,
                    "drug_name": f"{drug.name} ({service.substances_text(drug)})",
                    "unit": drug.unit,
                    "dose_per_time": str(line.dose_per_time),
                    "times_per_day": str(line.times_per_day),
                    "days": str(line.days),
                    "quantity": "",
                    "instructions": line.instructions,
                }
            )
    # Only the lines: the form's other values would stand in for the examination's saved fields on the page.
    return await _exam_page(request, visit_id, form=_Form({}, {}, lines))


PAGE_HANDLERS = (
    prescription_file,
    worklist_page,
    call_next_submit,
    open_submit,
    exam_page,
    exam_submit,
    diagnoses_submit,
    disposition_submit,
    prescribe_submit,
    finish_submit,
    icd10_results,
    drug_results,
    diagnosis_row,
    line_row,
    renew_page,
)
