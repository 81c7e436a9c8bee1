"""Public face of the BHYT module: build, sign and validate claims XML (QĐ 130 as amended by QĐ 4750).

Keyword-only functions on msgspec Structs. The visit modules will map a finished visit to a ``ClaimInput`` and call
``build_claim_file``; nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from his.bhyt import rules, signing
from his.bhyt.mapping import checkin_records, claim_records
from his.bhyt.rules import Violation
from his.bhyt.schemas import ClaimInput, ValidationReport
from his.bhyt.signing import SigningCredentials
from his.bhyt.spec import RuleBook, load_rulebook
from his.bhyt.xml import ENVELOPE, ParsedEnvelope, UnreadableFile, checkin_element, envelope_element, parse_document
from his.kernel.errors import InvalidInput
from his.kernel.i18n import lazy

__all__ = [
    "ClaimRefused",
    "SigningCredentials",
    "UnreadableFile",
    "build_checkin_file",
    "build_claim_file",
    "check_claim",
    "load_rulebook",
    "validate_file",
]

MSG_SIGNATURE = lazy("The signature does not verify: {reason}")
MSG_MISSING = lazy("The element is missing or empty")
MSG_COUNT = lazy("'{value}' differs from the {count} claims (HOSO) in the file")
MSG_UNKNOWN_TABLE = lazy("Unknown table '{value}'")
MSG_REPEATED_TABLE = lazy("Table {value} appears twice in one claim")
MSG_UNDECODABLE = lazy("Not the base64 of this table's XML: {detail}")
MSG_NO_SUMMARY = lazy("The claim has no XML1 table")
MSG_FACILITY = lazy("'{value}' differs from MACSKCB '{expected}' of the envelope")
MSG_REFUSED = lazy("The claim breaks {count} rules of QĐ 130/QĐ 4750")


class ClaimRefused(InvalidInput):
    """The claim would not validate: nothing was written. ``violations`` says why, field by field."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        super().__init__(MSG_REFUSED, count=len(violations))
        self.violations = list(violations)
        self.field_errors = [{"field": v.label(), "message": v.message()} for v in self.violations]


def check_claim(*, claim: ClaimInput, rulebook: RuleBook | None = None) -> list[Violation]:
    """Every violation the claim's XML would have (the check-in message included)."""
    book = rulebook or load_rulebook()
    found = rules.check_claim(book, claim_records(book, claim))
    return found + rules.check_checkin(book, checkin_records(book, claim))


def build_claim_file(
    *, claim: ClaimInput, credentials: SigningCredentials, created_on: date, rulebook: RuleBook | None = None
) -> bytes:
    """The signed GIAMDINHHS envelope of one claim (XML1-XML5); raises ClaimRefused when it would not validate."""
    book = rulebook or load_rulebook()
    records = claim_records(book, claim)
    violations = rules.check_claim(book, records)
    if violations:
        raise ClaimRefused(violations)
    root = envelope_element(book, claim.summary.ma_cskcb, created_on, [records])
    return signing.sign(root, credentials)


def build_checkin_file(
    *, claim: ClaimInput, credentials: SigningCredentials, rulebook: RuleBook | None = None
) -> bytes:
    """The signed check-in message (CHI_TIEU_TRANG_THAI_KCB) of the visit; raises ClaimRefused when invalid."""
    book = rulebook or load_rulebook()
    records = checkin_records(book, claim)
    violations = rules.check_checkin(book, records)
    if violations:
        raise ClaimRefused(violations)
    return signing.sign(checkin_element(book, records), credentials)


def _envelope_violations(parsed: ParsedEnvelope) -> list[Violation]:
    found: list[Violation] = []
    header = parsed.header
    for name, path in (("MACSKCB", "THONGTINDONVI"), ("NGAYLAP", "THONGTINHOSO"), ("SOLUONGHOSO", "THONGTINHOSO")):
        if not header[name]:
            found.append(Violation(ENVELOPE, f"{path}/{name}", MSG_MISSING))
    if header["NGAYLAP"] and not rules.valid_datetime(header["NGAYLAP"], "yyyymmdd"):
        found.append(
            Violation(
                ENVELOPE, "THONGTINHOSO/NGAYLAP", rules.MSG_BAD_DATE, {"value": header["NGAYLAP"], "format": "yyyymmdd"}
            )
        )
    if header["SOLUONGHOSO"] and header["SOLUONGHOSO"] != str(len(parsed.claims)):
        found.append(
            Violation(
                ENVELOPE,
                "THONGTINHOSO/SOLUONGHOSO",
                MSG_COUNT,
                {"value": header["SOLUONGHOSO"], "count": str(len(parsed.claims))},
            )
        )
    if not parsed.claims:
        found.append(Violation(ENVELOPE, "THONGTINHOSO/DANHSACHHOSO/HOSO", MSG_MISSING))
    return found


def _claim_violations(book: RuleBook, parsed: ParsedEnvelope) -> list[Violation]:
    found: list[Violation] = []
    messages = {"unknown": MSG_UNKNOWN_TABLE, "repeated": MSG_REPEATED_TABLE, "undecodable": MSG_UNDECODABLE}
    for claim in parsed.claims:
        for table, field, problem, detail in claim.problems:
            key = "detail" if problem == "undecodable" else "value"
            found.append(Violation(table, field, messages[problem], {key: detail}))
        if parsed.kind == "CHECKIN":
            found += rules.check_checkin(book, claim.tables["CHECKIN"])
            continue
        if "XML1" not in claim.tables and not any(p[0] == "XML1" for p in claim.problems):
            found.append(Violation("XML1", "TONG_HOP", MSG_NO_SUMMARY))
        found += rules.check_claim(book, claim.tables)
        facility = (claim.tables.get("XML1") or [{}])[0].get("MA_CSKCB", "")
        expected = parsed.header.get("MACSKCB", "")
        if facility and expected and facility != expected:
            found.append(Violation("XML1", "MA_CSKCB", MSG_FACILITY, {"value": facility, "expected": expected}))
    return found


def validate_file(
    *,
    data: bytes,
    trusted_certificate_pem: bytes | None = None,
    at: datetime | None = None,
    rulebook: RuleBook | None = None,
) -> ValidationReport:
    """Every field rule of every table, the rules across tables, and the signature. Raises UnreadableFile."""
    book = rulebook or load_rulebook()
    parsed = parse_document(data, book)
    violations = _envelope_violations(parsed) if parsed.kind == ENVELOPE else []
    violations += _claim_violations(book, parsed)
    check = signing.verify(data, parsed.root, trusted_certificate_pem=trusted_certificate_pem, at=at)
    if not check.verified:
        violations.append(Violation("CHUKYDONVI", "Signature", MSG_SIGNATURE, {"reason": check.reason or ""}))
    return ValidationReport(
        kind=parsed.kind,
        claims=len(parsed.claims),
        violations=violations,
        signature_verified=check.verified,
        signer=check.signer,
    )
