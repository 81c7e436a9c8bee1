"""The XML of each table, the GIAMDINHHS envelope and the check-in message: built and parsed with lxml.

Element names come from data/tables.csv (root, list and record element of each table); a record's children are
its fields in the order of data/fields.csv. Nothing here judges values: parsing returns the text of each field for
his.bhyt.rules to check.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from lxml import etree  # type: ignore[import-untyped]

from his.bhyt.spec import RuleBook, TableLayout

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
ENVELOPE = "GIAMDINHHS"
SIGNATURE_HOLDER = "CHUKYDONVI"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
# Where signxml puts the enveloped signature: a placeholder it replaces (inside CHUKYDONVI).
PLACEHOLDER_ID = "placeholder"

Record = Mapping[str, str]


class UnreadableFile(ValueError):
    """Not XML, or XML of another kind than a claims envelope or a check-in message."""


def _parser() -> etree.XMLParser:
    # No network, no entities, no DTD: the file comes from outside.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _records_parent(root: etree._Element, layout: TableLayout) -> etree._Element:
    if layout.list_element is None:
        return root
    return etree.SubElement(root, layout.list_element)


def _fill(element: etree._Element, record: Record) -> None:
    for name, text in record.items():
        child = etree.SubElement(element, name)
        child.text = text


def table_element(layout: TableLayout, records: Sequence[Record]) -> etree._Element:
    root = etree.Element(layout.root)
    if layout.list_element is None or layout.record_element is None:
        if len(records) != 1:
            raise ValueError(f"{layout.table} holds exactly one record")
        _fill(root, records[0])
        return root
    parent = _records_parent(root, layout)
    for record in records:
        _fill(etree.SubElement(parent, layout.record_element), record)
    return root


def table_xml(layout: TableLayout, records: Sequence[Record]) -> bytes:
    """One table as its own XML file (UTF-8, with declaration): what NOIDUNGFILE carries in base64."""
    body: bytes = etree.tostring(table_element(layout, records), encoding="UTF-8")
    return DECLARATION + body


def _record_of(element: etree._Element) -> dict[str, str]:
    record: dict[str, str] = {}
    for child in element:
        if isinstance(child.tag, str):
            record[child.tag] = (child.text or "").strip() if len(child) == 0 else etree.tostring(child).decode()
    return record


def parse_records(layout: TableLayout, root: etree._Element) -> list[dict[str, str]]:
    if root.tag != layout.root:
        raise UnreadableFile(f"{layout.table}: root element {root.tag}, expected {layout.root}")
    if layout.list_element is None or layout.record_element is None:
        return [_record_of(root)]
    parent = root.find(layout.list_element)
    if parent is None:
        raise UnreadableFile(f"{layout.table}: no {layout.list_element} element")
    return [_record_of(item) for item in parent.findall(layout.record_element)]


def parse_table_xml(layout: TableLayout, data: bytes) -> list[dict[str, str]]:
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise UnreadableFile(f"{layout.table}: not XML ({error})") from error
    return parse_records(layout, root)


def _signature_holder(parent: etree._Element) -> None:
    holder = etree.SubElement(parent, SIGNATURE_HOLDER)
    etree.SubElement(holder, f"{{{DSIG_NS}}}Signature", Id=PLACEHOLDER_ID, nsmap={"ds": DSIG_NS})


def envelope_element(
    book: RuleBook, facility_code: str, created_on: date, claims: Sequence[Mapping[str, Sequence[Record]]]
) -> etree._Element:
    """GIAMDINHHS with one HOSO per claim, one FILEHOSO per table, and an empty CHUKYDONVI to sign into."""
    root = etree.Element(ENVELOPE)
    etree.SubElement(etree.SubElement(root, "THONGTINDONVI"), "MACSKCB").text = facility_code
    info = etree.SubElement(root, "THONGTINHOSO")
    etree.SubElement(info, "NGAYLAP").text = created_on.strftime("%Y%m%d")
    etree.SubElement(info, "SOLUONGHOSO").text = str(len(claims))
    listing = etree.SubElement(info, "DANHSACHHOSO")
    for claim in claims:
        hoso = etree.SubElement(listing, "HOSO")
        for table, records in claim.items():
            file_element = etree.SubElement(hoso, "FILEHOSO")
            etree.SubElement(file_element, "LOAIHOSO").text = table
            content = table_xml(book.layouts[table], records)
            etree.SubElement(file_element, "NOIDUNGFILE").text = base64.b64encode(content).decode("ascii")
    _signature_holder(root)
    return root


def checkin_element(book: RuleBook, records: Sequence[Record]) -> etree._Element:
    """CHI_TIEU_TRANG_THAI_KCB with its records and an empty CHUKYDONVI to sign into."""
    root = table_element(book.layouts["CHECKIN"], records)
    _signature_holder(root)
    return root


@dataclass
class ParsedClaim:
    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    problems: list[tuple[str, str, str, str]] = field(default_factory=list)  # (LOAIHOSO, field, problem, detail)


@dataclass
class ParsedEnvelope:
    kind: str
    header: dict[str, str]
    claims: list[ParsedClaim]
    root: etree._Element


def parse_document(data: bytes, book: RuleBook) -> ParsedEnvelope:
    """A GIAMDINHHS envelope (each NOIDUNGFILE decoded and parsed) or a check-in message."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise UnreadableFile(f"not XML: {error}") from error
    if root.tag == book.layouts["CHECKIN"].root:
        return ParsedEnvelope(
            "CHECKIN", {}, [ParsedClaim({"CHECKIN": parse_records(book.layouts["CHECKIN"], root)})], root
        )
    if root.tag != ENVELOPE:
        raise UnreadableFile(f"root element {root.tag}: neither a {ENVELOPE} envelope nor a check-in message")
    header = {
        "MACSKCB": root.findtext("THONGTINDONVI/MACSKCB") or "",
        "NGAYLAP": root.findtext("THONGTINHOSO/NGAYLAP") or "",
        "SOLUONGHOSO": root.findtext("THONGTINHOSO/SOLUONGHOSO") or "",
    }
    claims = [_parse_hoso(hoso, book) for hoso in root.findall("THONGTINHOSO/DANHSACHHOSO/HOSO")]
    return ParsedEnvelope(ENVELOPE, header, claims, root)


def _parse_hoso(hoso: etree._Element, book: RuleBook) -> ParsedClaim:
    claim = ParsedClaim()
    for file_element in hoso.findall("FILEHOSO"):
        table = (file_element.findtext("LOAIHOSO") or "").strip()
        layout = book.layouts.get(table)
        if layout is None or table == "CHECKIN":
            claim.problems.append(("FILEHOSO", "LOAIHOSO", "unknown", table))
            continue
        if table in claim.tables:
            claim.problems.append(("FILEHOSO", "LOAIHOSO", "repeated", table))
            continue
        try:
            content = base64.b64decode((file_element.findtext("NOIDUNGFILE") or "").strip(), validate=True)
            claim.tables[table] = parse_table_xml(layout, content)
        except (binascii.Error, UnreadableFile) as error:
            claim.problems.append((table, "NOIDUNGFILE", "undecodable", str(error)))
    return claim


def serialize(root: etree._Element) -> bytes:
    body: bytes = etree.tostring(root, encoding="UTF-8")
    return DECLARATION + body
