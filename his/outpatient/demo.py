"""The demo hospital's examinations: every past demo visit still waiting is examined, diagnosed and closed.

For each visit the reception demo registered on an earlier day (his.reception.demo), the doctor of the room calls
the patients in ticket order, records plausible vital signs, a main ICD-10 diagnosis from a short list of common
outpatient conditions of the room's specialty that fits the patient's sex and age (sometimes with a secondary
one), usually writes a prescription of 1-4 demo drugs with usual adult or children's doses, and sends the patient
home, some with a follow-up appointment (chronic diseases always). Patients with a chronic disease keep it from one
visit to the next. Everything goes through this module's service with a clock set to the moment of each step, so
the records, the audit trail and the national prescription codes are what a real day would leave behind.

Deterministic for one random source and one day. Not medical advice: doses are the usual textbook ones, checked
by no one, and only good enough to make the demo look like an outpatient department.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from his.catalogs import api as catalogs
from his.catalogs.schemas import ClinicRoomEntry, DrugEntry
from his.kernel.audit.service import AuditActor
from his.kernel.auth.service import get_user
from his.kernel.clock import Clock, FixedClock, local_date
from his.kernel.errors import DomainError, InvalidInput
from his.kernel.runtime import Kernel
from his.outpatient import rules, service
from his.outpatient.checks import PrescriptionChecks
from his.outpatient.plugin import checks_of
from his.outpatient.schemas import DiagnosisIn, DispositionIn, ExamIn, LineIn, PrescriptionIn
from his.outpatient.service import Doctor, PrescriptionBlocked
from his.patients import api as patients
from his.patients.schemas import PatientOut
from his.reception import api as reception
from his.reception.schemas import VisitOut

HISTORY_DAYS = 31  # the reception demo registers visits over the 30 days before today
DOCTOR_USERNAME = "bacsi"  # the demo doctor (his.kernel.demo): every demo examination is signed by this account
PRESCRIBE_SHARE = 0.85  # of the examinations whose condition is treated with drugs
FOLLOW_UP_SHARE = 0.15  # of the acute conditions


@dataclass(frozen=True, slots=True)
class Rx:
    """One prescription line, by the drug's name in the demo catalog."""

    drug: str
    dose: str  # per time, in the drug's dispensing unit
    times: int
    days: int
    instructions: str = ""


@dataclass(frozen=True, slots=True)
class Condition:
    code: str  # ICD-10
    complaint: str
    findings: str
    lines: tuple[Rx, ...] = ()  # adults and children from 12; the first line always, then some of the others
    child_lines: tuple[Rx, ...] = ()  # under 12 (sachets: no syrups measured in bottles)
    sex: str | None = None
    min_age: int = 0
    max_age: int = 120
    fever: bool = False
    chronic: bool = False  # a follow-up every month, a month of drugs
    high_pressure: bool = False
    secondary: tuple[str, ...] = ()  # sometimes one of these as well


_PARA = Rx("Paracetamol 500 mg", "1", 3, 3, "khi sốt trên 38,5 độ hoặc đau, cách nhau ít nhất 4 giờ")
_PARA_CHILD = Rx("Paracetamol 250 mg", "1", 3, 3, "khi sốt trên 38,5 độ, pha với nước")
_CETIRIZIN = Rx("Cetirizin 10 mg", "1", 1, 5, "uống buổi tối")
_AMOX = Rx("Amoxicilin 500 mg", "1", 3, 7, "sau ăn")
_AMOX_CHILD = Rx("Amoxicilin 250 mg", "1", 3, 7, "sau ăn, pha với nước")
_AUGMENTIN = Rx("Amoxicilin + Acid clavulanic 500 mg + 125 mg", "1", 2, 7, "đầu bữa ăn")
_ACETYLCYSTEIN = Rx("Acetylcystein 200 mg", "1", 3, 5, "pha với nước, sau ăn")
_ORESOL = Rx(
    "Oresol (Natri clorid + Kali clorid + Natri citrat + Glucose khan) 0,52 g + 0,3 g + 0,58 g + 2,7 g",
    "1",
    3,
    3,
    "pha mỗi gói với 200 ml nước đun sôi để nguội, uống từng ngụm sau mỗi lần đi ngoài",
)
_OMEPRAZOL = Rx("Omeprazol 20 mg", "1", 2, 14, "trước ăn 30 phút")
_ANTACID = Rx("Nhôm hydroxyd + Magnesi hydroxyd 400 mg + 400 mg", "1", 3, 14, "sau ăn 1 giờ hoặc khi đau")
_MELOXICAM = Rx("Meloxicam 7,5 mg", "1", 1, 7, "sau ăn no")
_EPERISON = Rx("Eperison 50 mg", "1", 3, 7, "sau ăn")
_VITAMIN_B = Rx("Vitamin B1 + B6 + B12 100 mg + 200 mg + 200 mcg", "1", 2, 14, "sau ăn")

