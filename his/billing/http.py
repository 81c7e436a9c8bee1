"""Billing over HTTP: the JSON API under /api/v1/billing and the cashier pages. Thin: calls his.billing.api."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post, put
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody, QueryParameter, URLEncodedBody
from litestar.response import Redirect

from his.billing import api, rules
from his.billing.pdf import money, receipt_pdf
from his.billing.schemas import (
    AccountIn,
    AccountSummary,
    BookIn,
    BookOut,
    CancelIn,
    ChargeIn,
    ChargeOut,
    CollectIn,
    PayerFacts,
    PolicyImportOut,
    PolicyRuleOut,
    ReceiptOut,
    ShiftReport,
)
from his.billing.service import VIETNAM, today
from his.kernel.audit.service import AuditEntry
from his.kernel.errors import DomainError, InvalidInput, NotFound
from his.kernel.hospital import get_hospital
from his.kernel.i18n import lazy as _
from his.kernel.runtime import Kernel
from his.kernel.web.context import RequestContext, context_of
from his.kernel.web.guard import requires
from his.kernel.web.render import render_page
from his.reception import api as reception

READ = requires("billing.read")
CHARGE = requires("billing.charge")
COLLECT = requires("billing.collect")
CANCEL = requires("billing.cancel")
POLICY = requires("billing.policy")
FormData = dict[str, str | list[str]]
METHOD_LABELS = {"cash": _("Cash"), "card": _("Bank card"), "transfer": _("Bank transfer")}


def _kernel(request: Request[Any, Any, Any]) -> Kernel:
    kernel: Kernel = request.app.state["kernel"]
    return kernel


def _audit_read(ctx: RequestContext, summary: AccountSummary) -> AuditEntry:
    """A patient's fees are patient data: every read is audited with the patient (criterion 116)."""
    return AuditEntry(
        action="patient.read",
        object_type="billing_account",
        object_id=summary.encounter_ref[:64],
        patient_id=str(summary.patient_id),
        detail="billing account",
    )


def _cashier_name(ctx: RequestContext) -> str:
    actor = ctx.require_actor()
    return actor.full_name or actor.username


