"""One declarative spec per catalog kind: its table, its CSV columns, how a row parses into model fields,
and which fields are searched. Pure: no I/O, no database.

A cell parser takes the raw (stripped) text of one CSV cell and returns the typed value, or raises
CellError with an English msgid. A row check sees the whole parsed row and may reject it (naming a column).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from his.catalogs.models import (
    CatalogRow,
    ClinicRoom,
    Department,
    Drug,
    Icd10Code,
    Service,
    Staff,
    Supply,
)
from his.catalogs.text import fold_join
from his.kernel.i18n import lazy as _
from his.kernel.permissions import ROLE_CODES

__all__ = [
    "CATALOG_KINDS",
    "CLINICAL_ROLES",
    "SPECS",
    "CatalogSpec",
    "CellError",
    "Column",
    "Substance",
    "format_cell",
    "get_spec",
    "parse_strength",
]

# Separates the substances (and their strengths) of a multi-substance product in one CSV cell,
# as the national drug lists write them: "Amoxicilin + Acid clavulanic", "500 mg + 125 mg".
LIST_SEPARATOR = " + "
_LIST_SPLIT = re.compile(r"\s*\+\s*")
# No white space, and nothing that would cut a URL path: a code is part of /catalogs/{kind}/{code}.
_CODE = re.compile(r"^[^\s/?#%\\]+$")
_CERTIFICATE = re.compile(r"^[0-9A-Za-zĐđ./\-]+$")
# Vietnamese writing: "," is the decimal mark, "." groups thousands ("1.000.000 IU", "0,5 mg").
_STRENGTH = re.compile(r"^(\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?)\s*([^\d\s.,].*)$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
_WHOLE = re.compile(r"^\d+$")
_YEAR = re.compile(r"^(19|20)\d{2}$")
# Staff in these roles practise medicine or pharmacy and must hold a practising certificate (CCHN).
CLINICAL_ROLES = ("doctor", "nurse", "pharmacist", "lab_technician", "radiologist")
STAFF_ROLES = (*ROLE_CODES, "other")
_TRUE = frozenset({"1", "true", "yes", "x", "có"})
_FALSE = frozenset({"0", "false", "no", "", "không"})


class CellError(ValueError):
    """A cell (or a row, naming one of its columns) that cannot be accepted."""

    def __init__(self, message: str, /, *, column: str | None = None, **params: Any) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.column = column
        self.params = params


@dataclass(frozen=True, slots=True)
class Substance:
    """One active substance of a drug with its strength as written ("500 mg")."""

    substance: str
    strength: str


Parser = Callable[[str], Any]
Formatter = Callable[[Any], str]
RowCheck = Callable[[dict[str, Any]], None]


# ---------------------------------------------------------------- cell parsers


def text(max_length: int) -> Parser:
    def parse(raw: str) -> str:
        if not raw:
            raise CellError(_("A value is required"))
        if len(raw) > max_length:
            raise CellError(_("At most {max} characters are allowed"), max=max_length)
        return raw

    return parse


def optional_text(max_length: int) -> Parser:
    def parse(raw: str) -> str | None:
        if not raw:
            return None
        if len(raw) > max_length:
            raise CellError(_("At most {max} characters are allowed"), max=max_length)
        return raw

    return parse


def code(max_length: int = 40) -> Parser:
    required = text(max_length)

    def parse(raw: str) -> str:
        value: str = required(raw)
        if not _CODE.match(value):
            raise CellError(_("A code must not contain spaces or any of / ? # % \\"))
        return value

    return parse


def optional_code(max_length: int = 40) -> Parser:
    required = code(max_length)

    def parse(raw: str) -> str | None:
        return required(raw) if raw else None

    return parse


def optional_tender(raw: str) -> str | None:
    """TT_THAU of QĐ 130/4750: the tender decision, package, group and year as one value, e.g. 123/QĐ-SYT;G1;N4;2025."""
    if not raw:
        return None
    parts = [part.strip() for part in raw.split(";")]
    if len(raw) > 50 or len(parts) != 4 or not all(parts) or not _YEAR.match(parts[3]):
        raise CellError(_("Write the tender as decision;package;group;year, e.g. 123/QĐ-SYT;G1;N4;2025"))
    return ";".join(parts)


def whole_number(raw: str) -> int:
    if not raw:
        raise CellError(_("A value is required"))
    if not _WHOLE.match(raw):
        raise CellError(_("Write a whole number without separators, e.g. 150000"))
    value = int(raw)
    if value > 10**12:
        raise CellError(_("The number is too large"))
    return value


def optional_whole_number(raw: str) -> int | None:
    return whole_number(raw) if raw else None


def flag(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise CellError(_("Write 1 (yes) or 0 (no)"))


def sex(raw: str) -> str | None:
    if not raw:
        return None
    if raw.upper() in ("F", "M"):
        return raw.upper()
    raise CellError(_("Write F (female only), M (male only) or leave empty"))


def one_of(choices: Sequence[str]) -> Parser:
    def parse(raw: str) -> str:
        if raw not in choices:
            raise CellError(_("Write one of: {choices}"), choices=", ".join(choices))
        return raw

    return parse


def certificate(raw: str) -> str | None:
    if not raw:
        return None
    if len(raw) > 40:
        raise CellError(_("At most {max} characters are allowed"), max=40)
    if not _CERTIFICATE.match(raw):
        raise CellError(_("A practising certificate number has only letters, digits, '/', '-' and '.'"))
    return raw


def item_list(max_length: int) -> Parser:
    def parse(raw: str) -> tuple[str, ...]:
        if not raw:
            raise CellError(_("A value is required"))
        items = tuple(item.strip() for item in _LIST_SPLIT.split(raw))
        if any(not item for item in items):
            raise CellError(_("An item between '+' signs is empty"))
        if any(len(item) > max_length for item in items):
            raise CellError(_("At most {max} characters are allowed"), max=max_length)
        return items

    return parse


# ---------------------------------------------------------------- cell formatters


def format_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple | list):
        return LIST_SEPARATOR.join(format_cell(item) for item in value)
    return str(value)


def parse_strength(strength: str) -> tuple[Decimal | None, str | None]:
    """("500 mg") -> (500, "mg"); ("0,5 mg/ml") -> (0.5, "mg/ml"); anything else -> (None, None)."""
    match = _STRENGTH.match(strength.strip())
    if not match:
        return None, None
    number = match.group(1)
    if _THOUSANDS.match(number):
        number = number.replace(".", "")
    try:
        value = Decimal(number.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        return None, None
    unit = match.group(2).strip()
    if len(unit) > 40 or value >= Decimal(10) ** 12:
        return None, None
    return value, unit


# ---------------------------------------------------------------- specs


@dataclass(frozen=True, slots=True)
class Column:
    """One CSV column. `field` is the model attribute (or a pseudo-field a row check combines)."""

    name: str
    parse: Parser
    label: str  # English msgid, for page headers and docs
    field: str = ""
    required: bool = True  # the column must be in the header (its cells may still be optional)
    # A transient column feeds a row check (which builds a stored field from it) and is not stored itself.
    transient: bool = False
    # How to write the cell back from a version's content; default: the field's value.
    format: Callable[[Mapping[str, Any]], str] | None = None

    @property
    def target(self) -> str:
        return self.field or self.name


@dataclass(frozen=True, slots=True)
class CatalogSpec:
    kind: str  # URL and CLI name
    title: str  # English msgid
    model: type[CatalogRow]
    columns: tuple[Column, ...]
    search_fields: tuple[str, ...]  # content fields folded into search_text, besides code and name
    code_fields: tuple[str, ...] = ("code",)  # matched as a prefix to rank a row first
    references: Mapping[str, str] = field(default_factory=dict)  # field -> kind whose code it names
    check: RowCheck | None = None
    list_fields: tuple[str, ...] = ()  # shown in the page's results table after code and name
    extra_fields: tuple[str, ...] = ()  # content the row check builds, stored outside the table (substances)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def table_fields(self) -> tuple[str, ...]:
        """Columns of the model table compared between versions (besides code)."""
        return tuple(column.target for column in self.columns if column.target != "code" and not column.transient)

    @property
    def content_fields(self) -> tuple[str, ...]:
        """Everything compared between versions (besides code): table fields, then extra fields."""
        return self.table_fields + self.extra_fields

    def search_text(self, code_value: str, content: Mapping[str, Any]) -> str:
        parts: list[str | None] = [code_value, content.get("name")]
        for name in self.search_fields:
            value = content.get(name)
            if isinstance(value, tuple):
                parts.extend(item.substance if isinstance(item, Substance) else str(item) for item in value)
            else:
                parts.append(None if value is None else str(value))
        return fold_join(parts)

    def parse_row(self, cells: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
        """(code, content) of one CSV row; raises the list of CellErrors of every bad cell."""
        errors: list[CellError] = []
        values: dict[str, Any] = {}
        for column in self.columns:
            raw = (cells.get(column.name) or "").strip()
            try:
                values[column.target] = column.parse(raw)
            except CellError as error:
                error.column = column.name
                errors.append(error)
        if not errors and self.check is not None:
            try:
                self.check(values)
            except CellError as error:
                errors.append(error)
        if errors:
            raise RowErrors(errors)
        return values.pop("code"), values

    def format_row(self, code_value: str, content: Mapping[str, Any]) -> list[str]:
        row: list[str] = []
        for column in self.columns:
            if column.target == "code":
                row.append(code_value)
            elif column.format is not None:
                row.append(column.format(content))
            else:
                row.append(format_cell(content.get(column.target)))
        return row


class RowErrors(Exception):
    def __init__(self, errors: list[CellError]) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors


def _check_icd10(values: dict[str, Any]) -> None:
    low, high = values.get("min_age_days"), values.get("max_age_days")
    if low is not None and high is not None and low > high:
        raise CellError(_("The minimum age is greater than the maximum age"), column="min_age_days")


def _check_staff(values: dict[str, Any]) -> None:
    if values.get("role") in CLINICAL_ROLES and not values.get("practising_certificate_no"):
        raise CellError(
            _("Staff in the role {role} need a practising certificate number"),
            column="practising_certificate_no",
            role=values["role"],
        )


def _check_drug(values: dict[str, Any]) -> None:
    names: tuple[str, ...] = values.pop("substance_names")
    strengths: tuple[str, ...] = values.pop("substance_strengths")
    if len(names) != len(strengths):
        raise CellError(
            _("There are {substances} substances but {strengths} strengths; give one strength per substance"),
            column="strengths",
            substances=len(names),
            strengths=len(strengths),
        )
    values["substances"] = tuple(Substance(name, strength) for name, strength in zip(names, strengths, strict=True))


ICD10 = CatalogSpec(
    kind="icd10",
    title=_("ICD-10 diagnoses"),
    model=Icd10Code,
    columns=(
        Column("code", code(16), _("Code")),
        Column("code_plain", code(16), _("Code without dot or mark")),
        Column("name_vi", text(500), _("Vietnamese name"), field="name"),
        Column("name_en", optional_text(500), _("English name")),
        Column("chapter_code", optional_text(16), _("Chapter")),
        Column("group_code", optional_text(16), _("Group")),
        Column("type_code", optional_text(16), _("Category")),
        Column("sex", sex, _("Sex only")),
        Column("min_age_days", optional_whole_number, _("Minimum age (days)")),
        Column("max_age_days", optional_whole_number, _("Maximum age (days)")),
        Column("is_asterisk", flag, _("Asterisk code")),
        Column("is_dagger", flag, _("Dagger code")),
        Column("never_main", flag, _("Never the main diagnosis")),
    ),
    search_fields=("code_plain", "name_en"),
    code_fields=("code", "code_plain"),
    check=_check_icd10,
    list_fields=("name_en",),
)

DEPARTMENTS = CatalogSpec(
    kind="departments",
    title=_("Departments"),
    model=Department,
    columns=(
        Column("code", code(), _("Code")),
        Column("name", text(500), _("Name")),
        Column("bhyt_code", optional_code(50), _("BHYT department code"), required=False),
    ),
    search_fields=("bhyt_code",),
    list_fields=("bhyt_code",),
)

CLINIC_ROOMS = CatalogSpec(
    kind="clinic-rooms",
    title=_("Clinic rooms"),
    model=ClinicRoom,
    columns=(
        Column("code", code(), _("Code")),
        Column("name", text(500), _("Name")),
        Column("department_code", code(), _("Department code")),
    ),
    search_fields=("department_code",),
    references={"department_code": "departments"},
    list_fields=("department_code",),
)

STAFF = CatalogSpec(
    kind="staff",
    title=_("Staff"),
    model=Staff,
    columns=(
        Column("code", code(), _("Code")),
        Column("name", text(500), _("Full name")),
        Column("title", optional_text(100), _("Title")),
        Column("department_code", optional_code(), _("Department code")),
        Column("practising_certificate_no", certificate, _("Practising certificate number")),
        Column("role", one_of(STAFF_ROLES), _("Role")),
    ),
    search_fields=("title", "practising_certificate_no"),
    references={"department_code": "departments"},
    check=_check_staff,
    list_fields=("title", "department_code", "practising_certificate_no", "role"),
)

SERVICES = CatalogSpec(
    kind="services",
    title=_("Services and prices"),
    model=Service,
    columns=(
        Column("code", code(), _("Code")),
        Column("name", text(500), _("Name")),
        Column("group", text(100), _("Service group")),
        Column("unit", text(50), _("Unit")),
        Column("hospital_price", whole_number, _("Hospital price (VND)")),
        Column("bhyt_price", optional_whole_number, _("BHYT price (VND)")),
        Column("bhyt_code", optional_code(50), _("BHYT code")),
    ),
    search_fields=("group", "bhyt_code"),
    list_fields=("group", "unit", "hospital_price", "bhyt_price", "bhyt_code"),
)

DRUGS = CatalogSpec(
    kind="drugs",
    title=_("Drugs"),
    model=Drug,
    columns=(
        Column("code", code(), _("Code")),
        Column("name", text(500), _("Name")),
        Column(
            "substances",
            item_list(200),
            _("Active substances"),
            field="substance_names",
            transient=True,
            format=lambda content: LIST_SEPARATOR.join(item.substance for item in content["substances"]),
        ),
        Column(
            "strengths",
            item_list(100),
            _("Strengths"),
            field="substance_strengths",
            transient=True,
            format=lambda content: LIST_SEPARATOR.join(item.strength for item in content["substances"]),
        ),
        Column("form", text(200), _("Dosage form")),
        Column("route", text(100), _("Route")),
        Column("unit", text(50), _("Unit")),
        Column("bhyt_code", optional_code(50), _("BHYT code")),
        Column("price", whole_number, _("Price (VND)")),
        Column("registration_number", optional_text(255), _("Registration number (SO_DANG_KY)"), required=False),
        Column("tender", optional_tender, _("Tender (decision;package;group;year)"), required=False),
    ),
    search_fields=("substances", "bhyt_code"),
    check=_check_drug,
    list_fields=("substances", "form", "route", "unit", "price"),
    extra_fields=("substances",),
)

SUPPLIES = CatalogSpec(
    kind="supplies",
    title=_("Medical supplies"),
    model=Supply,
    columns=(
        Column("code", code(), _("Code")),
        Column("name", text(500), _("Name")),
        Column("unit", text(50), _("Unit")),
        Column("price", whole_number, _("Price (VND)")),
        Column("bhyt_code", optional_code(50), _("BHYT code")),
    ),
    search_fields=("bhyt_code",),
    list_fields=("unit", "price", "bhyt_code"),
)

SPECS: dict[str, CatalogSpec] = {
    spec.kind: spec for spec in (ICD10, DEPARTMENTS, CLINIC_ROOMS, STAFF, SERVICES, DRUGS, SUPPLIES)
}
CATALOG_KINDS = tuple(SPECS)
# Import order when several kinds arrive together: referenced kinds first.
IMPORT_ORDER = ("icd10", "departments", "clinic-rooms", "staff", "services", "drugs", "supplies")


def get_spec(kind: str) -> CatalogSpec | None:
    return SPECS.get(kind)
