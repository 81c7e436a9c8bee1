"""Pure rules of the BHYT claims XML (QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT): no I/O.

Input is the text of each field, as it stands in the XML: ``Records`` maps a table (CHECKIN, XML1...) to its records,
each an ordered mapping field -> text. Every check answers with ``Violation``s; ``Violation.msgid`` is an English
gettext msgid whose {placeholders} are keys of ``Violation.params``. Where a rule comes from is in docs/bhyt.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import msgspec

from his.bhyt.spec import FieldRule, RuleBook
from his.kernel.i18n import lazy

Record = Mapping[str, str]
Records = Mapping[str, Sequence[Record]]

MSG_REQUIRED = lazy("A value is required")
MSG_TOO_LONG = lazy("{length} characters, at most {max_size} allowed")
MSG_NOT_INTEGER = lazy("'{value}' is not a whole number")
MSG_NOT_DECIMAL = lazy("'{value}' is not a number (digits, '.' as the decimal mark)")
MSG_TOO_MANY_PLACES = lazy("'{value}' has more than {places} decimal places")
MSG_BAD_DATE = lazy("'{value}' is not a date and time of the form {format}")
MSG_NOT_IN_LIST = lazy("'{value}' is not a code of the list {code_list}")
MSG_UNKNOWN_FIELD = lazy("Not a field of this table")
MSG_SUM = lazy("{value} differs from {expected}, the sum of {source}")
MSG_FORMULA = lazy("{value} differs from {expected} = {formula}")
MSG_ZERO_DAYS = lazy("{value} must be 0 when MA_LOAI_KCB is {kind}")
MSG_DAYS = lazy("{value} differs from {expected}, the days from NGAY_VAO to NGAY_RA plus 1 (MA_LOAI_KCB {kind})")
MSG_NO_PROGRESS_TABLE = lazy("Table XML5 is sent for treatment only, not with MA_LOAI_KCB {kind}")
MSG_LINK = lazy("'{value}' differs from MA_LK '{expected}' of XML1")
MSG_SEQUENCE = lazy("'{value}' breaks the numbering from 1, expected {expected}")
MSG_REQUIRED_WITH = lazy("A value is required when {other} is given")
MSG_SERVICE_OR_SUPPLY = lazy("A line names a service (MA_DICH_VU) or a supply (MA_VAT_TU)")

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# XML1 SO_NGAY_DTRI: "MA_LOAI_KCB có các mã 01, 07, 09 thì SO_NGAY_DTRI = 0" (QĐ 4750).
ZERO_DAY_KINDS = frozenset({"01", "07", "09"})
# ... "có các mã 02, 03, 04, 06 thì SO_NGAY_DTRI = Ngày RA trừ (-) ngày VÀO cộng (+) 1".
COUNTED_DAY_KINDS = frozenset({"02", "03", "04", "06"})
# XML5 note: sent only for outpatient treatment (02, 05, 08), inpatient care and the like; not for 01 or 07.
NO_PROGRESS_KINDS = frozenset({"01", "07"})
# XML1 MA_THE_BHYT and the card fields: all empty together when the visit is not paid by BHYT.
CARD_FIELDS = ("MA_DKBD", "GT_THE_TU", "GT_THE_DEN")
NGUONKHAC_PARTS = ("T_NGUONKHAC_NSNN", "T_NGUONKHAC_VTNN", "T_NGUONKHAC_VTTN", "T_NGUONKHAC_CL")
LINE_TABLES = ("XML2", "XML3", "XML4", "XML5")


class Violation(msgspec.Struct, frozen=True):
    table: str
    field: str
    msgid: str
    params: dict[str, str] = {}
    line: int | None = None  # 1-based record number in a table of several records

    def message(self) -> str:
        """English text (the msgid itself is English)."""
        return self.msgid.format(**self.params) if self.params else self.msgid

    def label(self) -> str:
        where = f" (line {self.line})" if self.line is not None else ""
        return f"{self.table} / {self.field}{where}"


# ---------------------------------------------------------------- one value


def valid_datetime(text: str, fmt: str) -> bool:
    if fmt == "HHMM":
        pattern, length = "%H%M", 4
    elif fmt == "yyyymmdd":
        pattern, length = "%Y%m%d", 8
    elif fmt == "yyyymmddHHMM":
        pattern, length = "%Y%m%d%H%M", 12
    else:  # birth: yyyymmddHHMM; an unknown month and day are written 0000, an unknown time 0000
        if len(text) == 12 and text.isdigit() and text[4:8] == "0000":
            return text[:4] != "0000" and valid_datetime(text[8:], "HHMM")
        return valid_datetime(text, "yyyymmddHHMM")
    if len(text) != length or not text.isdigit():
        return False
    try:
        datetime.strptime(text, pattern)
    except ValueError:
        return False
    return True


def _decimal(text: str) -> Decimal | None:
    if not text or text.strip() != text or "e" in text.lower() or text.startswith("+"):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _part_problems(
    rule: FieldRule, part: str, code_lists: Mapping[str, frozenset[str]]
) -> list[tuple[str, dict[str, str]]]:
    problems: list[tuple[str, dict[str, str]]] = []
    if rule.type == "integer":
        digits = part[1:] if part.startswith("-") else part
        if not digits.isdigit() or not digits.isascii():
            problems.append((MSG_NOT_INTEGER, {"value": part}))
    elif rule.type == "decimal" or rule.decimal_places is not None:
        number = _decimal(part)
        if number is None:
            problems.append((MSG_NOT_DECIMAL, {"value": part}))
        elif (places := rule.decimal_places) is not None and -number.as_tuple().exponent > places:  # type: ignore[operator]
            problems.append((MSG_TOO_MANY_PLACES, {"value": part, "places": str(places)}))
    if rule.type in ("date", "datetime"):
        formats = [f for f in rule.formats if not f.startswith("decimal:")] or [
            "yyyymmdd" if rule.type == "date" else "yyyymmddHHMM"
        ]
        if not any(valid_datetime(part, fmt) for fmt in formats):
            shown = " or ".join("yyyymmddHHMM" if f == "birth" else f for f in formats)
            problems.append((MSG_BAD_DATE, {"value": part, "format": shown}))
    if rule.code_list and part not in code_lists.get(rule.code_list, frozenset()):
        problems.append((MSG_NOT_IN_LIST, {"value": part, "code_list": rule.code_list}))
    return problems


def check_value(
    rule: FieldRule, value: str | None, code_lists: Mapping[str, frozenset[str]]
) -> list[tuple[str, dict[str, str]]]:
    """Problems of one field value against its rule: required, size, type, format, code list."""
    text = value or ""
    if not text:
        return [(MSG_REQUIRED, {})] if rule.required == "yes" else []
    problems: list[tuple[str, dict[str, str]]] = []
    if rule.max_size is not None and len(text) > rule.max_size:
        problems.append((MSG_TOO_LONG, {"length": str(len(text)), "max_size": str(rule.max_size)}))
    parts = text.split(rule.separator) if rule.separator else [text]
    for part in parts:
        problems.extend(_part_problems(rule, part, code_lists))
    return problems


def check_records(book: RuleBook, table: str, records: Sequence[Record]) -> list[Violation]:
    """Every field of every record of one table, plus fields the table does not have."""
    rules = book.fields.get(table, ())
    known = {rule.field for rule in rules}
    several = table != "XML1" and (len(records) > 1 or table in LINE_TABLES)
    found: list[Violation] = []
    for index, record in enumerate(records, start=1):
        line = index if several else None
        for rule in rules:
            for msgid, params in check_value(rule, record.get(rule.field), book.code_lists):
                found.append(Violation(table, rule.field, msgid, params, line))
        for name in record:
            if name not in known:
                found.append(Violation(table, name, MSG_UNKNOWN_FIELD, {}, line))
    return found


# ---------------------------------------------------------------- amounts


def money(value: Decimal) -> Decimal:
    """Rounded to 2 decimal places, half up ("làm tròn số đến 2 chữ số thập phân")."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _amount(record: Record, field: str) -> Decimal | None:
    return _decimal(record.get(field) or "")


