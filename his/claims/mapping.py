"""A finished visit as the neutral claim input of the BHYT module (QĐ 130 as amended by QĐ 4750). Pure: no I/O.

The facts come as the Structs the modules hand out: the patient (patients), the visit (reception), the examination
with its diagnoses and prescriptions (outpatient), the account split line by line (billing) and the catalog
entries of what was charged (catalogs). A required fact the visit lacks is written empty (through `extra`), so
that the BHYT validator refuses the claim naming the field instead of the export inventing a value.

Amounts: XML2/XML3 amounts are left to the decision's formulas (his.bhyt computes them to 2 decimals from
quantity, price, TYLE_TT_BH and MUC_HUONG); billing's whole-dong split of each line must agree with them to less
than one dong, otherwise the visit is refused naming the line and field (a capped high-technology service, say).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources

from his.bhyt.schemas import ClaimInput, ClaimSummary, DrugLine, ProgressNote, ServiceLine
from his.billing.schemas import AccountSummary
from his.billing.schemas import LineOut as ChargeLine
from his.catalogs.schemas import DrugEntry, ServiceEntry, SupplyEntry
from his.claims.schemas import Refusal
from his.kernel.i18n import lazy
from his.outpatient.schemas import EncounterOut, PrescriptionOut
from his.outpatient.schemas import LineOut as PrescribedLine
from his.patients.schemas import PatientOut
from his.reception.schemas import VisitOut

VIET_NAM = timezone(timedelta(hours=7))
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# MA_LOAI_KCB 01: "Khám bệnh", an outpatient examination (QĐ 4750 code list).
EXAM_VISIT = "01"
# XML5 is sent for treatment only, not with MA_LOAI_KCB 01 or 07 (QĐ 130 XML5 note; checked by his.bhyt).
NO_PROGRESS_KINDS = frozenset({"01", "07"})
# XML2 MA_THUOC of a drug outside the BHYT list (fields.csv note of MA_THUOC).
OUT_OF_LIST_DRUG = "00.0000"
# KET_QUA_DTRI and MA_LOAI_RV (QĐ 130 code lists) of each outpatient disposition. An examination does not measure
# a treatment's result: "2" (better) for a patient sent home with treatment, "3" (unchanged) for one who needs a
# ward or another facility; MA_LOAI_RV 2 is the transfer "by professional need".
OUTCOMES: dict[str, tuple[int, int]] = {
    "home": (2, 1),
    "follow_up": (2, 1),
    "admit": (3, 1),
    "transfer": (3, 2),
}
SEX_CODES = {"M": 1, "F": 2}

MSG_NOT_WHOLE_PERCENT = lazy("The fund's share {percent}% is not a whole percent, as MUC_HUONG must be")
MSG_BILLING_DIFFERS = lazy("Billing's {amount} dong differs from {expected}, the decision's formula")
MSG_UNKNOWN_COST_GROUP = lazy("No cost group (MA_NHOM) for '{value}' in his/claims/data/codes.csv")


@dataclass(frozen=True, slots=True)
class Codes:
    """The code lists of his/claims/data/codes.csv (see its source and note columns)."""

    routes: Mapping[str, str]  # billing route -> MA_DOITUONG_KCB
    drug_routes: Mapping[str, str]  # catalog route text, lower case -> DUONG_DUNG
    cost_groups: Mapping[str, int]  # service group, or "drug" / "supply" / "bed" -> MA_NHOM


def load_codes(text: str | None = None) -> Codes:
    if text is None:
        text = (resources.files("his.claims") / "data" / "codes.csv").read_text(encoding="utf-8")
    lists: dict[str, dict[str, str]] = {"route": {}, "drug_route": {}, "cost_group": {}}
    for row in csv.DictReader(text.splitlines()):
        lists[row["list"]][row["key"].strip()] = row["code"].strip()
    return Codes(
        routes=lists["route"],
        drug_routes={key.lower(): code for key, code in lists["drug_route"].items()},
        cost_groups={key: int(code) for key, code in lists["cost_group"].items()},
    )


@dataclass(frozen=True, slots=True)
class VisitFacts:
    """Everything one claim is mapped from."""

    facility_code: str  # MA_CSKCB
    head_insurance_number: str  # MA_TTDV
    patient: PatientOut
    visit: VisitOut
    encounter: EncounterOut | None
    account: AccountSummary
    paid_at: datetime | None  # the last live receipt (NGAY_TTOAN)
    department_code: str | None  # the BHYT code of the room's department (MA_KHOA)
    doctor_certificate: str | None  # the examining doctor's practising certificate (MA_BAC_SI)
    services: Mapping[str, ServiceEntry] = field(default_factory=dict)
    drugs: Mapping[str, DrugEntry] = field(default_factory=dict)
    supplies: Mapping[str, SupplyEntry] = field(default_factory=dict)
    # When each ordered service was ordered (NGAY_YL), by the charge's source reference ("order:<id>").
    ordered_at: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MappedClaim:
    claim: ClaimInput
    problems: list[Refusal]  # found while mapping (billing against the formulas); the validator finds the rest


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def local(moment: datetime) -> datetime:
    return moment.astimezone(VIET_NAM)


def plain_code(icd10: str) -> str:
    """MA_BENH_* take the code without the dagger or asterisk of the catalog ("A39.0†" -> "A39.0")."""
    return icd10.replace("†", "").replace("*", "").strip()


def dosage_text(line: PrescribedLine) -> str:
    """XML2 LIEU_DUNG for outpatients: per time * times a day * days [per day]."""
    per_day = (line.dose_per_time * line.times_per_day).normalize()
    dose = line.dose_per_time.normalize()
    unit = line.unit.lower()
    return f"{dose:f} {unit}/lần * {line.times_per_day} lần/ngày * {line.days} ngày [{per_day:f} {unit}/ngày]"


class _Blanks:
    """Required facts the visit lacks: written empty so the validator names them."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def date_or_blank(self, name: str, value: date | None) -> date:
        if value is None:
            self.fields[name] = ""
            return date(1900, 1, 1)
        return value

    def moment_or_blank(self, name: str, value: datetime | None) -> datetime:
        if value is None:
            self.fields[name] = ""
            return datetime(1900, 1, 1, tzinfo=VIET_NAM)
        return value

    def number_or_blank(self, name: str, value: int | None) -> int:
        if value is None:
            self.fields[name] = ""
            return 0
        return value


