"""Appointments over HTTP: the JSON API under /api/v1/appointments and the desk's pages. Thin: rules live in
rules.py, use cases in service.py."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from his.appointments import api, paper, rules, service
from his.appointments.schemas import (
    AppointmentOut,
    AttendIn,
    BookIn,
    CloseDayIn,
    CloseDayOut,
    ClosureIn,
    ClosureOut,
    FollowUpOut,
    GenerateIn,
    GenerateOut,
    NoShowLineOut,
    ReasonIn,
    RescheduleIn,
    ScheduleIn,
    ScheduleOut,
    SlotOut,
)
from his.catalogs import api as catalogs
from his.kernel.audit.service import AuditEntry
from his.kernel.clock import local_date
from his.kernel.errors import DomainError, InvalidInput
from his.kernel.hospital import get_hospital
from his.kernel.i18n import lazy as _
from his.kernel.runtime import Kernel
from his.kernel.web.context import RequestContext, context_of
from his.kernel.web.guard import requires
from his.kernel.web.render import render_page
from his.patients import api as patients

BOOK = requires("appointments.book")
READ = requires("appointments.read")
SCHEDULE = requires("appointments.schedule")
STATISTICS = requires("appointments.statistics")
MSG_DATE = _("Write the date as YYYY-MM-DD")
MSG_NUMBER = _("{value} is not a whole number")
MSG_PATIENT_FIRST = _("Choose the patient first")
MSG_SLOT_FIRST = _("Choose a free time")
DOCTOR_ROLES = ("doctor", "radiologist")


def _kernel(request: Request[Any, Any, Any]) -> Kernel:
    kernel: Kernel = request.app.state["kernel"]
    return kernel


def _translate(kernel: Kernel, ctx: RequestContext, error: DomainError) -> tuple[str, str]:
    field = getattr(error, "field", None) or "form"
    return field, kernel.translator.gettext(ctx.locale, error.message, error.params or None)


async def _audit_read(
    kernel: Kernel, ctx: RequestContext, session: AsyncSession, action: str, object_id: str, patient_ids: Sequence[int]
) -> None:
    """A read of patient data (criterion 116): one patient named as such, several listed in the detail."""
    one = str(patient_ids[0]) if len(patient_ids) == 1 else None
    detail = None if one else "patients " + ",".join(str(p) for p in patient_ids)[:450]
    entry = AuditEntry(
        action=action, object_type="appointment", object_id=object_id[:64], patient_id=one, detail=detail
    )
    await kernel.audit(ctx.audit_actor(), entry, session)


async def _day_list(
    kernel: Kernel, ctx: RequestContext, day: date, doctor_code: str | None = None
) -> list[AppointmentOut]:
    """The day's appointments; a past day is closed first, so what was missed shows as a no-show."""
    async with kernel.db.transaction() as session:
        if day < local_date(kernel.clock.now()):
            await service.close_day(session, kernel.clock, ctx.audit_actor(), day)
        items = await api.appointments_on(session, day=day, doctor_code=doctor_code or None)
        if items:
            await _audit_read(
                kernel, ctx, session, "appointments.read", day.isoformat(), sorted({a.patient_id for a in items})
            )
    return items


async def _reminders(kernel: Kernel, ctx: RequestContext, days: int) -> tuple[date, date, list[AppointmentOut]]:
    service.refuse(rules.reminder_days(days))
    today = local_date(kernel.clock.now())
    first, last = today + timedelta(days=1), today + timedelta(days=days)
    async with kernel.db.transaction() as session:
        rows = await service.booked_between(session, first=first, last=last)
        items = [await api.appointment_out(session, row) for row in rows]
        if items:
            await _audit_read(
                kernel, ctx, session, "reminders.read", f"{first}..{last}", sorted({a.patient_id for a in items})
            )
    return first, last, items


async def _no_shows(kernel: Kernel, ctx: RequestContext, first: date, last: date) -> list[NoShowLineOut]:
    service.refuse(rules.range_problems(first, last))
    async with kernel.db.transaction() as session:
        await service.close_past_days(session, kernel.clock, ctx.audit_actor())
        counts = await service.no_show_counts(session, first=first, last=last)
    return [
        NoShowLineOut(line.doctor_code, line.doctor_name, line.total, line.attended, line.no_shows, line.rate_percent)
        for line in rules.no_show_lines(counts)
    ]


