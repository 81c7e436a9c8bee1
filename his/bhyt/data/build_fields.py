"""Build fields.csv and code_lists.csv from the QĐ 130 / QĐ 4750 field tables (shared/standards/vn/xml130-fields).

    python his/bhyt/data/build_fields.py [--source SOURCE_DIR] [--out DIR]

SOURCE_DIR defaults to ../shared/standards/vn/xml130-fields beside the repository, DIR to this folder. It reads each
source row, infers type, size, format, separator and code list from the
Vietnamese text (type and size columns, the meaning and the QĐ 4750 amendment), then applies REVIEW, the decisions
taken by reading the text of the check-in table and tables XML1 to XML5 and XML7 by hand. Rows of REVIEW are marked
``reviewed=yes``; the other tables' rows are the inference alone (``reviewed=no``) until someone reviews them.

Running it twice gives the same files. It wrote the committed fields.csv and code_lists.csv; later amendments are
edits of those files (see README.md), and a test checks that the QĐ 130/QĐ 4750 rows still equal this extraction.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[2].parent / "shared" / "standards" / "vn" / "xml130-fields"

FIELD_COLUMNS = (
    "table",
    "order",
    "field",
    "type",
    "max_size",
    "required",
    "format",
    "separator",
    "code_list",
    "source",
    "reviewed",
    "note",
)
CODE_COLUMNS = ("key", "code", "meaning", "source")

QD130 = "QĐ 130"
QD4750 = "QĐ 4750"

_FIELD_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_CODE = re.compile(r"[Mm]ã\s*[\"“]([0-9A-Za-z.]+)[\"”]\s*:\s*([^;\n]+)")
_DECIMALS = re.compile(r"(\d+)\s*(?:\([^)]*\)\s*)?chữ số (?:sau dấu )?thập phân")
_SIZE_AMENDMENT = re.compile(r"[Tt]ăng kích thước tối đa lên (\d+)")
_LIST_WORDS = ("cách nhau bằng dấu chấm phẩy", "phân cách bằng dấu chấm phẩy", "cách nhau bởi dấu chấm phẩy")


@dataclass(frozen=True)
class FieldRow:
    table: str
    order: int
    field: str
    type: str
    max_size: str
    required: str
    format: str = ""
    separator: str = ""
    code_list: str = ""
    source: str = QD130
    reviewed: str = "no"
    note: str = ""
    codes: dict[str, tuple[str, str]] = dataclass_field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Review:
    """One hand decision; None keeps what the text gave."""

    required: str
    note: str = ""
    type: str | None = None
    format: str | None = None
    separator: str | None = None
    code_list: str | None = None
    max_size: str | None = None


def Y(note: str = "", **changes: str) -> Review:
    return Review("yes", note, **changes)  # type: ignore[arg-type]


def C(note: str, **changes: str) -> Review:
    return Review("conditional", note, **changes)  # type: ignore[arg-type]


def N(note: str = "", **changes: str) -> Review:
    return Review("no", note, **changes)  # type: ignore[arg-type]


_BHYT_ONLY = "empty when the visit is not paid by BHYT"
_MONEY = {"type": "decimal", "format": "decimal:2"}
_QTY = {"type": "decimal", "format": "decimal:3"}
_DT = {"type": "datetime", "format": "yyyymmddHHMM"}
_D = {"type": "date", "format": "yyyymmdd"}
_NO_LIST = {"code_list": ""}

# Hand review of the check-in table and XML1-XML5 (read from meaning_qd130 and amendment_qd4750).
REVIEW: dict[str, dict[str, Review]] = {
    "CHECKIN": {
        "MA_LK": Y(),
        "STT": Y(),
        "MA_BN": Y(),
        "HO_TEN": Y(),
        "SO_CCCD": C("identity card, passport or, failing those, the electronic identification account"),
        "NGAY_SINH": Y("hour and minute 0000 when unknown; day and month 00 when unknown", format="birth"),
        "GIOI_TINH": Y(code_list="GIOI_TINH"),
        "MA_THE_BHYT": C(_BHYT_ONLY),
        "MA_DKBD": C(_BHYT_ONLY),
        "GT_THE_TU": C(_BHYT_ONLY, **_D),
        "GT_THE_DEN": C(_BHYT_ONLY, **_D),
        "MA_DOITUONG_KCB": Y("code of the DMDC list (not in the repository data)"),
        "NGAY_VAO": Y(**_DT),
        "NGAY_VAO_NOI_TRU": C("inpatient, day-inpatient or outpatient treatment only", **_DT),
        "LY_DO_VNT": C("inpatient, day-inpatient or outpatient treatment only"),
        "MA_LY_DO_VNT": C("applies once the Ministry publishes the list of admission reasons"),
        "MA_LOAI_KCB": Y(code_list="MA_LOAI_KCB"),
        "MA_CSKCB": Y(),
        "MA_DICH_VU": C("when the first cost is a service or the consultation fee"),
        "TEN_DICH_VU": C("when the first cost is a service or the consultation fee"),
        "MA_THUOC": C("when the first cost is a drug"),
        "TEN_THUOC": C("when the first cost is a drug"),
        "MA_VAT_TU": C("when the first cost is a medical supply"),
        "TEN_VAT_TU": C("when the first cost is a medical supply"),
        "NGAY_YL": Y("time of the first order", **_DT),
        "DU_PHONG": N("reserved"),
    },
    "XML1": {
        "MA_LK": Y(),
        "STT": Y(),
        "MA_BN": Y(),
        "HO_TEN": Y(),
        "SO_CCCD": C("identity card, passport or, failing those, the electronic identification account"),
        "NGAY_SINH": Y("hour and minute 0000 when unknown; day and month 00 when unknown", format="birth"),
        "GIOI_TINH": Y(code_list="GIOI_TINH"),
        "NHOM_MAU": N("only when known"),
        "MA_QUOCTICH": Y(),
        "MA_DANTOC": Y(),
        "MA_NGHE_NGHIEP": Y("00000 when the patient has no occupation"),
        "DIA_CHI": Y(),
        "MATINH_CU_TRU": Y(),
        "MAHUYEN_CU_TRU": Y(),
        "MAXA_CU_TRU": Y(),
        "DIEN_THOAI": N("only when the patient gives one"),
        "MA_THE_BHYT": C(_BHYT_ONLY + "; several cards separated by ';'", separator=";"),
        "MA_DKBD": C(_BHYT_ONLY, separator=";"),
        "GT_THE_TU": C(_BHYT_ONLY, separator=";", **_D),
        "GT_THE_DEN": C(_BHYT_ONLY, separator=";", **_D),
        "NGAY_MIEN_CCT": C(
            "yyyymmdd with an exemption paper, yyyymmddHHMM without one", type="date", format="yyyymmdd|yyyymmddHHMM"
        ),
        "LY_DO_VV": Y(),
        "LY_DO_VNT": C("inpatient or day-inpatient treatment only"),
        "MA_LY_DO_VNT": C("applies once the Ministry publishes the list of admission reasons"),
        "CHAN_DOAN_VAO": Y(),
        "CHAN_DOAN_RV": Y(),
        "MA_BENH_CHINH": Y("one ICD-10 code"),
        "MA_BENH_KT": C("at most 12 ICD-10 codes separated by ';'", separator=";"),
        "MA_BENH_YHCT": C("traditional-medicine visits only", separator=";"),
        "MA_PTTT_QT": C("only when a procedure was done", separator=";"),
        "MA_DOITUONG_KCB": Y("code of the DMDC list (not in the repository data)"),
        "MA_NOI_DI": C("referral or re-visit by appointment only"),
        "MA_NOI_DEN": C("referral only"),
        "MA_TAI_NAN": C("injuries only; list of QĐ 5937 appendix 4 (not in the repository data)"),
        "NGAY_VAO": Y(**_DT),
        "NGAY_VAO_NOI_TRU": C("inpatient or day-inpatient treatment only", **_DT),
        "NGAY_RA": Y(**_DT),
        "GIAY_CHUYEN_TUYEN": C("referral or appointment paper only"),
        "SO_NGAY_DTRI": Y("0 for MA_LOAI_KCB 01, 07, 09 (checked)", **_NO_LIST),
        "PP_DIEU_TRI": Y(),
        "KET_QUA_DTRI": Y(code_list="KET_QUA_DTRI"),
        "MA_LOAI_RV": Y(code_list="MA_LOAI_RV"),
        "GHI_CHU": N("the doctor's advice"),
        "NGAY_TTOAN": C("empty until the patient has paid", **_DT),
        "T_THUOC": Y("sum of XML2 THANH_TIEN_BV (checked)", **_MONEY),
        "T_VTYT": Y("sum of XML3 THANH_TIEN_BV of supply lines (checked)", **_MONEY),
        "T_TONGCHI_BV": Y("sum of XML2 and XML3 THANH_TIEN_BV (checked)", **_MONEY),
        "T_TONGCHI_BH": Y("sum of XML2 and XML3 THANH_TIEN_BH (checked)", **_MONEY),
        "T_BNTT": Y("sum of XML2 and XML3 T_BNTT (checked)", **_MONEY),
        "T_BNCCT": Y("sum of XML2 and XML3 T_BNCCT (checked)", **_MONEY),
        "T_BHTT": Y("T_TONGCHI_BH - T_BNCCT (checked)", **_MONEY),
        "T_NGUONKHAC": Y("sum of XML2 and XML3 T_NGUONKHAC (checked)", **_MONEY),
        "T_BHTT_GDV": Y("sum of XML2 and XML3 T_BHTT of lines with MA_PTTT 1 (checked)", **_MONEY),
        "NAM_QT": Y(),
        "THANG_QT": Y(),
        "MA_LOAI_KCB": Y(code_list="MA_LOAI_KCB"),
        "MA_KHOA": Y("several departments separated by ';'", separator=";"),
        "MA_CSKCB": Y(),
        "MA_KHUVUC": C("only when the card names a living area", code_list="MA_KHUVUC"),
        "CAN_NANG": Y("kilograms, '.' as decimal mark"),
        "CAN_NANG_CON": C("births only; one weight per child separated by ';'", separator=";"),
        "NAM_NAM_LIEN_TUC": C("only once the patient has five years of continuous cover", **_D),
        "NGAY_TAI_KHAM": C("only when a follow-up visit is booked", separator=";", **_D),
        "MA_HSBA": Y(),
        "MA_TTDV": Y(),
        "DU_PHONG": N("reserved"),
    },
    "XML2": {
        "MA_LK": Y(),
        "STT": Y(),
        "MA_THUOC": Y("00.0000 for substances outside the BHYT list"),
        "MA_PP_CHEBIEN": C("traditional medicine only", separator=";"),
        "MA_CSKCB_THUOC": C("drugs moved from or prescribed by another facility only"),
        "MA_NHOM": Y("cost group of QĐ 5937 appendix 3 (not in the repository data)"),
        "TEN_THUOC": Y(),
        "DON_VI_TINH": Y(),
        "HAM_LUONG": Y(),
        "DUONG_DUNG": Y(),
        "DANG_BAO_CHE": Y(),
        "LIEU_DUNG": Y(),
        "CACH_DUNG": Y(),
        "SO_DANG_KY": C("not required for oxygen, NO gas, blood products, herbal decoctions"),
        "TT_THAU": Y("decision;package;group;year: one value, ';' is not a list here", separator=""),
        "PHAM_VI": Y(code_list="PHAM_VI"),
        "TYLE_TT_BH": Y("percent, 100 when no rate is set, 0 outside BHYT"),
        "SO_LUONG": Y(**_QTY),
        "DON_GIA": Y(**_QTY),
        "THANH_TIEN_BV": Y("SO_LUONG * DON_GIA (checked)", **_MONEY),
        "THANH_TIEN_BH": Y("SO_LUONG * DON_GIA * TYLE_TT_BH / 100 (checked)", **_MONEY),
        "T_NGUONKHAC_NSNN": Y("0 when none", **_MONEY),
        "T_NGUONKHAC_VTNN": Y("0 when none", **_MONEY),
        "T_NGUONKHAC_VTTN": Y("0 when none", **_MONEY),
        "T_NGUONKHAC_CL": Y("0 when none", **_MONEY),
        "T_NGUONKHAC": Y("sum of the four T_NGUONKHAC_* (checked)", **_MONEY),
        "MUC_HUONG": Y("percent"),
        "T_BNTT": Y(**_MONEY),
        "T_BNCCT": Y(**_MONEY),
        "T_BHTT": Y(**_MONEY),
        "MA_KHOA": Y(),
        "MA_BAC_SI": Y(
            "practising certificate numbers separated by ';' (the source row has meaning and amendment swapped)",
            separator=";",
        ),
        "MA_DICH_VU": C("drugs paid apart from a service only", separator=";"),
        "NGAY_YL": Y(**_DT),
        "NGAY_TH_YL": C("time the order was carried out (row added by QĐ 4750)", **_DT),
        "MA_PTTT": Y(code_list="MA_PTTT"),
        "NGUON_CTRA": Y(code_list="NGUON_CTRA"),
        "VET_THUONG_TP": C("recurring war wounds only", code_list="VET_THUONG_TP"),
        "DU_PHONG": N("reserved"),
    },
    "XML3": {
        "MA_LK": Y(),
        "STT": Y(),
        "MA_DICH_VU": C("empty for a supply not used in a procedure; a line names a service or a supply (checked)"),
        "MA_PTTT_QT": C("only when a procedure was done", separator=";"),
        "MA_VAT_TU": C("supplies only; a line names a service or a supply (checked)"),
        "MA_NHOM": Y("cost group of QĐ 5937 appendix 3 (not in the repository data)"),
        "GOI_VTYT": C("supply packages only"),
        "TEN_VAT_TU": C("supplies only"),
        "TEN_DICH_VU": C("services only"),
        "MA_XANG_DAU": C("patient transport only"),
        "DON_VI_TINH": Y(),
        "PHAM_VI": Y(code_list="PHAM_VI"),
        "SO_LUONG": Y(**_QTY),
        "DON_GIA_BV": Y(**_QTY),
        "DON_GIA_BH": Y(**_QTY),
        "TT_THAU": C("supplies only; decision;package;group;year is one value", separator=""),
        "TYLE_TT_DV": C("special rates only; empty counts as 100 in the amount formulas"),
        "TYLE_TT_BH": Y("percent, 100 when no rate is set, 0 outside BHYT"),
        "THANH_TIEN_BV": Y("SO_LUONG * DON_GIA_BV * TYLE_TT_DV / 100 (checked)", **_MONEY),
        "THANH_TIEN_BH": Y("SO_LUONG * DON_GIA_BH * TYLE_TT_DV / 100 * TYLE_TT_BH / 100 (checked)", **_MONEY),
        "T_TRANTT": C("only when a payment ceiling applies", **_MONEY),
        "MUC_HUONG": Y("percent"),
        "T_NGUONKHAC_NSNN": Y("0 when none", **_MONEY),
        "T_NGUONKHAC_VTNN": Y("0 when none", **_MONEY),
        "T_NGUONKHAC_VTTN": Y("0 when none", **_MONEY),
        "T_NGUONKHAC_CL": Y("0 when none", **_MONEY),
        "T_NGUONKHAC": Y("sum of the four T_NGUONKHAC_* (checked)", **_MONEY),
        "T_BNTT": Y(**_MONEY),
        "T_BNCCT": Y(**_MONEY),
        "T_BHTT": Y(**_MONEY),
        "MA_KHOA": Y(),
        "MA_GIUONG": C("bed days only", separator=";"),
        "MA_BAC_SI": C("not required for samples sent to another facility", separator=";"),
        "NGUOI_THUC_HIEN": C("not required for samples sent to another facility", separator=";"),
        "MA_BENH": C("only for a disease other than the main one", separator=";"),
        "MA_BENH_YHCT": C("traditional medicine only", separator=";"),
        "NGAY_YL": C("not required for samples sent to another facility", **_DT),
        "NGAY_TH_YL": C("not required for samples sent to another facility", **_DT),
        "NGAY_KQ": C("empty until the result is known", **_DT),
        "MA_PTTT": Y(code_list="MA_PTTT"),
        "VET_THUONG_TP": C("recurring war wounds only", code_list="VET_THUONG_TP"),
        "PP_VO_CAM": C("procedures with anaesthesia only", code_list="PP_VO_CAM"),
        "VI_TRI_TH_DVKT": C("applies once the Ministry publishes the body-site list"),
        "MA_MAY": C("equipment code XX.n.YYYYY.Z; not required for samples sent out", **_NO_LIST),
        "MA_HIEU_SP": C("supplies with a product code only"),
        "TAI_SU_DUNG": C("reused supplies only", code_list="TAI_SU_DUNG"),
        "DU_PHONG": N("reserved"),
    },
    "XML4": {
        "MA_LK": Y(),
        "STT": Y(),
        "MA_DICH_VU": Y(),
        "MA_CHI_SO": C("empty when the indicator has no code (QĐ 4750)"),
        "TEN_CHI_SO": C("empty when the indicator has no name (QĐ 4750)"),
        "GIA_TRI": C("empty until the result is known"),
        "DON_VI_DO": C("empty for indicators without a unit"),
        "MO_TA": C("empty when there is no result"),
        "KET_LUAN": C("empty when there is no result"),
        "NGAY_KQ": C("empty until the result is known", **_DT),
        "MA_BS_DOC_KQ": C("not required for samples sent to another facility"),
        "DU_PHONG": N("reserved"),
    },
    "XML5": {
        "MA_LK": Y(),
        "STT": Y(),
        "DIEN_BIEN_LS": Y(),
        "GIAI_DOAN_BENH": C("only when the stage is known"),
        "HOI_CHAN": C("only when a consultation took place"),
        "PHAU_THUAT": C("only when a procedure was done"),
        "THOI_DIEM_DBLS": Y(**_DT),
        "NGUOI_THUC_HIEN": Y(separator=";"),
        "DU_PHONG": N("reserved"),
    },
    # XML7 (giấy ra viện), reviewed for the inpatient claim (his/inpatient).
    "XML7": {
        "MA_LK": Y(),
        "SO_LUU_TRU": Y(),
        "MA_YTE": Y(),
        "MA_KHOA_RV": Y(),
        "NGAY_VAO": Y(**_DT),
        "NGAY_RA": Y(**_DT),
        "MA_DINH_CHI_THAI": Y("1 termination of pregnancy, 0 none"),
        "NGUYENNHAN_DINHCHI": C("required when MA_DINH_CHI_THAI is 1"),
        "THOIGIAN_DINHCHI": C("required when MA_DINH_CHI_THAI is 1", **_DT),
        "TUOI_THAI": C("required when MA_DINH_CHI_THAI is 1 (1 to 42 weeks)"),
        "CHAN_DOAN_RV": Y(),
        "PP_DIEUTRI": Y(),
        "GHI_CHU": C("for a discharge paper used for social-insurance benefits"),
        "MA_TTDV": Y(),
        "MA_BS": Y(),
        "TEN_BS": Y(),
        "NGAY_CT": Y(**_D),
        "MA_CHA": C("children under 16 with a father"),
        "MA_ME": C("children under 16 with a mother"),
        "MA_THE_TAM": C("only a temporary card of a newborn or an organ donor"),
        "HO_TEN_CHA": C("children under 16 with a father"),
        "HO_TEN_ME": C("children under 16 with a mother"),
        "SO_NGAY_NGHI": C("only when outpatient rest after discharge is granted"),
        "NGOAITRU_TUNGAY": C("only when outpatient rest after discharge is granted", **_D),
        "NGOAITRU_DENNGAY": C("only when outpatient rest after discharge is granted", **_D),
        "DU_PHONG": N("reserved"),
    },
}

# Code lists whose text the inference cannot read (no 'Mã "x":' pattern), copied by hand from the sentence named.
MANUAL_CODES: dict[str, list[tuple[str, str, str]]] = {
    # XML1 GIOI_TINH: "(1: Nam; 2: Nữ; 3: Chưa xác định)"
    "GIOI_TINH": [("1", "Nam", QD130), ("2", "Nữ", QD130), ("3", "Chưa xác định", QD130)],
    # XML1 MA_KHUVUC: "(K1 hoặc K2 hoặc K3)"
    "MA_KHUVUC": [("K1", "Khu vực K1", QD130), ("K2", "Khu vực K2", QD130), ("K3", "Khu vực K3", QD130)],
    # XML1 NGAY_RA and SO_NGAY_DTRI (QĐ 4750 writes the codes with two digits), XML5 and XML8 notes.
    "MA_LOAI_KCB": [
        ("01", "Khám bệnh", QD4750),
        ("02", "Điều trị ngoại trú", QD4750),
        ("03", "Điều trị nội trú", QD4750),
        ("04", "Điều trị nội trú ban ngày", QD4750),
        ("05", "Điều trị ngoại trú bệnh mạn tính dài ngày, có khám bệnh và lĩnh thuốc", QD4750),
        ("06", "Điều trị lưu tại Trạm y tế tuyến xã, Phòng khám đa khoa khu vực", QD4750),
        ("07", "Nhận thuốc theo hẹn (không khám bệnh)", QD4750),
        ("08", "Điều trị ngoại trú bệnh mạn tính dài ngày, có khám bệnh, DVKT và/hoặc thuốc", QD4750),
        ("09", "Điều trị nội trú dưới 04 giờ", QD4750),
    ],
    # XML2/XML3 VET_THUONG_TP: 'Chỉ ghi số "1"'
    "VET_THUONG_TP": [("1", "Vết thương, bệnh tật tái phát", QD130)],
    # XML3 TAI_SU_DUNG: 'Ghi mã “1” nếu là VTYT tái sử dụng'
    "TAI_SU_DUNG": [("1", "VTYT tái sử dụng", QD130)],
}


def table_name(path: Path) -> str:
    stem = path.stem
    return "CHECKIN" if stem == "checkin" else f"XML{int(stem.removeprefix('bang'))}"


def source_files(source: Path) -> list[Path]:
    files = [source / "checkin.csv", *sorted(source.glob("bang*.csv"), key=lambda p: int(p.stem[4:]))]
    missing = [p for p in files if not p.is_file()]
    if missing or len(files) != 16:
        raise SystemExit(f"expected checkin.csv and bang01.csv..bang15.csv in {source}")
    return files


def _code_order(code: str) -> tuple[int, str]:
    return (int(code), code) if code.isdigit() else (1 << 30, code)


def _codes(text: str, source_name: str) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for code, meaning in _CODE.findall(text):
        found[code] = (meaning.strip().rstrip(".").strip(), source_name)
    return found


def infer(table: str, order: int, raw: dict[str, str]) -> FieldRow:
    name = raw["field"].strip()
    meaning = (raw["meaning_qd130"] or "").strip()
    amendment = (raw["amendment_qd4750"] or "").strip()
    added = not raw["stt"].strip() or amendment.startswith("Bổ sung trường mới") or (not meaning and amendment)
    text = f"{meaning}\n{amendment}"

    kind = "string" if raw["type_qd130"].strip() == "Chuỗi" else "integer"
    if "Đổi kiểu dữ liệu thành chuỗi" in amendment:
        kind = "string"
    size = raw["max_size_qd130"].strip()
    size = "" if size.lower() == "n" else size
    if bigger := _SIZE_AMENDMENT.search(amendment):
        size = bigger.group(1)

    fmt = ""
    if decimals := _DECIMALS.search(text):
        fmt = f"decimal:{decimals.group(1)}"
        kind = "decimal" if kind == "integer" else kind
    elif kind == "string" and re.search(r"yyyymmddHH[Mm][Mm]|12 ký tự[^.]*giờ", text):
        kind, fmt = "datetime", "yyyymmddHHMM"
    elif kind == "string" and re.search(r"yyyymmdd|08 ký tự[^.]*năm", text, re.IGNORECASE):
        kind, fmt = "date", "yyyymmdd"
    separator = ";" if any(words in text for words in _LIST_WORDS) else ""

    codes = _codes(meaning, QD130)
    codes.update(_codes(amendment, QD4750))
    if len(codes) < 2:
        codes = {}

    lowered = text.lower()
    if name == "DU_PHONG":
        required = "no"
    elif name == "MA_LK" or not any(w in lowered for w in ("nếu có", "để trống", "chỉ ghi", "không bắt buộc")):
        required = "yes"
    else:
        required = "conditional"
    source = QD4750 if added else (f"{QD130}; {QD4750}" if amendment else QD130)
    return FieldRow(table, order, name, kind, size, required, fmt, separator, "", source, "no", "", codes)


def apply_review(row: FieldRow) -> FieldRow:
    decision = REVIEW.get(row.table, {}).get(row.field)
    if decision is None:
        return row
    changes: dict[str, str] = {"required": decision.required, "note": decision.note, "reviewed": "yes"}
    for name in ("type", "format", "separator", "code_list", "max_size"):
        value = getattr(decision, name)
        if value is not None:
            changes[name] = value
    reviewed = replace(row, **changes)  # type: ignore[arg-type]
    if decision.code_list == "":
        reviewed = replace(reviewed, codes={})
    if reviewed.format and not reviewed.format.startswith("decimal") and reviewed.type in ("string", "integer"):
        raise SystemExit(f"{row.table}.{row.field}: format {reviewed.format} on type {reviewed.type}")
    return reviewed


def read_rows(source: Path) -> Iterator[FieldRow]:
    for path in source_files(source):
        table = table_name(path)
        order = 0
        with path.open(encoding="utf-8", newline="") as handle:
            for raw in csv.DictReader(handle):
                if not _FIELD_NAME.match((raw["field"] or "").strip()):
                    continue  # notes under the table ("Ghi chú: ...")
                order += 1
                yield apply_review(infer(table, order, raw))


def assign_code_lists(rows: list[FieldRow]) -> tuple[list[FieldRow], list[tuple[str, str, str, str]]]:
    """Key each inferred list by field name, or TABLE.FIELD when the same field has different lists."""
    by_field: dict[str, set[tuple[tuple[str, str, str], ...]]] = {}
    for row in rows:
        if row.codes:
            by_field.setdefault(row.field, set()).add(
                tuple((c, *row.codes[c]) for c in sorted(row.codes, key=_code_order))
            )
    lists: dict[str, list[tuple[str, str, str]]] = {key: list(codes) for key, codes in MANUAL_CODES.items()}
    keyed: list[FieldRow] = []
    for row in rows:
        key = row.code_list
        if row.codes and not key:
            key = row.field if len(by_field[row.field]) == 1 else f"{row.table}.{row.field}"
        if row.codes and key not in MANUAL_CODES:
            lists.setdefault(key, [(c, *row.codes[c]) for c in sorted(row.codes, key=_code_order)])
        if key and key not in lists:
            raise SystemExit(f"{row.table}.{row.field}: code list {key} has no codes")
        keyed.append(replace(row, code_list=key))
    code_rows = [(key, code, meaning, src) for key in sorted(lists) for code, meaning, src in lists[key]]
    return keyed, code_rows


def build(source: Path) -> tuple[list[FieldRow], list[tuple[str, str, str, str]]]:
    rows = list(read_rows(source))
    seen = {(r.table, r.field) for r in rows}
    unknown = [f"{t}.{f}" for t, fields in REVIEW.items() for f in fields if (t, f) not in seen]
    if unknown:
        raise SystemExit(f"REVIEW names fields the source does not have: {', '.join(unknown)}")
    return assign_code_lists(rows)


def write(rows: list[FieldRow], code_rows: list[tuple[str, str, str, str]], target: Path) -> None:
    with (target / "fields.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(FIELD_COLUMNS)
        for row in rows:
            writer.writerow([str(getattr(row, column)) for column in FIELD_COLUMNS])
    with (target / "code_lists.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CODE_COLUMNS)
        writer.writerows(code_rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=HERE)
    options = parser.parse_args(argv[1:])
    rows, code_rows = build(options.source)
    options.out.mkdir(parents=True, exist_ok=True)
    write(rows, code_rows, options.out)
    print(f"{len(rows)} fields in {len({r.table for r in rows})} tables, {len(code_rows)} codes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