def _show(value: Decimal) -> str:
    return format(value, "f")


def drug_amounts(so_luong: Decimal, don_gia: Decimal, tyle_tt_bh: int) -> tuple[Decimal, Decimal]:
    """XML2 THANH_TIEN_BV = SO_LUONG * DON_GIA; THANH_TIEN_BH = SO_LUONG * DON_GIA * TYLE_TT_BH/100."""
    return money(so_luong * don_gia), money(so_luong * don_gia * tyle_tt_bh / HUNDRED)


def service_amounts(
    so_luong: Decimal, don_gia_bv: Decimal, don_gia_bh: Decimal, tyle_tt_dv: int | None, tyle_tt_bh: int
) -> tuple[Decimal, Decimal]:
    """XML3 THANH_TIEN_BV = SO_LUONG * DON_GIA_BV * TYLE_TT_DV (read as a percentage, empty = 100);
    THANH_TIEN_BH = SO_LUONG * DON_GIA_BH * TYLE_TT_DV/100 * TYLE_TT_BH/100."""
    rate = Decimal(100 if tyle_tt_dv is None else tyle_tt_dv) / HUNDRED
    return money(so_luong * don_gia_bv * rate), money(so_luong * don_gia_bh * rate * tyle_tt_bh / HUNDRED)


