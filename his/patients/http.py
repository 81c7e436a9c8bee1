"""The patient registry over HTTP: the JSON API under /api/v1/patients and the reception pages. Thin."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, patch, post
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter, URLEncodedBody
from litestar.response import Redirect

from his.kernel.audit.service import AuditEntry
from his.kernel.errors import DomainError, InvalidInput
from his.kernel.i18n import lazy as _
from his.kernel.runtime import Kernel
from his.kernel.web.context import RequestContext, context_of
from his.kernel.web.guard import requires
from his.kernel.web.render import render_fragment, render_page
from his.patients import api, service
from his.patients.rules import BENEFIT_LEVELS, BHYT_OBJECT_CODES, Problem
from his.patients.schemas import (
    DuplicateCandidate,
    DuplicateProblem,
    InsuranceCardIn,
    InsuranceCardOut,
    MergeIn,
    MergeOut,
    PatientDetail,
    PatientIn,
    PatientPage,
    PatientPatch,
)

PAGE_SIZE = 50
MAX_QUERY = 200
PROBLEM_JSON = "application/problem+json"
READ = requires("patients.read")
WRITE = requires("patients.write")
READ_ONE = requires("patients.read", reads_patient="patient_id")
WRITE_ONE = requires("patients.write", reads_patient="patient_id")
MERGE_ONE = requires("patients.merge", reads_patient="patient_id")
FormData = dict[str, str | list[str]]


def _kernel(request: Request[Any, Any, Any]) -> Kernel:
    kernel: Kernel = request.app.state["kernel"]
    return kernel


def _translate(kernel: Kernel, ctx: RequestContext, message: str, params: Mapping[str, Any] | None = None) -> str:
    return kernel.translator.gettext(ctx.locale, message, dict(params) if params else None)


def _problems_of(err: DomainError) -> list[Problem]:
    if isinstance(err, service.PatientRejected):
        return err.problems
    field = err.field if isinstance(err, InvalidInput) and err.field else "form"
    return [Problem(field, err.message, dict(err.params))]


def _problem_response(
    request: Request[Any, Any, Any], status: int, title: str, detail: str, extra: dict[str, Any]
) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    body = {
        "type": "about:blank",
        "title": _translate(kernel, ctx, title),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": ctx.request_id,
        **extra,
    }
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers={"Content-Language": ctx.locale})


def rejected_handler(request: Request[Any, Any, Any], exc: service.PatientRejected) -> Response[Any]:
    """422 naming every field at fault, not only the first (Litestar exception handlers are synchronous)."""
    kernel = _kernel(request)
    ctx = context_of(request)
    errors = [{"field": p.field, "message": _translate(kernel, ctx, p.message, p.params)} for p in exc.problems]
    return _problem_response(request, 422, exc.title, errors[0]["message"], {"errors": errors})


async def _duplicate_answer(
    request: Request[Any, Any, Any], suspected: service.DuplicateSuspected, candidates: list[DuplicateCandidate]
) -> Response[Any]:
    """Audits the refusal in a transaction of its own (the registration rolled back) and answers 409."""
    kernel = _kernel(request)
    ctx = context_of(request)
    await kernel.audit(
        ctx.audit_actor(),
        AuditEntry(
            action="patient.register",
            outcome="duplicate",
            object_type="patient",
            detail="candidates " + ",".join(c.patient.code for c in candidates),
        ),
    )
    body = DuplicateProblem(
        type="about:blank",
        title=_translate(kernel, ctx, suspected.title),
        status=409,
        detail=_translate(kernel, ctx, suspected.message, suspected.params),
        instance=request.url.path,
        request_id=ctx.request_id,
        candidates=candidates,
    )
    return Response(body, status_code=409, media_type=PROBLEM_JSON, headers={"Content-Language": ctx.locale})


async def _register(
    request: Request[Any, Any, Any], data: PatientIn
) -> PatientDetail | tuple[service.DuplicateSuspected, list[DuplicateCandidate]]:
    kernel = _kernel(request)
    ctx = context_of(request)
    try:
        async with kernel.db.transaction() as session:
            try:
                patient, _card = await service.register(kernel, session, ctx.audit_actor(), data)
            except service.DuplicateSuspected as suspected:
                candidates = await api.suspected_out(session, suspected.candidates)
                raise _Refused(suspected, candidates) from suspected
            return await api.get_patient_detail(session, patient_id=patient.id, on=service.today(kernel.clock))
    except _Refused as refused:
        return refused.suspected, refused.candidates


class _Refused(Exception):
    """Carries a duplicate refusal with its candidates out of the (rolled back) transaction."""

    def __init__(self, suspected: service.DuplicateSuspected, candidates: list[DuplicateCandidate]) -> None:
        super().__init__("duplicate suspected")
        self.suspected = suspected
        self.candidates = candidates


# ---------------------------------------------------------------- JSON API


@post(
    "/patients",
    opt=WRITE,
    status_code=201,
    summary="Register a patient (with a first BHYT card); 409 lists the possible duplicates",
    responses={
        409: ResponseSpec(
            data_container=DuplicateProblem,
            description="The person may be registered already; `candidates` lists the records",
            media_type=PROBLEM_JSON,
        )
    },
)
async def api_register(request: Request[Any, Any, Any], data: JSONBody[PatientIn]) -> Response[Any]:
    outcome = await _register(request, data)
    if isinstance(outcome, tuple):
        return await _duplicate_answer(request, *outcome)
    return Response(outcome, status_code=201)


@get("/patients", opt=READ, summary="Search patients: name (accents optional), code, phone, CCCD, card number")
async def api_search(
    request: Request[Any, Any, Any],
    q: Annotated[str | None, QueryParameter(max_length=MAX_QUERY)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=service.MAX_LIMIT)] = PAGE_SIZE,
    offset: Annotated[int, QueryParameter(ge=0)] = 0,
) -> PatientPage:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        page = await api.search_patients(session, q=q, limit=limit, offset=offset)
        await _audit_search(kernel, ctx, session, q, page.total)
    return page


async def _audit_search(kernel: Kernel, ctx: RequestContext, session: Any, q: str | None, total: int) -> None:
    # A result list discloses names and birth years: who looked for whom is part of the access log.
    if q and q.strip():
        await kernel.audit(
            ctx.audit_actor(),
            AuditEntry(action="patient.search", object_type="patient", detail=f"{total} found: {q.strip()[:100]}"),
            session,
        )


@get("/patients/{patient_id:int}", opt=READ_ONE, summary="One patient with the card history")
async def api_patient(request: Request[Any, Any, Any], patient_id: FromPath[int]) -> PatientDetail:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await api.get_patient_detail(session, patient_id=patient_id, on=service.today(kernel.clock))


@patch("/patients/{patient_id:int}", opt=WRITE_ONE, summary="Correct a patient's details (fields left out are kept)")
async def api_update(
    request: Request[Any, Any, Any], patient_id: FromPath[int], data: JSONBody[PatientPatch]
) -> PatientDetail:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        await service.update_patient(kernel, session, ctx.audit_actor(), patient_id, data)
        return await api.get_patient_detail(session, patient_id=patient_id, on=service.today(kernel.clock))


@post(
    "/patients/{patient_id:int}/cards",
    opt=WRITE_ONE,
    status_code=201,
    summary="Record a new or renewed BHYT card; the open card is superseded and kept",
)
async def api_add_card(
    request: Request[Any, Any, Any], patient_id: FromPath[int], data: JSONBody[InsuranceCardIn]
) -> InsuranceCardOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        card = await service.add_card(kernel, session, ctx.audit_actor(), patient_id, data)
        return api.card_out(card)


@get("/patients/{patient_id:int}/duplicates", opt=READ_ONE, summary="Records that may be the same person")
async def api_duplicates(request: Request[Any, Any, Any], patient_id: FromPath[int]) -> list[DuplicateCandidate]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await api.find_duplicates(session, patient_id=patient_id)


@post(
    "/patients/{patient_id:int}/merge-into/{target_id:int}",
    opt=MERGE_ONE,
    status_code=200,
    summary="Merge this duplicate record into the target record (cards move, the record redirects)",
)
async def api_merge(
    request: Request[Any, Any, Any], patient_id: FromPath[int], target_id: FromPath[int], data: JSONBody[MergeIn]
) -> MergeOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        record, _event = await service.merge(
            kernel, session, ctx.audit_actor(), source_id=patient_id, target_id=target_id, reason=data.reason
        )
        return MergeOut(
            record.id,
            record.source_id,
            record.source_code,
            record.target_id,
            record.target_code,
            record.cards_moved,
            record.merged_at,
        )


def patient_api_router() -> Router:
    return Router(
        path="/api/v1",
        route_handlers=[api_register, api_search, api_patient, api_update, api_add_card, api_duplicates, api_merge],
        tags=["patients"],
        exception_handlers={service.PatientRejected: rejected_handler},
    )


# ---------------------------------------------------------------- pages


def vn_date(value: date | datetime | None) -> str:
    """dd/mm/yyyy, as dates are written in Viet Nam (times in Viet Nam time)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(service.VIETNAM).strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def _page_values() -> dict[str, Any]:
    return {"vn_date": vn_date, "object_codes": BHYT_OBJECT_CODES, "benefit_levels": BENEFIT_LEVELS}


