"""Orders load (HIS levels 2-5 issue, "Load"): the outpatient doctor orders a lab panel or an imaging study for
about one patient in three during the exam and later reads and acknowledges the results; the laboratory
technician and the radiologist work their department's worklist (accept, start, enter results, verify).

Every id and code sent comes from the server: the visit id from the doctor's call-next answer, the order sets from
GET /orders/panels, imaging services from GET /orders/orderable searches, order ids from the worklist, analytes and
their reference limits from GET /orders/analytes/{service_code}. Only search words and demo sign-ins are written
here. Several users of one role share one demo account, so two of them may take the same order: the loser's 409
("An order that is accepted cannot become accepted") is an expected refusal, as at a real bench.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any, ClassVar

from load.staff import StaffUser
from locust import between, task

ORDER_SHARE = 1 / 3  # patients of the outpatient doctor who get a test or an imaging study
RESULTS_SHARE = 0.25  # tasks in which the doctor first looks at the results of earlier orders
IMAGING_SHARE = 0.3  # of the ordering exams, those with an imaging study (alone or with a panel)
IMAGING_WORDS = ("x-quang ngực", "x quang", "siêu âm ổ bụng", "sieu am", "x-quang cột sống")
REPEAT_REASON = "Theo dõi diễn biến sau điều trị"
CLINICAL_NOTES = ("Sốt 3 ngày, ho", "Theo dõi tăng huyết áp", "Đau thượng vị", "Kiểm tra định kỳ", "Mệt mỏi, chán ăn")
IMAGING_REPORTS = (
    "Hai phế trường sáng, không thấy tổn thương nhu mô. Bóng tim không to.",
    "Gan không to, nhu mô đều. Túi mật không sỏi. Hai thận không ứ nước.",
    "Cột sống thẳng trục, không thấy hình ảnh xẹp đốt sống. Khe khớp đều.",
)
MOST_ACKNOWLEDGED = 3  # results a doctor reads and acknowledges in one look at the list


def _flagged_first(orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The order the results page shows them in: abnormal results first."""
    return sorted(orders, key=lambda order: not order.get("flag"))


class DoctorOrders:
    """The ordering half of the outpatient Doctor (perf/locustfile.py): kept in its own object so that the
    Doctor's exam only gains two calls. `user` is the signed-in Doctor."""

    def __init__(self, user: StaffUser) -> None:
        self.user = user
        self.panels: list[str] | None = None  # None: not read yet; []: no order sets (or no orders module)

    def learn_panels(self) -> list[str]:
        if self.panels is None:
            reply = self.user.call("GET", "/orders/panels", ok=(200,), answered=(404,))
            found = reply.body if reply is not None and reply.status == 200 else []
            self.panels = [str(panel["code"]) for panel in found]
        return self.panels

    def maybe_order(self, visit_id: int) -> None:
        """During the exam, after the diagnosis: about one patient in three gets a panel and/or an imaging study."""
        user = self.user
        if user.rng.random() >= ORDER_SHARE:
            return
        panels = self.learn_panels()
        wanted_imaging = user.rng.random() < IMAGING_SHARE or not panels
        items: list[dict[str, str]] = []
        if wanted_imaging:
            user.think(3, 8)  # typing in the service picker
            found = user.get("/orders/orderable", name="/orders/orderable", q=user.rng.choice(IMAGING_WORDS))
            codes = [entry["code"] for entry in found or [] if entry.get("category") == "imaging"]
            if codes:
                items.append({"service_code": user.rng.choice(codes)})
        chosen_panels = [user.rng.choice(panels)] if panels and (not wanted_imaging or user.rng.random() < 0.5) else []
        if not items and not chosen_panels:
            return
        user.think(3, 10)  # priority, clinical note, signing
        body = {
            "context_type": "outpatient",
            "context_id": visit_id,
            "items": items,
            "panels": chosen_panels,
            "priority": user.rng.choices(("routine", "urgent", "stat"), weights=(85, 12, 3))[0],
            "clinical_note": user.rng.choice(CLINICAL_NOTES),
        }
        reply = user.call("POST", "/orders/", name="/orders/", json=body, ok=(201,), answered=(409,))
        if reply is not None and reply.status == 409:
            # The same test within the repeat window (a demo patient seen twice): the doctor gives the reason.
            body["repeat_reason"] = REPEAT_REASON
            user.call("POST", "/orders/", name="/orders/", json=body, ok=(201,))

    def review_results(self) -> None:
        """Between patients: the unacknowledged results of the doctor's orders, flagged first; reads a few and
        acknowledges them. (All doctors share the demo account, so a result may be acknowledged twice: the second
        acknowledgement changes nothing and answers 200.)"""
        user = self.user
        waiting = user.get("/orders/results", name="/orders/results")
        if not waiting:
            return
        for order in _flagged_first(list(waiting))[:MOST_ACKNOWLEDGED]:
            user.think(3, 10)  # reading the values against the reference ranges
            path = f"/orders/{int(order['id'])}/acknowledge"
            user.call("POST", path, name="/orders/{id}/acknowledge", ok=(200,))


