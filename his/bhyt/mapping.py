"""ClaimInput -> the text of every field of every table (pure), with the amounts the input leaves to compute."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import msgspec

from his.bhyt import rules
from his.bhyt.schemas import ClaimInput, ClaimSummary, DrugLine, ServiceLine
from his.bhyt.spec import FieldRule, RuleBook

VIET_NAM = timezone(timedelta(hours=7))
Record = dict[str, str]


def _local(value: datetime) -> datetime:
    return value.astimezone(VIET_NAM) if value.tzinfo is not None else value


def field_text(rule: FieldRule, value: Any) -> str:
    """One value as the decision writes it: dates compact, lists joined by the separator, numbers plain."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return (rule.separator or ";").join(field_text(rule, item) for item in value)
    if isinstance(value, datetime):
        return _local(value).strftime("%Y%m%d" if rule.type == "date" else "%Y%m%d%H%M")
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _record(rules_of_table: Sequence[FieldRule], values: dict[str, Any], extra: dict[str, str]) -> Record:
    record = {rule.field: field_text(rule, values.get(rule.field.lower())) for rule in rules_of_table}
    # Extra fields after the known ones: a field the rule book lacks is then reported, not dropped.
    record.update(extra)
    return record


def _birth(summary: ClaimSummary) -> str:
    moment = summary.gio_sinh or time(0, 0)
    return summary.ngay_sinh.strftime("%Y%m%d") + moment.strftime("%H%M")


def _drug_values(drug: DrugLine) -> dict[str, Any]:
    values = msgspec.structs.asdict(drug)
    bv, bh = rules.drug_amounts(drug.so_luong, drug.don_gia, drug.tyle_tt_bh)
    return _split(values, bv, bh)


def _service_values(service: ServiceLine) -> dict[str, Any]:
    values = msgspec.structs.asdict(service)
    bv, bh = rules.service_amounts(
        service.so_luong, service.don_gia_bv, service.don_gia_bh, service.tyle_tt_dv, service.tyle_tt_bh
    )
    return _split(values, bv, bh)


def _split(values: dict[str, Any], bv: Decimal, bh: Decimal) -> dict[str, Any]:
    """Fill the amounts left None; the split is computed only without other sources (T_NGUONKHAC = 0)."""
    if values["thanh_tien_bv"] is None:
        values["thanh_tien_bv"] = bv
    if values["thanh_tien_bh"] is None:
        values["thanh_tien_bh"] = bh
    if values["t_nguonkhac"] is None:
        parts = ("t_nguonkhac_nsnn", "t_nguonkhac_vtnn", "t_nguonkhac_vttn", "t_nguonkhac_cl")
        values["t_nguonkhac"] = sum((values[p] for p in parts), Decimal(0))
    if values["t_nguonkhac"] == 0:
        bntt, bncct, bhtt = rules.split_without_other_sources(
            values["thanh_tien_bv"], values["thanh_tien_bh"], values["muc_huong"]
        )
        for name, computed in (("t_bntt", bntt), ("t_bncct", bncct), ("t_bhtt", bhtt)):
            if values[name] is None:
                values[name] = computed
    return values


def _lines(book: RuleBook, table: str, link: str, items: Sequence[dict[str, Any]]) -> list[Record]:
    records = []
    for number, values in enumerate(items, start=1):
        extra = values.pop("extra")
        values.update({"ma_lk": link, "stt": number})
        records.append(_record(book.fields[table], values, extra))
    return records


def claim_records(book: RuleBook, claim: ClaimInput) -> dict[str, list[Record]]:
    """XML1, XML2 and XML3 always (the lists may be empty); XML4 and XML5 when the claim has such lines; XML7
    when it has a discharge paper."""
    summary = claim.summary
    link = summary.ma_lk
    drugs = _lines(book, "XML2", link, [_drug_values(d) for d in claim.drugs])
    services = _lines(book, "XML3", link, [_service_values(s) for s in claim.services])
    values = msgspec.structs.asdict(summary)
    extra = values.pop("extra")
    values["ngay_sinh"] = _birth(summary)
    for field, expected in rules.expected_totals(drugs, services).items():
        if values[field.lower()] is None and expected is not None:
            values[field.lower()] = expected[0]
    if values["t_bhtt"] is None and values["t_tongchi_bh"] is not None and values["t_bncct"] is not None:
        values["t_bhtt"] = values["t_tongchi_bh"] - values["t_bncct"]
    records = {"XML1": [_record(book.fields["XML1"], values, extra)], "XML2": drugs, "XML3": services}
    if claim.results:
        records["XML4"] = _lines(book, "XML4", link, [msgspec.structs.asdict(r) for r in claim.results])
    if claim.progress_notes:
        records["XML5"] = _lines(book, "XML5", link, [msgspec.structs.asdict(n) for n in claim.progress_notes])
    if claim.discharge_paper is not None:
        paper = msgspec.structs.asdict(claim.discharge_paper)
        paper_extra = paper.pop("extra")
        paper["ma_lk"] = link
        records["XML7"] = [_record(book.fields["XML7"], paper, paper_extra)]
    return records


def _first_cost(claim: ClaimInput) -> dict[str, Any]:
    """The first cost of the visit (earliest order): what the check-in message names (QĐ 4750 fields 19-25)."""
    candidates: list[tuple[datetime, int, dict[str, Any]]] = []
    for index, drug in enumerate(claim.drugs):
        candidates.append((drug.ngay_yl, index, {"ma_thuoc": drug.ma_thuoc, "ten_thuoc": drug.ten_thuoc}))
    for index, service in enumerate(claim.services):
        if service.ngay_yl is None:
            continue
        if service.ma_dich_vu:
            named = {"ma_dich_vu": service.ma_dich_vu, "ten_dich_vu": service.ten_dich_vu}
        else:
            named = {"ma_vat_tu": service.ma_vat_tu, "ten_vat_tu": service.ten_vat_tu}
        candidates.append((service.ngay_yl, len(claim.drugs) + index, named))
    if not candidates:
        return {}
    moment, _, named = min(candidates, key=lambda c: (_local(c[0]).replace(tzinfo=None), c[1]))
    return {**named, "ngay_yl": moment}


def checkin_records(book: RuleBook, claim: ClaimInput) -> list[Record]:
    """The check-in message (CHI_TIEU_TRANG_THAI_KCB) of the visit: XML1's patient and card, and the first cost."""
    summary = claim.summary
    values: dict[str, Any] = msgspec.structs.asdict(summary)
    extra = values.pop("extra")
    values["ngay_sinh"] = _birth(summary)
    # The check-in table holds one card (size 15), the one in force on arrival: the first.
    for name in ("ma_the_bhyt", "ma_dkbd", "gt_the_tu", "gt_the_den"):
        values[name] = values[name][0] if values[name] else None
    values.update(_first_cost(claim))
    known = {rule.field for rule in book.fields["CHECKIN"]}
    return [_record(book.fields["CHECKIN"], values, {k: v for k, v in extra.items() if k in known})]
