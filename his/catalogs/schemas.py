"""Shapes of catalog entries for other modules and for the HTTP API (msgspec Structs, never ORM rows).

Every entry carries its `kind` as a tag, so a list can mix kinds and a client can tell them apart.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import msgspec


class SubstanceOut(msgspec.Struct, frozen=True):
    substance: str
    strength: str  # as written: "500 mg", "0,5 mg/ml"
    strength_value: Decimal | None = None  # 500, when the strength parses
    strength_unit: str | None = None  # "mg"


class Icd10Entry(msgspec.Struct, frozen=True, tag="icd10", tag_field="kind"):
    code: str
    code_plain: str
    name: str  # Vietnamese
    name_en: str | None
    chapter_code: str | None
    group_code: str | None
    type_code: str | None
    sex: str | None  # "F" or "M": valid for that sex only
    min_age_days: int | None
    max_age_days: int | None
    is_asterisk: bool
    is_dagger: bool
    never_main: bool
    valid_from: date
    valid_to: date | None


class DepartmentEntry(msgspec.Struct, frozen=True, tag="departments", tag_field="kind"):
    code: str
    name: str
    bhyt_code: str | None
    valid_from: date
    valid_to: date | None


class ClinicRoomEntry(msgspec.Struct, frozen=True, tag="clinic-rooms", tag_field="kind"):
    code: str
    name: str
    department_code: str
    valid_from: date
    valid_to: date | None


class StaffEntry(msgspec.Struct, frozen=True, tag="staff", tag_field="kind"):
    code: str
    name: str  # full name
    title: str | None
    department_code: str | None
    practising_certificate_no: str | None  # chứng chỉ hành nghề
    role: str
    valid_from: date
    valid_to: date | None


class ServiceEntry(msgspec.Struct, frozen=True, tag="services", tag_field="kind"):
    code: str
    name: str
    group: str
    unit: str
    hospital_price: int  # VND
    bhyt_price: int | None  # VND; None when BHYT does not pay for it
    bhyt_code: str | None
    valid_from: date
    valid_to: date | None


class DrugEntry(msgspec.Struct, frozen=True, tag="drugs", tag_field="kind"):
    code: str
    name: str
    substances: list[SubstanceOut]
    form: str
    route: str
    unit: str
    bhyt_code: str | None
    price: int  # VND per unit
    valid_from: date
    valid_to: date | None
    registration_number: str | None = None  # số đăng ký (XML2 SO_DANG_KY)
    tender: str | None = None  # thông tin thầu (XML2 TT_THAU): decision;package;group;year


class SupplyEntry(msgspec.Struct, frozen=True, tag="supplies", tag_field="kind"):
    code: str
    name: str
    unit: str
    price: int  # VND per unit
    bhyt_code: str | None
    valid_from: date
    valid_to: date | None


CatalogEntry = Icd10Entry | DepartmentEntry | ClinicRoomEntry | StaffEntry | ServiceEntry | DrugEntry | SupplyEntry

ENTRY_TYPES: dict[str, type[CatalogEntry]] = {
    "icd10": Icd10Entry,
    "departments": DepartmentEntry,
    "clinic-rooms": ClinicRoomEntry,
    "staff": StaffEntry,
    "services": ServiceEntry,
    "drugs": DrugEntry,
    "supplies": SupplyEntry,
}


class SearchPage(msgspec.Struct):
    items: list[CatalogEntry]
    total: int
    limit: int
    offset: int


class CatalogKindOut(msgspec.Struct):
    kind: str
    title: str
    count: int  # entries in force on as_of
    as_of: date


class ImportReportOut(msgspec.Struct):
    kind: str
    effective: date
    rows: int  # data rows read from the file
    added: int  # codes new to the catalog
    changed: int  # codes whose content changed: the old version ends, a new one starts
    unchanged: int
    retired: int  # codes ended because the file no longer lists them (retire_missing)
    duplicates: int  # rows repeating an earlier row of the file word for word


class ImportProblemOut(msgspec.Struct):
    line: int
    column: str | None
    message: str


class ImportRejectedOut(msgspec.Struct):
    """RFC 9457 problem details of a rejected import, with every problem of the file."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str
    errors: list[ImportProblemOut]


class DiagnosisProblemOut(msgspec.Struct):
    rule: str  # "sex", "age", "never_main", "asterisk_main"
    message: str  # English msgid; translate with params
    params: dict[str, str]
