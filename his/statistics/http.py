"""Statistics over HTTP: the page (charts and tables), the CSV and XLSX exports and the JSON report."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, get
from litestar.params import QueryParameter

from his.kernel.clock import local_date
from his.kernel.errors import InvalidInput
from his.kernel.i18n import lazy as _
from his.kernel.runtime import Kernel
from his.kernel.web.context import context_of
from his.kernel.web.guard import requires
from his.kernel.web.render import render_page, translator_for
from his.statistics import rules, service
from his.statistics.charts import Series, bar_chart, line_chart
from his.statistics.service import Report
from his.statistics.tables import display, tables_of, to_csv, to_xlsx

READ = requires("statistics.read")
Day = Annotated[str | None, QueryParameter(max_length=20)]
Department = Annotated[str | None, QueryParameter(max_length=32)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _kernel(request: Request[Any, Any, Any]) -> Kernel:
    kernel: Kernel = request.app.state["kernel"]
    return kernel


async def _build(kernel: Kernel, date_from: str | None, date_to: str | None, department: str | None) -> Report:
    """Raises InvalidInput for a bad period or an unknown department."""
    period = rules.period_of(date_from, date_to, local_date(kernel.clock.now()))
    async with kernel.db.transaction() as session:
        code = (department or "").strip() or None
        if code is not None and code not in await service.departments(session, local_date(kernel.clock.now())):
            raise InvalidInput("Unknown department {code}", field="department", code=code[:32])
        return await service.build_report(session, kernel, period, code)


def _heading(request: Request[Any, Any, Any], report: Report) -> list[str]:
    t = translator_for(_kernel(request), context_of(request))
    scope = report.department_name(report.department_code) if report.department_code else t("Whole hospital")
    return [
        t("Hospital statistics"),
        t(
            "Period: {start} to {end}",
            start=report.period.date_from.strftime("%d/%m/%Y"),
            end=report.period.date_to.strftime("%d/%m/%Y"),
        ),
        t(_("Scope: {scope}"), scope=scope),
    ]


def _charts(request: Request[Any, Any, Any], report: Report) -> dict[str, Any]:
    t = translator_for(_kernel(request), context_of(request))
    days = [day.strftime("%d/%m") for day, _r, _e in report.flow_by_day]
    return {
        "flow": line_chart(
            t("Daily flow"),
            days,
            [
                Series(t("Registrations"), [r for _d, r, _e in report.flow_by_day]),
                Series(t("Exams"), [e for _d, _r, e in report.flow_by_day]),
            ],
            test_id="chart-flow",
        ),
        "departments": bar_chart(
            t("Flow by department"),
            [report.department_name(code) for code, _r, _e in report.flow_by_department],
            [
                Series(t("Registrations"), [r for _c, r, _e in report.flow_by_department]),
                Series(t("Exams"), [e for _c, _r, e in report.flow_by_department]),
            ],
            test_id="chart-departments",
        ),
        "diagnoses": bar_chart(
            t("Top ICD-10 main diagnoses"),
            [d.code for d in report.diagnoses],
            [Series(t("Exams"), [d.count for d in report.diagnoses])],
            test_id="chart-diagnoses",
        ),
        "revenue": line_chart(
            t("Revenue by payer (dong)"),
            days,
            [
                Series(t("BHYT fund"), [r.fund for r in report.revenue]),
                Series(t("Patient co-payment"), [r.copay for r in report.revenue]),
                Series(t("Patient other payments"), [r.other for r in report.revenue]),
            ],
            test_id="chart-revenue",
        ),
    }


@get("/statistics", opt=READ, include_in_schema=False)
async def statistics_page(
    request: Request[Any, Any, Any], date_from: Day = None, date_to: Day = None, department: Department = None
) -> Response[str]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = {"date_from": date_from or "", "date_to": date_to or "", "department": department or ""}
    try:
        report = await _build(kernel, date_from, date_to, department)
    except InvalidInput as err:
        async with kernel.db.transaction() as session:
            names = await service.departments(session, local_date(kernel.clock.now()))
        message = kernel.translator.gettext(ctx.locale, err.message, err.params or None)
        return await render_page(
            request, "statistics/index.html", status_code=422, report=None, error=message, form=form, departments=names
        )
    gettext = translator_for(kernel, ctx)
    form = {
        "date_from": report.period.date_from.isoformat(),
        "date_to": report.period.date_to.isoformat(),
        "department": report.department_code or "",
    }
    return await render_page(
        request,
        "statistics/index.html",
        report=report,
        error=None,
        form=form,
        departments=report.departments,
        tables={table.key: table for table in tables_of(report, gettext)},
        charts=_charts(request, report),
        display=display,
        query=f"date_from={form['date_from']}&date_to={form['date_to']}&department={form['department']}",
    )


def _filename(report: Report, extension: str) -> str:
    scope = f"-{report.department_code}" if report.department_code else ""
    return f"thong-ke-{report.period.date_from.isoformat()}-{report.period.date_to.isoformat()}{scope}.{extension}"


@get("/statistics/export.csv", opt=READ, include_in_schema=False)
async def export_csv(
    request: Request[Any, Any, Any], date_from: Day = None, date_to: Day = None, department: Department = None
) -> Response[bytes]:
    report = await _build(_kernel(request), date_from, date_to, department)
    tables = tables_of(report, translator_for(_kernel(request), context_of(request)))
    return Response(
        to_csv(tables, _heading(request, report)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(report, "csv")}"'},
    )


@get("/statistics/export.xlsx", opt=READ, include_in_schema=False)
async def export_xlsx(
    request: Request[Any, Any, Any], date_from: Day = None, date_to: Day = None, department: Department = None
) -> Response[bytes]:
    report = await _build(_kernel(request), date_from, date_to, department)
    tables = tables_of(report, translator_for(_kernel(request), context_of(request)))
    return Response(
        to_xlsx(tables, _heading(request, report)),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{_filename(report, "xlsx")}"'},
    )


@get("/report", opt=READ, summary="The statistics of a period as titled tables (the page's figures)")
async def api_report(
    request: Request[Any, Any, Any], date_from: Day = None, date_to: Day = None, department: Department = None
) -> dict[str, Any]:
    report = await _build(_kernel(request), date_from, date_to, department)
    tables = tables_of(report, translator_for(_kernel(request), context_of(request)))
    return {
        "date_from": report.period.date_from.isoformat(),
        "date_to": report.period.date_to.isoformat(),
        "department": report.department_code,
        "tables": [
            {
                "key": table.key,
                "title": table.title,
                "headers": table.headers,
                "rows": [
                    [None if c is None else c if isinstance(c, int | str) else str(c) for c in row]
                    for row in table.rows
                ],
            }
            for table in tables
        ],
    }


def api_router() -> Router:
    return Router(path="/api/v1/statistics", route_handlers=[api_report], tags=["statistics"])


PAGE_HANDLERS = (statistics_page, export_csv, export_xlsx)