async def _results(request: Request[Any, Any, Any], q: str | None, offset: int) -> tuple[dict[str, Any], bool]:
    kernel = _kernel(request)
    ctx = context_of(request)
    offset = max(offset, 0)
    async with kernel.db.transaction() as session:
        rows, total, identifier = await service.search_rows(session, q=q, limit=PAGE_SIZE, offset=offset)
        items = await api.summaries_of(session, rows)
        await _audit_search(kernel, ctx, session, q, total)
    base = {"q": q or ""}

    def url(at: int) -> str:
        return "/patients?" + urlencode({**base, "offset": str(at)} if at else base)

    values = {
        "q": q or "",
        "items": items,
        "total": total,
        "first": offset + 1 if total else 0,
        "last": offset + len(items),
        "prev_url": url(max(offset - PAGE_SIZE, 0)) if offset > 0 else None,
        "next_url": url(offset + PAGE_SIZE) if offset + PAGE_SIZE < total else None,
        **_page_values(),
    }
    return values, identifier


@get("/patients", opt=READ, include_in_schema=False)
async def patients_page(
    request: Request[Any, Any, Any],
    q: Annotated[str | None, QueryParameter(max_length=MAX_QUERY)] = None,
    offset: FromQuery[int] = 0,
) -> Response[Any]:
    values, identifier = await _results(request, q, offset)
    # A scanned card or CCCD (then Enter) that finds exactly one patient opens the record at once.
    if identifier and values["total"] == 1:
        return Redirect(f"/patients/{values['items'][0].id}", status_code=303)
    return await render_page(request, "patients/index.html", **values)