def _percent(facts: VisitFacts, day: date, table: str, line: int, problems: list[Refusal]) -> int:
    decision = next((d for d in facts.account.decisions if d.service_date == day), None)
    percent = decision.percent if decision is not None else Decimal(0)
    if percent != percent.to_integral_value():
        problems.append(
            Refusal(
                table=table, field="MUC_HUONG", msgid=MSG_NOT_WHOLE_PERCENT, params={"percent": str(percent)}, line=line
            )
        )
    return int(percent)


def cross_check(table: str, number: int, charge: ChargeLine, bv: Decimal, bh: Decimal, percent: int) -> list[Refusal]:
    """Billing's whole-dong split of a line against the decision's amounts (at most half a dong apart each)."""
    bhtt = money(bh * percent / HUNDRED)
    pairs = (
        ("THANH_TIEN_BV", charge.amount_hospital, bv),
        ("T_BHTT", charge.fund_pays, bhtt),
        ("T_BNCCT", charge.patient_copay, bh - bhtt),
        ("T_BNTT", charge.patient_other, bv - bh),
    )
    return [
        Refusal(
            table=table,
            field=name,
            msgid=MSG_BILLING_DIFFERS,
            params={"amount": str(billed), "expected": f"{expected:f}"},
            line=number,
        )
        for name, billed, expected in pairs
        if abs(Decimal(billed) - expected) >= 1
    ]