# ---------------------------------------------------------------- JSON API


@get("/schedules", opt=SCHEDULE, summary="Every doctor's sessions")
async def api_schedules(request: Request[Any, Any, Any]) -> list[ScheduleOut]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return [api.schedule_out(row) for row in await service.list_schedules(session)]


@post("/schedules", opt=SCHEDULE, status_code=201, summary="Add a doctor's weekly session in a room")
async def api_add_schedule(request: Request[Any, Any, Any], data: JSONBody[ScheduleIn]) -> ScheduleOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        row = await service.create_schedule(session, kernel.clock, context_of(request).audit_actor(), data)
        return api.schedule_out(row)


@post("/schedules/{schedule_id:int}/deactivate", opt=SCHEDULE, status_code=200)
async def api_deactivate(request: Request[Any, Any, Any], schedule_id: FromPath[int]) -> ScheduleOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        row = await service.deactivate_schedule(session, kernel.clock, context_of(request).audit_actor(), schedule_id)
        return api.schedule_out(row)


@post("/closures", opt=SCHEDULE, status_code=201, summary="Close a day (holiday, room, doctor away)")
async def api_add_closure(request: Request[Any, Any, Any], data: JSONBody[ClosureIn]) -> ClosureOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        row, touched = await service.add_closure(session, kernel.clock, context_of(request).audit_actor(), data)
        return api.closure_out(row, touched)


@post("/slots/generate", opt=SCHEDULE, status_code=200, summary="Generate the slots of the schedules for some days")
async def api_generate(request: Request[Any, Any, Any], data: JSONBody[GenerateIn]) -> GenerateOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await service.generate_slots(
            session, kernel.clock, context_of(request).audit_actor(), first=data.first, last=data.last
        )


@get("/slots", opt=READ, summary="The slots of a day, with how many places are booked")
async def api_slots(
    request: Request[Any, Any, Any],
    day: FromQuery[date],
    doctor: Annotated[str | None, QueryParameter(max_length=32)] = None,
    room: Annotated[str | None, QueryParameter(max_length=32)] = None,
) -> list[SlotOut]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        rows = await service.slots_on(session, day=day, doctor_code=doctor, room_code=room)
        return [api.slot_out(row) for row in rows]


@post("/appointments", opt=BOOK, status_code=201, summary="Book a slot for a patient")
async def api_book(request: Request[Any, Any, Any], data: JSONBody[BookIn]) -> AppointmentOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        row = await service.book(session, kernel.clock, context_of(request).audit_actor(), data)
        return await api.appointment_out(session, row)


@get("/appointments", opt=READ, summary="A day's appointments (a past day's missed ones become no-shows)")
async def api_day(
    request: Request[Any, Any, Any],
    day: FromQuery[date],
    doctor: Annotated[str | None, QueryParameter(max_length=32)] = None,
) -> list[AppointmentOut]:
    return await _day_list(_kernel(request), context_of(request), day, doctor)


@get("/appointments/{appointment_id:int}", opt=READ)
async def api_appointment(request: Request[Any, Any, Any], appointment_id: FromPath[int]) -> AppointmentOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        item = await api.get_appointment(session, appointment_id=appointment_id)
        await _audit_read(kernel, context_of(request), session, "appointment.read", item.code, [item.patient_id])
        return item


@post("/appointments/{appointment_id:int}/cancel", opt=BOOK, status_code=200)
async def api_cancel(
    request: Request[Any, Any, Any], appointment_id: FromPath[int], data: JSONBody[ReasonIn]
) -> AppointmentOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        row = await service.cancel(
            session, kernel.clock, context_of(request).audit_actor(), appointment_id, data.reason
        )
        return await api.appointment_out(session, row)


@post("/appointments/{appointment_id:int}/reschedule", opt=BOOK, status_code=200, summary="Move to another slot")
async def api_reschedule(
    request: Request[Any, Any, Any], appointment_id: FromPath[int], data: JSONBody[RescheduleIn]
) -> AppointmentOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        row = await service.reschedule(
            session, kernel.clock, context_of(request).audit_actor(), appointment_id, data.slot_id, data.reason
        )
        return await api.appointment_out(session, row)


