"""Pharmacy over HTTP: the JSON API under /api/v1/pharmacy and the pages under /pharmacy. Thin."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter, URLEncodedBody

from his.catalogs import api as catalogs
from his.catalogs.schemas import DrugEntry
from his.kernel.audit.service import AuditEntry
from his.kernel.errors import Conflict, DomainError, InvalidInput, NotFound
from his.kernel.i18n import lazy as _
from his.kernel.runtime import Kernel
from his.kernel.web.context import context_of
from his.kernel.web.guard import requires
from his.kernel.web.render import render_page
from his.outpatient import api as outpatient
from his.pharmacy import service
from his.pharmacy.rules import VIETNAM
from his.pharmacy.schemas import (
    AdjustmentIn,
    DispenseIn,
    DispenseLineIn,
    DispensingOut,
    DrugTotalOut,
    LotOut,
    PrescriptionDispenseIn,
    PrescriptionToDispenseOut,
    ReceiptIn,
    ReceiptLineIn,
    ReceiptOut,
    ReturnIn,
    StockOut,
    WarehouseOut,
)

READ = requires("pharmacy.read")
STOCK = requires("pharmacy.stock")
DISPENSE = requires("pharmacy.dispense")
PAGE_SIZE = 50
FORM_LINES = 6  # empty rows on the receipt and dispensing forms
EXPIRY_WARNING_DAYS = 60
FormData = dict[str, str | list[str]]


def _kernel(request: Request[Any, Any, Any]) -> Kernel:
    kernel: Kernel = request.app.state["kernel"]
    return kernel


async def _audit_refusal(
    request: Request[Any, Any, Any], action: str, err: DomainError, object_id: str, patient_id: int | None = None
) -> None:
    """A refused write rolled back; the attempt is still on record, in a transaction of its own."""
    kernel = _kernel(request)
    await kernel.audit(
        context_of(request).audit_actor(),
        AuditEntry(
            action=action,
            outcome="rejected",
            object_type="dispensing",
            object_id=object_id[:64],
            patient_id=str(patient_id) if patient_id is not None else None,
            detail=str(err)[:500],
        ),
    )


async def _dispense(request: Request[Any, Any, Any], data: DispenseIn) -> DispensingOut:
    kernel = _kernel(request)
    try:
        async with kernel.db.transaction() as session:
            return await service.dispense(session, kernel.clock, context_of(request).audit_actor(), data)
    except Conflict as refused:
        await _audit_refusal(request, "pharmacy.dispense", refused, data.reference)
        raise


async def _audit_patient_read(
    request: Request[Any, Any, Any], session: Any, object_type: str, object_id: str, patient_id: int
) -> None:
    """What a patient was prescribed or given is patient data: its reading is audited (criterion 116)."""
    await _kernel(request).audit(
        context_of(request).audit_actor(),
        AuditEntry(
            action="patient.read",
            outcome="allowed",
            object_type=object_type,
            object_id=object_id[:64],
            patient_id=str(patient_id),
            detail=request.url.path[:200],
        ),
        session,
    )


async def _prescription_preview(
    request: Request[Any, Any, Any], code: str, warehouse_code: str | None
) -> PrescriptionToDispenseOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        preview = await service.prescription_to_dispense(
            session, code=code, warehouse_code=warehouse_code, as_of=service.today(kernel.clock)
        )
        await _audit_patient_read(request, session, "prescription", preview.code, preview.patient_id)
        return preview


async def _dispense_prescription(
    request: Request[Any, Any, Any], code: str, warehouse_code: str | None
) -> DispensingOut:
    kernel = _kernel(request)
    try:
        async with kernel.db.transaction() as session:
            return await service.dispense_prescription(
                session, kernel.clock, context_of(request).audit_actor(), code=code, warehouse_code=warehouse_code
            )
    except Conflict as refused:
        # Every refusal of a prescription comes after it was read: name its patient on the record.
        async with kernel.db.transaction() as session:
            patient_id = (await outpatient.get_prescription(session, code=code)).patient_id
        await _audit_refusal(request, "pharmacy.dispense", refused, code, patient_id)
        raise


async def _receive(request: Request[Any, Any, Any], data: ReceiptIn) -> ReceiptOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await service.receive(session, kernel.clock, context_of(request).audit_actor(), data)


# ---------------------------------------------------------------- JSON API


@get("/warehouses", opt=READ, summary="The pharmacy's warehouses")
async def api_warehouses(request: Request[Any, Any, Any]) -> list[WarehouseOut]:
    async with _kernel(request).db.transaction() as session:
        return await service.list_warehouses(session)


@get("/stock", opt=READ, summary="Stock per drug: on hand, usable today, lots, earliest expiry")
async def api_totals(
    request: Request[Any, Any, Any],
    warehouse: FromQuery[str | None] = None,
    drug_code: FromQuery[list[str] | None] = None,
) -> list[DrugTotalOut]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await service.totals(
            session, drug_codes=drug_code, warehouse_code=warehouse, as_of=service.today(kernel.clock)
        )


@get("/stock/{drug_code:str}", opt=READ, summary="One drug's lots, first expiry first, with totals")
async def api_stock(
    request: Request[Any, Any, Any], drug_code: FromPath[str], warehouse: FromQuery[str | None] = None
) -> StockOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await service.stock_of(
            session, drug_code=drug_code, warehouse_code=warehouse, as_of=service.today(kernel.clock)
        )


@get("/lots/expiring", opt=READ, summary="Lots holding stock that expire within `days` days (expired included)")
async def api_expiring(
    request: Request[Any, Any, Any],
    days: Annotated[int, QueryParameter(ge=0, le=service.MAX_EXPIRING_DAYS)] = EXPIRY_WARNING_DAYS,
    warehouse: FromQuery[str | None] = None,
) -> list[LotOut]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await service.expiring(
            session, within_days=days, as_of=service.today(kernel.clock), warehouse_code=warehouse
        )


@post("/receipts", opt=STOCK, status_code=201, summary="Book a goods receipt; all lines or none")
async def api_receive(request: Request[Any, Any, Any], data: JSONBody[ReceiptIn]) -> ReceiptOut:
    return await _receive(request, data)


@post(
    "/dispensings",
    opt=DISPENSE,
    status_code=201,
    summary="Dispense a prescription first-expiry-first-out; 409 on too little stock or a reference given twice",
)
async def api_dispense(request: Request[Any, Any, Any], data: JSONBody[DispenseIn]) -> DispensingOut:
    return await _dispense(request, data)


@get(
    "/prescriptions/{code:str}",
    opt=DISPENSE,
    summary="An outpatient prescription by its national code, with the usable stock and the FEFO lots per line",
)
async def api_prescription(
    request: Request[Any, Any, Any], code: FromPath[str], warehouse: FromQuery[str | None] = None
) -> PrescriptionToDispenseOut:
    return await _prescription_preview(request, code, warehouse)


@post(
    "/prescriptions/{code:str}/dispense",
    opt=DISPENSE,
    status_code=201,
    summary="Dispense every line of an outpatient prescription by its code; 409 when cancelled, past its "
    "collection period, dispensed already or short of stock",
)
async def api_dispense_prescription(
    request: Request[Any, Any, Any], code: FromPath[str], data: JSONBody[PrescriptionDispenseIn | None] = None
) -> DispensingOut:
    return await _dispense_prescription(request, code, data.warehouse_code if data is not None else None)


@get("/dispensings/{dispensing_id:int}", opt=READ, summary="One dispensing with the lot of every quantity")
async def api_dispensing(request: Request[Any, Any, Any], dispensing_id: FromPath[int]) -> DispensingOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        found = await service.get_dispensing(session, dispensing_id=dispensing_id)
        if found.patient_id is not None:
            await _audit_patient_read(request, session, "dispensing", str(found.id), found.patient_id)
        return found


@post(
    "/dispensings/{dispensing_id:int}/returns",
    opt=DISPENSE,
    status_code=200,
    summary="Restock returned quantities onto the lots they were dispensed from",
)
async def api_return(
    request: Request[Any, Any, Any], dispensing_id: FromPath[int], data: JSONBody[ReturnIn]
) -> DispensingOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await service.return_dispensed(
            session, kernel.clock, context_of(request).audit_actor(), dispensing_id=dispensing_id, data=data
        )


@post("/adjustments", opt=STOCK, status_code=201, summary="Correct one lot's stock, with a reason (audited)")
async def api_adjust(request: Request[Any, Any, Any], data: JSONBody[AdjustmentIn]) -> LotOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await service.adjust(session, kernel.clock, context_of(request).audit_actor(), data)


def pharmacy_api_router() -> Router:
    return Router(
        path="/api/v1/pharmacy",
        route_handlers=[
            api_warehouses,
            api_totals,
            api_stock,
            api_expiring,
            api_receive,
            api_dispense,
            api_prescription,
            api_dispense_prescription,
            api_dispensing,
            api_return,
            api_adjust,
        ],
        tags=["pharmacy"],
    )


# ---------------------------------------------------------------- pages


def _money(value: int | None) -> str:
    """150000 -> "150.000" (Vietnamese thousands separator)."""
    return "" if value is None else f"{value:,}".replace(",", ".")


def _local(value: datetime) -> str:
    return value.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M")


def _one(data: Mapping[str, str | list[str]], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):
        return value[-1] if value else ""
    return value.strip()


def _column(data: Mapping[str, str | list[str]], name: str) -> list[str]:
    value = data.get(name, [])
    return [v.strip() for v in value] if isinstance(value, list) else [value.strip()]


def _rows(data: Mapping[str, str | list[str]], names: Sequence[str]) -> list[dict[str, str]]:
    """The form's line rows (repeated field names, one per row), without the rows left empty."""
    columns = {name: _column(data, name) for name in names}
    count = max((len(values) for values in columns.values()), default=0)
    rows = [{name: (columns[name][i] if i < len(columns[name]) else "") for name in names} for i in range(count)]
    return [row for row in rows if any(row.values())]


