"""Bed board load (HIS levels 2-5 issue, "Load"): the ward nurse watches a department's bed board, puts admitted
patients who wait for a bed into a free one and sets cleaned beds free again; the ward doctor admits patients
(most without a bed, for the nurse to place), orders medications (checked by decision support) and discharges
patients, which sends their bed to cleaning.

Department codes come from the departments catalog (a department has a board when the server lists beds on it),
stay ids and bed codes from the board, patient ids from patient searches, ICD-10 codes from catalog searches.
Nurses and ward doctors share one demo account per role, so two of them may reach for the same bed or stay: the
loser's 409 (bed taken, stay already discharged) is an expected refusal; it is what the bed lock is for.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from load.staff import StaffUser
from locust import between, task

CLEANED_SHARE = 0.5  # of the looks at the board with a bed in cleaning, those after which the bed is clean
DIRECT_TO_BED_SHARE = 0.3  # admissions that take the first free bed at once; the others wait for the nurse
ADMISSION_WORDS = ("viêm phổi", "tăng huyết áp", "đái tháo đường", "viêm ruột thừa", "suy tim", "nhiễm trùng", "J18")
ADMISSION_REASONS = ("Sốt cao, khó thở", "Đau bụng cấp", "Tăng huyết áp không kiểm soát", "Mệt nhiều, ăn kém")
MEDICATION_SHARE = 0.4  # ward rounds that end in a medication order for one of the department's inpatients
WARD_DRUGS = ("ceftriaxon", "paracetamol", "omeprazol", "amlodipin", "metformin", "furosemid", "enoxaparin")
TREATMENT_METHODS = ("Điều trị nội khoa", "Kháng sinh, bù dịch, theo dõi", "Phẫu thuật nội soi, chăm sóc sau mổ")


@dataclass(slots=True)
class Wards:
    """The departments with beds, found once per Locust process, and which ward users (by role) work in each:
    nurses and ward doctors fill the departments in the same order, so the first of each share a ward."""

    departments: list[str] | None = None
    probing: bool = False  # the first ward user is reading the boards; the others wait for its answer
    staffed: dict[str, list[str]] = field(default_factory=dict)

    def take(self, role: str) -> str:
        """A department for a new ward user of `role`: the first one with the fewest of that role."""
        assert self.departments
        taken = self.staffed.setdefault(role, [])
        department = min(self.departments, key=taken.count)
        taken.append(department)
        return department


@functools.cache
def wards() -> Wards:
    """The wards of this Locust process, made at the first call (not at import)."""
    return Wards()


def occupied(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [bed for bed in board.get("beds", []) if bed.get("status") == "occupied" and bed.get("stay_id")]


def with_status(board: dict[str, Any], *statuses: str) -> list[dict[str, Any]]:
    return [bed for bed in board.get("beds", []) if bed.get("status") in statuses]


class WardUser(StaffUser):
    abstract = True

    def on_start(self) -> None:
        super().on_start()
        self.department = ""
        if self.signed_in() and self.find_wards():
            self.department = wards().take(self.username)

    def find_wards(self) -> bool:
        """The departments whose board lists beds (read once per process by the first ward user)."""
        shared = wards()
        while shared.probing:
            self.think(1, 2)
        if shared.departments is None:
            shared.probing = True
            try:
                page = self.get("/catalogs/departments", limit=200)
                found = []
                for entry in (page or {}).get("items", []):
                    board = self.board(str(entry["code"]))
                    if board and board.get("beds"):
                        found.append(str(entry["code"]))
                shared.departments = found
            finally:
                shared.probing = False
        return bool(shared.departments)

    def board(self, department: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.get(
            f"/inpatient/departments/{department}/board", name="/inpatient/departments/{department}/board"
        )
        return found


class WardNurse(WardUser):
    """Keeps the bed board of one department: places the admitted patients who wait for a bed (in a free or
    reserved bed) and, when the cleaners are done, sets a bed in cleaning free again."""

    username = "dieuduong"
    weight = 1
    wait_time = between(15, 45)  # rounds on the ward between looks at the board

    @task
    def look_at_board(self) -> None:
        if not self.signed_in() or not self.department:
            return
        board = self.board(self.department)
        if not board:
            return
        waiting = board.get("waiting") or []
        beds = with_status(board, "free", "reserved")
        if waiting and beds:
            self.place(self.rng.choice(waiting), self.rng.choice(beds))
            return
        cleaning = with_status(board, "cleaning")
        if cleaning and self.rng.random() < CLEANED_SHARE:
            bed = self.rng.choice(cleaning)
            self.think(3, 8)
            self.call(
                "POST",
                f"/inpatient/beds/{bed['code']}/status",
                name="/inpatient/beds/{bed_code}/status",
                json={"status": "free"},
                ok=(200,),
                answered=(409,),  # a colleague's placement took the bed meanwhile (it is occupied now)
            )

    def place(self, stay: dict[str, Any], bed: dict[str, Any]) -> None:
        self.think(5, 15)  # showing the patient to the room
        self.call(
            "POST",
            f"/inpatient/stays/{int(stay['id'])}/bed",
            name="/inpatient/stays/{stay_id}/bed",
            # Seen waiting (no bed): a colleague who placed the patient meanwhile makes this a 409, not a transfer.
            json={"bed_code": bed["code"], "from_bed_code": ""},
            ok=(200,),
            answered=(409,),  # the bed went to another patient first, or the patient has a bed now
        )


class WardDoctor(WardUser):
    """Admits patients to one department (directly, as from the emergency room or a referral: most without a bed,
    for the nurse to place) and discharges others, whose bed then goes to cleaning. Keeps the ward about half full."""

    username = "bacsi"
    weight = 1
    wait_time = between(30, 90)

    def on_start(self) -> None:
        super().on_start()
        self.patients: list[int] = []
        if not self.department:
            return
        first = self.get("/patients", limit=50)
        total = int(first.get("total", 0)) if isinstance(first, dict) else 0
        page = self.get("/patients", limit=50, offset=self.rng.randrange(total - 50)) if total > 50 else first
        self.patients = [int(p["id"]) for p in (page or {}).get("items", [])]

    @task
    def ward_round(self) -> None:
        if not self.signed_in() or not self.department:
            return
        board = self.board(self.department)
        if not board:
            return
        in_beds = occupied(board)
        stays = len(in_beds) + len(board.get("waiting") or [])
        if in_beds and self.rng.random() < MEDICATION_SHARE:
            self.order_medication(int(self.rng.choice(in_beds)["stay_id"]))
        elif in_beds and (stays * 2 >= len(board.get("beds", [])) or self.rng.random() < 0.3):
            self.discharge(self.rng.choice(in_beds))
        elif self.patients:
            self.admit()

    def order_medication(self, stay_id: int) -> None:
        """A medication order of the ward round: decision support checks it as it is written; a doctor who meets a
        hard stop changes the drug rather than order over it (no reason given here)."""
        page = self.get("/catalogs/drugs", q=self.rng.choice(WARD_DRUGS), limit=10)
        drugs = [entry["code"] for entry in (page or {}).get("items", [])]
        if not drugs:
            return
        self.think(5, 15)  # dose, times a day
        body = {"drug_code": self.rng.choice(drugs), "dose_per_time": "1", "times_per_day": 2, "days": 3}
        medications = f"/inpatient/stays/{stay_id}/medications"
        name = "/inpatient/stays/{stay_id}/medications"
        checked = self.call("POST", medications + "/check", name=name + "/check", json=body, ok=(200,))
        alerts = checked.body.get("alerts", []) if checked and isinstance(checked.body, dict) else []
        if any(alert.get("severity") == "hard_stop" for alert in alerts):
            return
        # 409: discharged by a colleague meanwhile, or another order made this one a hard stop.
        self.call("POST", medications, name=name, json=body, ok=(201,), answered=(409,))

    def admit(self) -> None:
        icd10 = self.pick_icd10()
        if icd10 is None:
            return
        self.think(10, 30)  # the admission note
        body = {
            "source": "direct",
            "patient_id": self.rng.choice(self.patients),
            "department_code": self.department,
            "icd10_code": icd10,
            "reason": self.rng.choice(ADMISSION_REASONS),
            "bed_code": "" if self.rng.random() < DIRECT_TO_BED_SHARE else "none",
        }
        # 409: the patient is in hospital already, or (first free bed) no bed is free.
        self.call("POST", "/inpatient/stays", json=body, ok=(201,), answered=(409,))

    def pick_icd10(self) -> str | None:
        self.think(3, 8)
        page = self.get("/catalogs/icd10", q=self.rng.choice(ADMISSION_WORDS))
        usable = [
            entry["code"]
            for entry in (page or {}).get("items", [])
            if not entry.get("is_asterisk") and not entry.get("never_main") and entry.get("sex") is None
        ]
        return str(self.rng.choice(usable)) if usable else None

    def discharge(self, bed: dict[str, Any]) -> None:
        stay_id = int(bed["stay_id"])
        stay = self.get(f"/inpatient/stays/{stay_id}", name="/inpatient/stays/{stay_id}")
        if not stay or stay.get("status") != "admitted":
            return
        self.think(20, 60)  # the discharge paper, advice
        body = {
            "icd10_code": stay["admission_icd10"],
            "treatment_method": self.rng.choice(TREATMENT_METHODS),
            "outcome": self.rng.choice(("1", "2", "2", "2")),
            "kind": "1",
        }
        path, name = f"/inpatient/stays/{stay_id}/discharge", "/inpatient/stays/{stay_id}/discharge"
        self.call("POST", path, name=name, json=body, ok=(200,), answered=(409,))  # 409: a colleague discharged it