@post("/appointments/{appointment_id:int}/attend", opt=BOOK, status_code=200, summary="Check the patient in")
async def api_attend(
    request: Request[Any, Any, Any], appointment_id: FromPath[int], data: JSONBody[AttendIn]
) -> AppointmentOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        row = await service.attend(
            session, kernel.clock, context_of(request).audit_actor(), appointment_id, data.visit_id
        )
        return await api.appointment_out(session, row)


@post("/appointments/{appointment_id:int}/reminded", opt=BOOK, status_code=200, summary="Mark the patient reminded")
async def api_reminded(request: Request[Any, Any, Any], appointment_id: FromPath[int]) -> AppointmentOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        row = await service.mark_reminded(session, kernel.clock, context_of(request).audit_actor(), appointment_id)
        return await api.appointment_out(session, row)


@get("/reminders", opt=READ, summary="Live appointments of the next days, with phone numbers")
async def api_reminders(request: Request[Any, Any, Any], days: FromQuery[int] = 1) -> list[AppointmentOut]:
    _first, _last, items = await _reminders(_kernel(request), context_of(request), days)
    return items


@post("/close-day", opt=BOOK, status_code=200, summary="Turn a past day's unattended appointments into no-shows")
async def api_close_day(request: Request[Any, Any, Any], data: JSONBody[CloseDayIn]) -> CloseDayOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        count = await service.close_day(session, kernel.clock, context_of(request).audit_actor(), data.day)
    return CloseDayOut(day=data.day, no_shows=count)


@get("/no-shows", opt=STATISTICS, summary="No-show statistics per doctor")
async def api_no_shows(
    request: Request[Any, Any, Any], first: FromQuery[date], last: FromQuery[date]
) -> list[NoShowLineOut]:
    return await _no_shows(_kernel(request), context_of(request), first, last)


@get("/follow-ups/{visit_id:int}", opt=READ, summary="The booking defaults from a visit's examination")
async def api_follow_up(request: Request[Any, Any, Any], visit_id: FromPath[int]) -> FollowUpOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        item = await api.follow_up_of(session, visit_id=visit_id)
        await _audit_read(kernel, context_of(request), session, "follow_up.read", item.visit_code, [item.patient_id])
        return item


def api_router() -> Router:
    return Router(
        path="/api/v1/appointments",
        route_handlers=[
            api_schedules,
            api_add_schedule,
            api_deactivate,
            api_add_closure,
            api_generate,
            api_slots,
            api_book,
            api_day,
            api_appointment,
            api_cancel,
            api_reschedule,
            api_attend,
            api_reminded,
            api_reminders,
            api_close_day,
            api_no_shows,
            api_follow_up,
        ],
        tags=["appointments"],
    )


# ---------------------------------------------------------------- form helpers


def _text(form: FormMultiDict, name: str) -> str:
    return str(form.get(name) or "").strip()


def _int(form: FormMultiDict, name: str, *, message: str = MSG_NUMBER) -> int:
    text = _text(form, name)
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(message, field=name, value=text[:20]) from None


def _date(form: FormMultiDict, name: str) -> date:
    try:
        return date.fromisoformat(_text(form, name))
    except ValueError:
        raise InvalidInput(MSG_DATE, field=name) from None


def _plain(form: FormMultiDict) -> dict[str, str]:
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


async def _error_page(
    request: Request[Any, Any, Any], error: DomainError, back: str, template: str = "appointments/problem.html"
) -> Response[str]:
    _field, message = _translate(_kernel(request), context_of(request), error)
    return await render_page(request, template, status_code=error.status_code, message=message, back=back)


# ---------------------------------------------------------------- the day's list and check-in


