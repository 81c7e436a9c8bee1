"""The claims export: every finished visit of a date range as one signed QĐ 130 file, or refused with its reasons.

A glue module: it reads the public api of reception, patients, outpatient, catalogs and billing, maps each visit
(his.claims.mapping), checks the claim with his.bhyt before anything is written and signs it with his.bhyt. One
transaction per visit, so that one refused or failing visit leaves the others' accounts and files alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from his.bhyt import api as bhyt
from his.bhyt.schemas import ClaimInput
from his.billing import api as billing
from his.billing.schemas import AccountSummary
from his.catalogs import api as catalogs
from his.claims.inpatient import StayFacts, map_inpatient_claim
from his.claims.mapping import Codes, MappedClaim, VisitFacts, load_codes, map_claim
from his.claims.schemas import ExportReport, Refusal, RefusedClaim, SkippedVisit, WrittenClaim
from his.inpatient import api as inpatient
from his.inpatient.schemas import StayOut
from his.kernel.audit.service import AuditActor, AuditEntry
from his.kernel.auth.service import get_user
from his.kernel.clock import local_date
from his.kernel.errors import DomainError, NotFound
from his.kernel.hospital import get_hospital
from his.kernel.i18n import lazy
from his.kernel.runtime import Kernel
from his.orders import api as orders
from his.outpatient import api as outpatient
from his.patients import api as patients
from his.reception import api as reception
from his.reception.schemas import VisitOut

# Billing references an ordered service's charge as "order:<order id>" (his/orders, his/inpatient).
ORDER_REF = "order:"
SKIP_NO_CARD = lazy("No BHYT card on this visit: the patient paid the hospital price, there is no claim")
MSG_NOT_EXPORTED = lazy("The visit could not be prepared: {reason}")
MSG_NOT_DISCHARGED = lazy("The stay is not discharged yet: its claim is made at discharge")
# Called before each visit: (position from 1, number of visits, the visit).
Progress = Callable[[int, int, VisitOut], None]


@dataclass(frozen=True, slots=True)
class ExportContext:
    kernel: Kernel
    actor: AuditActor
    out_dir: Path
    codes: Codes
    check: Callable[[ClaimInput], list[Refusal]]  # every rule of the claim, his.bhyt's reasons as refusals
    build: Callable[[ClaimInput, date], bytes]  # the signed envelope


def _checker(
    credentials: bhyt.SigningCredentials,
) -> tuple[Callable[[ClaimInput], list[Refusal]], Callable[[ClaimInput, date], bytes]]:
    """check and build over one rule book, read once for the whole export."""
    book = bhyt.load_rulebook()

    def check(claim: ClaimInput) -> list[Refusal]:
        return [
            Refusal(table=v.table, field=v.field, msgid=v.msgid, params=dict(v.params), line=v.line)
            for v in bhyt.check_claim(claim=claim, rulebook=book)
        ]

    def build(claim: ClaimInput, created_on: date) -> bytes:
        return bhyt.build_claim_file(claim=claim, credentials=credentials, created_on=created_on, rulebook=book)

    return check, build


async def _doctor_certificate(session: AsyncSession, username: str, day: date) -> str | None:
    """The practising certificate of the doctor's staff record (the sign-in names its staff code)."""
    try:
        user = await get_user(session, username)
    except NotFound:
        return None
    if not user.staff_code:
        return None
    staff = await catalogs.get_staff(session, code=user.staff_code, as_of=day)
    return staff.practising_certificate_no if staff else None


async def _order_times(session: AsyncSession, account: AccountSummary) -> dict[str, datetime]:
    """When each ordered service of the account was ordered (its NGAY_YL), from the orders module."""
    found: dict[str, datetime] = {}
    for line in account.lines:
        reference = line.source_ref or ""
        if reference.startswith(ORDER_REF) and reference[len(ORDER_REF) :].isdigit():
            try:
                order = await orders.get_order(session, order_id=int(reference[len(ORDER_REF) :]))
            except NotFound:
                continue
            found[reference] = order.ordered_at
    return found


async def _department_code(session: AsyncSession, visit: VisitOut) -> str | None:
    room = await catalogs.get_clinic_room(session, code=visit.room_code, as_of=visit.ticket_day)
    if room is None:
        return None
    department = await catalogs.get_department(session, code=room.department_code, as_of=visit.ticket_day)
    return department.bhyt_code if department else None