def _int(text: str, field: str) -> int:
    try:
        return int(text.replace(".", "").replace(" ", ""))
    except ValueError:
        raise InvalidInput(_("Write a whole number"), field=field) from None


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_("Write the date as YYYY-MM-DD"), field=field) from None


def _error_text(request: Request[Any, Any, Any], err: DomainError) -> str:
    return _kernel(request).translator.gettext(context_of(request).locale, err.message, err.params or None)


def _blank_rows(rows: list[dict[str, str]], names: Sequence[str]) -> list[dict[str, str]]:
    return rows + [dict.fromkeys(names, "") for _ in range(max(FORM_LINES - len(rows), 2))]


@get("/pharmacy", opt=READ, include_in_schema=False)
async def overview_page(
    request: Request[Any, Any, Any],
    q: Annotated[str | None, QueryParameter(max_length=200)] = None,
    offset: Annotated[int, QueryParameter(ge=0)] = 0,
) -> Response[str]:
    kernel = _kernel(request)
    day = service.today(kernel.clock)
    async with kernel.db.transaction() as session:
        page = await catalogs.search(session, kind="drugs", q=q, as_of=day, limit=PAGE_SIZE, offset=offset)
        drugs = [item for item in page.items if isinstance(item, DrugEntry)]
        stock = {
            total.drug_code: total
            for total in await service.totals(
                session, drug_codes=[d.code for d in drugs], warehouse_code=None, as_of=day
            )
        }
        expiring = await service.expiring(session, within_days=EXPIRY_WARNING_DAYS, as_of=day, limit=50)
        names = await _drug_names(session, {lot.drug_code for lot in expiring}, day)
    base = {"q": q} if q else {}

    def url(at: int) -> str:
        return "/pharmacy?" + urlencode({**base, "offset": str(at)})

    return await render_page(
        request,
        "pharmacy/index.html",
        q=q or "",
        day=day,
        drugs=drugs,
        stock=stock,
        total=page.total,
        first=offset + 1 if page.total else 0,
        last=offset + len(page.items),
        prev_url=url(max(offset - PAGE_SIZE, 0)) if offset > 0 else None,
        next_url=url(offset + PAGE_SIZE) if offset + PAGE_SIZE < page.total else None,
        expiring=expiring,
        names=names,
        warning_days=EXPIRY_WARNING_DAYS,
    )