@get("/appointments", opt=READ, include_in_schema=False)
async def day_page(
    request: Request[Any, Any, Any],
    day: FromQuery[date | None] = None,
    doctor: Annotated[str | None, QueryParameter(max_length=32)] = None,
) -> Response[str]:
    kernel = _kernel(request)
    shown = day or local_date(kernel.clock.now())
    items = await _day_list(kernel, context_of(request), shown, doctor)
    async with kernel.db.transaction() as session:
        doctors = await service.doctors_with_slots(
            session, first=shown - timedelta(days=31), last=shown + timedelta(days=62)
        )
    return await render_page(
        request,
        "appointments/day.html",
        day=shown,
        today=local_date(kernel.clock.now()),
        items=items,
        doctors=doctors,
        doctor=doctor or "",
        status_labels=rules.STATUS_LABELS,
        source_labels=rules.SOURCE_LABELS,
        previous=shown - timedelta(days=1),
        following=shown + timedelta(days=1),
    )


async def _act(request: Request[Any, Any, Any], appointment_id: int, action: str) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    back = _text(form, "back") or f"/appointments/{appointment_id}"
    if not back.startswith("/appointments"):
        back = f"/appointments/{appointment_id}"
    actor = ctx.audit_actor()
    try:
        async with kernel.db.transaction() as session:
            if action == "attend":
                visit_text = _text(form, "visit_id")
                visit_id = _int(form, "visit_id") if visit_text else None
                await service.attend(session, kernel.clock, actor, appointment_id, visit_id)
            elif action == "cancel":
                await service.cancel(session, kernel.clock, actor, appointment_id, _text(form, "reason"))
            elif action == "remind":
                await service.mark_reminded(session, kernel.clock, actor, appointment_id)
            else:
                slot_id = _int(form, "slot_id", message=MSG_SLOT_FIRST) if _text(form, "slot_id") else 0
                if not slot_id:
                    raise InvalidInput(MSG_SLOT_FIRST, field="slot_id")
                new = await service.reschedule(
                    session, kernel.clock, actor, appointment_id, slot_id, _text(form, "reason")
                )
                back = f"/appointments/{new.id}"
    except DomainError as error:
        return await _error_page(request, error, back)
    return Redirect(back, status_code=303)


@post("/appointments/{appointment_id:int}/attend", opt=BOOK, include_in_schema=False)
async def attend_submit(request: Request[Any, Any, Any], appointment_id: FromPath[int]) -> Response[Any]:
    return await _act(request, appointment_id, "attend")


@post("/appointments/{appointment_id:int}/cancel", opt=BOOK, include_in_schema=False)
async def cancel_submit(request: Request[Any, Any, Any], appointment_id: FromPath[int]) -> Response[Any]:
    return await _act(request, appointment_id, "cancel")


@post("/appointments/{appointment_id:int}/remind", opt=BOOK, include_in_schema=False)
async def remind_submit(request: Request[Any, Any, Any], appointment_id: FromPath[int]) -> Response[Any]:
    return await _act(request, appointment_id, "remind")


@post("/appointments/{appointment_id:int}/reschedule", opt=BOOK, include_in_schema=False)
async def reschedule_submit(request: Request[Any, Any, Any], appointment_id: FromPath[int]) -> Response[Any]:
    return await _act(request, appointment_id, "reschedule")


@get("/appointments/{appointment_id:int}", opt=READ, include_in_schema=False)
async def appointment_page(
    request: Request[Any, Any, Any], appointment_id: FromPath[int], move_day: FromQuery[date | None] = None
) -> Response[str]:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        item = await api.get_appointment(session, appointment_id=appointment_id)
        await _audit_read(kernel, ctx, session, "appointment.read", item.code, [item.patient_id])
        day = move_day or item.day
        slots = [api.slot_out(s) for s in await service.slots_on(session, day=day, doctor_code=item.doctor_code)]
    return await render_page(
        request,
        "appointments/appointment.html",
        item=item,
        slots=[s for s in slots if s.free > 0 and s.id != item.slot_id],
        move_day=day,
        today=local_date(kernel.clock.now()),
        status_labels=rules.STATUS_LABELS,
        source_labels=rules.SOURCE_LABELS,
    )


# ---------------------------------------------------------------- booking