def _shift_bounds(kernel: Kernel, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """Default: today in Viet Nam, midnight to midnight. Times without a zone are Viet Nam time."""
    day = today(kernel.clock)
    start = start or datetime.combine(day, time(0), VIETNAM)
    end = end or start + timedelta(days=1)
    start = start if start.tzinfo else start.replace(tzinfo=VIETNAM)
    end = end if end.tzinfo else end.replace(tzinfo=VIETNAM)
    if end <= start:
        raise InvalidInput(_("The end of the shift must come after its start"), field="end")
    return start, end


# ---------------------------------------------------------------- JSON API: policy


@get("/billing/policy", opt=READ, summary="BHYT coverage rules (in force on a day, or every version)")
async def api_policy(request: Request[Any, Any, Any], on: FromQuery[date | None] = None) -> list[PolicyRuleOut]:
    async with _kernel(request).db.transaction() as session:
        return await api.policy_rules(session, on=on)


@post("/billing/policy/import", opt=POLICY, status_code=200, summary="Import a policy CSV (multipart: file)")
async def api_policy_import(request: Request[Any, Any, Any], data: MultipartBody[dict[str, Any]]) -> PolicyImportOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    upload = data.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput(_("Choose a CSV file to import"), field="file")
    try:
        text = (await upload.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(_("The file is not UTF-8 text"), field="file") from None
    try:
        async with kernel.db.transaction() as session:
            return await api.import_policy(
                session, kernel=kernel, actor=ctx.audit_actor(), text=text, source_name=upload.filename or "upload"
            )
    except rules.PolicyFileError as rejected:
        first = rejected.problems[0]
        raise InvalidInput(
            _("The policy file was refused (line {line}): {problem}"),
            field="file",
            line=first.line,
            problem=kernel.translator.gettext(ctx.locale, first.message, dict(first.params) or None),
        ) from None


# ---------------------------------------------------------------- JSON API: accounts and charges


@post("/billing/accounts", opt=CHARGE, status_code=201, summary="Open the fee account of an encounter")
async def api_open_account(request: Request[Any, Any, Any], data: JSONBody[AccountIn]) -> AccountSummary:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await api.open_account(session, kernel=kernel, actor=context_of(request).audit_actor(), data=data)


@get("/billing/accounts", opt=READ, summary="Find accounts by encounter reference or patient code (exact)")
async def api_find_accounts(
    request: Request[Any, Any, Any], q: Annotated[str, QueryParameter(min_length=1, max_length=40)]
) -> list[AccountSummary]:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        found = await api.find_accounts(session, kernel=kernel, term=q)
        for summary in found:
            await kernel.audit(ctx.audit_actor(), _audit_read(ctx, summary), session)
    return found


@get("/billing/accounts/{ref:str}", opt=READ, summary="The account: charges split between fund and patient")
async def api_account(request: Request[Any, Any, Any], ref: FromPath[str]) -> AccountSummary:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        summary = await api.account_summary(session, kernel=kernel, encounter_ref=ref)
        await kernel.audit(ctx.audit_actor(), _audit_read(ctx, summary), session)
    return summary


@put("/billing/accounts/{ref:str}/payer", opt=CHARGE, summary="Correct the card or route of an account")
async def api_update_payer(
    request: Request[Any, Any, Any], ref: FromPath[str], data: JSONBody[PayerFacts]
) -> AccountSummary:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await api.update_payer(
            session, kernel=kernel, actor=context_of(request).audit_actor(), encounter_ref=ref, payer=data
        )


@post("/billing/accounts/{ref:str}/close", opt=CHARGE, status_code=200, summary="Close an account to new charges")
async def api_close_account(request: Request[Any, Any, Any], ref: FromPath[str]) -> AccountSummary:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await api.close_account(
            session, kernel=kernel, actor=context_of(request).audit_actor(), encounter_ref=ref
        )


@post("/billing/accounts/{ref:str}/charges", opt=CHARGE, status_code=201, summary="Post a charge")
async def api_post_charge(request: Request[Any, Any, Any], ref: FromPath[str], data: JSONBody[ChargeIn]) -> ChargeOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await api.post_charge(
            session, kernel=kernel, actor=context_of(request).audit_actor(), encounter_ref=ref, charge=data
        )


@post(
    "/billing/visits/{code:str}/sync",
    opt=CHARGE,
    status_code=200,
    summary="Build a visit's account from reception, the examination and the pharmacy (idempotent)",
)
async def api_sync_visit(request: Request[Any, Any, Any], code: FromPath[str]) -> AccountSummary:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        summary = await api.sync_visit(session, kernel=kernel, actor=ctx.audit_actor(), visit_code=code)
        await kernel.audit(ctx.audit_actor(), _audit_read(ctx, summary), session)
    return summary


@post("/billing/charges/{charge_id:int}/cancel", opt=CHARGE, status_code=200, summary="Cancel a charge")
async def api_cancel_charge(
    request: Request[Any, Any, Any], charge_id: FromPath[int], data: JSONBody[CancelIn]
) -> ChargeOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await api.cancel_charge(
            session, kernel=kernel, actor=context_of(request).audit_actor(), charge_id=charge_id, reason=data.reason
        )


# ---------------------------------------------------------------- JSON API: receipts


@post("/billing/accounts/{ref:str}/receipts", opt=COLLECT, status_code=201, summary="Collect payment: a receipt")
async def api_collect(request: Request[Any, Any, Any], ref: FromPath[str], data: JSONBody[CollectIn]) -> ReceiptOut:
    kernel = _kernel(request)
    ctx = context_of(request)
    async with kernel.db.transaction() as session:
        return await api.collect_payment(
            session,
            kernel=kernel,
            actor=ctx.audit_actor(),
            cashier_name=_cashier_name(ctx),
            encounter_ref=ref,
            data=data,
        )


@get("/billing/accounts/{ref:str}/receipts", opt=READ, summary="The receipts of an account, cancelled ones too")
async def api_account_receipts(request: Request[Any, Any, Any], ref: FromPath[str]) -> list[ReceiptOut]:
    async with _kernel(request).db.transaction() as session:
        return await api.receipts_of_account(session, encounter_ref=ref)


async def _receipt(request: Request[Any, Any, Any], receipt_id: int, *, action: str) -> ReceiptOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        receipt = await api.get_receipt(session, receipt_id=receipt_id)
        await kernel.audit(
            context_of(request).audit_actor(),
            AuditEntry(
                action="patient.read",
                object_type="billing_receipt",
                object_id=f"{receipt.book}/{receipt.number_text}",
                patient_id=str(receipt.patient_id),
                detail=action,
            ),
            session,
        )
    return receipt


@get("/billing/receipts/{receipt_id:int}", opt=READ, summary="One receipt")
async def api_receipt(request: Request[Any, Any, Any], receipt_id: FromPath[int]) -> ReceiptOut:
    return await _receipt(request, receipt_id, action="receipt")


@get("/billing/receipts/{receipt_id:int}/pdf", opt=READ, summary="The receipt as PDF", media_type="application/pdf")
async def api_receipt_pdf(request: Request[Any, Any, Any], receipt_id: FromPath[int]) -> Response[bytes]:
    kernel = _kernel(request)
    receipt = await _receipt(request, receipt_id, action="receipt pdf")
    async with kernel.db.transaction() as session:
        hospital = await get_hospital(session, kernel.settings.hospital)
    content = receipt_pdf(receipt, hospital)
    filename = f"bien-lai-{receipt.book}-{receipt.number_text}.pdf"
    return Response(
        content, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )


@post("/billing/receipts/{receipt_id:int}/cancel", opt=CANCEL, status_code=200, summary="Cancel a receipt")
async def api_cancel_receipt(
    request: Request[Any, Any, Any], receipt_id: FromPath[int], data: JSONBody[CancelIn]
) -> ReceiptOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await api.cancel_receipt(
            session, kernel=kernel, actor=context_of(request).audit_actor(), receipt_id=receipt_id, reason=data.reason
        )


@get("/billing/books", opt=READ, summary="Receipt books and their next numbers")
async def api_books(request: Request[Any, Any, Any]) -> list[BookOut]:
    async with _kernel(request).db.transaction() as session:
        return await api.receipt_books(session)


@post("/billing/books", opt=POLICY, status_code=201, summary="Open a receipt book")
async def api_create_book(request: Request[Any, Any, Any], data: JSONBody[BookIn]) -> BookOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await api.create_receipt_book(
            session, kernel=kernel, actor=context_of(request).audit_actor(), code=data.code, symbol=data.symbol
        )


@get("/billing/shift", opt=READ, summary="Cashier shift report: totals per cashier, cancelled receipts")
async def api_shift(
    request: Request[Any, Any, Any],
    start: FromQuery[datetime | None] = None,
    end: FromQuery[datetime | None] = None,
    cashier: Annotated[str | None, QueryParameter(max_length=80)] = None,
) -> ShiftReport:
    kernel = _kernel(request)
    begin, finish = _shift_bounds(kernel, start, end)
    async with kernel.db.transaction() as session:
        return await api.shift_report(session, start=begin, end=finish, cashier=cashier or None)


def billing_api_router() -> Router:
    return Router(
        path="/api/v1",
        route_handlers=[
            api_policy,
            api_policy_import,
            api_open_account,
            api_find_accounts,
            api_account,
            api_update_payer,
            api_close_account,
            api_post_charge,
            api_sync_visit,
            api_cancel_charge,
            api_collect,
            api_account_receipts,
            api_receipt,
            api_receipt_pdf,
            api_cancel_receipt,
            api_books,
            api_create_book,
            api_shift,
        ],
        tags=["billing"],
    )


# ---------------------------------------------------------------- pages


def _one(data: FormData, name: str) -> str:
    value = data.get(name, "")
    return (value[0] if value else "") if isinstance(value, list) else value


def _local(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


@get("/billing", opt=READ, include_in_schema=False)
async def cashier_page(
    request: Request[Any, Any, Any],
    q: Annotated[str | None, QueryParameter(max_length=40)] = None,
    receipt: FromQuery[int | None] = None,
    error: Annotated[str | None, QueryParameter(max_length=300)] = None,
    notice: Annotated[str | None, QueryParameter(max_length=40)] = None,
) -> Response[str]:
    kernel = _kernel(request)
    ctx = context_of(request)
    found: list[AccountSummary] = []
    receipts: list[ReceiptOut] = []
    if q and q.strip():
        async with kernel.db.transaction() as session:
            found = await api.find_accounts(session, kernel=kernel, term=q)
            for summary in found:
                await kernel.audit(ctx.audit_actor(), _audit_read(ctx, summary), session)
            if len(found) == 1:
                receipts = await api.receipts_of_account(session, encounter_ref=found[0].encounter_ref)
        async with kernel.db.transaction() as session:
            books = await api.receipt_books(session)
    else:
        async with kernel.db.transaction() as session:
            books = await api.receipt_books(session)
    return await render_page(
        request,
        "billing/cashier.html",
        q=q or "",
        found=found,
        account=found[0] if len(found) == 1 else None,
        receipts=receipts,
        books=[book for book in books if book.active],
        issued=receipt,
        error=error,
        notice=notice,
        money=money,
        local=_local,
        methods=METHOD_LABELS,
        can_charge=ctx.actor is not None and ctx.actor.can("billing.charge"),
        can_collect=ctx.actor is not None and ctx.actor.can("billing.collect"),
        can_cancel=ctx.actor is not None and ctx.actor.can("billing.cancel"),
    )


def _back(q: str, **extra: str) -> Redirect:
    return Redirect("/billing?" + urlencode({"q": q, **extra}), status_code=303)


def _error_text(request: Request[Any, Any, Any], error: DomainError) -> str:
    ctx = context_of(request)
    return _kernel(request).translator.gettext(ctx.locale, error.message, error.params or None)[:300]


@post("/billing/scan", opt=CHARGE, include_in_schema=False)
async def scan_submit(request: Request[Any, Any, Any], data: URLEncodedBody[FormData]) -> Response[Any]:
    """A scanned or typed visit code builds the visit's account first; anything else is a plain search."""
    kernel = _kernel(request)
    term = _one(data, "q").strip()[:40]
    if not term:
        return Redirect("/billing", status_code=303)
    try:
        async with kernel.db.transaction() as session:
            try:
                visit = await reception.get_visit_by_code(session, code=term)
            except NotFound:
                return _back(term)
            await api.sync_visit(session, kernel=kernel, actor=context_of(request).audit_actor(), visit_code=visit.code)
    except DomainError as error:
        return _back(term, error=_error_text(request, error))
    return _back(visit.code)


@post("/billing/accounts/{ref:str}/collect", opt=COLLECT, include_in_schema=False)
async def collect_submit(
    request: Request[Any, Any, Any], ref: FromPath[str], data: URLEncodedBody[FormData]
) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    try:
        method = _one(data, "payment_method")
        if method not in METHOD_LABELS:
            raise InvalidInput(_("Choose how the patient pays"), field="payment_method")
        expected_text = _one(data, "expected_amount")
        if not expected_text.isdigit():
            raise InvalidInput(_("The amount is not a number"), field="expected_amount")
        collect = CollectIn(
            payment_method=method,  # type: ignore[arg-type]
            expected_amount=int(expected_text),
            book=_one(data, "book") or None,
        )
        async with kernel.db.transaction() as session:
            receipt = await api.collect_payment(
                session,
                kernel=kernel,
                actor=ctx.audit_actor(),
                cashier_name=_cashier_name(ctx),
                encounter_ref=ref,
                data=collect,
            )
    except DomainError as error:
        return _back(ref, error=_error_text(request, error))
    return _back(ref, receipt=str(receipt.id), notice="collected")


@post("/billing/receipts/{receipt_id:int}/cancel", opt=CANCEL, include_in_schema=False)
async def cancel_submit(
    request: Request[Any, Any, Any], receipt_id: FromPath[int], data: URLEncodedBody[FormData]
) -> Response[Any]:
    kernel = _kernel(request)
    back = _one(data, "q")
    try:
        async with kernel.db.transaction() as session:
            await api.cancel_receipt(
                session,
                kernel=kernel,
                actor=context_of(request).audit_actor(),
                receipt_id=receipt_id,
                reason=_one(data, "reason"),
            )
    except DomainError as error:
        return _back(back, error=_error_text(request, error))
    return _back(back, notice="cancelled")


def _form_time(text: str | None, field: str) -> datetime | None:
    if text is None or not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(_("{value} is not a date and time"), field=field, value=text[:30]) from None


@get("/billing/shift", opt=READ, include_in_schema=False)
async def shift_page(
    request: Request[Any, Any, Any],
    start: Annotated[str | None, QueryParameter(max_length=30)] = None,
    end: Annotated[str | None, QueryParameter(max_length=30)] = None,
    cashier: Annotated[str | None, QueryParameter(max_length=80)] = None,
) -> Response[str]:
    kernel = _kernel(request)
    begin, finish = _shift_bounds(kernel, _form_time(start, "start"), _form_time(end, "end"))
    async with kernel.db.transaction() as session:
        report = await api.shift_report(session, start=begin, end=finish, cashier=cashier or None)
    return await render_page(
        request,
        "billing/shift.html",
        report=report,
        start=begin.astimezone(VIETNAM).strftime("%Y-%m-%dT%H:%M"),
        end=finish.astimezone(VIETNAM).strftime("%Y-%m-%dT%H:%M"),
        cashier=cashier or "",
        money=money,
        local=_local,
        methods=METHOD_LABELS,
        json_url="/api/v1/billing/shift?"
        + urlencode(
            {"start": begin.isoformat(), "end": finish.isoformat(), **({"cashier": cashier} if cashier else {})}
        ),
    )


@get("/billing/policy", opt=READ, include_in_schema=False)
async def policy_page(
    request: Request[Any, Any, Any], on: Annotated[str | None, QueryParameter(max_length=10)] = None
) -> Response[str]:
    kernel = _kernel(request)
    try:
        day = date.fromisoformat(on) if on else today(kernel.clock)
    except ValueError:
        raise InvalidInput(_("{value} is not a date (YYYY-MM-DD)"), field="on", value=(on or "")[:10]) from None
    async with kernel.db.transaction() as session:
        found = await api.policy_rules(session, on=day)
    return await render_page(request, "billing/policy.html", rules=found, day=day.isoformat(), money=money)


def billing_page_handlers() -> list[Any]:
    return [cashier_page, scan_submit, collect_submit, cancel_submit, shift_page, policy_page]