def _prescribed(encounter: EncounterOut | None, drug_code: str) -> tuple[PrescriptionOut, PrescribedLine] | None:
    """The prescription line a dispensed drug answers (the first live prescription naming the drug)."""
    prescriptions = encounter.prescriptions if encounter else []
    for prescription in sorted(prescriptions, key=lambda p: p.status == "cancelled"):
        for line in prescription.lines:
            if line.drug_code == drug_code:
                return prescription, line
    return None


def _drug_line(facts: VisitFacts, codes: Codes, charge: ChargeLine, number: int, problems: list[Refusal]) -> DrugLine:
    drug = facts.drugs.get(charge.code)
    prescribed = _prescribed(facts.encounter, charge.code)
    blanks = _Blanks()
    extra = blanks.fields
    percent = _percent(facts, charge.service_date, "XML2", number, problems)
    quantity, price = charge.quantity, Decimal(charge.unit_price_hospital)
    rate = 100 if charge.in_bhyt_list else 0
    bv, bh = money(quantity * price), money(quantity * price * rate / HUNDRED)
    problems += cross_check("XML2", number, charge, bv, bh, percent)
    route = codes.drug_routes.get((drug.route if drug else "").strip().lower(), "")
    ordered = prescribed[0].issued_at if prescribed else None
    return DrugLine(
        ma_thuoc=(drug.bhyt_code if drug and drug.bhyt_code else OUT_OF_LIST_DRUG),
        ma_nhom=codes.cost_groups["drug"],
        ten_thuoc=charge.name,
        don_vi_tinh=drug.unit if drug else "",
        ham_luong=" + ".join(s.strength for s in drug.substances) if drug else "",
        duong_dung=route,
        dang_bao_che=drug.form if drug else "",
        lieu_dung=dosage_text(prescribed[1]) if prescribed else "",
        cach_dung=(prescribed[1].usage if prescribed else ""),
        so_dang_ky=drug.registration_number if drug else None,
        tt_thau=(drug.tender or "") if drug else "",
        pham_vi=1 if charge.in_bhyt_list else 2,
        tyle_tt_bh=rate,
        so_luong=quantity,
        don_gia=price,
        muc_huong=percent,
        ma_khoa=facts.department_code or "",
        ma_bac_si=[facts.doctor_certificate] if facts.doctor_certificate else [],
        ngay_yl=blanks.moment_or_blank("NGAY_YL", ordered),
        ma_pttt=1,  # fee for service
        nguon_ctra=1,  # the BHYT fund
        extra=extra,
    )


def _cost_group(facts: VisitFacts, charge: ChargeLine) -> str:
    if charge.source_kind == "service":
        service = facts.services.get(charge.code)
        return service.group if service else charge.code
    return charge.source_kind