async def _drug_names(session: Any, codes: set[str], day: date) -> dict[str, str]:
    names: dict[str, str] = {}
    for code in sorted(codes):
        drug = await catalogs.get_drug(session, code=code, as_of=day)
        names[code] = drug.name if drug is not None else code
    return names


@get("/pharmacy/drugs/{code:str}", opt=READ, include_in_schema=False)
async def drug_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[str]:
    kernel = _kernel(request)
    day = service.today(kernel.clock)
    async with kernel.db.transaction() as session:
        drug = await catalogs.get_drug(session, code=code, as_of=day)
        if drug is None:
            raise NotFound(
                _("The drug catalog has no code {code} in force on {date}"), code=code[:40], date=day.isoformat()
            )
        stock = await service.stock_of(session, drug_code=drug.code, warehouse_code=None, as_of=day)
        warehouses = {w.code: w for w in await service.list_warehouses(session)}
    return await render_page(
        request,
        "pharmacy/drug.html",
        drug=drug,
        stock=stock,
        warehouses=warehouses,
        day=day,
        money=_money,
        local=_local,
        warning_days=EXPIRY_WARNING_DAYS,
    )


RECEIPT_FIELDS = ("drug_code", "lot_number", "expiry_date", "quantity", "unit_cost")
DISPENSE_FIELDS = ("drug_code", "quantity")


