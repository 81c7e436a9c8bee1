"""A discharged inpatient stay as the neutral claim input of the BHYT module: MA_LOAI_KCB 03 (inpatient
treatment) with XML7, the discharge paper. Pure: no I/O (the facts are read in his.claims.service).

The lines of the stay's account (bed days, services ordered for the stay, drugs, supplies) are mapped by the
outpatient mapping's line functions; the summary and the discharge paper are the stay's own:
- NGAY_VAO and NGAY_VAO_NOI_TRU: the admission time; NGAY_RA: the discharge time;
- SO_NGAY_DTRI: discharge date - admission date + 1 (QĐ 130, XML1 field 38, for MA_LOAI_KCB 03);
- KET_QUA_DTRI and MA_LOAI_RV: as the doctor chose them at discharge (QĐ 130 code lists);
- XML3 MA_GIUONG: the code of the bed the stay lay in on the day of the bed-day line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import msgspec

from his.bhyt.schemas import ClaimInput, ClaimSummary, DischargePaper, DrugLine, ProgressNote, ServiceLine
from his.billing.schemas import AccountSummary
from his.catalogs.schemas import DrugEntry, ServiceEntry, SupplyEntry
from his.claims.mapping import (
    CENT,
    SEX_CODES,
    Codes,
    MappedClaim,
    VisitFacts,
    _birth,
    _drug_line,
    _five_years,
    _service_line,
    local,
    plain_code,
)
from his.claims.schemas import Refusal
from his.inpatient.schemas import SheetDayOut, StayOut
from his.patients.schemas import PatientOut
from his.reception.schemas import VisitOut

INPATIENT = "03"  # MA_LOAI_KCB: "Điều trị nội trú"


@dataclass(frozen=True, slots=True)
class StayFacts:
    """Everything the claim of one discharged stay is mapped from."""

    facility_code: str  # MA_CSKCB
    head_insurance_number: str  # MA_TTDV
    patient: PatientOut
    stay: StayOut
    account: AccountSummary
    paid_at: datetime | None
    department_codes: dict[str, str]  # hospital department code -> its BHYT code (MA_KHOA)
    doctor_certificate: str | None  # the discharging doctor's practising certificate (MA_BAC_SI, XML7 MA_BS)
    sheet: list[SheetDayOut] = field(default_factory=list)
    services: dict[str, ServiceEntry] = field(default_factory=dict)
    drugs: dict[str, DrugEntry] = field(default_factory=dict)
    supplies: dict[str, SupplyEntry] = field(default_factory=dict)
    ordered_at: dict[str, datetime] = field(default_factory=dict)  # NGAY_YL by charge source reference


def _line_facts(facts: StayFacts) -> VisitFacts:
    """The line functions of the outpatient mapping read the account, the catalogs, the department and the
    doctor; the visit they also take is read only for an examination line, which a stay's account does not hold."""
    stay = facts.stay
    stand_in = VisitOut(
        id=0,
        code=stay.code,
        patient_id=stay.patient_id,
        patient_code=stay.patient_code,
        patient_name=stay.patient_name,
        kind="inpatient",
        room_code="",
        room_name="",
        service_code="",
        ticket_day=local(stay.admitted_at).date(),
        ticket_number=0,
        status="finished",
        route=facts.account.payer.route,
        route_reason="",
        card_number=stay.card_number,
        card_benefit_level=facts.account.payer.benefit_level,
        registered_at=stay.admitted_at,
    )
    return VisitFacts(
        facility_code=facts.facility_code,
        head_insurance_number=facts.head_insurance_number,
        patient=facts.patient,
        visit=stand_in,
        encounter=None,
        account=facts.account,
        paid_at=facts.paid_at,
        department_code=facts.department_codes.get(stay.department_code),
        doctor_certificate=facts.doctor_certificate,
        services=facts.services,
        drugs=facts.drugs,
        supplies=facts.supplies,
        ordered_at=facts.ordered_at,
    )