def _service_line(
    facts: VisitFacts, codes: Codes, charge: ChargeLine, number: int, problems: list[Refusal]
) -> ServiceLine:
    blanks = _Blanks()
    group_key = _cost_group(facts, charge)
    group = blanks.number_or_blank("MA_NHOM", codes.cost_groups.get(group_key))
    if "MA_NHOM" in blanks.fields:
        problems.append(
            Refusal(
                table="XML3", field="MA_NHOM", msgid=MSG_UNKNOWN_COST_GROUP, params={"value": group_key}, line=number
            )
        )
    percent = _percent(facts, charge.service_date, "XML3", number, problems)
    quantity, price_bv = charge.quantity, Decimal(charge.unit_price_hospital)
    covered = charge.in_bhyt_list
    price_bh = (
        Decimal(min(charge.unit_price_bhyt or charge.unit_price_hospital, charge.unit_price_hospital))
        if covered
        else Decimal(0)
    )
    rate = 100 if covered else 0
    bv, bh = money(quantity * price_bv), money(quantity * price_bh * rate / HUNDRED)
    problems += cross_check("XML3", number, charge, bv, bh, percent)
    encounter = facts.encounter
    is_exam = charge.source_ref is not None and charge.source_ref.startswith("exam:")
    doctor = [facts.doctor_certificate] if facts.doctor_certificate else []
    bhyt_code, unit = _catalog_code(facts, charge)
    supply = charge.source_kind == "supply"
    return ServiceLine(
        ma_dich_vu=None if supply else bhyt_code,
        ma_vat_tu=bhyt_code if supply else None,
        ten_dich_vu=None if supply else charge.name,
        ten_vat_tu=charge.name if supply else None,
        ma_nhom=group,
        don_vi_tinh=unit,
        pham_vi=1 if covered else 2,
        so_luong=quantity,
        don_gia_bv=price_bv,
        don_gia_bh=price_bh,
        tyle_tt_bh=rate,
        muc_huong=percent,
        ma_khoa=facts.department_code or "",
        ma_bac_si=doctor if is_exam else [],
        nguoi_thuc_hien=doctor if is_exam else [],
        # The examination is ordered at the desk, done when the doctor opens it, resulted when it is finished.
        ngay_yl=facts.visit.registered_at if is_exam else facts.ordered_at.get(charge.source_ref or ""),
        ngay_th_yl=encounter.started_at if is_exam and encounter else None,
        ngay_kq=encounter.finished_at if is_exam and encounter else None,
        ma_pttt=1,
        extra=blanks.fields,
    )


def _catalog_code(facts: VisitFacts, charge: ChargeLine) -> tuple[str, str]:
    """(BHYT code, unit) of a service or supply line; the hospital's own code when the catalog has no BHYT code."""
    if charge.source_kind == "supply":
        supply = facts.supplies.get(charge.code)
        return ((supply.bhyt_code or charge.code) if supply else charge.code), (supply.unit if supply else "")
    service = facts.services.get(charge.code)
    return ((service.bhyt_code or charge.code) if service else charge.code), (service.unit if service else "")


def _birth(patient: PatientOut, extra: dict[str, str]) -> date:
    if patient.birth_date is not None:
        return patient.birth_date
    # Only the year is known: day and month are written 0000 (format "birth" of fields.csv).
    extra["NGAY_SINH"] = f"{patient.birth_year:04d}00000000"
    return date(patient.birth_year, 1, 1)


def _five_years(since: date | None, day: date) -> date | None:
    """NAM_NAM_LIEN_TUC: the day five years of continuous cover were reached, once they are."""
    if since is None:
        return None
    try:
        reached = since.replace(year=since.year + 5)
    except ValueError:  # 29 February
        reached = since.replace(year=since.year + 5, day=28)
    return reached if reached <= day else None