async def visit_facts(session: AsyncSession, kernel: Kernel, visit: VisitOut, account: AccountSummary) -> VisitFacts:
    """Everything the mapping needs, read through the modules' public api."""
    encounter = await outpatient.find_encounter(session, visit_id=visit.id)
    receipts = await billing.receipts_of_account(session, encounter_ref=account.encounter_ref)
    paid = [r.issued_at for r in receipts if r.cancelled_at is None]
    services, drugs, supplies = {}, {}, {}
    for line in account.lines:
        if line.source_kind == "drug" and (
            drug := await catalogs.get_drug(session, code=line.code, as_of=line.service_date)
        ):
            drugs[line.code] = drug
        elif line.source_kind == "supply" and (
            supply := await catalogs.get_supply(session, code=line.code, as_of=line.service_date)
        ):
            supplies[line.code] = supply
        elif service := await catalogs.get_service(session, code=line.code, as_of=line.service_date):
            services[line.code] = service
    hospital = await get_hospital(session, kernel.settings.hospital)
    return VisitFacts(
        facility_code=hospital.facility_code,
        # The hospital configuration's signer; the older claims setting still counts when that is empty.
        head_insurance_number=hospital.head_insurance_number or kernel.settings.claims.head_insurance_number,
        patient=await patients.get_patient(session, patient_id=visit.patient_id, on=visit.ticket_day),
        visit=visit,
        encounter=encounter,
        account=account,
        paid_at=max(paid) if paid else None,
        department_code=await _department_code(session, visit),
        doctor_certificate=await _doctor_certificate(session, encounter.doctor, visit.ticket_day)
        if encounter
        else None,
        services=services,
        drugs=drugs,
        supplies=supplies,
        ordered_at=await _order_times(session, account),
    )


async def _export_one(
    session: AsyncSession, context: ExportContext, visit: VisitOut, part: Path
) -> WrittenClaim | RefusedClaim | SkippedVisit:
    """Syncs the account, maps, checks; a valid claim is signed into `part`, renamed once the audit commits."""
    kernel, actor = context.kernel, context.actor
    account = await billing.sync_visit(session, kernel=kernel, actor=actor, visit_code=visit.code)
    if account.payer.benefit_level is None:
        return SkippedVisit(visit_code=visit.code, patient_id=visit.patient_id, reason=SKIP_NO_CARD)
    mapped = map_claim(await visit_facts(session, kernel, visit, account), context.codes)
    refusals = mapped.problems + context.check(mapped.claim)
    if refusals:
        await kernel.audit(
            actor,
            AuditEntry(
                action="claims.refuse",
                object_type="claim",
                object_id=visit.code,
                patient_id=str(visit.patient_id),
                detail="; ".join(r.label() for r in refusals)[:500],
            ),
            session,
        )
        return RefusedClaim(visit_code=visit.code, patient_id=visit.patient_id, refusals=refusals)
    path = context.out_dir / f"{visit.code}.xml"
    part.write_bytes(context.build(mapped.claim, local_date(kernel.clock.now())))
    await kernel.audit(
        actor,
        AuditEntry(
            action="claims.export",
            object_type="claim",
            object_id=visit.code,
            patient_id=str(visit.patient_id),
            detail=path.name,
        ),
        session,
    )
    return WrittenClaim(visit_code=visit.code, patient_id=visit.patient_id, file=str(path))


async def _export_visit(context: ExportContext, visit: VisitOut) -> WrittenClaim | RefusedClaim | SkippedVisit:
    # Signed into a hidden part file first: <MA_LK>.xml appears only once its audit record has committed.
    part = context.out_dir / f".{visit.code}.xml.part"
    try:
        async with context.kernel.db.transaction() as session:
            outcome = await _export_one(session, context, visit, part)
    except DomainError as error:
        # The account could not be built (a drug no longer in the catalog, a closed account): refused, said why.
        part.unlink(missing_ok=True)
        reason = error.message.format(**error.params) if error.params else error.message
        return RefusedClaim(
            visit_code=visit.code,
            patient_id=visit.patient_id,
            refusals=[Refusal(table="billing", field="account", msgid=MSG_NOT_EXPORTED, params={"reason": reason})],
        )
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    if isinstance(outcome, WrittenClaim):
        part.replace(outcome.file)
    return outcome


async def export_claims(
    kernel: Kernel,
    *,
    date_from: date,
    date_to: date,
    out_dir: Path,
    credentials: bhyt.SigningCredentials,
    actor: AuditActor,
    progress: Progress | None = None,
) -> ExportReport:
    async with kernel.db.transaction() as session:
        visits = await reception.finished_visits(session, date_from=date_from, date_to=date_to)
    out_dir.mkdir(parents=True, exist_ok=True)
    check, build = _checker(credentials)
    context = ExportContext(
        kernel=kernel,
        actor=actor,
        out_dir=out_dir,
        codes=load_codes(),
        check=check,
        build=build,
    )
    written: list[WrittenClaim] = []
    refused: list[RefusedClaim] = []
    skipped: list[SkippedVisit] = []
    for position, visit in enumerate(visits, start=1):
        if progress is not None:
            progress(position, len(visits), visit)
        outcome = await _export_visit(context, visit)
        if isinstance(outcome, WrittenClaim):
            written.append(outcome)
        elif isinstance(outcome, RefusedClaim):
            refused.append(outcome)
        else:
            skipped.append(outcome)
    return ExportReport(
        date_from=date_from, date_to=date_to, out_dir=str(out_dir), written=written, refused=refused, skipped=skipped
    )