def _bed_on(stay: StayOut, day: date) -> tuple[str, str] | None:
    """(bed code, department code) of the last bed the stay lay in on `day`."""
    found = None
    for occupancy in stay.occupancies:
        start = local(occupancy.started_at).date()
        end = local(occupancy.released_at).date() if occupancy.released_at else date.max
        if start <= day <= end:
            found = (occupancy.bed_code, occupancy.department_code)
    if found is None and stay.occupancies:
        last = stay.occupancies[-1]
        found = (last.bed_code, last.department_code)
    return found


def _department(facts: StayFacts, code: str | None) -> str:
    return facts.department_codes.get(code or "", "") if code else ""


def _with_bed(facts: StayFacts, line: ServiceLine, charge_day: date, ordered: datetime) -> ServiceLine:
    bed = _bed_on(facts.stay, charge_day)
    if bed is None:
        return line
    doctor = [facts.doctor_certificate] if facts.doctor_certificate else []
    return msgspec.structs.replace(
        line,
        ma_giuong=[bed[0]],
        ma_khoa=_department(facts, bed[1]) or line.ma_khoa,
        ma_bac_si=doctor,
        ngay_yl=ordered,
        ngay_th_yl=ordered,
    )


def _progress(facts: StayFacts) -> list[ProgressNote]:
    """XML5 from the treatment sheet: each entry's progress and vital signs (CSST<M_T_HA_NT>)."""
    doctor = [facts.doctor_certificate] if facts.doctor_certificate else []
    notes: list[ProgressNote] = []
    for day in facts.sheet:
        for entry in day.entries:
            signs = [
                f"{label}{value}"
                for label, value in (
                    ("M", entry.pulse),
                    ("T", entry.temperature),
                    ("HA", f"{entry.systolic}/{entry.diastolic}" if entry.systolic and entry.diastolic else None),
                    ("NT", entry.respiratory_rate),
                )
                if value is not None
            ]
            text = " ".join(part for part in (entry.progress, entry.care_orders) if part)
            text = (text + (f" CSST<{'_'.join(signs)}>" if signs else "")).strip()
            if text:
                notes.append(
                    ProgressNote(dien_bien_ls=text[:2000], thoi_diem_dbls=entry.written_at, nguoi_thuc_hien=doctor)
                )
    return notes


def _summary(facts: StayFacts, codes: Codes, discharged: datetime) -> ClaimSummary:
    patient, stay, payer = facts.patient, facts.stay, facts.account.payer
    extra: dict[str, str] = {}
    insured = payer.benefit_level is not None and payer.card_number is not None
    admitted_on, discharged_on = local(stay.admitted_at).date(), local(discharged).date()
    departments = list(dict.fromkeys(_department(facts, o.department_code) for o in stay.occupancies))
    if not departments:
        departments = [_department(facts, stay.department_code)]
    weight = stay.weight_kg
    if weight is None:
        extra["CAN_NANG"] = ""
    return ClaimSummary(
        ma_lk=stay.code,
        ma_bn=patient.code,
        ho_ten=patient.full_name,
        so_cccd=patient.cccd or patient.passport,
        ngay_sinh=_birth(patient, extra),
        gioi_tinh=SEX_CODES.get(patient.sex, 3),
        ma_quoctich=patient.nationality_code or "",
        ma_dantoc=patient.ethnicity_code or "",
        ma_nghe_nghiep=patient.occupation_code or "",
        dia_chi=patient.address_line or "",
        matinh_cu_tru=patient.province_code or "",
        mahuyen_cu_tru=patient.district_code or "",
        maxa_cu_tru=patient.ward_code or "",
        dien_thoai=patient.phone,
        ma_the_bhyt=[payer.card_number] if insured and payer.card_number else [],
        ma_dkbd=[payer.registered_facility] if insured and payer.registered_facility else [],
        gt_the_tu=[payer.card_valid_from] if insured and payer.card_valid_from else [],
        gt_the_den=[payer.card_valid_to] if insured and payer.card_valid_to else [],
        ly_do_vv=stay.reason or stay.admission_diagnosis,
        ly_do_vnt=stay.reason or stay.admission_diagnosis,
        chan_doan_vao=stay.admission_diagnosis,
        chan_doan_rv=stay.discharge_diagnosis or "",
        ma_benh_chinh=plain_code(stay.discharge_icd10 or ""),
        ma_doituong_kcb=codes.routes.get(payer.route, "") if insured else "",
        ngay_vao=stay.admitted_at,
        ngay_vao_noi_tru=stay.admitted_at,
        ngay_ra=discharged,
        so_ngay_dtri=(discharged_on - admitted_on).days + 1,
        pp_dieu_tri=stay.treatment_method or "",
        ket_qua_dtri=int(stay.outcome or 0),
        ma_loai_rv=int(stay.discharge_kind or 0),
        ghi_chu=stay.discharge_note or None,
        ngay_ttoan=facts.paid_at,
        nam_qt=discharged_on.year,
        thang_qt=discharged_on.month,
        ma_loai_kcb=INPATIENT,
        ma_khoa=[d for d in departments if d],
        ma_cskcb=facts.facility_code,
        can_nang=(weight or Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP),
        nam_nam_lien_tuc=_five_years(payer.five_years_since, discharged_on) if insured else None,
        ma_hsba=stay.code,
        ma_ttdv=facts.head_insurance_number,
        extra=extra,
    )


