"""The demo hospital's catalogs: departments, clinic rooms, staff, services, drugs, supplies, and the full
national ICD-10 list. Deterministic: the same data on every run, whatever seed the other modules use.

Substances, strengths, forms and routes are real and usual; names of people, prices, BHYT codes and
practising certificate numbers are invented for the demo and must not be used for claims.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from his.catalogs import service
from his.catalogs.icd10 import packaged_icd10_path
from his.catalogs.specs import SPECS
from his.kernel.audit.service import AuditActor
from his.kernel.demo import demo_users
from his.kernel.runtime import Kernel

DEMO_EFFECTIVE = date(2025, 1, 1)
_ACTOR = AuditActor(user_id=None, username="demo-seed", role="system", client_ip=None, request_id=None)

# ---------------------------------------------------------------- departments and rooms

# (code, name, BHYT department code MA_KHOA). The BHYT codes follow the numbering of the Ministry's
# department list (K01 examination, K02 emergency and intensive care, K03 internal medicine …) as far as we
# know it; the list itself is not in the shared standards yet, so check these before a real submission.
DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("KKB", "Khoa Khám bệnh", "K01"),
    ("KCC", "Khoa Cấp cứu", "K02"),
    ("KHSTC", "Khoa Hồi sức tích cực - Chống độc", "K02"),
    ("KNOI", "Khoa Nội tổng hợp", "K03"),
    ("KTIM", "Khoa Nội tim mạch", "K04"),
    ("KNHI", "Khoa Nhi", "K18"),
    ("KSAN", "Khoa Phụ sản", "K26"),
    ("KNGOAI", "Khoa Ngoại tổng hợp", "K19"),
    ("KCTCH", "Khoa Chấn thương chỉnh hình", "K24"),
    ("KLCK", "Khoa Liên chuyên khoa Tai Mũi Họng - Răng Hàm Mặt - Mắt", "K27"),
    ("KXN", "Khoa Xét nghiệm", "K39"),
    ("KCDHA", "Khoa Chẩn đoán hình ảnh", "K41"),
    ("KDUOC", "Khoa Dược", "K45"),
)

# (code, name, department code)
CLINIC_ROOMS: tuple[tuple[str, str, str], ...] = (
    *((f"PK-NOI{n}", f"Phòng khám Nội {n}", "KKB") for n in range(1, 7)),
    *((f"PK-NHI{n}", f"Phòng khám Nhi {n}", "KKB") for n in range(1, 4)),
    ("PK-SAN1", "Phòng khám Sản 1", "KKB"),
    ("PK-PK1", "Phòng khám Phụ khoa 1", "KKB"),
    *((f"PK-NGOAI{n}", f"Phòng khám Ngoại {n}", "KKB") for n in range(1, 3)),
    ("PK-CTCH1", "Phòng khám Chấn thương chỉnh hình", "KKB"),
    ("PK-TIM1", "Phòng khám Tim mạch 1", "KKB"),
    ("PK-TIM2", "Phòng khám Tim mạch 2", "KKB"),
    ("PK-TMH1", "Phòng khám Tai Mũi Họng", "KKB"),
    ("PK-RHM1", "Phòng khám Răng Hàm Mặt", "KKB"),
    ("PK-MAT1", "Phòng khám Mắt", "KKB"),
    ("PK-DL1", "Phòng khám Da liễu", "KKB"),
    ("PK-YHCT1", "Phòng khám Y học cổ truyền", "KKB"),
    ("PK-CC", "Phòng khám Cấp cứu", "KCC"),
    ("XN-LM1", "Phòng lấy mẫu xét nghiệm 1", "KXN"),
    ("XN-LM2", "Phòng lấy mẫu xét nghiệm 2", "KXN"),
    ("CDHA-XQ1", "Phòng X-quang 1", "KCDHA"),
    ("CDHA-XQ2", "Phòng X-quang 2", "KCDHA"),
    ("CDHA-SA1", "Phòng Siêu âm 1", "KCDHA"),
    ("CDHA-SA2", "Phòng Siêu âm 2", "KCDHA"),
    ("CDHA-CT", "Phòng Chụp cắt lớp vi tính", "KCDHA"),
    ("CDHA-NS", "Phòng Nội soi tiêu hoá", "KCDHA"),
    ("TDCN-DT", "Phòng Điện tim - Thăm dò chức năng", "KTIM"),
    ("DUOC-CP", "Phòng cấp phát thuốc ngoại trú", "KDUOC"),
)

# ---------------------------------------------------------------- staff

_FAMILY = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
)
_MIDDLE_F = ("Thị", "Thị Thu", "Thị Ngọc", "Thị Minh", "Thị Thanh", "Ngọc", "Thu")
_MIDDLE_M = ("Văn", "Minh", "Quốc", "Đức", "Hữu", "Thanh", "Công", "Xuân")
_GIVEN_F = (
    "Hoa",
    "Lan",
    "Hương",
    "Mai",
    "Trang",
    "Hạnh",
    "Thảo",
    "Linh",
    "Yến",
    "Nhung",
    "Phương",
    "Vân",
    "Hằng",
    "Dung",
    "Tâm",
)
_GIVEN_M = (
    "Hùng",
    "Dũng",
    "Nam",
    "Tuấn",
    "Khoa",
    "Long",
    "Sơn",
    "Bình",
    "Hải",
    "Phúc",
    "Quang",
    "Thắng",
    "Trung",
    "Vinh",
    "Đạt",
)
# (role, title, how many, departments to spread them over)
_STAFFING: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    ("doctor", "BSCKII", 4, ("KNOI", "KTIM", "KNGOAI", "KHSTC")),
    ("doctor", "BSCKI", 8, ("KKB", "KNHI", "KSAN", "KCTCH", "KLCK", "KCC")),
    ("doctor", "ThS.BS", 5, ("KNOI", "KNHI", "KCDHA", "KHSTC", "KTIM")),
    ("doctor", "BS", 9, ("KKB", "KCC", "KNOI", "KNGOAI", "KSAN", "KNHI")),
    ("radiologist", "BSCKI", 3, ("KCDHA",)),
    ("nurse", "CN.ĐD", 8, ("KKB", "KCC", "KNOI", "KNHI", "KHSTC", "KNGOAI", "KSAN", "KTIM")),
    ("nurse", "ĐD", 10, ("KKB", "KCC", "KNOI", "KNHI", "KNGOAI", "KCTCH", "KSAN")),
    ("pharmacist", "DSCKI", 2, ("KDUOC",)),
    ("pharmacist", "DS", 3, ("KDUOC",)),
    ("lab_technician", "CN.XN", 4, ("KXN",)),
    ("lab_technician", "KTV", 2, ("KXN", "KCDHA")),
    ("receptionist", "CN", 3, ("KKB",)),
    ("cashier", "CN.KT", 2, ("KKB",)),
)
_PROVINCES = ("BYT", "HCM", "HNO", "CT", "DNA", "BD")
# The kernel's demo sign-ins, as staff: same staff codes (NV0001…), role and department.
_USER_DEPARTMENTS = {
    "admin": None,
    "receptionist": "KKB",
    "doctor": "KNOI",
    "nurse": "KNOI",
    "pharmacist": "KDUOC",
    "lab_technician": "KXN",
    "radiologist": "KCDHA",
    "cashier": "KKB",
    "auditor": None,
}
_USER_TITLES = {"BS.": "BS", "ĐD.": "ĐD", "DS.": "DS", "KTV.": "KTV"}

# ---------------------------------------------------------------- services

# (group, unit, price range in thousand VND, BHYT pays, names)
_SERVICES: tuple[tuple[str, str, tuple[int, int], bool, tuple[str, ...]], ...] = (
    (
        "Khám bệnh",
        "Lần",
        (40, 45),
        True,
        (
            "Khám Nội",
            "Khám Ngoại",
            "Khám Nhi",
            "Khám Sản",
            "Khám Phụ khoa",
            "Khám Tai Mũi Họng",
            "Khám Răng Hàm Mặt",
            "Khám Mắt",
            "Khám Da liễu",
            "Khám Tim mạch",
            "Khám Y học cổ truyền",
            "Khám cấp cứu",
        ),
    ),
    (
        "Khám sức khỏe",
        "Lần",
        (150, 250),
        False,
        (
            "Khám sức khỏe định kỳ",
            "Khám sức khỏe người lao động",
            "Khám sức khỏe cấp giấy phép lái xe",
        ),
    ),
    (
        "Ngày giường",
        "Ngày",
        (180, 900),
        True,
        (
            "Giường Hồi sức tích cực",
            "Giường Hồi sức cấp cứu",
            "Giường Nội khoa loại 1",
            "Giường Nội khoa loại 2",
            "Giường Nhi khoa",
            "Giường Ngoại khoa sau phẫu thuật loại đặc biệt",
            "Giường Ngoại khoa sau phẫu thuật loại 1",
            "Giường Ngoại khoa sau phẫu thuật loại 2",
            "Giường Phụ sản",
            "Giường lưu cấp cứu",
        ),
    ),
    (
        "Xét nghiệm",
        "Lần",
        (20, 120),
        True,
        (
            "Tổng phân tích tế bào máu ngoại vi (bằng máy đếm laser)",
            "Định nhóm máu hệ ABO, Rh(D) (kỹ thuật ống nghiệm)",
            "Thời gian prothrombin (PT) bằng máy tự động",
            "Thời gian thromboplastin hoạt hoá từng phần (APTT)",
            "Định lượng Fibrinogen",
            "Máu lắng (bằng máy tự động)",
            "Định lượng Glucose [Máu]",
            "Định lượng HbA1c [Máu]",
            "Định lượng Urê [Máu]",
            "Định lượng Creatinin [Máu]",
            "Đo hoạt độ AST (GOT) [Máu]",
            "Đo hoạt độ ALT (GPT) [Máu]",
            "Đo hoạt độ GGT [Máu]",
            "Định lượng Bilirubin toàn phần [Máu]",
            "Định lượng Bilirubin trực tiếp [Máu]",
            "Định lượng Protein toàn phần [Máu]",
            "Định lượng Albumin [Máu]",
            "Định lượng Cholesterol toàn phần [Máu]",
            "Định lượng Triglycerid [Máu]",
            "Định lượng HDL-C [Máu]",
            "Định lượng LDL-C [Máu]",
            "Định lượng Acid Uric [Máu]",
            "Điện giải đồ (Na, K, Cl) [Máu]",
            "Định lượng Calci toàn phần [Máu]",
            "Định lượng CRP [Máu]",
            "Định lượng Procalcitonin [Máu]",
            "Định lượng Troponin T hs [Máu]",
            "Định lượng NT-proBNP [Máu]",
            "Đo hoạt độ CK-MB [Máu]",
            "Định lượng TSH [Máu]",
            "Định lượng FT4 [Máu]",
            "Định lượng FT3 [Máu]",
            "Định lượng Ferritin [Máu]",
            "Định lượng Sắt huyết thanh [Máu]",
            "Đo hoạt độ Amylase [Máu]",
            "Định lượng Lactat [Máu]",
            "Khí máu động mạch",
            "Định lượng D-Dimer",
            "HBsAg test nhanh",
            "HBsAg miễn dịch tự động",
            "Anti-HCV test nhanh",
            "HIV Ab test nhanh",
            "Dengue NS1Ag/IgM-IgG test nhanh",
            "Influenza virus A, B test nhanh",
            "SARS-CoV-2 Ag test nhanh",
            "Treponema pallidum test nhanh",
            "Định lượng beta-hCG [Máu]",
            "Định lượng PSA toàn phần [Máu]",
            "Định lượng AFP [Máu]",
            "Định lượng CEA [Máu]",
            "Tổng phân tích nước tiểu (bằng máy tự động)",
            "Định lượng Protein niệu 24 giờ",
            "Soi tươi tìm nấm",
            "Nhuộm soi AFB trực tiếp",
            "Vi khuẩn nuôi cấy định danh",
            "Kháng sinh đồ",
            "Cấy máu tìm vi khuẩn (máy tự động)",
            "Tìm ký sinh trùng sốt rét trong máu",
            "Xét nghiệm tế bào học dịch chọc hút",
            "Xét nghiệm và chẩn đoán mô bệnh học",
            "Tìm hồng cầu trong phân",
            "Định lượng Glucose [Dịch]",
            "Định lượng Protein [Dịch]",
        ),
    ),
    (
        "Chẩn đoán hình ảnh",
        "Lần",
        (50, 2500),
        True,
        (
            "Chụp X-quang ngực thẳng",
            "Chụp X-quang ngực nghiêng",
            "Chụp X-quang cột sống thắt lưng thẳng nghiêng",
            "Chụp X-quang cột sống cổ thẳng nghiêng",
            "Chụp X-quang khớp gối thẳng nghiêng",
            "Chụp X-quang xương cẳng tay",
            "Chụp X-quang bụng không chuẩn bị",
            "Chụp X-quang sọ thẳng nghiêng",
            "Chụp X-quang xoang",
            "Chụp X-quang khung chậu",
            "Siêu âm ổ bụng",
            "Siêu âm tuyến giáp",
            "Siêu âm tuyến vú hai bên",
            "Siêu âm thai",
            "Siêu âm tử cung phần phụ",
            "Siêu âm tim, màng tim qua thành ngực",
            "Siêu âm Doppler động mạch cảnh",
            "Siêu âm Doppler tĩnh mạch chi dưới",
            "Siêu âm khớp",
            "Siêu âm phần mềm",
            "Chụp cắt lớp vi tính sọ não không tiêm thuốc cản quang",
            "Chụp cắt lớp vi tính sọ não có tiêm thuốc cản quang",
            "Chụp cắt lớp vi tính lồng ngực không tiêm thuốc cản quang",
            "Chụp cắt lớp vi tính ổ bụng có tiêm thuốc cản quang",
            "Chụp cắt lớp vi tính cột sống thắt lưng",
            "Chụp cộng hưởng từ sọ não",
            "Chụp cộng hưởng từ cột sống thắt lưng",
            "Chụp cộng hưởng từ khớp gối",
        ),
    ),
    (
        "Thăm dò chức năng",
        "Lần",
        (30, 900),
        True,
        (
            "Điện tim thường",
            "Holter điện tim 24 giờ",
            "Holter huyết áp 24 giờ",
            "Điện não đồ",
            "Đo chức năng hô hấp",
            "Đo mật độ xương bằng phương pháp DEXA",
            "Nội soi thực quản - dạ dày - tá tràng",
            "Nội soi đại tràng toàn bộ",
            "Nội soi tai mũi họng",
            "Đo nhãn áp",
            "Đo thính lực đơn âm",
        ),
    ),
    (
        "Thủ thuật",
        "Lần",
        (30, 1500),
        True,
        (
            "Tiêm bắp",
            "Tiêm tĩnh mạch",
            "Truyền tĩnh mạch",
            "Thay băng vết thương chiều dài dưới 15 cm",
            "Thay băng vết thương chiều dài từ 15 cm đến 30 cm",
            "Cắt chỉ vết thương",
            "Khâu vết thương phần mềm dài dưới 10 cm",
            "Đặt ống thông dạ dày",
            "Đặt ống thông tiểu",
            "Rửa dạ dày",
            "Thở oxy qua gọng kính",
            "Khí dung thuốc",
            "Hút đờm qua ống nội khí quản",
            "Đặt nội khí quản",
            "Đặt catheter tĩnh mạch trung tâm",
            "Chọc dịch màng bụng",
            "Chọc dịch màng phổi",
            "Chọc dịch tuỷ sống",
            "Sốc điện ngoài lồng ngực",
            "Bó bột cẳng tay",
            "Bó bột cẳng chân",
            "Nắn trật khớp vai",
            "Lấy dị vật tai",
            "Lấy dị vật mũi",
            "Nhổ răng vĩnh viễn",
            "Lấy cao răng",
            "Lấy dị vật giác mạc",
            "Rửa mắt",
            "Đỡ đẻ thường ngôi chỏm",
            "Nạo hút thai dưới 12 tuần",
        ),
    ),
    (
        "Phẫu thuật",
        "Lần",
        (1500, 12000),
        True,
        (
            "Phẫu thuật cắt ruột thừa nội soi",
            "Phẫu thuật cắt ruột thừa mở",
            "Phẫu thuật cắt túi mật nội soi",
            "Phẫu thuật thoát vị bẹn",
            "Phẫu thuật khâu lỗ thủng dạ dày",
            "Phẫu thuật lấy thai lần đầu",
            "Phẫu thuật cắt tử cung hoàn toàn",
            "Phẫu thuật kết hợp xương cẳng chân bằng nẹp vít",
            "Phẫu thuật kết hợp xương đùi bằng đinh nội tuỷ",
            "Phẫu thuật thay khớp háng bán phần",
            "Phẫu thuật cắt amidan",
            "Phẫu thuật nội soi mũi xoang",
            "Phẫu thuật tán nhuyễn thể thuỷ tinh (Phaco)",
            "Phẫu thuật cắt bướu giáp",
            "Phẫu thuật cắt trĩ",
            "Phẫu thuật lấy sỏi niệu quản nội soi",
            "Phẫu thuật dẫn lưu áp xe",
            "Phẫu thuật cắt lọc vết thương phần mềm",
            "Phẫu thuật cắt u nang buồng trứng nội soi",
            "Phẫu thuật khâu vết thương mạch máu",
        ),
    ),
    (
        "Phục hồi chức năng - Y học cổ truyền",
        "Lần",
        (20, 120),
        True,
        (
            "Điện châm",
            "Xoa bóp bấm huyệt",
            "Thủy châm",
            "Cứu ngải",
            "Giác hơi",
            "Kéo giãn cột sống thắt lưng",
            "Kéo giãn cột sống cổ",
            "Chiếu đèn hồng ngoại",
            "Điều trị bằng dòng điện xung",
            "Điều trị bằng siêu âm",
            "Điều trị bằng sóng ngắn",
            "Điều trị bằng parafin",
            "Tập vận động thụ động",
            "Tập vận động có trợ giúp",
            "Tập dưỡng sinh",
        ),
    ),
    (
        "Máu và chế phẩm máu",
        "Đơn vị",
        (300, 1400),
        True,
        (
            "Khối hồng cầu từ 250 ml máu toàn phần",
            "Khối hồng cầu từ 350 ml máu toàn phần",
            "Khối tiểu cầu gạn tách từ một người cho",
            "Huyết tương tươi đông lạnh 250 ml",
            "Tủa lạnh yếu tố VIII",
        ),
    ),
    (
        "Vận chuyển",
        "Lượt",
        (300, 1200),
        True,
        (
            "Vận chuyển người bệnh bằng xe cứu thương nội tỉnh",
            "Vận chuyển người bệnh bằng xe cứu thương liên tỉnh",
        ),
    ),
)

# ---------------------------------------------------------------- drugs

# Presentation: (form, route, unit, typical price range in VND per unit).
_FORMS: dict[str, tuple[str, str, str, tuple[int, int]]] = {
    "tab": ("Viên nén", "Uống", "Viên", (150, 3000)),
    "ftab": ("Viên nén bao phim", "Uống", "Viên", (500, 12000)),
    "srtab": ("Viên nén giải phóng kéo dài", "Uống", "Viên", (1500, 9000)),
    "ectab": ("Viên nén bao tan trong ruột", "Uống", "Viên", (800, 6000)),
    "efftab": ("Viên sủi", "Uống", "Viên", (1500, 5000)),
    "cap": ("Viên nang cứng", "Uống", "Viên", (300, 8000)),
    "sublingual": ("Viên nén ngậm dưới lưỡi", "Ngậm dưới lưỡi", "Viên", (1000, 4000)),
    "sachet": ("Thuốc bột pha hỗn dịch uống", "Uống", "Gói", (1500, 9000)),
    "granule": ("Thuốc cốm", "Uống", "Gói", (1200, 6000)),
    "syrup": ("Siro", "Uống", "Chai", (25000, 70000)),
    "oralsol": ("Dung dịch uống", "Uống", "Ống", (3000, 15000)),
    "inj": ("Dung dịch tiêm", "Tiêm", "Ống", (2000, 60000)),
    "inj_iv": ("Dung dịch tiêm", "Tiêm tĩnh mạch", "Ống", (5000, 120000)),
    "inj_im": ("Dung dịch tiêm", "Tiêm bắp", "Ống", (3000, 40000)),
    "inj_sc": ("Dung dịch tiêm", "Tiêm dưới da", "Ống", (10000, 150000)),
    "pen": ("Dung dịch tiêm trong bút tiêm", "Tiêm dưới da", "Bút", (150000, 350000)),
    "powinj": ("Bột pha tiêm", "Tiêm tĩnh mạch", "Lọ", (8000, 250000)),
    "inf": ("Dung dịch tiêm truyền", "Tiêm truyền tĩnh mạch", "Chai", (9000, 250000)),
    "infbag": ("Dung dịch tiêm truyền", "Tiêm truyền tĩnh mạch", "Túi", (15000, 400000)),
    "eyedrop": ("Dung dịch nhỏ mắt", "Nhỏ mắt", "Lọ", (15000, 90000)),
    "nasal": ("Hỗn dịch xịt mũi", "Xịt mũi", "Lọ", (60000, 180000)),
    "inhaler": ("Thuốc phun mù định liều", "Hít", "Bình", (70000, 250000)),
    "neb": ("Dung dịch khí dung", "Khí dung", "Ống", (4000, 25000)),
    "ointment": ("Thuốc mỡ", "Dùng ngoài", "Tuýp", (10000, 60000)),
    "cream": ("Kem bôi da", "Dùng ngoài", "Tuýp", (12000, 80000)),
    "gel": ("Gel bôi", "Dùng ngoài", "Tuýp", (20000, 90000)),
    "solution": ("Dung dịch dùng ngoài", "Dùng ngoài", "Chai", (8000, 60000)),
    "supp": ("Viên đặt trực tràng", "Đặt trực tràng", "Viên", (2000, 9000)),
    "vaginal": ("Viên đặt âm đạo", "Đặt âm đạo", "Viên", (3000, 15000)),
}

# (substances joined by " + ", presentations: (strengths joined by " + ", form key)).
# Vietnamese INN spellings as the national drug lists write them.
_DRUGS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    # analgesics, antipyretics, NSAIDs
    (
        "Paracetamol",
        (
            ("500 mg", "tab"),
            ("650 mg", "srtab"),
            ("500 mg", "efftab"),
            ("250 mg", "sachet"),
            ("150 mg", "supp"),
            ("1 g/100 ml", "inf"),
        ),
    ),
    ("Paracetamol + Codein phosphat", (("500 mg + 30 mg", "efftab"),)),
    ("Paracetamol + Tramadol", (("325 mg + 37,5 mg", "ftab"),)),
    ("Ibuprofen", (("200 mg", "ftab"), ("400 mg", "ftab"), ("100 mg/5 ml", "syrup"))),
    ("Diclofenac", (("50 mg", "ectab"), ("75 mg/3 ml", "inj_im"), ("1%", "gel"), ("100 mg", "supp"))),
    ("Meloxicam", (("7,5 mg", "tab"), ("15 mg", "tab"), ("15 mg/1,5 ml", "inj_im"))),
    ("Celecoxib", (("200 mg", "cap"),)),
    ("Etoricoxib", (("60 mg", "ftab"), ("90 mg", "ftab"))),
    ("Ketorolac", (("30 mg/ml", "inj"),)),
    ("Morphin", (("10 mg/ml", "inj"), ("30 mg", "srtab"))),
    ("Fentanyl", (("0,1 mg/2 ml", "inj_iv"),)),
    ("Tramadol", (("50 mg", "cap"), ("100 mg/2 ml", "inj"))),
    ("Acid acetylsalicylic", (("81 mg", "ectab"), ("100 mg", "ectab"))),
    ("Colchicin", (("1 mg", "tab"),)),
    ("Allopurinol", (("100 mg", "tab"), ("300 mg", "tab"))),
    # antibiotics
    ("Amoxicilin", (("500 mg", "cap"), ("250 mg", "sachet"), ("1 g", "powinj"))),
    (
        "Amoxicilin + Acid clavulanic",
        (
            ("500 mg + 125 mg", "ftab"),
            ("875 mg + 125 mg", "ftab"),
            ("250 mg + 31,25 mg", "sachet"),
            ("1 g + 200 mg", "powinj"),
        ),
    ),
    ("Ampicilin + Sulbactam", (("1 g + 0,5 g", "powinj"),)),
    ("Piperacilin + Tazobactam", (("4 g + 0,5 g", "powinj"),)),
    ("Cefalexin", (("500 mg", "cap"), ("250 mg", "sachet"))),
    ("Cefadroxil", (("500 mg", "cap"),)),
    ("Cefuroxim", (("250 mg", "ftab"), ("500 mg", "ftab"), ("750 mg", "powinj"), ("1,5 g", "powinj"))),
    ("Cefixim", (("200 mg", "cap"), ("100 mg", "sachet"))),
    ("Cefpodoxim", (("100 mg", "ftab"), ("200 mg", "ftab"))),
    ("Cefotaxim", (("1 g", "powinj"),)),
    ("Ceftriaxon", (("1 g", "powinj"), ("2 g", "powinj"))),
    ("Ceftazidim", (("1 g", "powinj"), ("2 g", "powinj"))),
    ("Cefoperazon + Sulbactam", (("1 g + 1 g", "powinj"),)),
    ("Cefepim", (("1 g", "powinj"), ("2 g", "powinj"))),
    ("Imipenem + Cilastatin", (("500 mg + 500 mg", "powinj"),)),
    ("Meropenem", (("500 mg", "powinj"), ("1 g", "powinj"))),
    ("Ertapenem", (("1 g", "powinj"),)),
    ("Vancomycin", (("500 mg", "powinj"), ("1 g", "powinj"))),
    ("Gentamicin", (("80 mg/2 ml", "inj"),)),
    ("Amikacin", (("500 mg/2 ml", "inj"),)),
    (
        "Azithromycin",
        (("250 mg", "cap"), ("500 mg", "ftab"), ("200 mg/5 ml", "sachet"), ("500 mg", "powinj")),
    ),
    ("Clarithromycin", (("250 mg", "ftab"), ("500 mg", "ftab"))),
    ("Erythromycin", (("500 mg", "ftab"),)),
    ("Ciprofloxacin", (("500 mg", "ftab"), ("200 mg/100 ml", "inf"), ("0,3%", "eyedrop"))),
    ("Levofloxacin", (("500 mg", "ftab"), ("750 mg", "ftab"), ("500 mg/100 ml", "inf"), ("0,5%", "eyedrop"))),
    ("Moxifloxacin", (("400 mg", "ftab"), ("400 mg/250 ml", "inf"), ("0,5%", "eyedrop"))),
    ("Ofloxacin", (("200 mg", "ftab"), ("0,3%", "eyedrop"))),
    ("Metronidazol", (("250 mg", "tab"), ("500 mg/100 ml", "inf"), ("500 mg", "vaginal"))),
    ("Clindamycin", (("300 mg", "cap"), ("600 mg/4 ml", "inj_iv"))),
    ("Doxycyclin", (("100 mg", "cap"),)),
    ("Sulfamethoxazol + Trimethoprim", (("400 mg + 80 mg", "tab"), ("800 mg + 160 mg", "tab"))),
    ("Nitrofurantoin", (("100 mg", "cap"),)),
    ("Fosfomycin", (("3 g", "granule"),)),
    ("Linezolid", (("600 mg", "ftab"), ("600 mg/300 ml", "infbag"))),
    ("Colistin", (("1.000.000 IU", "powinj"),)),
    ("Tobramycin", (("0,3%", "eyedrop"),)),
    ("Tobramycin + Dexamethason", (("0,3% + 0,1%", "eyedrop"),)),
    # antivirals, antifungals, antiparasitics, TB
    ("Aciclovir", (("200 mg", "tab"), ("800 mg", "tab"), ("5%", "cream"), ("3%", "ointment"))),
    ("Oseltamivir", (("75 mg", "cap"),)),
    ("Tenofovir disoproxil fumarat", (("300 mg", "ftab"),)),
    ("Entecavir", (("0,5 mg", "ftab"),)),
    ("Fluconazol", (("150 mg", "cap"), ("200 mg/100 ml", "inf"))),
    ("Itraconazol", (("100 mg", "cap"),)),
    ("Clotrimazol", (("1%", "cream"), ("500 mg", "vaginal"))),
    ("Nystatin", (("100.000 IU", "vaginal"),)),
    ("Albendazol", (("400 mg", "tab"),)),
    ("Mebendazol", (("500 mg", "tab"),)),
    ("Isoniazid", (("300 mg", "tab"),)),
    ("Rifampicin + Isoniazid", (("150 mg + 75 mg", "tab"),)),
    ("Ethambutol", (("400 mg", "tab"),)),
    ("Pyrazinamid", (("500 mg", "tab"),)),
    # cardiovascular
    ("Amlodipin", (("5 mg", "tab"), ("10 mg", "tab"))),
    ("Nifedipin", (("20 mg", "srtab"), ("30 mg", "srtab"))),
    ("Losartan", (("50 mg", "ftab"), ("100 mg", "ftab"))),
    ("Losartan + Hydroclorothiazid", (("50 mg + 12,5 mg", "ftab"),)),
    ("Telmisartan", (("40 mg", "tab"), ("80 mg", "tab"))),
    ("Valsartan", (("80 mg", "ftab"), ("160 mg", "ftab"))),
    ("Irbesartan", (("150 mg", "tab"), ("300 mg", "tab"))),
    ("Enalapril", (("5 mg", "tab"), ("10 mg", "tab"))),
    ("Perindopril", (("5 mg", "tab"),)),
    ("Perindopril + Indapamid", (("5 mg + 1,25 mg", "tab"),)),
    ("Perindopril + Amlodipin", (("5 mg + 5 mg", "tab"), ("10 mg + 10 mg", "tab"))),
    ("Captopril", (("25 mg", "tab"),)),
    ("Bisoprolol", (("2,5 mg", "ftab"), ("5 mg", "ftab"))),
    ("Metoprolol", (("25 mg", "srtab"), ("50 mg", "srtab"))),
    ("Carvedilol", (("6,25 mg", "tab"), ("12,5 mg", "tab"))),
    ("Propranolol", (("40 mg", "tab"),)),
    ("Furosemid", (("40 mg", "tab"), ("20 mg/2 ml", "inj_iv"))),
    ("Spironolacton", (("25 mg", "ftab"),)),
    ("Hydroclorothiazid", (("25 mg", "tab"),)),
    ("Indapamid", (("1,5 mg", "srtab"),)),
    ("Atorvastatin", (("10 mg", "ftab"), ("20 mg", "ftab"), ("40 mg", "ftab"))),
    ("Rosuvastatin", (("10 mg", "ftab"), ("20 mg", "ftab"))),
    ("Simvastatin", (("20 mg", "ftab"),)),
    ("Fenofibrat", (("145 mg", "ftab"), ("200 mg", "cap"))),
    ("Ezetimib", (("10 mg", "tab"),)),
    ("Clopidogrel", (("75 mg", "ftab"),)),
    ("Ticagrelor", (("90 mg", "ftab"),)),
    ("Warfarin", (("1 mg", "tab"), ("5 mg", "tab"))),
    ("Rivaroxaban", (("15 mg", "ftab"), ("20 mg", "ftab"))),
    ("Apixaban", (("5 mg", "ftab"),)),
    ("Enoxaparin natri", (("40 mg/0,4 ml", "inj_sc"), ("60 mg/0,6 ml", "inj_sc"))),
    ("Heparin natri", (("25.000 IU/5 ml", "inj"),)),
    ("Nitroglycerin", (("2,6 mg", "srtab"), ("0,5 mg", "sublingual"))),
    ("Isosorbid mononitrat", (("60 mg", "srtab"),)),
    ("Trimetazidin", (("35 mg", "srtab"),)),
    ("Digoxin", (("0,25 mg", "tab"),)),
    ("Amiodaron", (("200 mg", "tab"), ("150 mg/3 ml", "inj_iv"))),
    ("Adrenalin", (("1 mg/ml", "inj"),)),
    ("Noradrenalin", (("4 mg/4 ml", "inj_iv"),)),
    ("Dobutamin", (("250 mg/20 ml", "inj_iv"),)),
    ("Atropin sulfat", (("0,25 mg/ml", "inj"),)),
    # diabetes and endocrine
    ("Metformin", (("500 mg", "ftab"), ("850 mg", "ftab"), ("1000 mg", "ftab"), ("750 mg", "srtab"))),
    ("Gliclazid", (("30 mg", "srtab"), ("60 mg", "srtab"), ("80 mg", "tab"))),
    ("Glimepirid", (("2 mg", "tab"), ("4 mg", "tab"))),
    ("Metformin + Glibenclamid", (("500 mg + 5 mg", "ftab"),)),
    ("Sitagliptin", (("50 mg", "ftab"), ("100 mg", "ftab"))),
    ("Sitagliptin + Metformin", (("50 mg + 500 mg", "ftab"), ("50 mg + 1000 mg", "ftab"))),
    ("Empagliflozin", (("10 mg", "ftab"), ("25 mg", "ftab"))),
    ("Dapagliflozin", (("10 mg", "ftab"),)),
    ("Acarbose", (("50 mg", "tab"),)),
    ("Insulin người tác dụng nhanh", (("100 IU/ml", "inj_sc"),)),
    ("Insulin người trộn, hỗn hợp (30/70)", (("100 IU/ml", "pen"),)),
    ("Insulin glargin", (("100 IU/ml", "pen"),)),
    ("Insulin aspart", (("100 IU/ml", "pen"),)),
    ("Levothyroxin", (("50 mcg", "tab"), ("100 mcg", "tab"))),
    ("Thiamazol", (("5 mg", "tab"),)),
    ("Methylprednisolon", (("4 mg", "tab"), ("16 mg", "tab"), ("40 mg", "powinj"))),
    ("Prednisolon", (("5 mg", "tab"),)),
    ("Dexamethason", (("4 mg/ml", "inj"), ("0,5 mg", "tab"))),
    ("Hydrocortison", (("100 mg", "powinj"), ("1%", "cream"))),
    # gastrointestinal
    ("Omeprazol", (("20 mg", "cap"), ("40 mg", "powinj"))),
    ("Esomeprazol", (("20 mg", "ectab"), ("40 mg", "ectab"), ("40 mg", "powinj"))),
    ("Pantoprazol", (("40 mg", "ectab"), ("40 mg", "powinj"))),
    ("Rabeprazol", (("20 mg", "ectab"),)),
    ("Famotidin", (("40 mg", "ftab"),)),
    ("Nhôm hydroxyd + Magnesi hydroxyd", (("400 mg + 400 mg", "sachet"),)),
    ("Sucralfat", (("1 g", "sachet"),)),
    ("Domperidon", (("10 mg", "tab"),)),
    ("Metoclopramid", (("10 mg", "tab"), ("10 mg/2 ml", "inj"))),
    ("Ondansetron", (("8 mg", "ftab"), ("8 mg/4 ml", "inj_iv"))),
    ("Drotaverin", (("40 mg", "tab"), ("40 mg/2 ml", "inj"))),
    ("Hyoscin butylbromid", (("10 mg", "tab"), ("20 mg/ml", "inj"))),
    ("Loperamid", (("2 mg", "cap"),)),
    (
        "Oresol (Natri clorid + Kali clorid + Natri citrat + Glucose khan)",
        (("0,52 g + 0,3 g + 0,58 g + 2,7 g", "sachet"),),
    ),
    ("Lactulose", (("10 g/15 ml", "oralsol"),)),
    ("Bisacodyl", (("5 mg", "ectab"),)),
    ("Ursodeoxycholic acid", (("300 mg", "tab"),)),
    ("Kẽm gluconat", (("70 mg", "tab"),)),
    # respiratory and allergy
    ("Salbutamol", (("2 mg", "tab"), ("100 mcg/liều", "inhaler"), ("2,5 mg/2,5 ml", "neb"))),
    ("Budesonid", (("0,5 mg/2 ml", "neb"), ("64 mcg/liều", "nasal"))),
    ("Budesonid + Formoterol", (("160 mcg + 4,5 mcg", "inhaler"),)),
    ("Salmeterol + Fluticason propionat", (("25 mcg + 250 mcg", "inhaler"),)),
    ("Ipratropium bromid + Salbutamol", (("0,5 mg + 2,5 mg", "neb"),)),
    ("Montelukast", (("10 mg", "ftab"), ("4 mg", "granule"))),
    ("Theophylin", (("100 mg", "srtab"),)),
    ("Acetylcystein", (("200 mg", "sachet"), ("200 mg", "cap"))),
    ("Ambroxol", (("30 mg", "tab"), ("15 mg/5 ml", "syrup"))),
    ("Bromhexin", (("8 mg", "tab"),)),
    ("Dextromethorphan", (("15 mg", "tab"),)),
    ("Cetirizin", (("10 mg", "ftab"),)),
    ("Loratadin", (("10 mg", "tab"),)),
    ("Desloratadin", (("5 mg", "ftab"), ("2,5 mg/5 ml", "syrup"))),
    ("Fexofenadin", (("60 mg", "ftab"), ("180 mg", "ftab"))),
    ("Chlorpheniramin", (("4 mg", "tab"),)),
    ("Fluticason propionat", (("50 mcg/liều", "nasal"),)),
    # nervous system and psychiatry
    ("Diazepam", (("5 mg", "tab"), ("10 mg/2 ml", "inj"))),
    ("Midazolam", (("5 mg/ml", "inj_iv"),)),
    ("Phenobarbital", (("100 mg", "tab"),)),
    ("Acid valproic", (("200 mg", "ectab"), ("500 mg", "srtab"))),
    ("Carbamazepin", (("200 mg", "tab"),)),
    ("Levetiracetam", (("500 mg", "ftab"),)),
    ("Gabapentin", (("300 mg", "cap"),)),
    ("Pregabalin", (("75 mg", "cap"),)),
    ("Amitriptylin", (("25 mg", "ftab"),)),
    ("Sertralin", (("50 mg", "ftab"),)),
    ("Olanzapin", (("10 mg", "ftab"),)),
    ("Haloperidol", (("1,5 mg", "tab"), ("5 mg/ml", "inj_im"))),
    ("Piracetam", (("800 mg", "ftab"), ("1 g/5 ml", "inj_iv"))),
    ("Citicolin", (("500 mg/4 ml", "inj_iv"),)),
    ("Betahistin", (("16 mg", "tab"), ("24 mg", "tab"))),
    ("Vinpocetin", (("5 mg", "tab"),)),
    ("Eperison", (("50 mg", "ftab"),)),
    ("Lidocain", (("2%/2 ml", "inj"), ("10%", "solution"))),
    ("Bupivacain", (("0,5%/4 ml", "inj"),)),
    ("Propofol", (("1%/20 ml", "inj_iv"),)),
    # blood, fluids, electrolytes, vitamins
    ("Natri clorid", (("0,9%/500 ml", "inf"), ("0,9%/100 ml", "inf"), ("0,9%/10 ml", "eyedrop"))),
    ("Glucose", (("5%/500 ml", "inf"), ("10%/500 ml", "inf"), ("30%/5 ml", "inj_iv"))),
    ("Ringer lactat", (("500 ml", "inf"),)),
    ("Kali clorid", (("500 mg", "srtab"), ("10%/5 ml", "inj_iv"))),
    ("Magnesi sulfat", (("15%/10 ml", "inj_iv"),)),
    ("Calci clorid", (("500 mg/5 ml", "inj_iv"),)),
    ("Natri hydrocarbonat", (("4,2%/250 ml", "inf"),)),
    ("Albumin người", (("20%/50 ml", "infbag"),)),
    ("Acid amin", (("10%/500 ml", "infbag"),)),
    ("Sắt (II) sulfat + Acid folic", (("60 mg + 0,4 mg", "tab"),)),
    ("Acid folic", (("5 mg", "tab"),)),
    ("Vitamin B1 + B6 + B12", (("100 mg + 200 mg + 200 mcg", "ftab"),)),
    ("Vitamin K1", (("10 mg/ml", "inj_im"), ("1 mg/0,5 ml", "inj_im"))),
    ("Vitamin C", (("500 mg", "tab"), ("500 mg/5 ml", "inj_iv"))),
    ("Calci carbonat + Vitamin D3", (("1250 mg + 125 IU", "ftab"),)),
    ("Tranexamic acid", (("500 mg", "cap"), ("250 mg/5 ml", "inj_iv"))),
    # obstetrics, urology
    ("Oxytocin", (("5 IU/ml", "inj"),)),
    ("Misoprostol", (("200 mcg", "tab"),)),
    ("Progesteron", (("200 mg", "cap"),)),
    ("Tamsulosin", (("0,4 mg", "srtab"),)),
    ("Alfuzosin", (("10 mg", "srtab"),)),
    # eye, skin, antiseptics
    ("Natri hyaluronat", (("0,1%", "eyedrop"),)),
    ("Povidon iod", (("10%", "solution"),)),
    ("Fusidic acid", (("2%", "cream"),)),
    ("Betamethason", (("0,05%", "cream"),)),
    # antidotes and emergency
    ("Naloxon", (("0,4 mg/ml", "inj"),)),
    ("Glucagon", (("1 mg", "powinj"),)),
    ("Than hoạt", (("25 g", "sachet"),)),
)

# ---------------------------------------------------------------- supplies

# (name, sizes, unit, price range in VND)
_SUPPLIES: tuple[tuple[str, tuple[str, ...], str, tuple[int, int]], ...] = (
    ("Bơm tiêm nhựa dùng một lần", ("1 ml", "3 ml", "5 ml", "10 ml", "20 ml", "50 ml"), "Cái", (700, 6000)),
    ("Kim luồn tĩnh mạch", ("18G", "20G", "22G", "24G"), "Cái", (6000, 15000)),
    ("Kim tiêm dùng một lần", ("23G", "25G"), "Cái", (200, 500)),
    ("Dây truyền dịch", ("",), "Bộ", (4000, 8000)),
    ("Găng tay khám", ("cỡ S", "cỡ M", "cỡ L"), "Đôi", (1500, 3000)),
    ("Găng tay phẫu thuật tiệt trùng", ("số 6,5", "số 7", "số 7,5"), "Đôi", (6000, 12000)),
    ("Gạc vô trùng", ("5 cm x 6,5 cm x 12 lớp", "10 cm x 10 cm x 8 lớp"), "Miếng", (500, 2500)),
    ("Bông y tế thấm nước", ("1 kg",), "Gói", (120000, 180000)),
    ("Băng cuộn y tế", ("5 cm x 2,5 m", "10 cm x 5 m"), "Cuộn", (1500, 6000)),
    ("Băng dính lụa", ("2,5 cm x 5 m",), "Cuộn", (8000, 15000)),
    ("Ống thông tiểu Foley 2 nhánh", ("12Fr", "14Fr", "16Fr", "18Fr"), "Cái", (12000, 25000)),
    ("Túi đựng nước tiểu", ("2000 ml",), "Cái", (5000, 10000)),
    ("Ống thông dạ dày", ("14Fr", "16Fr"), "Cái", (5000, 10000)),
    ("Ống nội khí quản có bóng", ("6,5", "7,0", "7,5"), "Cái", (20000, 45000)),
    ("Mặt nạ thở oxy có túi", ("người lớn", "trẻ em"), "Cái", (18000, 35000)),
    ("Dây thở oxy 2 nhánh", ("người lớn",), "Cái", (6000, 12000)),
    ("Catheter tĩnh mạch trung tâm 3 nòng", ("7Fr",), "Bộ", (900000, 1500000)),
    ("Điện cực tim dán", ("",), "Cái", (1500, 4000)),
    ("Que thử đường huyết", ("",), "Que", (6000, 10000)),
    ("Lưỡi dao mổ", ("số 11", "số 15", "số 20"), "Cái", (1500, 4000)),
    ("Chỉ khâu không tiêu tổng hợp", ("3/0", "4/0"), "Sợi", (15000, 35000)),
    ("Chỉ khâu tự tiêu tổng hợp", ("2/0", "3/0"), "Sợi", (45000, 90000)),
    ("Khẩu trang y tế 3 lớp", ("",), "Cái", (500, 1200)),
    ("Mũ phẫu thuật", ("",), "Cái", (800, 2000)),
    ("Nẹp vít khóa xương cẳng chân", ("",), "Bộ", (4500000, 9000000)),
)


def _rows_to_csv(kind: str, rows: Iterable[tuple[str, dict[str, Any]]]) -> bytes:
    spec = SPECS[kind]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(spec.column_names)
    for code, content in rows:
        writer.writerow(
            [code if column.target == "code" else _cell(content.get(column.name)) for column in spec.columns]
        )
    return buffer.getvalue().encode("utf-8")


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _price(rng: random.Random, low: int, high: int, step: int = 100) -> int:
    return max(step, round(rng.randint(low, high) / step) * step)


def demo_departments() -> list[tuple[str, dict[str, Any]]]:
    return [(code, {"name": name, "bhyt_code": bhyt_code}) for code, name, bhyt_code in DEPARTMENTS]


def demo_clinic_rooms() -> list[tuple[str, dict[str, Any]]]:
    return [(code, {"name": name, "department_code": department}) for code, name, department in CLINIC_ROOMS]


def demo_staff(rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    rows: list[tuple[str, dict[str, Any]]] = []
    certificate = 1200
    for index, (_username, full_name, roles) in enumerate(demo_users(), start=1):
        title, _, name = full_name.partition(" ")
        if title not in _USER_TITLES:
            title, name = "", full_name
        role = roles[0]
        clinical = role in ("doctor", "nurse", "pharmacist", "lab_technician", "radiologist")
        certificate += 37
        rows.append(
            (
                f"NV{index:04d}",
                {
                    "name": name,
                    "title": _USER_TITLES.get(title),
                    "department_code": _USER_DEPARTMENTS.get(role),
                    "practising_certificate_no": f"{certificate:06d}/BYT-CCHN" if clinical else None,
                    "role": role,
                },
            )
        )
    number = len(rows)
    for role, title, count, departments in _STAFFING:
        for position in range(count):
            number += 1
            female = rng.random() < 0.6
            name = " ".join(
                (
                    rng.choice(_FAMILY),
                    rng.choice(_MIDDLE_F if female else _MIDDLE_M),
                    rng.choice(_GIVEN_F if female else _GIVEN_M),
                )
            )
            clinical = role in ("doctor", "nurse", "pharmacist", "lab_technician", "radiologist")
            certificate += rng.randint(11, 97)
            rows.append(
                (
                    f"NV{number:04d}",
                    {
                        "name": name,
                        "title": title,
                        "department_code": departments[position % len(departments)],
                        "practising_certificate_no": f"{certificate:06d}/{rng.choice(_PROVINCES)}-CCHN"
                        if clinical
                        else None,
                        "role": role,
                    },
                )
            )
    return rows


def demo_services(rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    rows: list[tuple[str, dict[str, Any]]] = []
    for group_number, (group, unit, (low, high), covered, names) in enumerate(_SERVICES, start=1):
        for position, name in enumerate(names, start=1):
            bhyt = _price(rng, low * 1000, high * 1000) if covered else None
            hospital = (
                bhyt + _price(rng, 0, max(bhyt // 5, 100)) if bhyt is not None else _price(rng, low * 1000, high * 1000)
            )
            rows.append(
                (
                    f"DV{group_number:02d}{position:03d}",
                    {
                        "name": name,
                        "group": group,
                        "unit": unit,
                        "hospital_price": hospital,
                        "bhyt_price": bhyt,
                        # Invented, in the shape of the national technical-service codes.
                        "bhyt_code": f"{group_number:02d}.{position:04d}.{rng.randint(1, 2999):04d}"
                        if covered
                        else None,
                    },
                )
            )
    return rows


def demo_drugs(rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    rows: list[tuple[str, dict[str, Any]]] = []
    names: set[str] = set()
    number = 0
    for substances, presentations in _DRUGS:
        for strengths, form_key in presentations:
            number += 1
            form, route, unit, (low, high) = _FORMS[form_key]
            name = f"{substances} {strengths}"
            if name in names:  # the same strength in another form: "Paracetamol 500 mg (viên sủi)"
                name = f"{name} ({form.lower()})"
            names.add(name)
            rows.append(
                (
                    f"T{number:04d}",
                    {
                        "name": name,
                        "substances": substances,
                        "strengths": strengths,
                        "form": form,
                        "route": route,
                        "unit": unit,
                        # Invented, in the shape of a national list's section number.
                        "bhyt_code": f"40.{number}",
                        "price": _price(rng, low, high, 10 if high < 10000 else 100),
                        # Invented, in the shapes of a registration number and a provincial tender result.
                        "registration_number": f"VD-{10000 + number * 37 % 90000}-{rng.randint(18, 25)}",
                        "tender": f"{1200 + number % 7}/QĐ-SYT;G1;N{1 + number % 5};2025",
                    },
                )
            )
    return rows


def demo_supplies(rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    rows: list[tuple[str, dict[str, Any]]] = []
    number = 0
    for name, sizes, unit, (low, high) in _SUPPLIES:
        for size in sizes:
            number += 1
            rows.append(
                (
                    f"VT{number:04d}",
                    {
                        "name": f"{name} {size}".strip(),
                        "unit": unit,
                        "price": _price(rng, low, high),
                        "bhyt_code": f"N03.{number:02d}.{rng.randint(10, 990):03d}",  # invented
                    },
                )
            )
    return rows


def demo_files() -> list[tuple[str, bytes]]:
    """(kind, CSV in the import format) for every catalog but ICD-10, referenced kinds first."""
    rng = random.Random("his-catalogs-demo")
    return [
        ("departments", _rows_to_csv("departments", demo_departments())),
        ("clinic-rooms", _rows_to_csv("clinic-rooms", demo_clinic_rooms())),
        ("staff", _rows_to_csv("staff", demo_staff(rng))),
        ("services", _rows_to_csv("services", demo_services(rng))),
        ("drugs", _rows_to_csv("drugs", demo_drugs(rng))),
        ("supplies", _rows_to_csv("supplies", demo_supplies(rng))),
    ]


async def seed_catalogs(
    kernel: Kernel, rng: random.Random | None = None, *, kinds: Sequence[str] | None = None
) -> dict[str, service.ImportReport]:
    """Imports the demo catalogs and the packaged ICD-10 list, effective 2025-01-01, by the normal import."""
    reports: dict[str, service.ImportReport] = {}
    files: list[tuple[str, bytes | Any]] = [("icd10", packaged_icd10_path()), *demo_files()]
    for kind, source in files:
        if kinds is not None and kind not in kinds:
            continue
        async with kernel.db.transaction() as session:
            reports[kind] = await service.import_catalog(
                kernel, session, _ACTOR, kind=kind, source=source, effective=DEMO_EFFECTIVE
            )
    return reports
