"""Shapes of the patient registry for other modules and for the HTTP API (msgspec Structs, never ORM rows)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import msgspec

Sex = Literal["M", "F"]
IdentityStatus = Literal["confirmed", "temporary"]
TemporaryReason = Literal["newborn", "foreigner", "unidentified_emergency"]


class InsuranceCardIn(msgspec.Struct, forbid_unknown_fields=True):
    card_number: str
    valid_from: date
    valid_to: date
    initial_facility_code: str  # MA_DKBD
    five_years_since: date | None = None


class InsuranceCardOut(msgspec.Struct, frozen=True):
    id: int
    card_number: str
    object_code: str
    benefit_level: int
    province_code: str
    social_insurance_number: str
    valid_from: date
    valid_to: date
    initial_facility_code: str
    five_years_since: date | None
    recorded_at: datetime
    superseded_at: datetime | None


class PatientIn(msgspec.Struct, forbid_unknown_fields=True):
    """A registration. `full_name` may be left out only for a temporary identity (a stand-in name is made);
    `birth_year` is enough when the date is not known (`birth_year_estimated` for "about 40 years old")."""

    sex: Sex
    full_name: str | None = None
    birth_date: date | None = None
    birth_year: int | None = None
    birth_year_estimated: bool = False
    ethnicity_code: str | None = None
    nationality_code: str | None = None
    occupation_code: str | None = None
    cccd: str | None = None
    passport: str | None = None
    phone: str | None = None
    address_line: str | None = None
    province_code: str | None = None
    district_code: str | None = None
    ward_code: str | None = None
    guardian_name: str | None = None
    guardian_relation: str | None = None
    guardian_phone: str | None = None
    guardian_cccd: str | None = None
    temporary_reason: TemporaryReason | None = None
    mother_code: str | None = None  # a newborn's mother, by patient code
    note: str | None = None
    card: InsuranceCardIn | None = None
    # A receptionist who has looked at the likely duplicates and knows this is another person says so here.
    confirm_not_duplicate: bool = False
    not_duplicate_reason: str | None = None


class PatientPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; a field left out is kept, a field sent as null is cleared (where it may be)."""

    full_name: str | msgspec.UnsetType = msgspec.UNSET
    sex: Sex | msgspec.UnsetType = msgspec.UNSET
    birth_date: date | msgspec.UnsetType | None = msgspec.UNSET
    birth_year: int | msgspec.UnsetType = msgspec.UNSET
    birth_year_estimated: bool | msgspec.UnsetType = msgspec.UNSET
    ethnicity_code: str | msgspec.UnsetType | None = msgspec.UNSET
    nationality_code: str | msgspec.UnsetType | None = msgspec.UNSET
    occupation_code: str | msgspec.UnsetType | None = msgspec.UNSET
    cccd: str | msgspec.UnsetType | None = msgspec.UNSET
    passport: str | msgspec.UnsetType | None = msgspec.UNSET
    phone: str | msgspec.UnsetType | None = msgspec.UNSET
    address_line: str | msgspec.UnsetType | None = msgspec.UNSET
    province_code: str | msgspec.UnsetType | None = msgspec.UNSET
    district_code: str | msgspec.UnsetType | None = msgspec.UNSET
    ward_code: str | msgspec.UnsetType | None = msgspec.UNSET
    guardian_name: str | msgspec.UnsetType | None = msgspec.UNSET
    guardian_relation: str | msgspec.UnsetType | None = msgspec.UNSET
    guardian_phone: str | msgspec.UnsetType | None = msgspec.UNSET
    guardian_cccd: str | msgspec.UnsetType | None = msgspec.UNSET
    note: str | msgspec.UnsetType | None = msgspec.UNSET
    # Confirming a temporary identity (the patient's papers were seen).
    identity_status: Literal["confirmed"] | msgspec.UnsetType = msgspec.UNSET


class AgeOut(msgspec.Struct, frozen=True):
    value: int
    unit: Literal["year", "month", "day"]


class PatientOut(msgspec.Struct, frozen=True):
    id: int
    code: str
    full_name: str
    birth_date: date | None
    birth_year: int
    birth_year_estimated: bool
    sex: Sex
    age: AgeOut | None
    ethnicity_code: str | None
    nationality_code: str | None
    occupation_code: str | None
    cccd: str | None
    passport: str | None
    phone: str | None
    address_line: str | None
    province_code: str | None
    district_code: str | None
    ward_code: str | None
    guardian_name: str | None
    guardian_relation: str | None
    guardian_phone: str | None
    guardian_cccd: str | None
    identity_status: IdentityStatus
    temporary_reason: TemporaryReason | None
    mother_id: int | None
    note: str | None
    merged_into_id: int | None
    created_at: datetime
    updated_at: datetime


class PatientDetail(msgspec.Struct, frozen=True):
    patient: PatientOut
    cards: list[InsuranceCardOut]  # newest first: the open card, then the superseded ones


class PatientSummary(msgspec.Struct, frozen=True):
    """A search result line."""

    id: int
    code: str
    full_name: str
    birth_date: date | None
    birth_year: int
    sex: Sex
    phone: str | None
    cccd: str | None
    identity_status: IdentityStatus
    temporary_reason: TemporaryReason | None
    card_number: str | None  # the open card, if any


class PatientPage(msgspec.Struct, frozen=True):
    items: list[PatientSummary]
    total: int
    limit: int
    offset: int


class DuplicateCandidate(msgspec.Struct, frozen=True):
    patient: PatientSummary
    certainty: Literal["certain", "likely"]
    reasons: list[str]


class DuplicateProblem(msgspec.Struct, frozen=True):
    """The 409 answer to a registration that looks like a patient already registered (RFC 9457 + candidates)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str
    candidates: list[DuplicateCandidate]


class MergeIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: str


class MergeOut(msgspec.Struct, frozen=True):
    merge_id: int
    source_id: int
    source_code: str
    target_id: int
    target_code: str
    cards_moved: int
    merged_at: datetime