async def _booking_values(
    kernel: Kernel,
    ctx: RequestContext,
    *,
    visit: int | None,
    patient_code: str | None,
    patient_id: int | None,
    day: date | None,
    doctor: str | None,
) -> dict[str, Any]:
    today = local_date(kernel.clock.now())
    follow_up: FollowUpOut | None = None
    found = None
    error = None
    async with kernel.db.transaction() as session:
        if visit is not None:
            follow_up = await api.follow_up_of(session, visit_id=visit)
            await _audit_read(kernel, ctx, session, "follow_up.read", follow_up.visit_code, [follow_up.patient_id])
            patient_id = follow_up.patient_id
        try:
            if patient_code:
                found = await patients.get_patient_by_code(session, code=patient_code.strip().upper())
            elif patient_id:
                found = await patients.get_patient(session, patient_id=patient_id)
        except DomainError as err:
            error = kernel.translator.gettext(ctx.locale, err.message, err.params or None)
        wanted_day = day or (follow_up.follow_up_date if follow_up else None) or today + timedelta(days=1)
        wanted_doctor = doctor if doctor is not None else (follow_up.doctor_code if follow_up else None) or ""
        slots = [
            api.slot_out(s) for s in await service.slots_on(session, day=wanted_day, doctor_code=wanted_doctor or None)
        ]
        doctors = await service.doctors_with_slots(session, first=today, last=today + timedelta(days=92))
    return {
        "follow_up": follow_up,
        "patient": found,
        "error": error,
        "day": wanted_day,
        "doctor": wanted_doctor,
        "doctors": doctors,
        "slots": slots,
        "today": today,
        "visit": visit,
    }


@get("/appointments/book", opt=BOOK, include_in_schema=False)
async def book_page(
    request: Request[Any, Any, Any],
    visit: FromQuery[int | None] = None,
    patient: Annotated[str | None, QueryParameter(max_length=40)] = None,
    patient_id: FromQuery[int | None] = None,
    day: FromQuery[date | None] = None,
    doctor: Annotated[str | None, QueryParameter(max_length=32)] = None,
) -> Response[str]:
    """The booking page. `?visit=<visit id>` books the follow-up the examination of that visit asked for: the
    patient, the examining doctor and the follow-up date are filled in from the examination."""
    kernel = _kernel(request)
    values = await _booking_values(
        kernel, context_of(request), visit=visit, patient_code=patient, patient_id=patient_id, day=day, doctor=doctor
    )
    return await render_page(request, "appointments/book.html", form={}, errors={}, **values)


@post("/appointments/book", opt=BOOK, include_in_schema=False)
async def book_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    visit_text = _text(form, "visit")
    try:
        if not _text(form, "patient_id"):
            raise InvalidInput(MSG_PATIENT_FIRST, field="patient_id")
        if not _text(form, "slot_id"):
            raise InvalidInput(MSG_SLOT_FIRST, field="slot_id")
        data = BookIn(
            slot_id=_int(form, "slot_id", message=MSG_SLOT_FIRST),
            patient_id=_int(form, "patient_id", message=MSG_PATIENT_FIRST),
            source=_text(form, "source") or "phone",
            from_visit_id=_int(form, "visit") if visit_text else None,
            phone=_text(form, "phone"),
            note=_text(form, "note"),
        )
        async with kernel.db.transaction() as session:
            row = await service.book(session, kernel.clock, ctx.audit_actor(), data)
    except DomainError as error:
        field, message = _translate(kernel, ctx, error)
        day_text = _text(form, "day")
        try:
            day = date.fromisoformat(day_text) if day_text else None
        except ValueError:
            day = None
        patient_text = _text(form, "patient_id")
        values = await _booking_values(
            kernel,
            ctx,
            visit=int(visit_text) if visit_text.isdigit() else None,
            patient_code=None,
            patient_id=int(patient_text) if patient_text.isdigit() else None,
            day=day,
            doctor=_text(form, "doctor"),
        )
        return await render_page(
            request,
            "appointments/book.html",
            status_code=error.status_code,
            form=_plain(form),
            errors={field: message},
            **values,
        )
    return Redirect(f"/appointments/{row.id}?booked=1", status_code=303)


# ---------------------------------------------------------------- the paper


async def _paper(request: Request[Any, Any, Any], appointment_id: int, action: str) -> tuple[Any, ...]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        item = await api.get_appointment(session, appointment_id=appointment_id)
        facts = await paper.paper_facts(session, kernel, item)
        hospital = await get_hospital(session, kernel.settings.hospital)
        room = await catalogs.get_clinic_room(session, code=item.room_code, as_of=item.day)
        await _audit_read(kernel, context_of(request), session, action, item.code, [item.patient_id])
    return item, facts, hospital, room.name if room else item.room_code