def discharge_paper(facts: StayFacts, discharged: datetime) -> DischargePaper:
    """XML7 from the discharge: the data of the printed giấy ra viện."""
    stay = facts.stay
    diagnosis = f"{plain_code(stay.discharge_icd10 or '')} - {stay.discharge_diagnosis or ''}".strip(" -")
    return DischargePaper(
        so_luu_tru=stay.code,
        ma_yte=facts.patient.code,
        ma_khoa_rv=_department(facts, stay.department_code),
        ngay_vao=stay.admitted_at,
        ngay_ra=discharged,
        chan_doan_rv=diagnosis,
        pp_dieutri=stay.treatment_method or "",
        ghi_chu=stay.discharge_note or None,
        ma_ttdv=facts.head_insurance_number,
        ma_bs=facts.doctor_certificate or "",
        ten_bs=stay.discharged_by_name or "",
        ngay_ct=local(discharged).date(),
    )


def map_inpatient_claim(facts: StayFacts, codes: Codes) -> MappedClaim:
    """The claim of one discharged stay: XML1 (MA_LOAI_KCB 03), XML2, XML3 (bed days with MA_GIUONG), XML5 from
    the treatment sheet, XML7 the discharge paper. A stay not yet discharged is mapped with NGAY_RA empty."""
    stay = facts.stay
    problems: list[Refusal] = []
    discharged = stay.discharged_at or stay.admitted_at
    line_facts = _line_facts(facts)
    drugs: list[DrugLine] = []
    services: list[ServiceLine] = []
    for charge in facts.account.lines:
        if charge.source_kind == "drug":
            drugs.append(_drug_line(line_facts, codes, charge, len(drugs) + 1, problems))
            continue
        line = _service_line(line_facts, codes, charge, len(services) + 1, problems)
        if charge.source_kind == "bed":
            ordered = max(
                stay.admitted_at,
                datetime.combine(charge.service_date, datetime.min.time(), local(stay.admitted_at).tzinfo),
            )
            line = _with_bed(facts, line, charge.service_date, ordered)
        services.append(line)
    summary = _summary(facts, codes, discharged)
    if stay.discharged_at is None:
        summary = msgspec.structs.replace(summary, extra={**summary.extra, "NGAY_RA": ""})
    claim = ClaimInput(
        summary=summary,
        drugs=drugs,
        services=services,
        progress_notes=_progress(facts),
        discharge_paper=discharge_paper(facts, discharged),
    )
    return MappedClaim(claim, problems)