@get("/patients/results", opt=READ, include_in_schema=False)
async def patients_results(
    request: Request[Any, Any, Any],
    q: Annotated[str | None, QueryParameter(max_length=MAX_QUERY)] = None,
    offset: FromQuery[int] = 0,
) -> Response[str]:
    values, _identifier = await _results(request, q, offset)
    return await render_fragment(request, "patients/_results.html", **values)


def _one(data: Mapping[str, str | list[str]], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):
        return value[-1] if value else ""
    return value.strip()


def _form_date(data: Mapping[str, str | list[str]], name: str, problems: list[Problem]) -> date | None:
    text = _one(data, name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(name, _("{value} is not a date (YYYY-MM-DD)"), {"value": text[:20]}))
        return None


def _form_int(data: Mapping[str, str | list[str]], name: str, problems: list[Problem]) -> int | None:
    text = _one(data, name)
    if not text:
        return None
    if not text.isdigit():
        problems.append(Problem(name, _("Write a whole number")))
        return None
    return int(text)


_TEXT_FIELDS = (
    "full_name",
    "ethnicity_code",
    "nationality_code",
    "occupation_code",
    "cccd",
    "passport",
    "phone",
    "address_line",
    "province_code",
    "district_code",
    "ward_code",
    "guardian_name",
    "guardian_relation",
    "guardian_phone",
    "guardian_cccd",
    "mother_code",
    "note",
    "not_duplicate_reason",
)