@get("/appointments/{appointment_id:int}/paper.pdf", opt=READ, include_in_schema=False)
async def paper_file(request: Request[Any, Any, Any], appointment_id: FromPath[int]) -> Response[bytes]:
    """The appointment paper as printed for the patient (A5)."""
    item, facts, hospital, room_name = await _paper(request, appointment_id, "appointment.print")
    content = paper.paper_pdf(item, facts, hospital, room_name)
    headers = {"Content-Disposition": f'inline; filename="giay-hen-{item.id}.pdf"'}
    return Response(content, media_type="application/pdf", headers=headers)


@get("/appointments/{appointment_id:int}/xml14.xml", opt=READ, include_in_schema=False)
async def xml14_file(request: Request[Any, Any, Any], appointment_id: FromPath[int]) -> Response[bytes]:
    """The XML14 table (giấy hẹn khám lại) of QĐ 130 for the claim of the examination that asked for it."""
    item, facts, _hospital, _room = await _paper(request, appointment_id, "appointment.xml14")
    paper.require_visit(facts)
    headers = {"Content-Disposition": f'attachment; filename="XML14-{item.id}.xml"'}
    return Response(paper.xml14_bytes(rules.xml14_record(facts)), media_type="application/xml", headers=headers)


# ---------------------------------------------------------------- reminders


@get("/appointments/reminders", opt=READ, include_in_schema=False)
async def reminders_page(request: Request[Any, Any, Any], days: FromQuery[int] = 1) -> Response[str]:
    first, last, items = await _reminders(_kernel(request), context_of(request), days)
    return await render_page(request, "appointments/reminders.html", first=first, last=last, days=days, items=items)


@get("/appointments/reminders.csv", opt=READ, include_in_schema=False)
async def reminders_csv(request: Request[Any, Any, Any], days: FromQuery[int] = 1) -> Response[bytes]:
    first, last, items = await _reminders(_kernel(request), context_of(request), days)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["ngay", "gio", "ma_benh_nhan", "ho_ten", "dien_thoai", "bac_si", "phong", "so_giay_hen", "da_nhac"]
    )
    for item in items:
        writer.writerow(
            [
                item.day.isoformat(),
                item.start,
                item.patient_code,
                item.patient_name,
                item.phone,
                item.doctor_name,
                item.room_code,
                item.code,
                "x" if item.reminded_at else "",
            ]
        )
    # A byte-order mark so that spreadsheet programs read the Vietnamese names as UTF-8.
    content = "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    headers = {"Content-Disposition": f'attachment; filename="nhac-hen-{first.isoformat()}-{last.isoformat()}.csv"'}
    return Response(content, media_type="text/csv; charset=utf-8", headers=headers)


# ---------------------------------------------------------------- schedules, closures, slots


