"""The report built through the other modules' api from a small seeded day (see conftest.py), on both databases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from his.kernel.runtime import Kernel
from his.reception import api as reception
from his.statistics import service
from his.statistics.rules import Period
from tests.billing.visits import DESK, EXAM
from tests.statistics.conftest import DAY, seed

pytestmark = pytest.mark.criterion(42)


async def test_the_report_of_a_seeded_day(stats_kernel: Kernel) -> None:
    seeded = await seed(stats_kernel)
    period = Period(date(2026, 3, 1), date(2026, 3, 3))
    async with stats_kernel.db.transaction() as session:
        report = await service.build_report(session, stats_kernel, period, None)
    # Four registrations, one cancelled; two exams finished.
    assert [(r.day, r.department_code, r.registrations, r.exams) for r in report.flow] == [(DAY, "KKB", 3, 2)]
    assert report.flow_by_day == [(date(2026, 3, 1), 0, 0), (DAY, 3, 2), (date(2026, 3, 3), 0, 0)]
    assert (report.counts.outpatient, report.counts.emergency, report.counts.exams) == (3, 0, 2)
    assert [(d.code, d.name, d.count) for d in report.diagnoses] == [
        ("I10", "Tăng huyết áp vô căn", 1),
        ("J06.9", "Nhiễm trùng hô hấp trên cấp", 1),
    ]
    # Revenue: the two accounts' splits, as billing computes them.
    insured, uninsured = seeded.insured_totals, seeded.uninsured_totals
    total = report.revenue_total
    assert total.fund == insured.fund_pays + uninsured.fund_pays and total.fund > 0
    assert total.copay == insured.patient_copay + uninsured.patient_copay
    assert total.other == insured.patient_other + uninsured.patient_other
    assert uninsured.fund_pays == 0 and uninsured.patient_pays == 45000  # the exam at the hospital price
    assert [r.total for r in report.revenue] == [0, total.total, 0]
    # No beds in this hospital: only the (empty) hospital total.
    assert [(r.department_code, r.beds, r.rate) for r in report.occupancy] == [("", 0, None)]


async def test_a_period_without_activity_and_a_department_filter(stats_kernel: Kernel) -> None:
    await seed(stats_kernel)
    async with stats_kernel.db.transaction() as session:
        empty = await service.build_report(session, stats_kernel, Period(date(2026, 2, 1), date(2026, 2, 28)), None)
        other = await service.build_report(session, stats_kernel, Period(DAY, DAY), "KHOA-KHAC")
        kkb = await service.build_report(session, stats_kernel, Period(DAY, DAY), "KKB")
    assert empty.flow == [] and empty.diagnoses == [] and empty.revenue_total.total == 0
    assert len(empty.flow_by_day) == 28
    assert other.flow == [] and other.revenue_total.total == 0
    assert kkb.counts.outpatient == 3 and kkb.revenue_total.total > 0


async def test_beds_and_inpatients_today_come_from_the_inpatient_module(stats_kernel: Kernel) -> None:
    from his.inpatient import service as inpatient
    from his.inpatient.schemas import AdmitIn, BedIn, WardIn

    await seed(stats_kernel)
    async with stats_kernel.db.transaction() as session:
        await inpatient.add_ward(stats_kernel, session, DESK, WardIn("KKB-W1", "KKB", "Buồng 1"))
        for code in ("G01", "G02"):
            await inpatient.add_bed(stats_kernel, session, DESK, BedIn(code, "KKB-W1", EXAM))
    async with stats_kernel.db.transaction() as session:
        patient = (await reception.visit_flow(session, date_from=DAY, date_to=DAY))[0]
        visit = await reception.get_visit(session, visit_id=patient.id)
        await inpatient.admit(
            stats_kernel,
            session,
            DESK,
            inpatient.Doctor("bs.an", "BS. Lê Văn An"),
            AdmitIn(source="direct", department_code="KKB", icd10_code="I10", patient_id=visit.patient_id),
        )
    async with stats_kernel.db.transaction() as session:
        report = await service.build_report(session, stats_kernel, Period(DAY, DAY), None)
        other = await service.build_report(session, stats_kernel, Period(DAY, DAY), "KHOA-KHAC")
    assert [(r.department_code, r.beds, r.occupied, r.rate) for r in report.occupancy] == [
        ("KKB", 2, 1, Decimal("50.0")),
        ("", 2, 1, Decimal("50.0")),
    ]
    assert report.counts.inpatients_now == 1
    assert other.counts.inpatients_now == 0 and other.occupancy[-1].beds == 0
    # The period's stays come from the inpatient module: one admission, none discharged yet.
    assert (report.counts.admissions, report.counts.discharges, report.average_stay) == (1, 0, None)
    assert other.counts.admissions == 0