def split_without_other_sources(
    thanh_tien_bv: Decimal, thanh_tien_bh: Decimal, muc_huong: int
) -> tuple[Decimal, Decimal, Decimal]:
    """(T_BNTT, T_BNCCT, T_BHTT) of a line when T_NGUONKHAC = 0 (XML2/XML3 fields T_BNTT, T_BNCCT, T_BHTT, step 1)."""
    t_bhtt = money(thanh_tien_bh * muc_huong / HUNDRED)
    return thanh_tien_bv - thanh_tien_bh, thanh_tien_bh - t_bhtt, t_bhtt


def _equal(
    table: str, field: str, line: int | None, actual: Decimal | None, expected: Decimal, msgid: str, what: str
) -> list[Violation]:
    if actual is None or actual == expected:
        return []
    key = "source" if msgid == MSG_SUM else "formula"
    return [Violation(table, field, msgid, {"value": _show(actual), "expected": _show(expected), key: what}, line)]


def _int(record: Record, field: str, default: int | None = None) -> int | None:
    text = record.get(field) or ""
    return int(text) if text.isdigit() else default


def check_line_amounts(table: str, records: Sequence[Record]) -> list[Violation]:
    """The formulas of each XML2 / XML3 line."""
    found: list[Violation] = []
    for line, record in enumerate(records, start=1):
        quantity = _amount(record, "SO_LUONG")
        tyle_bh = _int(record, "TYLE_TT_BH")
        bv, bh = _amount(record, "THANH_TIEN_BV"), _amount(record, "THANH_TIEN_BH")
        expected: tuple[Decimal, Decimal] | None = None
        if table == "XML2":
            price = _amount(record, "DON_GIA")
            if quantity is not None and price is not None and tyle_bh is not None:
                expected = drug_amounts(quantity, price, tyle_bh)
            formulas = ("SO_LUONG * DON_GIA", "SO_LUONG * DON_GIA * TYLE_TT_BH / 100")
        else:
            price_bv, price_bh = _amount(record, "DON_GIA_BV"), _amount(record, "DON_GIA_BH")
            tyle_dv = _int(record, "TYLE_TT_DV")
            if quantity is not None and price_bv is not None and price_bh is not None and tyle_bh is not None:
                expected = service_amounts(quantity, price_bv, price_bh, tyle_dv, tyle_bh)
            formulas = (
                "SO_LUONG * DON_GIA_BV * TYLE_TT_DV / 100",
                "SO_LUONG * DON_GIA_BH * TYLE_TT_DV / 100 * TYLE_TT_BH / 100",
            )
        if expected is not None:
            found += _equal(table, "THANH_TIEN_BV", line, bv, expected[0], MSG_FORMULA, formulas[0])
            found += _equal(table, "THANH_TIEN_BH", line, bh, expected[1], MSG_FORMULA, formulas[1])
        parts = [_amount(record, name) for name in NGUONKHAC_PARTS]
        other = _amount(record, "T_NGUONKHAC")
        if all(part is not None for part in parts):
            total = sum((p for p in parts if p is not None), Decimal(0))
            found += _equal(table, "T_NGUONKHAC", line, other, total, MSG_FORMULA, " + ".join(NGUONKHAC_PARTS))
        muc_huong = _int(record, "MUC_HUONG")
        if other == 0 and bv is not None and bh is not None and muc_huong is not None:
            bntt, bncct, bhtt = split_without_other_sources(bv, bh, muc_huong)
            found += _equal(
                table, "T_BNTT", line, _amount(record, "T_BNTT"), bntt, MSG_FORMULA, "THANH_TIEN_BV - THANH_TIEN_BH"
            )
            found += _equal(
                table, "T_BHTT", line, _amount(record, "T_BHTT"), bhtt, MSG_FORMULA, "THANH_TIEN_BH * MUC_HUONG / 100"
            )
            found += _equal(
                table, "T_BNCCT", line, _amount(record, "T_BNCCT"), bncct, MSG_FORMULA, "THANH_TIEN_BH - T_BHTT"
            )
    return found


