"""Catalogs over HTTP: the JSON API under /api/v1 and the server-rendered pages. Thin."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, MultipartBody, QueryParameter

from his.catalogs import api, service
from his.catalogs.schemas import (
    CatalogEntry,
    CatalogKindOut,
    ImportProblemOut,
    ImportRejectedOut,
    ImportReportOut,
    SearchPage,
)
from his.catalogs.specs import SPECS, CatalogSpec
from his.kernel.audit.service import AuditEntry
from his.kernel.errors import InvalidInput
from his.kernel.i18n import lazy as _
from his.kernel.runtime import Kernel
from his.kernel.web.context import RequestContext, context_of
from his.kernel.web.guard import requires
from his.kernel.web.render import render_fragment, render_page

PAGE_SIZE = 50
MAX_QUERY = 200
READ = requires("catalog.read")
WRITE = requires("catalog.write")
PROBLEM_JSON = "application/problem+json"


def _kernel(request: Request[Any, Any, Any]) -> Kernel:
    kernel: Kernel = request.app.state["kernel"]
    return kernel


def form_day(text: str | None) -> date | None:
    """A date from an HTML form, where an untouched date field arrives as an empty string."""
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as bad:
        raise InvalidInput("{value} is not a date (YYYY-MM-DD)", field="as_of", value=text[:20]) from bad


def _day(kernel: Kernel, as_of: date | None) -> date:
    return as_of if as_of is not None else service.today(kernel.clock)


def _report_out(report: service.ImportReport) -> ImportReportOut:
    return ImportReportOut(
        report.kind,
        report.effective,
        report.rows,
        report.added,
        report.changed,
        report.unchanged,
        report.retired,
        report.duplicates,
    )


def _problems_out(kernel: Kernel, ctx: RequestContext, rejected: service.ImportRejected) -> list[ImportProblemOut]:
    def translate(message: str, params: dict[str, Any] | None) -> str:
        return kernel.translator.gettext(ctx.locale, message, params)

    return [ImportProblemOut(p.line, p.column, p.describe(translate)) for p in rejected.problems]


async def _read_upload(form: dict[str, Any]) -> tuple[bytes, str, date | None, bool]:
    """(content, file name, effective day, retire_missing) of the form; InvalidInput names the field."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput(_("Choose a CSV file to import"), field="file")
    content = await upload.read()
    if not content:
        raise InvalidInput(_("The file is empty"), field="file")
    effective_text = form.get("effective")
    effective: date | None = None
    if isinstance(effective_text, str) and effective_text.strip():
        try:
            effective = date.fromisoformat(effective_text.strip())
        except ValueError:
            raise InvalidInput(_("Write the effective date as YYYY-MM-DD"), field="effective") from None
    retire = str(form.get("retire_missing") or "").strip().lower() in ("1", "true", "on", "yes")
    return content, upload.filename or "upload.csv", effective, retire


async def _import(request: Request[Any, Any, Any], kind: str, form: dict[str, Any]) -> service.ImportReport:
    """Runs one import in its own transaction; a rejected file is audited after the rollback."""
    kernel = _kernel(request)
    ctx = context_of(request)
    service.spec_for(kind)
    content, filename, effective, retire = await _read_upload(form)
    day = _day(kernel, effective)
    try:
        async with kernel.db.transaction() as session:
            return await service.import_catalog(
                kernel,
                session,
                ctx.audit_actor(),
                kind=kind,
                source=content,
                effective=day,
                retire_missing=retire,
            )
    except service.ImportRejected as rejected:
        await kernel.audit(
            ctx.audit_actor(),
            AuditEntry(
                action="catalog.import",
                outcome="rejected",
                object_type=kind,
                detail=f"{filename[:100]}: {len(rejected.problems)} problems",
            ),
        )
        raise


# ---------------------------------------------------------------- JSON API


@get("/catalogs", opt=READ, summary="The catalogs, with the number of entries in force")
async def api_catalogs(request: Request[Any, Any, Any], as_of: FromQuery[date | None] = None) -> list[CatalogKindOut]:
    kernel = _kernel(request)
    ctx = context_of(request)
    day = _day(kernel, as_of)
    async with kernel.db.transaction() as session:
        counts = await service.count_in_force(session, as_of=day)
    return [
        CatalogKindOut(kind, kernel.translator.gettext(ctx.locale, SPECS[kind].title), count, day)
        for kind, count in counts.items()
    ]