def _card_from_form(
    data: Mapping[str, str | list[str]], problems: list[Problem], prefix: str = "card."
) -> InsuranceCardIn | None:
    number = _one(data, f"{prefix}card_number")
    if not number:
        return None
    valid_from = _form_date(data, f"{prefix}valid_from", problems)
    valid_to = _form_date(data, f"{prefix}valid_to", problems)
    for name, value in (("valid_from", valid_from), ("valid_to", valid_to)):
        if value is None and not any(p.field == f"{prefix}{name}" for p in problems):
            problems.append(Problem(f"{prefix}{name}", _("Write the date the card is valid from and to")))
    if valid_from is None or valid_to is None:
        return None
    return InsuranceCardIn(
        card_number=number,
        valid_from=valid_from,
        valid_to=valid_to,
        initial_facility_code=_one(data, f"{prefix}initial_facility_code"),
        five_years_since=_form_date(data, f"{prefix}five_years_since", problems),
    )


def patient_in_from_form(data: Mapping[str, str | list[str]]) -> PatientIn:
    """The registration form as a PatientIn; PatientRejected names every field that cannot be read."""
    problems: list[Problem] = []
    sex = _one(data, "sex")
    if sex not in ("M", "F"):
        problems.append(Problem("sex", _("Choose male or female")))
    reason = _one(data, "temporary_reason")
    if reason not in ("", "newborn", "foreigner", "unidentified_emergency"):
        problems.append(Problem("temporary_reason", _("Choose a reason from the list")))
    birth_date = _form_date(data, "birth_date", problems)
    birth_year = _form_int(data, "birth_year", problems)
    card = _card_from_form(data, problems)
    if problems:
        raise service.PatientRejected(problems)
    texts = {name: (_one(data, name) or None) for name in _TEXT_FIELDS}
    return PatientIn(
        sex="F" if sex == "F" else "M",
        birth_date=birth_date,
        birth_year=birth_year,
        birth_year_estimated=bool(_one(data, "birth_year_estimated")),
        temporary_reason=(
            "newborn"
            if reason == "newborn"
            else "foreigner"
            if reason == "foreigner"
            else "unidentified_emergency"
            if reason == "unidentified_emergency"
            else None
        ),
        card=card,
        confirm_not_duplicate=bool(_one(data, "confirm_not_duplicate")),
        **texts,
    )


