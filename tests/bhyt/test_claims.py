"""A claim built, signed, parsed back and validated; the done-when of criterion 36: tampered files fail, naming the
field (changed amount, missing required field, oversized field, broken signature)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import msgspec
import pytest
from lxml import etree  # type: ignore[import-untyped]

from his.bhyt import api, signing
from his.bhyt.mapping import claim_records
from his.bhyt.schemas import ClaimInput, DrugLine
from his.bhyt.spec import RuleBook
from tests.bhyt.conftest import CREATED_ON, NOW, Tamper, validate

pytestmark = pytest.mark.criterion(36)


def located(report: api.ValidationReport) -> set[tuple[str, str]]:
    return {(v.table, v.field) for v in report.violations}


def test_an_outpatient_visit_builds_validates_and_verifies(signed_file: bytes, rulebook: RuleBook) -> None:
    report = validate(signed_file, rulebook)
    assert report.violations == []
    assert report.valid and report.signature_verified
    assert (report.kind, report.claims) == ("GIAMDINHHS", 1)
    assert report.signer is not None and "79001" in report.signer


def test_the_envelope_carries_each_table_in_base64(signed_file: bytes) -> None:
    root = etree.fromstring(signed_file)
    assert root.tag == "GIAMDINHHS"
    assert root.findtext("THONGTINDONVI/MACSKCB") == "79001"
    assert root.findtext("THONGTINHOSO/NGAYLAP") == "20240316"
    assert root.findtext("THONGTINHOSO/SOLUONGHOSO") == "1"
    files = root.findall("THONGTINHOSO/DANHSACHHOSO/HOSO/FILEHOSO")
    assert [f.findtext("LOAIHOSO") for f in files] == ["XML1", "XML2", "XML3", "XML4", "XML5"]
    roots = [etree.fromstring(base64.b64decode(f.findtext("NOIDUNGFILE"))) for f in files]
    assert [r.tag for r in roots] == [
        "TONG_HOP",
        "CHITIEU_CHITIET_THUOC",
        "CHITIEU_CHITIET_DVKT_VTYT",
        "CHITIEU_CHITIET_DICHVUCANLAMSANG",
        "CHITIEU_CHITIET_DIENBIENLAMSANG",
    ]
    drugs = roots[1].findall("DSACH_CHI_TIET_THUOC/CHI_TIET_THUOC")
    assert [d.findtext("THANH_TIEN_BV") for d in drugs] == ["5000.00", "6252.50"]
    assert roots[0].findtext("T_THUOC") == "11252.50"
    signature = root.find("CHUKYDONVI/{http://www.w3.org/2000/09/xmldsig#}Signature")
    assert signature is not None
    assert signature.find(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate") is not None


def test_tables_4_and_5_are_left_out_when_the_visit_has_no_such_lines(
    claim: ClaimInput, credentials: signing.SigningCredentials, rulebook: RuleBook
) -> None:
    bare = msgspec.structs.replace(claim, results=[], progress_notes=[])
    data = api.build_claim_file(claim=bare, credentials=credentials, created_on=CREATED_ON, rulebook=rulebook)
    tables = [e.text for e in etree.fromstring(data).iter("LOAIHOSO")]
    assert tables == ["XML1", "XML2", "XML3"]
    assert validate(data, rulebook).valid


# ---------------------------------------------------------------- the done-when


def test_a_changed_amount_fails_and_names_the_xml1_total(
    signed_file: bytes, tamper: Tamper, credentials: signing.SigningCredentials, rulebook: RuleBook
) -> None:
    # Re-signed by the facility itself: the numbers alone must give it away.
    data = tamper(signed_file, "XML2", "THANH_TIEN_BV", "7252.50", line=2, resign=credentials)
    report = validate(data, rulebook)
    assert report.signature_verified
    assert {("XML1", "T_THUOC"), ("XML1", "T_TONGCHI_BV"), ("XML2", "THANH_TIEN_BV")} <= located(report)
    total = next(v for v in report.violations if v.field == "T_THUOC")
    assert total.message() == "11252.50 differs from 12252.50, the sum of XML2 THANH_TIEN_BV"


def test_a_missing_required_field_fails_naming_it(
    signed_file: bytes, tamper: Tamper, credentials: signing.SigningCredentials, rulebook: RuleBook
) -> None:
    data = tamper(signed_file, "XML1", "MA_BENH_CHINH", None, resign=credentials)
    report = validate(data, rulebook)
    assert [(v.label(), v.message()) for v in report.violations] == [("XML1 / MA_BENH_CHINH", "A value is required")]


def test_an_oversized_field_fails_naming_it(
    signed_file: bytes, tamper: Tamper, credentials: signing.SigningCredentials, rulebook: RuleBook
) -> None:
    data = tamper(signed_file, "XML2", "DON_VI_TINH", "V" * 51, line=1, resign=credentials)
    report = validate(data, rulebook)
    assert [(v.label(), v.message()) for v in report.violations] == [
        ("XML2 / DON_VI_TINH (line 1)", "51 characters, at most 50 allowed")
    ]


def test_a_broken_signature_fails_naming_chukydonvi(signed_file: bytes, rulebook: RuleBook) -> None:
    root = etree.fromstring(signed_file)
    value = root.find(".//{http://www.w3.org/2000/09/xmldsig#}SignatureValue")
    raw = bytearray(base64.b64decode(value.text))
    raw[10] ^= 0x01
    value.text = base64.b64encode(bytes(raw)).decode()
    report = validate(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), rulebook)
    assert not report.signature_verified
    assert [(v.table, v.field) for v in report.violations] == [("CHUKYDONVI", "Signature")]
    assert report.violations[0].message().startswith("The signature does not verify")


def test_content_changed_after_signing_fails_the_signature_and_the_rules(
    signed_file: bytes, tamper: Tamper, rulebook: RuleBook
) -> None:
    report = validate(tamper(signed_file, "XML1", "T_BHTT", "99999.00"), rulebook)
    assert {("XML1", "T_BHTT"), ("CHUKYDONVI", "Signature")} <= located(report)


def test_changing_any_signed_byte_fails_verification(signed_file: bytes) -> None:
    text = signed_file.decode("utf-8")
    start = text.index("<GIAMDINHHS>") + len("<GIAMDINHHS>")
    end = text.index("<CHUKYDONVI>")
    # Every 97th letter or digit of element text in the signed content (header and every base64 file), swapped.
    inside_tag, candidates = False, []
    for index in range(start, end):
        inside_tag = (inside_tag or text[index] == "<") and text[index] != ">"
        if not inside_tag and text[index].isascii() and text[index].isalnum():
            candidates.append(index)
    positions = candidates[::97]
    assert len(positions) > 40
    for position in positions:
        replacement = "A" if text[position] != "A" else "B"
        changed = (text[:position] + replacement + text[position + 1 :]).encode("utf-8")
        check = signing.verify(changed, etree.fromstring(changed), at=NOW)
        assert not check.verified, position


def test_a_trusted_certificate_rejects_another_signer(
    signed_file: bytes,
    other_credentials: signing.SigningCredentials,
    credentials: signing.SigningCredentials,
    rulebook: RuleBook,
) -> None:
    assert validate(signed_file, rulebook, trusted_certificate_pem=credentials.certificate_pem).valid
    report = validate(signed_file, rulebook, trusted_certificate_pem=other_credentials.certificate_pem)
    assert [v.params["reason"] for v in report.violations] == ["signed with another certificate than the trusted one"]


def test_an_expired_certificate_does_not_verify(
    signed_file: bytes, credentials: signing.SigningCredentials, rulebook: RuleBook
) -> None:
    report = api.validate_file(data=signed_file, at=NOW + timedelta(days=800), rulebook=rulebook)
    assert not report.signature_verified


# ---------------------------------------------------------------- refusal and the check-in message


def test_build_refuses_a_claim_that_would_not_validate(
    claim: ClaimInput, credentials: signing.SigningCredentials, rulebook: RuleBook
) -> None:
    broken = msgspec.structs.replace(
        claim,
        drugs=[msgspec.structs.replace(claim.drugs[0], don_vi_tinh=""), claim.drugs[1]],
        summary=msgspec.structs.replace(claim.summary, t_thuoc=Decimal(1)),
    )
    with pytest.raises(api.ClaimRefused) as refused:
        api.build_claim_file(claim=broken, credentials=credentials, created_on=CREATED_ON, rulebook=rulebook)
    labels = {v.label() for v in refused.value.violations}
    assert labels == {"XML2 / DON_VI_TINH (line 1)", "XML1 / T_THUOC"}
    assert refused.value.field_errors[0]["field"] in labels


def test_the_check_in_message_is_signed_and_names_the_first_cost(
    claim: ClaimInput, credentials: signing.SigningCredentials, rulebook: RuleBook
) -> None:
    data = api.build_checkin_file(claim=claim, credentials=credentials, rulebook=rulebook)
    root = etree.fromstring(data)
    assert root.tag == "CHI_TIEU_TRANG_THAI_KCB"
    record = root.find("DSACH_TRANG_THAI_KCB/TRANG_THAI_KCB")
    # The consultation was ordered first (08:10), before the blood count and the drugs.
    assert (record.findtext("MA_DICH_VU"), record.findtext("NGAY_YL")) == ("02.1896", "202403150810")
    assert record.findtext("MA_THUOC") == ""
    report = validate(data, rulebook)
    assert (report.kind, report.violations, report.signature_verified) == ("CHECKIN", [], True)


def test_timezone_aware_times_are_written_in_viet_nam_time(
    claim: ClaimInput, credentials: signing.SigningCredentials, rulebook: RuleBook
) -> None:
    utc_order = datetime(2024, 3, 15, 1, 30, tzinfo=UTC)  # 08:30 in Viet Nam
    drugs = [msgspec.structs.replace(d, ngay_yl=utc_order) for d in claim.drugs]
    records = claim_records(rulebook, msgspec.structs.replace(claim, drugs=drugs))
    assert {r["NGAY_YL"] for r in records["XML2"]} == {"202403150830"}


def test_extra_fields_reach_the_xml_and_unknown_ones_are_reported(claim: ClaimInput, rulebook: RuleBook) -> None:
    drug: DrugLine = msgspec.structs.replace(claim.drugs[0], extra={"DU_PHONG": "x", "MA_MOI": "y"})
    found = api.check_claim(claim=msgspec.structs.replace(claim, drugs=[drug, claim.drugs[1]]), rulebook=rulebook)
    assert [(v.table, v.field, v.msgid) for v in found] == [("XML2", "MA_MOI", "Not a field of this table")]


def test_a_malformed_signature_is_a_violation_not_a_crash(signed_file: bytes, rulebook: RuleBook) -> None:
    root = etree.fromstring(signed_file)
    root.find(".//{http://www.w3.org/2000/09/xmldsig#}SignatureValue").text = "!!!"
    report = validate(etree.tostring(root, encoding="UTF-8"), rulebook)
    assert [(v.table, v.field) for v in report.violations] == [("CHUKYDONVI", "Signature")]


def test_the_envelope_header_is_checked(signed_file: bytes, rulebook: RuleBook) -> None:
    root = etree.fromstring(signed_file)
    root.find("THONGTINHOSO/SOLUONGHOSO").text = "2"
    root.find("THONGTINDONVI/MACSKCB").text = "01001"
    root.find("THONGTINHOSO/NGAYLAP").text = "2024-03-16"
    report = validate(etree.tostring(root, encoding="UTF-8"), rulebook)
    assert located(report) == {
        ("GIAMDINHHS", "THONGTINHOSO/SOLUONGHOSO"),
        ("GIAMDINHHS", "THONGTINHOSO/NGAYLAP"),
        ("XML1", "MA_CSKCB"),
        ("CHUKYDONVI", "Signature"),
    }