# Common outpatient conditions by specialty (room code prefix). First match wins when several fit the patient.
CONDITIONS: dict[str, tuple[Condition, ...]] = {
    "PK-NOI": (
        Condition(
            "J06.9",
            "Sốt, ho, sổ mũi 3 ngày",
            "Họng đỏ, phổi không ran",
            (_PARA, _CETIRIZIN, _ACETYLCYSTEIN),
            fever=True,
        ),
        Condition(
            "J20.9",
            "Ho khạc đờm 5 ngày, sốt nhẹ",
            "Phổi ran ngáy rải rác hai bên",
            (_AUGMENTIN, _ACETYLCYSTEIN, _PARA),
            fever=True,
            min_age=12,
        ),
        Condition("J02.9", "Đau họng, nuốt vướng 2 ngày", "Họng đỏ, amidan không to", (_AMOX, _PARA), fever=True),
        Condition(
            "I10",
            "Tái khám tăng huyết áp, thỉnh thoảng đau đầu",
            "Tim đều, không phù",
            (
                Rx("Amlodipin 5 mg", "1", 1, 30, "uống buổi sáng"),
                Rx("Losartan 50 mg", "1", 1, 30, "uống buổi sáng"),
                Rx("Atorvastatin 20 mg", "1", 1, 30, "uống buổi tối"),
            ),
            min_age=35,
            chronic=True,
            high_pressure=True,
            secondary=("E78.5", "E11.9"),
        ),
        Condition(
            "E11.9",
            "Tái khám đái tháo đường, khát nhiều",
            "Không phù, bàn chân không tổn thương",
            (
                Rx("Metformin 850 mg", "1", 2, 30, "trong hoặc sau bữa ăn"),
                Rx("Gliclazid 30 mg", "1", 1, 30, "trước bữa ăn sáng"),
                Rx("Atorvastatin 20 mg", "1", 1, 30, "uống buổi tối"),
            ),
            min_age=35,
            chronic=True,
            secondary=("I10", "E78.5"),
        ),
        Condition(
            "E78.5",
            "Xét nghiệm mỡ máu cao, khám định kỳ",
            "Tim phổi bình thường",
            (Rx("Atorvastatin 20 mg", "1", 1, 30, "uống buổi tối"),),
            min_age=30,
            chronic=True,
        ),
        Condition(
            "K29.7",
            "Đau thượng vị, ợ chua 2 tuần",
            "Bụng mềm, ấn đau nhẹ thượng vị",
            (_OMEPRAZOL, _ANTACID, Rx("Domperidon 10 mg", "1", 3, 7, "trước ăn 15-30 phút")),
            min_age=12,
        ),
        Condition(
            "K21.9",
            "Ợ nóng, nóng rát sau xương ức",
            "Bụng mềm, không điểm đau khu trú",
            (Rx("Esomeprazol 20 mg", "1", 1, 28, "trước ăn sáng 30 phút"), _ANTACID),
            min_age=16,
        ),
        Condition(
            "A09",
            "Đi ngoài phân lỏng 5 lần/ngày, đau bụng",
            "Bụng mềm, nhu động ruột tăng, không mất nước",
            (_ORESOL, Rx("Loperamid 2 mg", "1", 2, 2, "khi đi ngoài phân lỏng, tối đa 4 viên/ngày")),
            (_ORESOL, Rx("Kẽm gluconat 70 mg", "1", 1, 10, "sau ăn")),
            fever=True,
        ),
        Condition(
            "N39.0",
            "Tiểu buốt, tiểu rắt 3 ngày",
            "Ấn đau nhẹ hạ vị, chạm thận âm tính",
            (Rx("Ciprofloxacin 500 mg", "1", 2, 7, "uống nhiều nước"), _PARA),
            sex="F",
            min_age=18,
        ),
        Condition(
            "M54.5",
            "Đau thắt lưng sau mang vác nặng",
            "Co cứng cơ cạnh sống thắt lưng, Lasègue âm tính",
            (_MELOXICAM, _EPERISON, _VITAMIN_B),
            min_age=18,
        ),
        Condition("G44.2", "Đau đầu vùng chẩm, mất ngủ", "Thần kinh khu trú âm tính", (_PARA, _VITAMIN_B), min_age=16),
        Condition(
            "H81.1",
            "Chóng mặt khi thay đổi tư thế",
            "Nghiệm pháp Dix-Hallpike dương tính",
            (Rx("Betahistin 16 mg", "1", 3, 10, "sau ăn"),),
            min_age=30,
        ),
    ),
    "PK-NHI": (
        Condition(
            "J06.9",
            "Sốt, ho, chảy mũi 2 ngày",
            "Họng đỏ, phổi không ran",
            (_PARA, _CETIRIZIN),
            (_PARA_CHILD, _ACETYLCYSTEIN),
            fever=True,
        ),
        Condition("J02.9", "Sốt, đau họng, bỏ ăn", "Họng đỏ", (_AMOX, _PARA), (_AMOX_CHILD, _PARA_CHILD), fever=True),
        Condition(
            "J03.9",
            "Sốt cao, đau họng",
            "Amidan sưng đỏ, có mủ",
            (_AMOX, _PARA),
            (_AMOX_CHILD, _PARA_CHILD),
            fever=True,
        ),
        Condition(
            "J20.9",
            "Ho nhiều về đêm, sốt nhẹ",
            "Phổi ran ngáy",
            (_AUGMENTIN, _ACETYLCYSTEIN),
            (Rx("Amoxicilin + Acid clavulanic 250 mg + 31,25 mg", "1", 2, 7, "sau ăn"), _ACETYLCYSTEIN),
            fever=True,
        ),
        Condition(
            "A09",
            "Tiêu chảy, nôn 1 ngày",
            "Không dấu mất nước",
            (_ORESOL,),
            (_ORESOL, Rx("Kẽm gluconat 70 mg", "1", 1, 10, "sau ăn")),
            fever=True,
        ),
        Condition(
            "H66.9", "Đau tai, sốt", "Màng nhĩ đỏ, phồng", (_AMOX, _PARA), (_AMOX_CHILD, _PARA_CHILD), fever=True
        ),
        Condition(
            "K59.0",
            "Táo bón 1 tuần",
            "Bụng chướng nhẹ, không khối",
            (),
            (Rx("Lactulose 10 g/15 ml", "1", 1, 7, "buổi sáng"),),
        ),
    ),
    "PK-SAN": (
        Condition(
            "O21.0",
            "Thai 9 tuần, nôn nhiều buổi sáng",
            "Thể trạng tốt, không mất nước",
            (
                Rx("Sắt (II) sulfat + Acid folic 60 mg + 0,4 mg", "1", 1, 30, "uống sau ăn sáng"),
                Rx("Calci carbonat + Vitamin D3 1250 mg + 125 IU", "1", 1, 30, "sau ăn trưa"),
            ),
            sex="F",
            min_age=18,
            max_age=45,
            secondary=("Z34.9",),
        ),
        Condition(
            "N76.0",
            "Ra khí hư nhiều, ngứa",
            "Âm đạo viêm đỏ, khí hư trắng",
            (Rx("Clotrimazol 500 mg", "1", 1, 1, "đặt âm đạo buổi tối"),),
            sex="F",
            min_age=18,
        ),
    ),
    "PK-PK": (
        Condition(
            "N76.0",
            "Ra khí hư, ngứa rát",
            "Niêm mạc âm đạo đỏ",
            (Rx("Metronidazol 500 mg", "1", 1, 7, "đặt âm đạo buổi tối"),),
            sex="F",
            min_age=16,
        ),
        Condition(
            "N39.0",
            "Tiểu buốt, tiểu rắt",
            "Ấn đau hạ vị",
            (Rx("Nitrofurantoin 100 mg", "1", 2, 5, "sau ăn"),),
            sex="F",
            min_age=16,
        ),
        Condition(
            "N95.1",
            "Bốc hỏa, mất ngủ, kinh nguyệt thưa",
            "Khám phụ khoa bình thường",
            (Rx("Calci carbonat + Vitamin D3 1250 mg + 125 IU", "1", 1, 30, "sau ăn trưa"),),
            sex="F",
            min_age=45,
        ),
    ),
    "PK-NGOAI": (
        Condition("S60.8", "Xây xát cổ tay do ngã xe", "Vết trầy nông 3 cm, không chảy máu", (_PARA,), (_PARA_CHILD,)),
        Condition(
            "S93.4",
            "Đau, sưng cổ chân sau trẹo chân",
            "Sưng nề mắt cá ngoài, vận động hạn chế",
            (_MELOXICAM, _PARA),
            (_PARA_CHILD,),
            min_age=6,
        ),
        Condition(
            "K80.2",
            "Đau hạ sườn phải sau ăn nhiều mỡ",
            "Murphy âm tính, siêu âm có sỏi túi mật",
            (Rx("Drotaverin 40 mg", "1", 3, 5, "khi đau"),),
            min_age=30,
        ),
        Condition("M79.1", "Đau mỏi cơ vai gáy", "Co cứng cơ thang hai bên", (_EPERISON, _PARA), min_age=16),
    ),
    "PK-CTCH": (
        Condition(
            "M17.9",
            "Đau khối gối hai bên khi đi lại",
            "Lạo xạo khớp gối, không tràn dịch",
            (_MELOXICAM, Rx("Calci carbonat + Vitamin D3 1250 mg + 125 IU", "1", 1, 30, "sau ăn trưa")),
            min_age=45,
            chronic=True,
        ),
        Condition(
            "M54.5",
            "Đau thắt lưng lan xuống mông",
            "Co cứng cơ cạnh sống",
            (_MELOXICAM, _EPERISON, _VITAMIN_B),
            min_age=18,
        ),
        Condition(
            "S93.4",
            "Trẹo cổ chân khi chơi thể thao",
            "Sưng đau dây chằng bên ngoài",
            (_PARA, _MELOXICAM),
            (_PARA_CHILD,),
            min_age=6,
        ),
        Condition("M25.5", "Đau khớp vai phải", "Hạn chế dạng vai", (_MELOXICAM,), min_age=18),
    ),
    "PK-TIM": (
        Condition(
            "I10",
            "Tái khám tăng huyết áp",
            "Tim đều, không phù",
            (
                Rx("Amlodipin 5 mg", "1", 1, 30, "uống buổi sáng"),
                Rx("Perindopril 5 mg", "1", 1, 30, "uống buổi sáng"),
                Rx("Atorvastatin 20 mg", "1", 1, 30, "uống buổi tối"),
            ),
            min_age=35,
            chronic=True,
            high_pressure=True,
            secondary=("E78.5", "E11.9"),
        ),
        Condition(
            "I25.1",
            "Đau ngực khi gắng sức, tái khám",
            "Tim đều, không tiếng thổi",
            (
                Rx("Acid acetylsalicylic 81 mg", "1", 1, 30, "sau ăn sáng"),
                Rx("Atorvastatin 40 mg", "1", 1, 30, "uống buổi tối"),
                Rx("Bisoprolol 2,5 mg", "1", 1, 30, "uống buổi sáng"),
                Rx("Trimetazidin 35 mg", "1", 2, 30, "sau ăn"),
            ),
            min_age=45,
            chronic=True,
            high_pressure=True,
            secondary=("I10",),
        ),
        Condition(
            "E78.5",
            "Mỡ máu cao, tái khám",
            "Tim phổi bình thường",
            (Rx("Atorvastatin 20 mg", "1", 1, 30, "uống buổi tối"),),
            min_age=30,
            chronic=True,
        ),
    ),
    "PK-TMH": (
        Condition(
            "J02.9", "Đau rát họng", "Họng đỏ, xuất tiết", (_AMOX, _PARA), (_AMOX_CHILD, _PARA_CHILD), fever=True
        ),
        Condition(
            "J03.9",
            "Sốt, đau họng, nuốt đau",
            "Amidan sưng to, có chấm mủ",
            (_AUGMENTIN, _PARA),
            (_AMOX_CHILD, _PARA_CHILD),
            fever=True,
        ),
        Condition(
            "J01.9",
            "Nghẹt mũi, chảy mũi vàng, đau nhức vùng má",
            "Niêm mạc mũi phù nề, dịch mủ khe giữa",
            (Rx("Cefuroxim 500 mg", "1", 2, 7, "sau ăn"), _ACETYLCYSTEIN, _CETIRIZIN),
            min_age=12,
        ),
        Condition(
            "J30.4",
            "Hắt hơi, ngứa mũi buổi sáng",
            "Niêm mạc mũi nhợt, phù nề",
            (Rx("Loratadin 10 mg", "1", 1, 14, "uống buổi sáng"),),
            min_age=6,
        ),
        Condition("H66.9", "Đau tai trái, nghe kém", "Màng nhĩ sung huyết", (_AMOX, _PARA), (_AMOX_CHILD, _PARA_CHILD)),
    ),
    "PK-RHM": (
        Condition("K02.9", "Đau răng hàm dưới khi ăn", "Lỗ sâu mặt nhai răng 36", (_PARA,), (_PARA_CHILD,), min_age=3),
        Condition(
            "K05.1",
            "Chảy máu chân răng khi đánh răng",
            "Lợi viêm đỏ, cao răng nhiều",
            (_AMOX, Rx("Metronidazol 250 mg", "2", 2, 5, "sau ăn")),
            min_age=16,
        ),
    ),
    "PK-MAT": (
        Condition("H10.9", "Đỏ mắt, cộm, nhiều ghèn", "Kết mạc cương tụ", ()),
        Condition("H52.1", "Nhìn xa mờ", "Thị lực không kính giảm, có kính 10/10", ()),
    ),
    "PK-DL": (
        Condition("L30.9", "Ngứa, nổi mẩn đỏ ở cẳng tay", "Dát đỏ, vảy da", (_CETIRIZIN,), min_age=6),
        Condition(
            "L20.9",
            "Ngứa từng đợt, da khô",
            "Da khô, liken hóa vùng khuỷu",
            (Rx("Loratadin 10 mg", "1", 1, 14, "uống buổi tối"),),
            min_age=6,
        ),
        Condition(
            "B35.4",
            "Mảng ngứa hình tròn ở thân mình",
            "Mảng đỏ bờ rõ, có vảy",
            (Rx("Itraconazol 100 mg", "2", 1, 7, "ngay sau ăn"),),
            min_age=18,
        ),
        Condition(
            "L23.9",
            "Ngứa, đỏ da sau tiếp xúc hóa chất",
            "Dát đỏ, mụn nước nhỏ vùng tiếp xúc",
            (_CETIRIZIN,),
            min_age=12,
        ),
    ),
    "PK-YHCT": (
        Condition("M54.5", "Đau lưng mỏi gối", "Co cứng cơ thắt lưng", (_EPERISON, _VITAMIN_B), min_age=30),
        Condition("M17.9", "Đau gối, khó ngồi xổm", "Lạo xạo khớp gối", (_MELOXICAM,), min_age=45, chronic=True),
        Condition("G44.2", "Đau đầu, mất ngủ", "Thần kinh khu trú âm tính", (_VITAMIN_B,), min_age=16),
    ),
    "PK-CC": (
        Condition("S60.8", "Ngã xe, xây xát bàn tay", "Vết trầy nông, không gãy xương", (_PARA,), (_PARA_CHILD,)),
        Condition("A09", "Nôn, tiêu chảy nhiều lần từ tối qua", "Mất nước nhẹ", (_ORESOL,), (_ORESOL,), fever=True),
        Condition("J06.9", "Sốt cao 39 độ", "Họng đỏ, phổi không ran", (_PARA,), (_PARA_CHILD,), fever=True),
        Condition(
            "K29.7",
            "Đau thượng vị dữ dội sau uống rượu",
            "Ấn đau thượng vị, không phản ứng phúc mạc",
            (_OMEPRAZOL, _ANTACID),
            min_age=16,
        ),
        Condition(
            "R42",
            "Chóng mặt, buồn nôn",
            "Huyết áp bình thường, thần kinh khu trú âm tính",
            (Rx("Betahistin 16 mg", "1", 3, 5, "sau ăn"),),
            min_age=16,
        ),
    ),
}
FALLBACK = Condition("J06.9", "Sốt, ho", "Họng đỏ", (_PARA,), (_PARA_CHILD,), fever=True)
CHRONIC_ROOMS = ("PK-NOI", "PK-TIM")