def _sum(records: Iterable[Record], field: str) -> Decimal | None:
    total = Decimal(0)
    for record in records:
        value = _amount(record, field)
        if value is None:
            return None  # a line with a broken amount is reported on that line; no total to compare
        total += value
    return total


def expected_totals(drugs: Sequence[Record], services: Sequence[Record]) -> dict[str, tuple[Decimal, str] | None]:
    """XML1 total field -> (value the lines give, where it comes from); None when a line amount is unreadable."""
    lines = [*drugs, *services]
    supplies = [r for r in services if r.get("MA_VAT_TU")]
    fee_for_service = [r for r in lines if r.get("MA_PTTT") == "1"]

    def total(records: Sequence[Record], field: str, source: str) -> tuple[Decimal, str] | None:
        value = _sum(records, field)
        return None if value is None else (value, source)

    return {
        "T_THUOC": total(drugs, "THANH_TIEN_BV", "XML2 THANH_TIEN_BV"),
        "T_VTYT": total(supplies, "THANH_TIEN_BV", "XML3 THANH_TIEN_BV of lines with MA_VAT_TU"),
        "T_TONGCHI_BV": total(lines, "THANH_TIEN_BV", "XML2 and XML3 THANH_TIEN_BV"),
        "T_TONGCHI_BH": total(lines, "THANH_TIEN_BH", "XML2 and XML3 THANH_TIEN_BH"),
        "T_BNTT": total(lines, "T_BNTT", "XML2 and XML3 T_BNTT"),
        "T_BNCCT": total(lines, "T_BNCCT", "XML2 and XML3 T_BNCCT"),
        "T_NGUONKHAC": total(lines, "T_NGUONKHAC", "XML2 and XML3 T_NGUONKHAC"),
        "T_BHTT_GDV": total(fee_for_service, "T_BHTT", "XML2 and XML3 T_BHTT of lines with MA_PTTT 1"),
    }


def check_totals(summary: Record, drugs: Sequence[Record], services: Sequence[Record]) -> list[Violation]:
    """XML1 amounts against the XML2 and XML3 lines, and T_BHTT = T_TONGCHI_BH - T_BNCCT."""
    found: list[Violation] = []
    for field, expected in expected_totals(drugs, services).items():
        if expected is not None:
            found += _equal("XML1", field, None, _amount(summary, field), expected[0], MSG_SUM, expected[1])
    total_bh, bncct = _amount(summary, "T_TONGCHI_BH"), _amount(summary, "T_BNCCT")
    if total_bh is not None and bncct is not None:
        found += _equal(
            "XML1", "T_BHTT", None, _amount(summary, "T_BHTT"), total_bh - bncct, MSG_FORMULA, "T_TONGCHI_BH - T_BNCCT"
        )
    return found


# ---------------------------------------------------------------- one claim


def check_summary(summary: Record) -> list[Violation]:
    found: list[Violation] = []
    kind = summary.get("MA_LOAI_KCB") or ""
    days = summary.get("SO_NGAY_DTRI") or ""
    if kind in ZERO_DAY_KINDS and days and days != "0":
        found.append(Violation("XML1", "SO_NGAY_DTRI", MSG_ZERO_DAYS, {"value": days, "kind": kind}))
    arrival, departure = summary.get("NGAY_VAO") or "", summary.get("NGAY_RA") or ""
    dates_readable = valid_datetime(arrival[:8], "yyyymmdd") and valid_datetime(departure[:8], "yyyymmdd")
    if kind in COUNTED_DAY_KINDS and days.isdigit() and dates_readable:
        span = datetime.strptime(departure[:8], "%Y%m%d") - datetime.strptime(arrival[:8], "%Y%m%d")
        if int(days) != span.days + 1:
            params = {"value": days, "expected": str(span.days + 1), "kind": kind}
            found.append(Violation("XML1", "SO_NGAY_DTRI", MSG_DAYS, params))
    if summary.get("MA_THE_BHYT"):
        for field in CARD_FIELDS:
            if not summary.get(field):
                found.append(Violation("XML1", field, MSG_REQUIRED_WITH, {"other": "MA_THE_BHYT"}))
    return found


