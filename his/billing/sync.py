"""A visit's account built from the care modules: the exam service the visit was registered for (reception) and
the drugs the pharmacy dispensed for each of its prescriptions (outpatient, pharmacy), priced from the catalogs.

Idempotent: every charge carries a source reference, so a second sync finds what the first posted and only adds
what is new, lowers a drug charge the patient returned (before it was paid) and leaves the rest alone. A charge
the cashier cancelled stays cancelled.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from his.billing import rules, service
from his.billing.models import Account
from his.billing.schemas import AccountIn, ChargeIn, PayerFacts
from his.catalogs import api as catalogs
from his.catalogs.schemas import DrugEntry, ServiceEntry
from his.kernel.audit.service import AuditActor
from his.kernel.clock import local_date
from his.kernel.errors import Conflict, NotFound
from his.kernel.i18n import lazy as _
from his.kernel.runtime import Kernel
from his.outpatient import api as outpatient
from his.patients import api as patients
from his.patients.schemas import InsuranceCardOut
from his.pharmacy import api as pharmacy
from his.pharmacy.schemas import DispensingOut
from his.reception import api as reception
from his.reception.schemas import VisitOut

RETURNED = "Returned to the pharmacy"


@dataclass(frozen=True, slots=True)
class Wanted:
    """A charge the care modules say the visit owes; quantity 0: everything was returned."""

    charge: ChargeIn
    quantity: Decimal

    @property
    def source_ref(self) -> str:
        assert self.charge.source_ref is not None
        return self.charge.source_ref


def _card_of_visit(cards: list[InsuranceCardOut], visit: VisitOut) -> InsuranceCardOut | None:
    """The card the desk accepted: same number, valid on the ticket day (the newest such)."""
    same = [card for card in cards if card.card_number == visit.card_number]
    valid = [card for card in same if card.valid_from <= visit.ticket_day <= card.valid_to]
    found = valid or same
    return found[0] if found else None


async def payer_of_visit(session: AsyncSession, kernel: Kernel, visit: VisitOut) -> PayerFacts:
    """The payer facts of the visit: its route and card as reception recorded them, the card's dates and
    registered facility from the patient's record, the hospital level from the settings."""
    # "none" (no card usable on the day) is no route at all: without a card the route decides nothing.
    route = visit.route if visit.route in rules.ROUTES else "registered"
    card = None
    if visit.card_number:
        detail = await patients.get_patient_detail(session, patient_id=visit.patient_id, on=visit.ticket_day)
        card = _card_of_visit(detail.cards, visit)
    return PayerFacts(
        route=route,  # type: ignore[arg-type]
        hospital_level=kernel.settings.hospital.level,
        care_type="outpatient",
        card_number=visit.card_number,
        benefit_level=visit.card_benefit_level if visit.card_number else None,
        card_valid_from=card.valid_from if card else None,
        card_valid_to=card.valid_to if card else None,
        registered_facility=card.initial_facility_code if card else None,
        five_years_since=card.five_years_since if card else None,
    )


def exam_charge(visit: VisitOut, exam: ServiceEntry) -> Wanted:
    charge = ChargeIn(
        source_kind="service",
        code=exam.code,
        name=exam.name,
        quantity=Decimal(1),
        unit_price_hospital=exam.hospital_price,
        unit_price_bhyt=exam.bhyt_price,
        in_bhyt_list=exam.bhyt_price is not None,
        service_date=visit.ticket_day,
        source_ref=f"exam:{exam.code}",
    )
    return Wanted(charge, Decimal(1))


def drug_charge(dispensing: DispensingOut, request_line: int, drug: DrugEntry, quantity: int) -> Wanted:
    """One charge per dispensed prescription line (its lots summed), at the catalog price of the day."""
    in_list = drug.bhyt_code is not None and drug.price > 0
    charge = ChargeIn(
        source_kind="drug",
        code=drug.code,
        name=drug.name,
        quantity=Decimal(max(quantity, 1)),
        unit_price_hospital=drug.price,
        unit_price_bhyt=drug.price if in_list else None,
        in_bhyt_list=in_list,
        service_date=local_date(dispensing.dispensed_at),
        source_ref=f"dispensing:{dispensing.id}:{request_line}",
    )
    return Wanted(charge, Decimal(max(quantity, 0)))


async def _drug_charges(session: AsyncSession, dispensing: DispensingOut) -> list[Wanted]:
    given: dict[int, int] = defaultdict(int)
    codes: dict[int, str] = {}
    for line in dispensing.lines:
        given[line.request_line] += line.quantity - line.returned_quantity
        codes[line.request_line] = line.drug_code
    day = local_date(dispensing.dispensed_at)
    wanted = []
    for request_line in sorted(given):
        drug = await catalogs.get_entry(session, kind="drugs", code=codes[request_line], as_of=day)
        assert isinstance(drug, DrugEntry)
        wanted.append(drug_charge(dispensing, request_line, drug, given[request_line]))
    return wanted


async def wanted_charges(session: AsyncSession, visit: VisitOut) -> list[Wanted]:
    """What the visit owes according to the care modules, in the order it happened."""
    exam = await catalogs.get_entry(session, kind="services", code=visit.service_code, as_of=visit.ticket_day)
    assert isinstance(exam, ServiceEntry)
    wanted = [exam_charge(visit, exam)]
    encounter = await outpatient.find_encounter(session, visit_id=visit.id)
    if encounter is None:
        return wanted
    stores = await pharmacy.warehouses(session)
    for prescription in encounter.prescriptions:
        for store in stores:
            found = await pharmacy.find_dispensing(session, warehouse_code=store.code, reference=prescription.code)
            if found is not None:
                wanted += await _drug_charges(session, found)
    return wanted


async def _account_of(kernel: Kernel, session: AsyncSession, actor: AuditActor, visit: VisitOut) -> Account:
    try:
        return await service.get_account(session, visit.code, lock=True)
    except NotFound:
        data = AccountIn(
            encounter_ref=visit.code,
            patient_id=visit.patient_id,
            patient_code=visit.patient_code,
            patient_name=visit.patient_name,
            payer=await payer_of_visit(session, kernel, visit),
        )
        return await service.open_account(kernel, session, actor, data)


async def sync_visit(kernel: Kernel, session: AsyncSession, actor: AuditActor, visit_code: str) -> Account:
    """Opens the visit's account if it has none and brings its charges in line with the care modules."""
    visit = await reception.get_visit_by_code(session, code=visit_code)
    if visit.status == "cancelled":
        raise Conflict(_("Visit {code} was cancelled: there is nothing to bill"), code=visit.code)
    wanted = await wanted_charges(session, visit)
    account = await _account_of(kernel, session, actor, visit)
    for item in wanted:
        existing = await service.charge_by_source(session, account, item.source_ref)
        if existing is None:
            if item.quantity > 0:
                await service.post_charge(kernel, session, actor, encounter_ref=account.encounter_ref, data=item.charge)
        elif existing.cancelled_at is None and existing.quantity != item.quantity:
            if item.quantity == 0:
                await service.cancel_charge(kernel, session, actor, charge_id=existing.id, reason=RETURNED)
            else:
                await service.change_quantity(
                    kernel, session, actor, charge=existing, quantity=item.quantity, reason=RETURNED
                )
    return account
