"""The report as titled tables: what the page shows under each chart and what CSV and XLSX carry, cell for cell.

Cells are str, int or Decimal (percentages, averages); None prints as an empty cell. The translator is passed
in so the same tables come out in Vietnamese or English.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook

from his.kernel.i18n import lazy as _
from his.statistics.service import Report

Cell = str | int | Decimal | None
Gettext = Callable[..., str]


@dataclass(frozen=True, slots=True)
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]


def _day(value: object) -> str:
    return value.strftime("%d/%m/%Y") if hasattr(value, "strftime") else str(value)


def tables_of(report: Report, gettext: Gettext) -> list[Table]:
    t = gettext
    counts = report.counts
    not_available = t(_("not available"))
    total_label = t(_("Whole hospital"))
    total = report.revenue_total
    revenue_rows: list[list[Cell]] = [[_day(r.day), r.fund, r.copay, r.other, r.total] for r in report.revenue]
    revenue_rows.append([t(_("Total")), total.fund, total.copay, total.other, total.total])
    return [
        Table(
            "counts",
            t(_("Outpatient and inpatient counts")),
            [t(_("Figure")), t(_("Value"))],
            [
                [t(_("Outpatient registrations")), counts.outpatient],
                [t(_("Emergency registrations")), counts.emergency],
                [t(_("Exams finished")), counts.exams],
                [t(_("Inpatients today")), counts.inpatients_now],
                [t(_("Admissions")), counts.admissions],
                [t(_("Discharges")), counts.discharges],
                [
                    t(_("Average length of stay (days)")),
                    report.average_stay if report.average_stay is not None else not_available,
                ],
            ],
        ),
        Table(
            "flow_by_day",
            t(_("Daily flow")),
            [t(_("Day")), t(_("Registrations")), t(_("Exams"))],
            [[_day(day), registrations, exams] for day, registrations, exams in report.flow_by_day],
        ),
        Table(
            "flow",
            t(_("Daily flow by department")),
            [t(_("Day")), t(_("Department")), t(_("Registrations")), t(_("Exams"))],
            [
                [_day(row.day), report.department_name(row.department_code), row.registrations, row.exams]
                for row in report.flow
            ],
        ),
        Table(
            "flow_by_department",
            t(_("Flow by department")),
            [t(_("Department")), t(_("Registrations")), t(_("Exams"))],
            [[report.department_name(code), r, e] for code, r, e in report.flow_by_department],
        ),
        Table(
            "occupancy",
            t(_("Bed occupancy today")),
            [t(_("Department")), t(_("Beds in service")), t(_("Occupied")), t(_("Occupancy (%)"))],
            [
                [
                    report.department_name(row.department_code) if row.department_code else total_label,
                    row.beds,
                    row.occupied,
                    row.rate,
                ]
                for row in report.occupancy
            ],
        ),
        Table(
            "diagnoses",
            t(_("Top ICD-10 main diagnoses")),
            [t(_("Rank")), t(_("ICD-10 code")), t(_("Diagnosis")), t(_("Exams"))],
            [[rank, d.code, d.name, d.count] for rank, d in enumerate(report.diagnoses, start=1)],
        ),
        Table(
            "revenue",
            t(_("Revenue by payer (dong)")),
            [t(_("Day")), t(_("BHYT fund")), t(_("Patient co-payment")), t(_("Patient other payments")), t(_("Total"))],
            revenue_rows,
        ),
    ]


def display(cell: Cell) -> str:
    """A cell as the page shows it: 1.234.567 for integers, 12,5 for decimals (Vietnamese separators)."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return str(cell)
    if isinstance(cell, int):
        return f"{cell:,}".replace(",", ".")
    return str(cell).replace(".", ",")


def _text(cell: Cell) -> str:
    return "" if cell is None else str(cell)


def to_csv(tables: Sequence[Table], heading: Sequence[str]) -> bytes:
    """One CSV, the tables one after another (title row, header row, rows, a blank line); UTF-8 with a BOM so
    Excel opens the Vietnamese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for line in heading:
        writer.writerow([line])
    writer.writerow([])
    for table in tables:
        writer.writerow([table.title])
        writer.writerow(table.headers)
        writer.writerows([_text(c) for c in row] for row in table.rows)
        writer.writerow([])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_title(title: str, used: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ and unique in the workbook.
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title)[:28].strip()
    name, n = clean, 2
    while name in used:
        name, n = f"{clean[:26]} {n}", n + 1
    used.add(name)
    return name


def to_xlsx(tables: Sequence[Table], heading: Sequence[str]) -> bytes:
    """One worksheet per table: the heading lines, the header row (bold), then the rows with numbers as numbers."""
    from openpyxl.styles import Font

    book = Workbook()
    default = book.active
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_title(table.title, used))
        for line in heading:
            sheet.append([line])
        sheet.append([table.title])
        sheet.append(table.headers)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([float(c) if isinstance(c, Decimal) else c for c in row])
    if default is not None:
        book.remove(default)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