@dataclass(slots=True)
class _Context:
    kernel: Kernel
    rng: random.Random
    actor: AuditActor
    doctor: Doctor
    checks: PrescriptionChecks
    drugs: dict[str, str]  # catalog name -> code
    chronic: dict[int, Condition]  # patient id -> the chronic disease found at an earlier visit
    patients: dict[int, PatientOut]
    refused: int = 0  # prescriptions refused by decision support or a rule: none expected


def _specialty(room_code: str) -> str:
    for prefix in sorted(CONDITIONS, key=len, reverse=True):
        if room_code == prefix or (room_code.startswith(prefix) and room_code[len(prefix) :].isdigit()):
            return prefix
    return "PK-NOI"


def _age(patient: PatientOut, day: date) -> int:
    if patient.birth_date is None:
        return day.year - patient.birth_year
    born = patient.birth_date
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _fits(condition: Condition, patient: PatientOut, age: int) -> bool:
    return (condition.sex is None or condition.sex == patient.sex) and condition.min_age <= age <= condition.max_age


def choose_condition(ctx: _Context, visit: VisitOut, patient: PatientOut, day: date) -> Condition:
    specialty = _specialty(visit.room_code)
    age = _age(patient, day)
    known = ctx.chronic.get(patient.id)
    if known is not None and specialty in CHRONIC_ROOMS and ctx.rng.random() < 0.8:
        return known
    fitting = [c for c in CONDITIONS.get(specialty, ()) if _fits(c, patient, age)]
    if age < 12:
        # A child is treated only for what the children's doses of the list cover.
        fitting = [c for c in fitting if c.child_lines or not c.lines]
    condition = ctx.rng.choice(fitting) if fitting else FALLBACK
    if condition.chronic and specialty in CHRONIC_ROOMS:
        ctx.chronic[patient.id] = condition
    return condition