async def _schedules_page(
    request: Request[Any, Any, Any],
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response[str]:
    kernel = _kernel(request)
    today = local_date(kernel.clock.now())
    async with kernel.db.transaction() as session:
        schedules = [api.schedule_out(row) for row in await service.list_schedules(session)]
        closures = [
            api.closure_out(row, await service.booked_inside(session, row))
            for row in await service.list_closures(session, first=today, last=today + timedelta(days=366))
        ]
        rooms = (await catalogs.search(session, kind="clinic-rooms", as_of=today, limit=200)).items
        staff = (await catalogs.search(session, kind="staff", as_of=today, limit=200)).items
    doctors = [s for s in staff if getattr(s, "role", "") in DOCTOR_ROLES]
    return await render_page(
        request,
        "appointments/schedules.html",
        status_code=status_code,
        schedules=schedules,
        closures=closures,
        rooms=rooms,
        doctors=doctors,
        weekdays=rules.WEEKDAY_LABELS,
        today=today,
        errors=errors or {},
        form=form or {},
        notice=notice,
    )


@get("/appointments/schedules", opt=SCHEDULE, include_in_schema=False)
async def schedules_page(request: Request[Any, Any, Any]) -> Response[str]:
    return await _schedules_page(request)


@post("/appointments/schedules", opt=SCHEDULE, include_in_schema=False)
async def schedule_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    try:
        valid_to = _text(form, "valid_to")
        data = ScheduleIn(
            doctor_code=_text(form, "doctor_code"),
            room_code=_text(form, "room_code"),
            weekday=_int(form, "weekday", message=rules.MSG_WEEKDAY),
            start=_text(form, "start"),
            end=_text(form, "end"),
            slot_minutes=_int(form, "slot_minutes"),
            capacity=_int(form, "capacity"),
            valid_from=_date(form, "valid_from") if _text(form, "valid_from") else None,
            valid_to=_date(form, "valid_to") if valid_to else None,
        )
        async with kernel.db.transaction() as session:
            await service.create_schedule(session, kernel.clock, ctx.audit_actor(), data)
    except DomainError as error:
        field, message = _translate(kernel, ctx, error)
        return await _schedules_page(request, errors={field: message}, form=_plain(form), status_code=error.status_code)
    return Redirect("/appointments/schedules", status_code=303)


@post("/appointments/schedules/{schedule_id:int}/deactivate", opt=SCHEDULE, include_in_schema=False)
async def deactivate_submit(request: Request[Any, Any, Any], schedule_id: FromPath[int]) -> Response[Any]:
    kernel = _kernel(request)
    try:
        async with kernel.db.transaction() as session:
            await service.deactivate_schedule(session, kernel.clock, context_of(request).audit_actor(), schedule_id)
    except DomainError as error:
        return await _error_page(request, error, "/appointments/schedules")
    return Redirect("/appointments/schedules", status_code=303)


@post("/appointments/closures", opt=SCHEDULE, include_in_schema=False)
async def closure_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    try:
        data = ClosureIn(
            day=_date(form, "closure_day"),
            reason=_text(form, "reason"),
            room_code=_text(form, "closure_room") or None,
            doctor_code=_text(form, "closure_doctor") or None,
        )
        async with kernel.db.transaction() as session:
            await service.add_closure(session, kernel.clock, ctx.audit_actor(), data)
    except DomainError as error:
        field, message = _translate(kernel, ctx, error)
        return await _schedules_page(request, errors={field: message}, form=_plain(form), status_code=error.status_code)
    return Redirect("/appointments/schedules", status_code=303)


@post("/appointments/slots/generate", opt=SCHEDULE, include_in_schema=False)
async def generate_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = await request.form()
    try:
        first, last = _date(form, "first"), _date(form, "last")
        async with kernel.db.transaction() as session:
            done = await service.generate_slots(session, kernel.clock, ctx.audit_actor(), first=first, last=last)
    except DomainError as error:
        field, message = _translate(kernel, ctx, error)
        return await _schedules_page(request, errors={field: message}, form=_plain(form), status_code=error.status_code)
    notice = kernel.translator.gettext(
        ctx.locale,
        _("{created} slots created, {already} already there, {closed} closed sessions skipped"),
        {"created": done.created, "already": done.already_there, "closed": done.closed_days},
    )
    return await _schedules_page(request, notice=notice)


# ---------------------------------------------------------------- statistics


@get("/appointments/no-shows", opt=STATISTICS, include_in_schema=False)
async def no_shows_page(
    request: Request[Any, Any, Any], first: FromQuery[date | None] = None, last: FromQuery[date | None] = None
) -> Response[str]:
    kernel = _kernel(request)
    today = local_date(kernel.clock.now())
    last_day = last or today - timedelta(days=1)
    first_day = first or last_day - timedelta(days=29)
    lines = await _no_shows(kernel, context_of(request), first_day, last_day)
    return await render_page(request, "appointments/no_shows.html", first=first_day, last=last_day, lines=lines)


PAGE_HANDLERS = (
    day_page,
    attend_submit,
    cancel_submit,
    remind_submit,
    reschedule_submit,
    appointment_page,
    book_page,
    book_submit,
    paper_file,
    xml14_file,
    reminders_page,
    reminders_csv,
    schedules_page,
    schedule_submit,
    deactivate_submit,
    closure_submit,
    generate_submit,
    no_shows_page,
)
