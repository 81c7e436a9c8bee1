"""Pure rules of orders and results: the status lifecycle, what a catalog service group orders, the specimen it
needs, and the abnormal flag of a numeric result. No I/O: easy to test, easy to read aloud to a clinician."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from his.kernel.i18n import lazy as _

CONTEXT_TYPES = ("outpatient", "inpatient")
CATEGORIES = ("lab", "imaging", "procedure", "consultation")
PRIORITIES = ("stat", "urgent", "routine")  # in the order a worklist serves them
STATUSES = ("placed", "accepted", "in_progress", "resulted", "verified", "cancelled")
RESULT_KINDS = ("numeric", "text")
FLAGS = ("LL", "L", "H", "HH")

# Where an order may go from each status. A result may be re-entered (corrected) until it is verified.
TRANSITIONS: dict[str, frozenset[str]] = {
    "placed": frozenset({"accepted", "cancelled"}),
    "accepted": frozenset({"in_progress", "resulted", "cancelled"}),
    "in_progress": frozenset({"resulted", "cancelled"}),
    "resulted": frozenset({"resulted", "verified"}),
    "verified": frozenset(),
    "cancelled": frozenset(),
}
OPEN_STATUSES = ("placed", "accepted", "in_progress")
WITH_RESULTS = ("resulted", "verified")

CATEGORY_LABELS = {
    "lab": _("Laboratory"),
    "imaging": _("Imaging"),
    "procedure": _("Procedure"),
    "consultation": _("Consultation"),
}
PRIORITY_LABELS = {"stat": _("Stat"), "urgent": _("Urgent"), "routine": _("Routine")}
STATUS_LABELS = {
    "placed": _("Placed"),
    "accepted": _("Accepted"),
    "in_progress": _("In progress"),
    "resulted": _("Resulted"),
    "verified": _("Verified"),
    "cancelled": _("Cancelled"),
}
FLAG_LABELS = {"LL": _("Critically low"), "L": _("Low"), "H": _("High"), "HH": _("Critically high")}

MSG_TRANSITION = _("An order that is {current} cannot become {target}")
MSG_REASON = _("Give a reason of 3 to 300 characters")
MSG_NUMBER = _("{value} is not a number")
MSG_NOT_ORDERABLE = _(
    "Service {code} ({group}) cannot be ordered: it is not a test, imaging, procedure or consultation"
)
MSG_PRIORITY = _("Unknown priority {value}")
MSG_REPEAT = _(
    "{service} was already ordered for this patient at {when} (order {code}); give a reason to order it again "
    "within {hours} hours"
)
MSG_RANGE = _("The lower limit must not be above the upper limit")

# The national catalog's service groups (Vietnamese, as the catalog writes them) and what each orders.
_GROUP_CATEGORIES = {
    "xet nghiem": "lab",
    "chan doan hinh anh": "imaging",
    "tham do chuc nang": "procedure",
    "thu thuat": "procedure",
    "phau thuat": "procedure",
    "kham benh": "consultation",
}
# Specimens by a marker in the service's name ("Định lượng Glucose [Máu]"); blood when a test names none.
_SPECIMEN_MARKERS = (
    ("nuoc tieu", "Nước tiểu"),
    ("[dich]", "Dịch"),
    ("dich choc hut", "Dịch"),
    ("phan", "Phân"),
    ("mo benh hoc", "Mô"),
    ("[mau]", "Máu"),
    ("mau", "Máu"),
)


def plain(text: str) -> str:
    """Lower case without Vietnamese accents, so "Xét nghiệm" and "xet nghiem" compare equal."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower().strip()


def category_of_group(group: str) -> str | None:
    """The kind of order a catalog service group makes, or None when its services are not ordered (beds)."""
    return _GROUP_CATEGORIES.get(plain(group))


def specimen_for(category: str, service_name: str) -> str:
    """The specimen a laboratory test needs, from its name; imaging and procedures take none ("")."""
    if category != "lab":
        return ""
    name = plain(service_name)
    for marker, specimen in _SPECIMEN_MARKERS:
        if marker in name:
            return specimen
    return "Máu"


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def valid_reason(reason: str) -> bool:
    return 3 <= len(reason.strip()) <= 300


def parse_number(text: str) -> Decimal | None:
    """A number as typed on a Vietnamese keyboard ("5,8" or "5.8"); None for an empty field; ValueError else."""
    cleaned = text.strip().replace(" ", "").replace(",", ".")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


@dataclass(frozen=True, slots=True)
class Reference:
    """A reference range and its critical (panic) limits; any limit may be unknown."""

    low: Decimal | None = None
    high: Decimal | None = None
    critical_low: Decimal | None = None
    critical_high: Decimal | None = None

    def is_consistent(self) -> bool:
        ordered = [self.critical_low, self.low, self.high, self.critical_high]
        known = [v for v in ordered if v is not None]
        return known == sorted(known)

    def text(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{_plain_decimal(self.low)} - {_plain_decimal(self.high)}"
        if self.low is not None:
            return f"≥ {_plain_decimal(self.low)}"
        if self.high is not None:
            return f"≤ {_plain_decimal(self.high)}"
        return ""


def _plain_decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def abnormal_flag(value: Decimal, reference: Reference) -> str:
    """LL / HH beyond a critical limit, L / H outside the reference range, "" inside it (limits included)."""
    if reference.critical_low is not None and value < reference.critical_low:
        return "LL"
    if reference.critical_high is not None and value > reference.critical_high:
        return "HH"
    if reference.low is not None and value < reference.low:
        return "L"
    if reference.high is not None and value > reference.high:
        return "H"
    return ""


def is_critical(flag: str) -> bool:
    return flag in ("LL", "HH")


def worst_flag(flags: list[str]) -> str:
    """The flag a summary shows: critical before abnormal before normal."""
    for wanted in ("LL", "HH", "L", "H"):
        if wanted in flags:
            return wanted
    return ""


def priority_rank(priority: str) -> int:
    return PRIORITIES.index(priority) if priority in PRIORITIES else len(PRIORITIES)


def order_code(order_id: int) -> str:
    """The order's number as printed on the specimen label (a barcode): "YL" and eight digits."""
    return f"YL{order_id:08d}"


@dataclass(frozen=True, slots=True)
class EarlierOrder:
    code: str
    service_code: str
    service_name: str
    ordered_at: datetime


def recent_repeats(
    earlier: list[EarlierOrder], wanted: list[str], *, now: datetime, window: timedelta
) -> list[tuple[str, EarlierOrder]]:
    """The wanted services that the patient already had ordered within `window` before `now` (the latest such
    order for each), in the order they are wanted. A zero window finds nothing."""
    if window <= timedelta(0):
        return []
    latest: dict[str, EarlierOrder] = {}
    for order in earlier:
        if now - window <= order.ordered_at <= now:
            known = latest.get(order.service_code)
            if known is None or order.ordered_at > known.ordered_at:
                latest[order.service_code] = order
    return [(code, latest[code]) for code in dict.fromkeys(wanted) if code in latest]