async def _form_page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status_code: int = 200,
    **values: Any,
) -> Response[str]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        warehouses = await service.list_warehouses(session)
    return await render_page(
        request,
        template,
        status_code=status_code,
        warehouses=warehouses,
        day=service.today(kernel.clock),
        money=_money,
        local=_local,
        **values,
    )


def _receipt_in(data: FormData, rows: list[dict[str, str]]) -> ReceiptIn:
    def line(index: int, row: dict[str, str]) -> ReceiptLineIn:
        field = f"lines[{index}]"
        return ReceiptLineIn(
            drug_code=row["drug_code"],
            lot_number=row["lot_number"],
            expiry_date=_day(row["expiry_date"], f"{field}.expiry_date"),
            quantity=_int(row["quantity"], f"{field}.quantity"),
            unit_cost=_int(row["unit_cost"], f"{field}.unit_cost"),
        )

    return ReceiptIn(
        warehouse_code=_one(data, "warehouse_code"),
        supplier=_one(data, "supplier"),
        invoice_number=_one(data, "invoice_number"),
        invoice_date=_day(_one(data, "invoice_date"), "invoice_date"),
        lines=[line(index, row) for index, row in enumerate(rows)],
    )


@get("/pharmacy/receipts/new", opt=STOCK, include_in_schema=False)
async def receipt_form(request: Request[Any, Any, Any]) -> Response[str]:
    return await _form_page(
        request, "pharmacy/receipt.html", form={}, rows=_blank_rows([], RECEIPT_FIELDS), error=None, field=None
    )


@post("/pharmacy/receipts/new", opt=STOCK, include_in_schema=False, status_code=200)
async def receipt_submit(request: Request[Any, Any, Any], data: URLEncodedBody[FormData]) -> Response[str]:
    rows = _rows(data, RECEIPT_FIELDS)
    form = {name: _one(data, name) for name in ("warehouse_code", "supplier", "invoice_number", "invoice_date")}
    try:
        receipt = await _receive(request, _receipt_in(data, rows))
    except (InvalidInput, Conflict, NotFound) as err:
        return await _form_page(
            request,
            "pharmacy/receipt.html",
            status_code=err.status_code,
            form=form,
            rows=_blank_rows(rows, RECEIPT_FIELDS),
            error=_error_text(request, err),
            field=getattr(err, "field", None),
        )
    return await _form_page(
        request,
        "pharmacy/receipt.html",
        form={"warehouse_code": form["warehouse_code"]},
        rows=_blank_rows([], RECEIPT_FIELDS),
        error=None,
        field=None,
        receipt=receipt,
    )


def _dispense_in(data: FormData, rows: list[dict[str, str]]) -> DispenseIn:
    patient = _one(data, "patient_id")
    return DispenseIn(
        warehouse_code=_one(data, "warehouse_code"),
        reference=_one(data, "reference"),
        patient_id=_int(patient, "patient_id") if patient else None,
        lines=[
            DispenseLineIn(row["drug_code"], _int(row["quantity"], f"lines[{index}].quantity"))
            for index, row in enumerate(rows)
        ],
    )