def _summary(facts: VisitFacts, codes: Codes, kind: str) -> ClaimSummary:
    patient, visit, encounter, payer = facts.patient, facts.visit, facts.encounter, facts.account.payer
    blanks = _Blanks()
    extra = blanks.fields
    diagnoses = sorted(encounter.diagnoses if encounter else [], key=lambda d: (not d.is_main, d.position))
    main = next((d for d in diagnoses if d.is_main), None)
    others = [d for d in diagnoses if not d.is_main]
    insured = payer.benefit_level is not None and payer.card_number is not None
    finished = encounter.finished_at if encounter else None
    settled = local(finished).date() if finished else visit.ticket_day
    result, leave = OUTCOMES.get((encounter.disposition or "") if encounter else "", (None, None))
    prescribed = [p for p in (encounter.prescriptions if encounter else []) if p.status != "cancelled"]
    weight = encounter.vitals.weight_kg if encounter else None
    advice = next((p.advice for p in prescribed if p.advice), "") or (encounter.disposition_note if encounter else "")
    return ClaimSummary(
        ma_lk=visit.code,
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
        ly_do_vv=encounter.reason if encounter else "",
        chan_doan_vao=main.text if main else "",
        chan_doan_rv="; ".join(d.text for d in diagnoses),
        ma_benh_chinh=plain_code(main.code) if main else "",
        ma_benh_kt=[plain_code(d.code) for d in others],
        ma_doituong_kcb=codes.routes.get(payer.route, "") if insured else "",
        ngay_vao=visit.registered_at,
        ngay_ra=blanks.moment_or_blank("NGAY_RA", finished),
        so_ngay_dtri=0,  # MA_LOAI_KCB 01: always 0 (QĐ 4750)
        pp_dieu_tri="Khám bệnh, kê đơn thuốc ngoại trú" if prescribed else "Khám bệnh",
        ket_qua_dtri=blanks.number_or_blank("KET_QUA_DTRI", result),
        ma_loai_rv=blanks.number_or_blank("MA_LOAI_RV", leave),
        ghi_chu=advice or None,
        ngay_ttoan=facts.paid_at,
        nam_qt=settled.year,
        thang_qt=settled.month,
        ma_loai_kcb=kind,
        ma_khoa=[facts.department_code] if facts.department_code else [],
        ma_cskcb=facts.facility_code,
        can_nang=_weight(weight, extra),
        nam_nam_lien_tuc=_five_years(payer.five_years_since, visit.ticket_day) if insured else None,
        ngay_tai_kham=[encounter.follow_up_date] if encounter and encounter.follow_up_date else [],
        ma_hsba=visit.code,  # the outpatient exam slip is the visit
        ma_ttdv=facts.head_insurance_number,
        extra=extra,
    )


def _weight(weight: Decimal | None, extra: dict[str, str]) -> Decimal:
    if weight is None:
        extra["CAN_NANG"] = ""
        return Decimal(0)
    return weight.quantize(CENT, rounding=ROUND_HALF_UP)


def progress_notes(facts: VisitFacts, kind: str) -> list[ProgressNote]:
    """XML5 from the examination notes and vital signs, for the kinds of visit that send it (not 01 or 07)."""
    encounter = facts.encounter
    if kind in NO_PROGRESS_KINDS or encounter is None or not encounter.exam_notes.strip():
        return []
    vitals = encounter.vitals
    signs = [
        f"{label}{value}"
        for label, value in (
            ("M", vitals.pulse),
            ("T", vitals.temperature),
            ("HA", f"{vitals.systolic}/{vitals.diastolic}" if vitals.systolic and vitals.diastolic else None),
            ("NT", vitals.respiratory_rate),
        )
        if value is not None
    ]
    text = encounter.exam_notes.strip() + (f" CSST<{'_'.join(signs)}>" if signs else "")
    doctor = [facts.doctor_certificate] if facts.doctor_certificate else []
    return [ProgressNote(dien_bien_ls=text, thoi_diem_dbls=encounter.started_at, nguoi_thuc_hien=doctor)]


def map_claim(facts: VisitFacts, codes: Codes, kind: str = EXAM_VISIT) -> MappedClaim:
    """The claim of one outpatient visit (default MA_LOAI_KCB 01, an examination): XML1, XML2 drugs, XML3
    services and supplies; XML5 only for kinds that send it (never for 01). No XML4: no results are recorded yet."""
    problems: list[Refusal] = []
    drugs: list[DrugLine] = []
    services: list[ServiceLine] = []
    for charge in facts.account.lines:
        if charge.source_kind == "drug":
            drugs.append(_drug_line(facts, codes, charge, len(drugs) + 1, problems))
        else:
            services.append(_service_line(facts, codes, charge, len(services) + 1, problems))
    claim = ClaimInput(
        summary=_summary(facts, codes, kind),
        drugs=drugs,
        services=services,
        progress_notes=progress_notes(facts, kind),
    )
    return MappedClaim(claim, problems)
