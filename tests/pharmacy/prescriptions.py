"""Outpatient prescriptions for the pharmacy's tests, written the way a doctor writes them (tests/outpatient's
small clinic: Paracetamol T0001, Amoxicilin T0002), with the two warehouses and stock received on a fixed day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from his.kernel.clock import FixedClock
from his.kernel.runtime import Kernel
from his.outpatient import service as outpatient
from his.outpatient.checks import PrescriptionChecks
from his.outpatient.schemas import DiagnosisIn, LineIn, PrescriptionIn
from his.pharmacy import service
from his.pharmacy.schemas import ReceiptIn, ReceiptLineIn
from tests.outpatient.conftest import DOCTOR, DOCTOR_ACTOR, Clinic, build_clinic
from tests.pharmacy.support import ACTOR, MAIN, OUTPATIENT, TODAY

SOON = TODAY + timedelta(days=20)
LATER = TODAY + timedelta(days=400)


@dataclass(frozen=True)
class Pharmacy:
    clinic: Clinic
    man_visit: int  # its examination is open: prescriptions can be written on it


def line(drug_code: str, times_per_day: int, days: int, dose: str = "1") -> LineIn:
    return LineIn(drug_code=drug_code, dose_per_time=Decimal(dose), times_per_day=times_per_day, days=days)


async def stocked_clinic(kernel: Kernel) -> Pharmacy:
    """The clinic's catalogs and patients, both warehouses, and in the outpatient pharmacy: Paracetamol in a lot
    expiring soon (10) and a later one (100), Amoxicilin in one lot (50). The man's examination is open with a
    main diagnosis. `kernel.clock` must be a FixedClock on tests.pharmacy.support.NOW."""
    assert isinstance(kernel.clock, FixedClock)
    clinic = await build_clinic(kernel)
    async with kernel.db.transaction() as session:
        await service.create_warehouse(session, kernel.clock, ACTOR, code=MAIN, name="Kho chính", kind="main")
        await service.create_warehouse(
            session, kernel.clock, ACTOR, code=OUTPATIENT, name="Nhà thuốc ngoại trú", kind="outpatient"
        )
        await service.receive(
            session,
            kernel.clock,
            ACTOR,
            ReceiptIn(
                OUTPATIENT,
                "Công ty CP Dược Hậu Giang",
                "DHG-2026-00001",
                TODAY,
                [
                    ReceiptLineIn("T0001", "P-LATE", LATER, 100, 400),
                    ReceiptLineIn("T0001", "P-SOON", SOON, 10, 400),
                    ReceiptLineIn("T0002", "A-1", LATER, 50, 1200),
                ],
            ),
        )
    async with kernel.db.transaction() as session:
        await outpatient.open_encounter(session, kernel.clock, DOCTOR_ACTOR, DOCTOR, clinic.man_visit)
        await outpatient.set_diagnoses(
            session, kernel.clock, DOCTOR_ACTOR, clinic.man_visit, [DiagnosisIn("J06.9", True)]
        )
    return Pharmacy(clinic, clinic.man_visit)


async def prescribe(kernel: Kernel, visit_id: int, *lines: LineIn) -> str:
    """Signs a prescription on the visit's open examination; returns its national code."""
    async with kernel.db.transaction() as session:
        row, _alerts = await outpatient.issue_prescription(
            session,
            kernel.clock,
            DOCTOR_ACTOR,
            DOCTOR,
            PrescriptionChecks(),
            kernel.settings.hospital,
            visit_id,
            PrescriptionIn(lines=list(lines)),
        )
        return row.code


async def cancel(kernel: Kernel, code: str, reason: str = "Kê nhầm thuốc") -> None:
    async with kernel.db.transaction() as session:
        await outpatient.cancel_prescription(session, kernel.clock, DOCTOR_ACTOR, code=code, reason=reason)


def day_of(kernel: Kernel) -> date:
    return service.today(kernel.clock)