# ---------------------------------------------------------------- vital signs


def _growth(age: int, patient: PatientOut, day: date) -> tuple[Decimal, Decimal]:
    """(height cm, weight kg), textbook averages for children, a usual Vietnamese range for adults."""
    if age < 1 and patient.birth_date is not None:
        months = max(1, rules.months_between(patient.birth_date, day))
        return Decimal(50 + 2 * months), Decimal(str(round(3.5 + 0.6 * months, 1)))
    if age < 16:
        return Decimal(77 + 6 * age), Decimal(2 * age + 8)
    if patient.sex == "M":
        return Decimal(160 + age % 16), Decimal(55 + (age * 7) % 20)
    return Decimal(150 + age % 13), Decimal(45 + (age * 5) % 17)


def _exam(ctx: _Context, condition: Condition, patient: PatientOut, age: int, day: date) -> ExamIn:
    rng = ctx.rng
    height, weight = _growth(age, patient, day)
    weight = (weight * Decimal(str(round(rng.uniform(0.9, 1.12), 2)))).quantize(Decimal("0.1"))
    temperature = Decimal(str(round(rng.uniform(37.8, 39.2) if condition.fever else rng.uniform(36.4, 37.2), 1)))
    adult = age >= 16
    systolic = diastolic = None
    if adult:
        systolic = rng.randint(135, 165) if condition.high_pressure else rng.randint(100, 135)
        diastolic = min(systolic - 30, rng.randint(85, 100) if condition.high_pressure else rng.randint(60, 85))
    pulse = rng.randint(70, 110) if condition.fever or age < 6 else rng.randint(62, 92)
    return ExamIn(
        reason=condition.complaint,
        history="Chưa ghi nhận dị ứng thuốc." if rng.random() < 0.7 else "",
        exam_notes=condition.findings,
        pulse=pulse,
        temperature=temperature,
        systolic=systolic,
        diastolic=diastolic,
        respiratory_rate=rng.randint(16, 20) if adult else rng.randint(20, 32),
        spo2=rng.randint(96, 99),
        height_cm=height,
        weight_kg=weight,
    )