# ---------------------------------------------------------------- inpatient stays (MA_LOAI_KCB 03 with XML7)


async def stay_facts(session: AsyncSession, kernel: Kernel, stay: StayOut, account: AccountSummary) -> StayFacts:
    """Everything the inpatient mapping needs, read through the modules' public api."""
    receipts = await billing.receipts_of_account(session, encounter_ref=account.encounter_ref)
    paid = [r.issued_at for r in receipts if r.cancelled_at is None]
    services, drugs, supplies = {}, {}, {}
    for line in account.lines:
        if line.source_kind == "drug" and (
            drug := await catalogs.get_drug(session, code=line.code, as_of=line.service_date)
        ):
            drugs[line.code] = drug
        elif line.source_kind == "supply" and (
            supply := await catalogs.get_supply(session, code=line.code, as_of=line.service_date)
        ):
            supplies[line.code] = supply
        elif service := await catalogs.get_service(session, code=line.code, as_of=line.service_date):
            services[line.code] = service
    day = local_date(stay.discharged_at or stay.admitted_at)
    department_codes: dict[str, str] = {}
    for code in {stay.department_code, *(o.department_code for o in stay.occupancies)}:
        department = await catalogs.get_department(session, code=code, as_of=day)
        if department is not None and department.bhyt_code:
            department_codes[code] = department.bhyt_code
    hospital = await get_hospital(session, kernel.settings.hospital)
    return StayFacts(
        facility_code=hospital.facility_code,
        head_insurance_number=hospital.head_insurance_number or kernel.settings.claims.head_insurance_number,
        patient=await patients.get_patient(session, patient_id=stay.patient_id, on=day),
        stay=stay,
        account=account,
        paid_at=max(paid) if paid else None,
        department_codes=department_codes,
        doctor_certificate=await _doctor_certificate(session, stay.discharged_by or stay.doctor, day),
        sheet=await inpatient.treatment_sheet(session, stay_id=stay.id),
        services=services,
        drugs=drugs,
        supplies=supplies,
        ordered_at=await _order_times(session, account),
    )


async def inpatient_claim(session: AsyncSession, kernel: Kernel, stay_code: str) -> tuple[StayOut, MappedClaim]:
    stay = await inpatient.get_stay_by_code(session, code=stay_code)
    account = await billing.account_summary(session, kernel=kernel, encounter_ref=stay.code)
    return stay, map_inpatient_claim(await stay_facts(session, kernel, stay, account), load_codes())


async def export_stay(
    kernel: Kernel, *, stay_code: str, out_dir: Path, credentials: bhyt.SigningCredentials, actor: AuditActor
) -> WrittenClaim | RefusedClaim | SkippedVisit:
    """The signed claim file `<MA_LK>.xml` of one discharged stay, or its refusal with every reason."""
    check, build = _checker(credentials)
    out_dir.mkdir(parents=True, exist_ok=True)
    part = out_dir / f".{stay_code}.xml.part"
    try:
        async with kernel.db.transaction() as session:
            stay, mapped = await inpatient_claim(session, kernel, stay_code)
            if mapped.claim.summary.ma_the_bhyt == []:
                return SkippedVisit(visit_code=stay.code, patient_id=stay.patient_id, reason=SKIP_NO_CARD)
            refusals = mapped.problems + check(mapped.claim)
            if stay.status != "discharged":
                refusals.append(Refusal(table="XML1", field="NGAY_RA", msgid=MSG_NOT_DISCHARGED, params={}))
            entry = AuditEntry(
                action="claims.refuse" if refusals else "claims.export",
                object_type="claim",
                object_id=stay.code,
                patient_id=str(stay.patient_id),
                detail="; ".join(r.label() for r in refusals)[:500] if refusals else f"{stay.code}.xml",
            )
            if refusals:
                await kernel.audit(actor, entry, session)
                return RefusedClaim(visit_code=stay.code, patient_id=stay.patient_id, refusals=refusals)
            part.write_bytes(build(mapped.claim, local_date(kernel.clock.now())))
            await kernel.audit(actor, entry, session)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    path = out_dir / f"{stay.code}.xml"
    part.replace(path)
    return WrittenClaim(visit_code=stay.code, patient_id=stay.patient_id, file=str(path))