async def _dispense_page(
    request: Request[Any, Any, Any],
    *,
    status_code: int = 200,
    code: str = "",
    warehouse_code: str | None = None,
    preview: PrescriptionToDispenseOut | None = None,
    dispensing: DispensingOut | None = None,
    error: str | None = None,
    field: str | None = None,
    form: dict[str, str] | None = None,
    rows: list[dict[str, str]] | None = None,
    manual_open: bool = False,
) -> Response[str]:
    """The dispensing page: the prescription code to scan first, then what it holds, then free lines (folded)."""
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        warehouses = await service.list_warehouses(session)
    outpatient = [w.code for w in warehouses if w.kind == "outpatient"]
    chosen = warehouse_code or (preview.warehouse_code if preview else None) or (outpatient[0] if outpatient else "")
    return await render_page(
        request,
        "pharmacy/dispense.html",
        status_code=status_code,
        warehouses=warehouses,
        day=service.today(kernel.clock),
        money=_money,
        local=_local,
        code=code,
        chosen_warehouse=chosen,
        preview=preview,
        dispensing=dispensing,
        error=error,
        field=field,
        form=form if form is not None else {"warehouse_code": chosen},
        rows=rows if rows is not None else _blank_rows([], DISPENSE_FIELDS),
        manual_open=manual_open,
    )


@get("/pharmacy/dispense", opt=DISPENSE, include_in_schema=False)
async def dispense_form(
    request: Request[Any, Any, Any],
    code: Annotated[str | None, QueryParameter(max_length=40)] = None,
    warehouse_code: Annotated[str | None, QueryParameter(max_length=20)] = None,
) -> Response[str]:
    code = (code or "").strip()
    if not code:
        return await _dispense_page(request, warehouse_code=warehouse_code)
    try:
        preview = await _prescription_preview(request, code, warehouse_code)
    except (InvalidInput, NotFound) as err:
        return await _dispense_page(
            request,
            status_code=err.status_code,
            code=code,
            warehouse_code=warehouse_code,
            error=_error_text(request, err),
            field=getattr(err, "field", None) or "code",
        )
    return await _dispense_page(request, code=preview.code, preview=preview)


@post("/pharmacy/prescriptions/{code:str}/dispense", opt=DISPENSE, include_in_schema=False, status_code=200)
async def prescription_dispense_submit(
    request: Request[Any, Any, Any], code: FromPath[str], data: URLEncodedBody[FormData]
) -> Response[str]:
    warehouse_code = _one(data, "warehouse_code") or None
    try:
        dispensing = await _dispense_prescription(request, code, warehouse_code)
    except (InvalidInput, Conflict, NotFound) as err:
        preview = None
        if not isinstance(err, NotFound):
            with suppress(DomainError):  # the refusal is what the pharmacist needs to see, preview or not
                preview = await _prescription_preview(request, code, warehouse_code)
        return await _dispense_page(
            request,
            status_code=err.status_code,
            code=code,
            warehouse_code=warehouse_code,
            preview=preview,
            error=_error_text(request, err),
            field=getattr(err, "field", None),
        )
    # The next prescription is scanned into an empty field; what was just given out stays on screen.
    return await _dispense_page(request, warehouse_code=dispensing.warehouse_code, dispensing=dispensing)


@post("/pharmacy/dispense", opt=DISPENSE, include_in_schema=False, status_code=200)
async def dispense_submit(request: Request[Any, Any, Any], data: URLEncodedBody[FormData]) -> Response[str]:
    """Free lines under a reference of the pharmacist's choosing (no outpatient prescription behind them)."""
    rows = _rows(data, DISPENSE_FIELDS)
    form = {name: _one(data, name) for name in ("warehouse_code", "reference", "patient_id")}
    try:
        dispensing = await _dispense(request, _dispense_in(data, rows))
    except (InvalidInput, Conflict, NotFound) as err:
        return await _dispense_page(
            request,
            status_code=err.status_code,
            warehouse_code=form["warehouse_code"] or None,
            form=form,
            rows=_blank_rows(rows, DISPENSE_FIELDS),
            error=_error_text(request, err),
            field=getattr(err, "field", None),
            manual_open=True,
        )
    return await _dispense_page(
        request, warehouse_code=form["warehouse_code"] or None, dispensing=dispensing, manual_open=True
    )


def pharmacy_page_handlers() -> list[Any]:
    return [
        overview_page,
        drug_page,
        receipt_form,
        receipt_submit,
        dispense_form,
        prescription_dispense_submit,
        dispense_submit,
    ]