# ---------------------------------------------------------------- prescription


def _identity_number(rng: random.Random, province: str, born: int, female: bool) -> str:
    """A 12-digit number in the shape of a personal identification number (made up)."""
    century = 2 * ((born - 1900) // 100) + (1 if female else 0)
    return f"0{province[-2:]:0>2}{century}{born % 100:02d}{rng.randint(0, 999_999):06d}"


def _prescription(
    ctx: _Context, condition: Condition, patient: PatientOut, age: int, day: date
) -> PrescriptionIn | None:
    candidates = condition.child_lines if age < 12 else condition.lines
    candidates = tuple(rx for rx in candidates if rx.drug in ctx.drugs)
    if not candidates or ctx.rng.random() >= PRESCRIBE_SHARE:
        return None
    extra = ctx.rng.randint(0, min(3, len(candidates) - 1))
    chosen = [candidates[0], *ctx.rng.sample(candidates[1:], extra)]
    lines = [
        LineIn(
            drug_code=ctx.drugs[rx.drug],
            dose_per_time=Decimal(rx.dose),
            times_per_day=rx.times,
            days=rx.days if condition.chronic else max(1, rx.days + ctx.rng.choice((-1, 0, 0, 1, 2))),
            instructions=rx.instructions,
        )
        for rx in chosen
    ]
    province = patient.province_code or "79"
    personal_id = adult_name = adult_id = None
    if rules.is_young_child(birth_date=patient.birth_date, birth_year=patient.birth_year, on=day):
        # The accompanying parent's name and ID number go on a young child's prescription (Circular 26/2025).
        adult_name = patient.guardian_name or "Người nhà người bệnh"
        adult_id = patient.guardian_cccd or _identity_number(ctx.rng, province, day.year - 30, ctx.rng.random() < 0.5)
    elif not (patient.cccd or patient.passport):
        # Children from 6 and people without a card ID give their personal identification number.
        personal_id = _identity_number(ctx.rng, province, day.year - age, patient.sex == "F")
    advice = "Uống nhiều nước, nghỉ ngơi; tái khám khi sốt cao, khó thở." if condition.fever else ""
    if condition.chronic:
        advice = "Ăn nhạt, hạn chế mỡ, tập thể dục đều; uống thuốc đều đặn, không tự ý ngừng thuốc."
    return PrescriptionIn(lines=lines, advice=advice, personal_id=personal_id, adult_name=adult_name, adult_id=adult_id)


# ---------------------------------------------------------------- one examination


async def _diagnose(ctx: _Context, session: AsyncSession, clock: Clock, visit_id: int, condition: Condition) -> None:
    items = [DiagnosisIn(condition.code, True)]
    if condition.secondary and ctx.rng.random() < 0.35:
        items.append(DiagnosisIn(ctx.rng.choice(condition.secondary)))
    try:
        await service.set_diagnoses(session, clock, ctx.actor, visit_id, items)
    except InvalidInput:
        # A secondary code the catalog does not allow for this patient: the main one alone. (Refused before any
        # write, so the transaction goes on.)
        await service.set_diagnoses(session, clock, ctx.actor, visit_id, items[:1])


async def examine(ctx: _Context, session: AsyncSession, visit: VisitOut, start: datetime) -> datetime:
    """Examines one waiting visit from `start`; returns when the doctor is free again."""
    kernel, rng = ctx.kernel, ctx.rng
    clock = FixedClock(start)
    day = local_date(start)
    patient = ctx.patients.get(visit.patient_id)
    if patient is None:
        patient = await patients.get_patient(session, patient_id=visit.patient_id)
        ctx.patients[patient.id] = patient
    age = _age(patient, day)
    condition = choose_condition(ctx, visit, patient, day)
    await service.open_encounter(session, clock, ctx.actor, ctx.doctor, visit.id)
    clock.advance(timedelta(minutes=rng.randint(2, 5)))
    await service.record_exam(session, clock, ctx.actor, visit.id, _exam(ctx, condition, patient, age, day))
    clock.advance(timedelta(minutes=rng.randint(2, 6)))
    await _diagnose(ctx, session, clock, visit.id, condition)
    follow_up = condition.chronic or rng.random() < FOLLOW_UP_SHARE
    disposition = DispositionIn(
        "follow_up" if follow_up else "home",
        follow_up_date=day + timedelta(days=30 if condition.chronic else rng.choice((5, 7, 14))) if follow_up else None,
    )
    await service.set_disposition(session, clock, ctx.actor, visit.id, disposition)
    data = _prescription(ctx, condition, patient, age, day)
    if data is not None:
        clock.advance(timedelta(minutes=rng.randint(1, 4)))
        try:
            await service.issue_prescription(
                session,
                clock,
                ctx.actor,
                ctx.doctor,
                ctx.checks,
                kernel.settings.hospital,
                visit.id,
                data,
                rng=rng,
            )
        except (PrescriptionBlocked, InvalidInput):
            # Decision support (or a rule of the circular) refused it, before any write: the doctor gives advice
            # only. Demo data never overrides a hard stop.
            ctx.refused += 1
    clock.advance(timedelta(minutes=rng.randint(1, 3)))
    await service.finish_encounter(session, clock, ctx.actor, visit.id)
    return clock.now()


# ---------------------------------------------------------------- the month


async def _actor(kernel: Kernel) -> tuple[AuditActor, Doctor]:
    async with kernel.db.transaction() as session:
        try:
            user = await get_user(session, DOCTOR_USERNAME)
            user_id: int | None = user.id
            full_name = user.full_name
        except DomainError:
            user_id, full_name = None, "BS. Lê Văn An"
    actor = AuditActor(user_id=user_id, username=DOCTOR_USERNAME, role="doctor", client_ip=None, request_id="demo-seed")
    return actor, Doctor(DOCTOR_USERNAME, full_name)


async def _drug_codes(kernel: Kernel, day: date) -> dict[str, str]:
    """Catalog name -> code of every drug the conditions name, found through the catalog's search."""
    names = {rx.drug for conditions in CONDITIONS.values() for c in conditions for rx in c.lines + c.child_lines}
    names |= {rx.drug for rx in FALLBACK.lines + FALLBACK.child_lines}
    codes: dict[str, str] = {}
    async with kernel.db.transaction() as session:
        for name in sorted(names):
            page = await catalogs.search(session, kind="drugs", q=name, as_of=day, limit=50)
            for item in page.items:
                if isinstance(item, DrugEntry) and item.name == name:
                    codes[name] = item.code
    return codes


async def _rooms(kernel: Kernel, day: date) -> list[str]:
    async with kernel.db.transaction() as session:
        page = await catalogs.search(session, kind="clinic-rooms", as_of=day, limit=200)
    return sorted(item.code for item in page.items if isinstance(item, ClinicRoomEntry))


async def _examine_day(ctx: _Context, rooms: list[str], day: date) -> int:
    """Every room's waiting visits of a past day, in ticket order, one doctor per room; returns how many."""
    done = 0
    async with ctx.kernel.db.transaction() as session:
        for room in rooms:
            queue = await reception.room_queue(session, room_code=room, day=day)
            free_at: datetime | None = None
            for visit in queue:
                if visit.status != "waiting":
                    continue
                called = visit.registered_at + timedelta(minutes=ctx.rng.randint(5, 40))
                start = max(called, free_at) if free_at is not None else called
                free_at = await examine(ctx, session, visit, start)
                done += 1
    return done


async def seed_outpatient(kernel: Kernel, rng: random.Random) -> None:
    today = local_date(kernel.clock.now())
    rooms = await _rooms(kernel, today)
    drugs = await _drug_codes(kernel, today)
    if not rooms:
        return
    actor, doctor = await _actor(kernel)
    ctx = _Context(kernel, rng, actor, doctor, checks_of(kernel.modules), drugs, {}, {})
    for back in range(HISTORY_DAYS, 0, -1):
        await _examine_day(ctx, rooms, today - timedelta(days=back))