@get("/catalogs/{kind:str}", opt=READ, summary="Search a catalog (accent-insensitive), paginated")
async def api_search(
    request: Request[Any, Any, Any],
    kind: FromPath[str],
    q: Annotated[str | None, QueryParameter(max_length=MAX_QUERY)] = None,
    as_of: FromQuery[date | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=service.MAX_LIMIT)] = PAGE_SIZE,
    offset: Annotated[int, QueryParameter(ge=0)] = 0,
) -> SearchPage:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await api.search(session, kind=kind, q=q, as_of=_day(kernel, as_of), limit=limit, offset=offset)


@get(
    "/catalogs/{kind:str}/export.csv",
    opt=READ,
    summary="The entries in force on a day, as CSV in the import format",
    media_type="text/csv",
)
async def api_export(
    request: Request[Any, Any, Any], kind: FromPath[str], as_of: FromQuery[date | None] = None
) -> Response[bytes]:
    kernel = _kernel(request)
    day = _day(kernel, as_of)
    async with kernel.db.transaction() as session:
        content = await service.export_catalog(session, kind=kind, as_of=day)
    filename = f"{kind}-{day.isoformat()}.csv"
    return Response(
        content.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@get("/catalogs/{kind:str}/{code:str}", opt=READ, summary="One entry by code, as in force on a day")
async def api_entry(
    request: Request[Any, Any, Any],
    kind: FromPath[str],
    code: FromPath[str],
    as_of: FromQuery[date | None] = None,
) -> CatalogEntry:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        return await api.get_entry(session, kind=kind, code=code, as_of=_day(kernel, as_of))


@post(
    "/catalogs/{kind:str}/import",
    opt=WRITE,
    status_code=200,
    summary="Import a CSV file (multipart: file, effective=YYYY-MM-DD, retire_missing); all or nothing",
    responses={
        422: ResponseSpec(
            data_container=ImportRejectedOut,
            description="Nothing was imported; `errors` lists every problem (line, column, message)",
            media_type=PROBLEM_JSON,
        )
    },
)
async def api_import(
    request: Request[Any, Any, Any], kind: FromPath[str], data: MultipartBody[dict[str, Any]]
) -> Response[ImportReportOut | ImportRejectedOut]:
    kernel = _kernel(request)
    ctx = context_of(request)
    try:
        report = await _import(request, kind, data)
    except service.ImportRejected as rejected:
        body = ImportRejectedOut(
            type="about:blank",
            title=kernel.translator.gettext(ctx.locale, "Invalid input"),
            status=422,
            detail=kernel.translator.gettext(ctx.locale, rejected.message, rejected.params),
            instance=request.url.path,
            request_id=ctx.request_id,
            errors=_problems_out(kernel, ctx, rejected),
        )
        return Response(body, status_code=422, media_type=PROBLEM_JSON, headers={"Content-Language": ctx.locale})
    return Response(_report_out(report))


def catalog_api_router() -> Router:
    return Router(
        path="/api/v1",
        route_handlers=[api_catalogs, api_search, api_export, api_entry, api_import],
        tags=["catalogs"],
    )


# ---------------------------------------------------------------- pages


def _money(value: int | None) -> str:
    """150000 -> "150.000" (Vietnamese thousands separator)."""
    return "" if value is None else f"{value:,}".replace(",", ".")


async def _results_values(
    request: Request[Any, Any, Any], spec: CatalogSpec, q: str | None, as_of: date | None, offset: int
) -> dict[str, Any]:
    kernel = _kernel(request)
    day = _day(kernel, as_of)
    offset = max(offset, 0)
    async with kernel.db.transaction() as session:
        page = await api.search(session, kind=spec.kind, q=q, as_of=day, limit=PAGE_SIZE, offset=offset)
    base = {"q": q or ""}
    if as_of is not None:
        base["as_of"] = as_of.isoformat()

    def url(at: int) -> str:
        return f"/catalogs/{spec.kind}?" + urlencode({**base, "offset": str(at)} if at else base)

    labels = {column.target: column.label for column in spec.columns}
    labels["substances"] = _("Active substances")
    return {
        "spec": spec,
        "kind": spec.kind,
        "page": page,
        "q": q or "",
        "as_of": as_of.isoformat() if as_of else "",
        "day": day.isoformat(),
        "first": offset + 1 if page.total else 0,
        "last": offset + len(page.items),
        "prev_url": url(max(offset - PAGE_SIZE, 0)) if offset > 0 else None,
        "next_url": url(offset + PAGE_SIZE) if offset + PAGE_SIZE < page.total else None,
        "labels": labels,
        "money": _money,
    }


@get("/catalogs", opt=READ, include_in_schema=False)
async def catalogs_page(request: Request[Any, Any, Any]) -> Response[str]:
    kernel = _kernel(request)
    day = service.today(kernel.clock)
    async with kernel.db.transaction() as session:
        counts = await service.count_in_force(session, as_of=day)
    kinds = [(kind, SPECS[kind].title, count) for kind, count in counts.items()]
    return await render_page(request, "catalogs/index.html", kinds=kinds, day=day.isoformat())


@get("/catalogs/{kind:str}", opt=READ, include_in_schema=False)
async def catalog_page(
    request: Request[Any, Any, Any],
    kind: FromPath[str],
    q: Annotated[str | None, QueryParameter(max_length=MAX_QUERY)] = None,
    as_of: FromQuery[str | None] = None,
    offset: FromQuery[int] = 0,
) -> Response[str]:
    spec = service.spec_for(kind)
    values = await _results_values(request, spec, q, form_day(as_of), offset)
    return await render_page(request, "catalogs/catalog.html", report=None, problems=None, import_error=None, **values)


@get("/catalogs/{kind:str}/results", opt=READ, include_in_schema=False)
async def catalog_results(
    request: Request[Any, Any, Any],
    kind: FromPath[str],
    q: Annotated[str | None, QueryParameter(max_length=MAX_QUERY)] = None,
    as_of: FromQuery[str | None] = None,
    offset: FromQuery[int] = 0,
) -> Response[str]:
    spec = service.spec_for(kind)
    values = await _results_values(request, spec, q, form_day(as_of), offset)
    return await render_fragment(request, "catalogs/_results.html", **values)


@get("/catalogs/{kind:str}/entries/{code:str}", opt=READ, include_in_schema=False)
async def entry_page(request: Request[Any, Any, Any], kind: FromPath[str], code: FromPath[str]) -> Response[str]:
    kernel = _kernel(request)
    spec = service.spec_for(kind)
    day = service.today(kernel.clock)
    async with kernel.db.transaction() as session:
        entry = await api.get_entry(session, kind=kind, code=code, as_of=day)
        versions = await service.history(session, kind=kind, code=entry.code)
        history = await api.entries_of(session, versions)
    labels = {column.target: column.label for column in spec.columns}
    labels["substances"] = _("Active substances")
    return await render_page(
        request,
        "catalogs/entry.html",
        spec=spec,
        kind=kind,
        entry=entry,
        history=history,
        labels=labels,
        money=_money,
        day=day.isoformat(),
    )


@post("/catalogs/{kind:str}/import", opt=WRITE, include_in_schema=False, status_code=200)
async def import_submit(
    request: Request[Any, Any, Any], kind: FromPath[str], data: MultipartBody[dict[str, Any]]
) -> Response[str]:
    kernel = _kernel(request)
    ctx = context_of(request)
    spec = service.spec_for(kind)
    report = problems = import_error = None
    status = 200
    try:
        report = _report_out(await _import(request, kind, data))
    except service.ImportRejected as rejected:
        problems = _problems_out(kernel, ctx, rejected)
        import_error = kernel.translator.gettext(ctx.locale, rejected.message, rejected.params)
        status = 422
    except InvalidInput as invalid:
        import_error = kernel.translator.gettext(ctx.locale, invalid.message, invalid.params or None)
        status = 422
    values = await _results_values(request, spec, None, None, 0)
    return await render_page(
        request,
        "catalogs/catalog.html",
        status_code=status,
        report=report,
        problems=problems,
        import_error=import_error,
        **values,
    )


def catalog_page_handlers() -> list[Any]:
    return [catalogs_page, catalog_page, catalog_results, entry_page, import_submit]