def _value(rng: random.Random, analyte: dict[str, Any]) -> str:
    """A measured value: mostly inside the reference range, one in six a little below or above it (flagged L/H)."""
    low = Decimal(str(analyte["ref_low"])) if analyte.get("ref_low") is not None else None
    high = Decimal(str(analyte["ref_high"])) if analyte.get("ref_high") is not None else None
    bottom = float(low if low is not None else (high or Decimal(3)) / 3)
    top = float(high if high is not None else Decimal(str(bottom)) * 2)
    spread = (top - bottom) or 1.0
    if rng.random() >= 1 / 6:
        value = bottom + rng.random() * spread
    elif rng.random() < 0.5:
        value = bottom - rng.uniform(0.05, 0.3) * spread
    else:
        value = top + rng.uniform(0.05, 0.3) * spread
    return f"{max(value, 0.01):.2f}"


class PerformingDepartment(StaffUser):
    """Works one department's worklist (stat first): takes the orders of the next patient, accepts and starts
    them, runs the work, enters the results and verifies them. Base of the lab technician and the radiologist."""

    abstract = True
    department: ClassVar[str]
    batch_limit: ClassVar[int] = 6  # orders of one patient taken in one go (a BMP is five tests)

    @task
    def next_on_worklist(self) -> None:
        if not self.signed_in():
            return
        worklist = self.get("/orders/worklist", name="/orders/worklist", department=self.department)
        if not worklist:
            return
        resulted = [order for order in worklist if order.get("status") == "resulted"]
        if resulted:  # results entered earlier (by a colleague on the shared account) wait for verification
            self.verify(self.rng.choice(resulted))
            return
        placed = [order for order in worklist if order.get("status") == "placed"]
        if not placed:
            return
        # Colleagues work the same list: take one of the first few patients, not always the first.
        patient_id = self.rng.choice(list(dict.fromkeys(order["patient_id"] for order in placed))[:3])
        mine = [order for order in placed if order["patient_id"] == patient_id][: self.batch_limit]
        self.think(2, 6)  # the specimen or the patient arrives
        taken = [order for order in mine if self.step(order, "accept")]
        taken = [order for order in taken if self.step(order, "start")]
        if not taken:
            return
        self.work()
        for order in taken:
            reply = self.call(
                "PUT",
                f"/orders/{int(order['id'])}/results",
                name="/orders/{id}/results",
                json=self.results_for(order),
                ok=(200,),
                answered=(409,),  # cancelled by the doctor meanwhile
            )
            if reply is not None and reply.status == 200:
                self.think(2, 6)  # reviewing before signing off
                self.verify(reply.body)

    def step(self, order: dict[str, Any], action: str) -> bool:
        """accept or start; False when a colleague (same shared account) or a cancellation got there first."""
        reply = self.call(
            "POST", f"/orders/{int(order['id'])}/{action}", name=f"/orders/{{id}}/{action}", ok=(200,), answered=(409,)
        )
        return reply is not None and reply.status == 200

    def verify(self, order: dict[str, Any]) -> None:
        path = f"/orders/{int(order['id'])}/verify"
        self.call("POST", path, name="/orders/{id}/verify", ok=(200,), answered=(409,))  # 409: verified already

    def work(self) -> None:
        """One round of the department's worklist (LabTechnician, Radiologist; this class is abstract)."""
        raise NotImplementedError

    def results_for(self, order: dict[str, Any]) -> dict[str, Any]:
        """The results body the department enters for an order (values for the lab, a report for imaging)."""
        raise NotImplementedError


class LabTechnician(PerformingDepartment):
    """The laboratory: runs the samples on the analyser, then types the values of each test's analytes (their
    units and reference limits come from the server's definitions)."""

    username = "ktvxn"
    department = "lab"
    weight = 1
    wait_time = between(5, 15)

    def work(self) -> None:
        self.think(20, 60)  # sampling, centrifuge, analyser

    def results_for(self, order: dict[str, Any]) -> dict[str, Any]:
        code = str(order["service_code"])
        analytes = self.get(f"/orders/analytes/{code}", name="/orders/analytes/{service_code}") or []
        self.think(5, 15)  # typing (or checking the analyser's transfer)
        if not analytes:
            return {"items": [], "report": "Âm tính"}
        items = [
            {"code": a["code"], "name": a["name"], "kind": "numeric", "value": _value(self.rng, a)} for a in analytes
        ]
        return {"items": items}


class Radiologist(PerformingDepartment):
    """Imaging: the patient is examined, then the radiologist dictates the report."""

    username = "bscdha"
    department = "imaging"
    batch_limit = 2
    weight = 1
    wait_time = between(10, 25)

    def work(self) -> None:
        self.think(30, 90)  # positioning, exposure or the ultrasound exam

    def results_for(self, order: dict[str, Any]) -> dict[str, Any]:
        self.think(20, 45)  # reading the images, writing the report
        return {"items": [], "report": self.rng.choice(IMAGING_REPORTS)}
