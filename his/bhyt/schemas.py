"""The neutral, typed input of one claim (one finished visit) and the shapes the module answers with.

Attribute names are the QĐ 130 field names in lower case, so that the mapping to XML is by name and a field added by
a later amendment needs no new attribute: give it in ``extra`` (``{"NEW_FIELD": "text"}``) until the Struct grows
one. ``extra`` also overrides a value the mapping would derive. Amounts are Decimal (VND); an amount left ``None``
is computed from the line by the decision's formulas (docs/bhyt.md). Datetimes: timezone-aware values are written
in Viet Nam time (UTC+7), naive ones are taken as Viet Nam time already.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import msgspec

from his.bhyt.rules import Violation

ZERO = Decimal(0)


class ClaimSummary(msgspec.Struct, frozen=True, kw_only=True):
    """XML1 (TONG_HOP): the patient, the visit and the totals."""

    ma_lk: str
    stt: int = 1
    ma_bn: str
    ho_ten: str
    so_cccd: str | None = None
    ngay_sinh: date
    gio_sinh: time | None = None  # written 0000 when unknown
    gioi_tinh: int  # 1 male, 2 female, 3 undetermined
    nhom_mau: str | None = None
    ma_quoctich: str
    ma_dantoc: str
    ma_nghe_nghiep: str
    dia_chi: str
    matinh_cu_tru: str
    mahuyen_cu_tru: str
    maxa_cu_tru: str
    dien_thoai: str | None = None
    ma_the_bhyt: list[str] = []
    ma_dkbd: list[str] = []
    gt_the_tu: list[date] = []
    gt_the_den: list[date] = []
    ngay_mien_cct: date | None = None
    ly_do_vv: str
    ly_do_vnt: str | None = None
    ma_ly_do_vnt: str | None = None
    chan_doan_vao: str
    chan_doan_rv: str
    ma_benh_chinh: str
    ma_benh_kt: list[str] = []
    ma_benh_yhct: list[str] = []
    ma_pttt_qt: list[str] = []
    ma_doituong_kcb: str
    ma_noi_di: str | None = None
    ma_noi_den: str | None = None
    ma_tai_nan: int | None = None
    ngay_vao: datetime
    ngay_vao_noi_tru: datetime | None = None
    ngay_ra: datetime
    giay_chuyen_tuyen: str | None = None
    so_ngay_dtri: int
    pp_dieu_tri: str
    ket_qua_dtri: int
    ma_loai_rv: int
    ghi_chu: str | None = None
    ngay_ttoan: datetime | None = None
    t_thuoc: Decimal | None = None
    t_vtyt: Decimal | None = None
    t_tongchi_bv: Decimal | None = None
    t_tongchi_bh: Decimal | None = None
    t_bntt: Decimal | None = None
    t_bncct: Decimal | None = None
    t_bhtt: Decimal | None = None
    t_nguonkhac: Decimal | None = None
    t_bhtt_gdv: Decimal | None = None
    nam_qt: int
    thang_qt: int
    ma_loai_kcb: str
    ma_khoa: list[str]
    ma_cskcb: str
    ma_khuvuc: str | None = None
    can_nang: Decimal
    can_nang_con: list[str] = []
    nam_nam_lien_tuc: date | None = None
    ngay_tai_kham: list[date] = []
    ma_hsba: str
    ma_ttdv: str
    du_phong: str | None = None
    extra: dict[str, str] = {}


class DrugLine(msgspec.Struct, frozen=True, kw_only=True):
    """One XML2 line (CHI_TIET_THUOC)."""

    ma_thuoc: str
    ma_pp_chebien: list[str] = []
    ma_cskcb_thuoc: str | None = None
    ma_nhom: int
    ten_thuoc: str
    don_vi_tinh: str
    ham_luong: str
    duong_dung: str
    dang_bao_che: str
    lieu_dung: str
    cach_dung: str
    so_dang_ky: str | None = None
    tt_thau: str
    pham_vi: int
    tyle_tt_bh: int
    so_luong: Decimal
    don_gia: Decimal
    thanh_tien_bv: Decimal | None = None
    thanh_tien_bh: Decimal | None = None
    t_nguonkhac_nsnn: Decimal = ZERO
    t_nguonkhac_vtnn: Decimal = ZERO
    t_nguonkhac_vttn: Decimal = ZERO
    t_nguonkhac_cl: Decimal = ZERO
    t_nguonkhac: Decimal | None = None
    muc_huong: int
    t_bntt: Decimal | None = None
    t_bncct: Decimal | None = None
    t_bhtt: Decimal | None = None
    ma_khoa: str
    ma_bac_si: list[str]
    ma_dich_vu: list[str] = []
    ngay_yl: datetime
    ngay_th_yl: datetime | None = None
    ma_pttt: int
    nguon_ctra: int
    vet_thuong_tp: int | None = None
    du_phong: str | None = None
    extra: dict[str, str] = {}


class ServiceLine(msgspec.Struct, frozen=True, kw_only=True):
    """One XML3 line (CHI_TIET_DVKT): a service, a bed day, a consultation or a medical supply."""

    ma_dich_vu: str | None = None
    ma_pttt_qt: list[str] = []
    ma_vat_tu: str | None = None
    ma_nhom: int
    goi_vtyt: str | None = None
    ten_vat_tu: str | None = None
    ten_dich_vu: str | None = None
    ma_xang_dau: str | None = None
    don_vi_tinh: str
    pham_vi: int
    so_luong: Decimal
    don_gia_bv: Decimal
    don_gia_bh: Decimal
    tt_thau: str | None = None
    tyle_tt_dv: int | None = None
    tyle_tt_bh: int
    thanh_tien_bv: Decimal | None = None
    thanh_tien_bh: Decimal | None = None
    t_trantt: Decimal | None = None
    muc_huong: int
    t_nguonkhac_nsnn: Decimal = ZERO
    t_nguonkhac_vtnn: Decimal = ZERO
    t_nguonkhac_vttn: Decimal = ZERO
    t_nguonkhac_cl: Decimal = ZERO
    t_nguonkhac: Decimal | None = None
    t_bntt: Decimal | None = None
    t_bncct: Decimal | None = None
    t_bhtt: Decimal | None = None
    ma_khoa: str
    ma_giuong: list[str] = []
    ma_bac_si: list[str] = []
    nguoi_thuc_hien: list[str] = []
    ma_benh: list[str] = []
    ma_benh_yhct: list[str] = []
    ngay_yl: datetime | None = None
    ngay_th_yl: datetime | None = None
    ngay_kq: datetime | None = None
    ma_pttt: int
    vet_thuong_tp: int | None = None
    pp_vo_cam: int | None = None
    vi_tri_th_dvkt: int | None = None
    ma_may: list[str] = []
    ma_hieu_sp: str | None = None
    tai_su_dung: int | None = None
    du_phong: str | None = None
    extra: dict[str, str] = {}


class ParaclinicalResult(msgspec.Struct, frozen=True, kw_only=True):
    """One XML4 line (CHI_TIET_CLS): one indicator of a laboratory, imaging or function test."""

    ma_dich_vu: str
    ma_chi_so: str | None = None
    ten_chi_so: str | None = None
    gia_tri: str | None = None
    don_vi_do: str | None = None
    mo_ta: str | None = None
    ket_luan: str | None = None
    ngay_kq: datetime | None = None
    ma_bs_doc_kq: str | None = None
    du_phong: str | None = None
    extra: dict[str, str] = {}


class ProgressNote(msgspec.Struct, frozen=True, kw_only=True):
    """One XML5 line (CHI_TIET_DIEN_BIEN_BENH)."""

    dien_bien_ls: str
    giai_doan_benh: str | None = None
    hoi_chan: str | None = None
    phau_thuat: str | None = None
    thoi_diem_dbls: datetime
    nguoi_thuc_hien: list[str]
    du_phong: str | None = None
    extra: dict[str, str] = {}


class DischargePaper(msgspec.Struct, frozen=True, kw_only=True):
    """XML7 (CHI_TIEU_DU_LIEU_GIAY_RA_VIEN): the discharge paper of an inpatient stay, one record."""

    so_luu_tru: str
    ma_yte: str
    ma_khoa_rv: str
    ngay_vao: datetime
    ngay_ra: datetime
    ma_dinh_chi_thai: int = 0
    nguyennhan_dinhchi: str | None = None
    thoigian_dinhchi: datetime | None = None
    tuoi_thai: int | None = None
    chan_doan_rv: str
    pp_dieutri: str
    ghi_chu: str | None = None
    ma_ttdv: str
    ma_bs: str
    ten_bs: str
    ngay_ct: date
    ma_cha: str | None = None
    ma_me: str | None = None
    ma_the_tam: str | None = None
    ho_ten_cha: str | None = None
    ho_ten_me: str | None = None
    so_ngay_nghi: int | None = None
    ngoaitru_tungay: date | None = None
    ngoaitru_denngay: date | None = None
    du_phong: str | None = None
    extra: dict[str, str] = {}


class ClaimInput(msgspec.Struct, frozen=True, kw_only=True):
    """Everything one claim file says about one finished visit."""

    summary: ClaimSummary
    drugs: list[DrugLine] = []
    services: list[ServiceLine] = []
    results: list[ParaclinicalResult] = []
    progress_notes: list[ProgressNote] = []
    discharge_paper: DischargePaper | None = None  # XML7, for an inpatient stay


class ValidationReport(msgspec.Struct, frozen=True, kw_only=True):
    kind: str  # "GIAMDINHHS" (claims envelope) or "CHECKIN"
    claims: int  # HOSO in the envelope (1 for a check-in message)
    violations: list[Violation]
    signature_verified: bool
    signer: str | None = None  # subject of the certificate that signed

    @property
    def valid(self) -> bool:
        return not self.violations and self.signature_verified