def _errors(kernel: Kernel, ctx: RequestContext, err: DomainError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for problem in _problems_of(err):
        errors.setdefault(problem.field, _translate(kernel, ctx, problem.message, problem.params))
    return errors


@get("/patients/new", opt=WRITE, include_in_schema=False)
async def new_patient_page(request: Request[Any, Any, Any]) -> Response[str]:
    return await render_page(
        request, "patients/new.html", form={}, errors={}, candidates=[], overridable=True, **_page_values()
    )


@post("/patients/new", opt=WRITE, include_in_schema=False)
async def new_patient_submit(request: Request[Any, Any, Any], data: URLEncodedBody[FormData]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = {name: _one(data, name) for name in data}
    try:
        outcome = await _register(request, patient_in_from_form(data))
    except DomainError as err:
        return await render_page(
            request,
            "patients/new.html",
            status_code=err.status_code,
            form=form,
            errors=_errors(kernel, ctx, err),
            candidates=[],
            overridable=True,
            **_page_values(),
        )
    if isinstance(outcome, tuple):
        suspected, candidates = outcome
        await _duplicate_answer(request, suspected, candidates)
        return await render_page(
            request,
            "patients/new.html",
            status_code=409,
            form=form,
            errors={"duplicates": _translate(kernel, ctx, suspected.message, suspected.params)},
            candidates=candidates,
            overridable=suspected.overridable,
            **_page_values(),
        )
    return Redirect(f"/patients/{outcome.patient.id}?notice=registered", status_code=303)


async def _detail_page(
    request: Request[Any, Any, Any],
    patient_id: int,
    *,
    status_code: int = 200,
    errors: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    notice: str | None = None,
) -> Response[str]:
    kernel = _kernel(request)
    today = service.today(kernel.clock)
    async with kernel.db.transaction() as session:
        detail = await api.get_patient_detail(session, patient_id=patient_id, on=today)
        target = (
            await api.get_patient(session, patient_id=detail.patient.merged_into_id)
            if detail.patient.merged_into_id is not None
            else None
        )
        mother = (
            await api.get_patient(session, patient_id=detail.patient.mother_id)
            if detail.patient.mother_id is not None
            else None
        )
        duplicates = [] if target is not None else await api.find_duplicates(session, patient_id=patient_id)
    return await render_page(
        request,
        "patients/detail.html",
        status_code=status_code,
        detail=detail,
        p=detail.patient,
        target=target,
        mother=mother,
        duplicates=duplicates,
        today=today,
        errors=errors or {},
        form=form or {},
        notice=notice,
        **_page_values(),
    )


@get("/patients/{patient_id:int}", opt=READ_ONE, include_in_schema=False)
async def patient_page(
    request: Request[Any, Any, Any], patient_id: FromPath[int], notice: FromQuery[str | None] = None
) -> Response[str]:
    return await _detail_page(request, patient_id, notice=notice)


@post("/patients/{patient_id:int}/cards", opt=WRITE_ONE, include_in_schema=False)
async def card_submit(
    request: Request[Any, Any, Any], patient_id: FromPath[int], data: URLEncodedBody[FormData]
) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    problems: list[Problem] = []
    try:
        card = _card_from_form(data, problems, prefix="")
        if problems or card is None:
            raise service.PatientRejected(problems or [Problem("card_number", _("Write the card number"))])
        async with kernel.db.transaction() as session:
            await service.add_card(kernel, session, ctx.audit_actor(), patient_id, card)
    except DomainError as err:
        form = {name: _one(data, name) for name in data}
        return await _detail_page(
            request, patient_id, status_code=err.status_code, errors=_errors(kernel, ctx, err), form=form
        )
    return Redirect(f"/patients/{patient_id}?notice=card", status_code=303)


@post("/patients/{patient_id:int}/merge", opt=MERGE_ONE, include_in_schema=False)
async def merge_submit(
    request: Request[Any, Any, Any], patient_id: FromPath[int], data: URLEncodedBody[FormData]
) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    try:
        async with kernel.db.transaction() as session:
            target = await api.get_patient_by_code(session, code=_one(data, "target_code") or "-")
            await service.merge(
                kernel,
                session,
                ctx.audit_actor(),
                source_id=patient_id,
                target_id=target.id,
                reason=_one(data, "reason"),
            )
    except DomainError as err:
        errors = _errors(kernel, ctx, err)
        for misplaced in ("form", "target_id"):
            if misplaced in errors:
                errors["target_code"] = errors.pop(misplaced)
        form = {name: _one(data, name) for name in data}
        return await _detail_page(request, patient_id, status_code=err.status_code, errors=errors, form=form)
    return Redirect(f"/patients/{target.id}?notice=merged", status_code=303)


def patient_page_handlers() -> list[Any]:
    return [
        patients_page,
        patients_results,
        new_patient_page,
        new_patient_submit,
        patient_page,
        card_submit,
        merge_submit,
    ]