def check_services(records: Sequence[Record]) -> list[Violation]:
    found: list[Violation] = []
    for line, record in enumerate(records, start=1):
        if not record.get("MA_DICH_VU") and not record.get("MA_VAT_TU"):
            found.append(Violation("XML3", "MA_DICH_VU", MSG_SERVICE_OR_SUPPLY, {}, line))
        for code, name in (("MA_DICH_VU", "TEN_DICH_VU"), ("MA_VAT_TU", "TEN_VAT_TU")):
            if record.get(code) and not record.get(name):
                found.append(Violation("XML3", name, MSG_REQUIRED_WITH, {"other": code}, line))
    return found


def check_links(records: Records) -> list[Violation]:
    """MA_LK of every line equals XML1's; STT counts 1, 2, 3... in each line table."""
    summary = (records.get("XML1") or [{}])[0]
    link = summary.get("MA_LK") or ""
    found: list[Violation] = []
    for table in LINE_TABLES:
        for line, record in enumerate(records.get(table, ()), start=1):
            value = record.get("MA_LK") or ""
            if link and value and value != link:
                found.append(Violation(table, "MA_LK", MSG_LINK, {"value": value, "expected": link}, line))
            number = record.get("STT") or ""
            if number and number != str(line):
                found.append(Violation(table, "STT", MSG_SEQUENCE, {"value": number, "expected": str(line)}, line))
    return found


def check_claim(book: RuleBook, records: Records) -> list[Violation]:
    """Every field rule of every table present, then the rules across fields and tables."""
    found: list[Violation] = []
    for table, table_records in records.items():
        found += check_records(book, table, table_records)
    summaries = records.get("XML1") or ()
    summary = summaries[0] if summaries else None
    drugs, services = records.get("XML2", ()), records.get("XML3", ())
    found += check_line_amounts("XML2", drugs) + check_line_amounts("XML3", services)
    found += check_services(services)
    if summary is not None:
        found += check_summary(summary) + check_totals(summary, drugs, services)
        kind = summary.get("MA_LOAI_KCB") or ""
        if records.get("XML5") and kind in NO_PROGRESS_KINDS:
            found.append(Violation("XML1", "MA_LOAI_KCB", MSG_NO_PROGRESS_TABLE, {"kind": kind}))
    found += check_links(records)
    found += check_discharge_paper(records)
    return found


# XML7 MA_DINH_CHI_THAI: "Trường hợp đình chỉ thai nghén bắt buộc nhập thông tin vào trường thông tin tuổi thai
# (TUOI_THAI) và ... nguyên nhân đình chỉ thai nghén (NGUYENNHAN_DINHCHI)"; THOIGIAN_DINHCHI likewise (QĐ 130).
TERMINATION_FIELDS = ("NGUYENNHAN_DINHCHI", "THOIGIAN_DINHCHI", "TUOI_THAI")


def check_discharge_paper(records: Records) -> list[Violation]:
    """XML7: its MA_LK is XML1's, and a termination of pregnancy names its cause, time and gestational age."""
    found: list[Violation] = []
    link = ((records.get("XML1") or [{}])[0]).get("MA_LK") or ""
    for paper in records.get("XML7", ()):
        value = paper.get("MA_LK") or ""
        if link and value and value != link:
            found.append(Violation("XML7", "MA_LK", MSG_LINK, {"value": value, "expected": link}))
        if paper.get("MA_DINH_CHI_THAI") == "1":
            for field in TERMINATION_FIELDS:
                if not paper.get(field):
                    found.append(Violation("XML7", field, MSG_REQUIRED_WITH, {"other": "MA_DINH_CHI_THAI"}))
    return found


def check_checkin(book: RuleBook, records: Sequence[Record]) -> list[Violation]:
    return check_records(book, "CHECKIN", records)
