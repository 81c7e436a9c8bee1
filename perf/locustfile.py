"""Level-1 load: the receptionist, the doctor, the cashier and the pharmacist of an outpatient clinic, each with
the pauses of a person at work (docs/performance.md, "Level-1 load (Locust)"; perf/README.md).

Run with `make load`. Every id, code and name a task sends comes from an earlier answer of the server (a search,
a catalog, a hand-off from another desk); only search words and the demo sign-ins are written here.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from load.beds import WardDoctor, WardNurse  # noqa: F401  (Locust runs every User class here)
from load.clinic import ExamService, Prescribed, Ticket
from load.orders import RESULTS_SHARE, DoctorOrders, LabTechnician, Radiologist  # noqa: F401
from load.people import newcomer, vital_signs
from load.queues import QueueCounter, QueueDisplay, QueueKiosk  # noqa: F401  (Locust runs every User class here)
from load.staff import StaffUser
from locust import between, task

EXAM_SERVICE_GROUP = "Khám bệnh"  # the services catalog group the reception desk offers (his.reception.http)
ORAL_UNITS = frozenset({"Viên", "Gói"})  # tablets, capsules, sachets: what an outpatient takes home
# What doctors type into the ICD-10 and drug pickers at an outpatient clinic (accents optional).
ICD10_WORDS = (
    "viêm họng",
    "tăng huyết áp",
    "đái tháo đường",
    "viêm dạ dày",
    "viem phe quan",
    "đau lưng",
    "rối loạn lipid",
    "viêm mũi",
    "sốt",
    "J02",
    "I10",
    "K29",
)
DRUG_WORDS = ("paracetamol", "amoxicilin", "cefuroxim", "ibuprofen", "omeprazol", "amlodipin", "metformin", "loratadin")
OVERRIDE_REASON = "Đã cân nhắc lợi ích và nguy cơ, theo dõi sát"


def items(page: Any) -> list[dict[str, Any]]:
    """The `items` of a paginated answer (an empty list when the request failed)."""
    return list(page.get("items", [])) if isinstance(page, dict) else []


class Receptionist(StaffUser):
    """Registers a visit every 30–60 s: finds the patient (or registers a newcomer), reads the record, sends the
    patient to a room with a doctor, tells them how many are ahead, and hands the ticket on to the cashier."""

    username = "letan"
    weight = 3
    wait_time = between(4, 10)  # the next person steps up to the desk

    def on_start(self) -> None:
        super().on_start()
        self.known: list[dict[str, Any]] = []  # patients seen in search answers
        self.rooms: list[str] = []
        self.services: list[ExamService] = []
        self.facility_code = ""
        if not self.signed_in():
            return
        hospital = self.get("/config/hospital")
        self.facility_code = str(hospital["facility_code"]) if hospital else ""
        rooms = self.get("/catalogs/clinic-rooms", limit=200)
        self.rooms = [room["code"] for room in items(rooms)]
        page = self.get("/catalogs/services", q=EXAM_SERVICE_GROUP, limit=200)
        self.services = [
            ExamService(entry["code"], entry["name"], int(entry["hospital_price"]), entry.get("bhyt_price"))
            for entry in items(page)
            if entry.get("group") == EXAM_SERVICE_GROUP
        ]
        first = self.get("/patients", limit=50)
        self.known = items(first)
        total = int(first.get("total", 0)) if isinstance(first, dict) else 0
        if total > 50:
            self.known += items(self.get("/patients", limit=50, offset=self.rng.randrange(total - 50)))

    @task
    def serve_next_person(self) -> None:
        if not self.signed_in() or not self.rooms or not self.services:
            return
        patient_id = self.returning_patient() if self.known and self.rng.random() < 0.7 else self.new_patient()
        if patient_id is None:
            return
        self.think(5, 10)  # room, service, reason for the visit
        room = self.rng.choice(self.clinic.staffed_rooms or self.rooms)
        service = self.rng.choice(self.services)
        reply = self.call(
            "POST",
            "/reception/visits",
            json={"patient_id": patient_id, "room_code": room, "service_code": service.code, "reason": "Khám bệnh"},
        )
        if reply is None:
            return
        visit = reply.body
        self.get(f"/reception/rooms/{room}/queue", name="/reception/rooms/{room}/queue")
        self.clinic.to_cashier.append(
            Ticket(
                visit_id=int(visit["id"]),
                visit_code=str(visit["code"]),
                patient_id=patient_id,
                day=str(visit["ticket_day"]),
                route=str(visit["route"]),
                card_number=visit.get("card_number"),
                benefit_level=visit.get("card_benefit_level"),
                service=service,
            )
        )

    def returning_patient(self) -> int | None:
        """Someone registered before: found by name, phone or patient code, as they give it."""
        person = self.rng.choice(self.known)
        clue = self.rng.choice(
            [value for value in (person.get("full_name"), person.get("phone"), person.get("code")) if value]
        )
        self.think(3, 8)  # typing
        found = items(self.get("/patients", q=clue))
        self.known = (self.known + found)[-300:]
        match = next((p for p in found if p["id"] == person["id"]), found[0] if found else None)
        if match is None:
            return None
        self.think(2, 5)
        detail = self.get(f"/patients/{match['id']}", name="/patients/{id}")
        return int(match["id"]) if detail else None

    def new_patient(self) -> int | None:
        """A first visit: look the name up, fill in the form, register; a suspected duplicate is the person
        already registered (the receptionist checks the candidates and takes the record)."""
        person = newcomer(self.rng, today=date.today(), facility_code=self.facility_code or "79999")
        self.think(3, 6)
        self.get("/patients", q=person["full_name"])
        self.think(20, 40)  # the registration form, the BHYT card
        reply = self.call("POST", "/patients", json=person, ok=(201,), answered=(409,))
        if reply is None:
            return None
        if reply.status == 409:
            candidates = reply.body.get("candidates") or []
            return int(candidates[0]["patient"]["id"]) if candidates else None
        return int(reply.body["patient"]["id"])


class Doctor(StaffUser):
    """Works one room: takes the next patient from the worklist, reads the record, examines (vital signs),
    searches ICD-10 and records the diagnosis, searches drugs and signs a prescription, sends the patient home.
    About one patient a minute. Without the outpatient module it reads the reception queue and searches only."""

    username = "bacsi"
    weight = 4
    wait_time = between(5, 15)  # between patients, or before looking at an empty worklist again

    def on_start(self) -> None:
        super().on_start()
        self.room = ""
        self.outpatient = False
        self.orders = DoctorOrders(self)
        if not self.signed_in():
            return
        rooms = [room["code"] for room in items(self.get("/catalogs/clinic-rooms", limit=200))]
        if rooms:
            self.room = self.clinic.open_room(rooms)
            # Is the outpatient module installed? 404 on the route itself means no.
            reply = self.call(
                "GET",
                f"/outpatient/rooms/{self.room}/worklist",
                name="/outpatient/rooms/{room}/worklist",
                ok=(200,),
                answered=(404,),
            )
            self.outpatient = reply is not None and reply.status == 200

    @task
    def next_patient(self) -> None:
        if not self.signed_in() or not self.room:
            return
        if self.outpatient:
            if self.rng.random() < RESULTS_SHARE:
                self.orders.review_results()
            self.examine()
        else:
            self.look_up_only()

    def examine(self) -> None:
        worklist = self.get(f"/outpatient/rooms/{self.room}/worklist", name="/outpatient/rooms/{room}/worklist")
        if not worklist or not any(item.get("visit_status") == "waiting" for item in worklist):
            return
        # 404: someone else in the room called the last waiting patient first.
        reply = self.call(
            "POST",
            f"/outpatient/rooms/{self.room}/call-next",
            name="/outpatient/rooms/{room}/call-next",
            answered=(404,),
        )
        if reply is None or reply.status != 200:
            return
        visit_id, patient_id = int(reply.body["visit_id"]), int(reply.body["patient_id"])
        record = self.get(f"/patients/{patient_id}", name="/patients/{id}")
        if not record:
            return
        patient = record["patient"]
        encounter = f"/outpatient/visits/{visit_id}/encounter"
        named = "/outpatient/visits/{visit_id}/encounter"
        self.think(15, 35)  # history and examination
        exam = {"reason": "Khám bệnh", "history": "Khởi phát 3 ngày", "exam_notes": "Tỉnh, tiếp xúc tốt"}
        if self.call("PATCH", encounter, name=named, json=exam | vital_signs(self.rng)) is None:
            return
        diagnosis = self.pick_diagnosis(patient)
        if diagnosis is None:
            return
        items_in = {"items": [{"code": diagnosis, "is_main": True}]}
        if self.call("PUT", f"{encounter}/diagnoses", name=f"{named}/diagnoses", json=items_in) is None:
            return
        self.orders.maybe_order(visit_id)  # a lab panel or an imaging study for about one patient in three
        if patient.get("cccd") or patient.get("passport"):  # the prescription needs the personal ID number
            self.prescribe(visit_id, patient_id)
        self.think(3, 8)
        home = {"disposition": "home", "note": "Tái khám khi có dấu hiệu bất thường"}
        if self.call("PUT", f"{encounter}/disposition", name=f"{named}/disposition", json=home) is None:
            return
        self.call("POST", f"{encounter}/finish", name=f"{named}/finish")

    def pick_diagnosis(self, patient: dict[str, Any]) -> str | None:
        """Searches until an ICD-10 code that may be a main diagnosis for this patient turns up (as the picker
        shows: no asterisk code, none restricted to the other sex)."""
        for _ in range(3):
            self.think(4, 10)
            found = items(self.get("/catalogs/icd10", q=self.rng.choice(ICD10_WORDS)))
            usable = [
                entry["code"]
                for entry in found
                if not entry.get("is_asterisk")
                and not entry.get("never_main")
                and entry.get("sex") in (None, patient.get("sex"))
                and entry.get("min_age_days") is None
                and entry.get("max_age_days") is None
            ]
            if usable:
                return str(self.rng.choice(usable))
        return None

    def prescribe(self, visit_id: int, patient_id: int) -> None:
        lines: dict[str, dict[str, Any]] = {}
        for _ in range(self.rng.randint(1, 3)):
            self.think(4, 10)
            found = items(self.get("/catalogs/drugs", q=self.rng.choice(DRUG_WORDS)))
            oral = [entry["code"] for entry in found if entry.get("unit") in ORAL_UNITS]
            if oral:
                code = self.rng.choice(oral)
                lines[code] = {"drug_code": code, "dose_per_time": "1", "times_per_day": 2, "days": 5}
        if not lines:
            return
        self.think(5, 15)  # doses, advice, signing
        path, name = f"/outpatient/visits/{visit_id}/prescriptions", "/outpatient/visits/{visit_id}/prescriptions"
        body: dict[str, Any] = {"lines": list(lines.values()), "advice": "Uống thuốc sau ăn"}
        reply = self.call("POST", path, name=name, json=body, ok=(201,), answered=(409,))
        if reply is not None and reply.status == 409:
            # Decision support stopped the signature: the doctor reads the alerts and overrides with a reason.
            alerts = reply.body.get("alerts") or []
            body["overrides"] = [{"key": a.get("key") or a["kind"], "reason": OVERRIDE_REASON} for a in alerts]
            self.think(5, 10)
            reply = self.call("POST", path, name=name, json=body, ok=(201,), answered=(409,))
        if reply is None or reply.status != 201:
            return
        prescription = reply.body["prescription"]
        self.clinic.to_pharmacy.append(
            Prescribed(
                code=str(prescription["code"]),
                patient_id=patient_id,
                lines=tuple((line["drug_code"], int(line["quantity"])) for line in prescription["lines"]),
            )
        )

    def look_up_only(self) -> None:
        queue = self.get(f"/reception/rooms/{self.room}/queue", name="/reception/rooms/{room}/queue")
        waiting = [visit for visit in queue or [] if visit.get("status") == "waiting"]
        if not waiting:
            return
        self.get(f"/patients/{waiting[0]['patient_id']}", name="/patients/{id}")
        self.think(15, 35)
        self.get("/catalogs/icd10", q=self.rng.choice(ICD10_WORDS))
        self.think(4, 10)
        self.get("/catalogs/drugs", q=self.rng.choice(DRUG_WORDS))


class Cashier(StaffUser):
    """Takes the next patient from reception: finds the fee account by the visit code (opens it with the card
    on the patient's record when there is none yet), posts the examination fee, reads what the patient owes and
    collects it with a receipt. With nobody at the counter, checks the shift report."""

    username = "thungan"
    weight = 2
    wait_time = between(8, 20)

    @task
    def next_at_counter(self) -> None:
        if not self.signed_in():
            return
        if not self.clinic.to_cashier:
            self.get("/billing/shift")
            return
        ticket = self.clinic.to_cashier.popleft()
        self.think(2, 5)
        found = self.get("/billing/accounts", q=ticket.visit_code)
        if found is None:
            return
        ref = ticket.visit_code
        if not found and not self.open_account(ticket):
            return
        # A second round when the amount changed meanwhile (409: the doctor's orders were charged while the money
        # was being counted): the cashier reads the account again and collects the new amount.
        for _round in range(2):
            account = self.get(f"/billing/accounts/{ref}", name="/billing/accounts/{ref}")
            if not account or int(account["due"]) <= 0:
                return  # the fund pays it all
            self.think(10, 25)  # telling the amount, counting the money
            reply = self.call(
                "POST",
                f"/billing/accounts/{ref}/receipts",
                name="/billing/accounts/{ref}/receipts",
                json={
                    "payment_method": self.rng.choice(("cash", "cash", "cash", "transfer")),
                    "expected_amount": account["due"],
                },
                ok=(201,),
                answered=(409,),
            )
            if reply is None or reply.status == 201:
                return

    def open_account(self, ticket: Ticket) -> bool:
        record = self.get(f"/patients/{ticket.patient_id}", name="/patients/{id}")
        if not record:
            return False
        patient = record["patient"]
        payer: dict[str, Any] = {
            # A visit without a card claims no route; the account then has no fund share to decide.
            "route": ticket.route if ticket.route != "none" else "registered",
            "hospital_level": "provincial",  # the demo hospital is a provincial general hospital
            "care_type": "outpatient",
        }
        card = next((c for c in record["cards"] if c["card_number"] == ticket.card_number), None)
        if card is not None:
            payer |= {
                "card_number": card["card_number"],
                "benefit_level": card["benefit_level"],
                "card_valid_from": card["valid_from"],
                "card_valid_to": card["valid_to"],
                "registered_facility": card["initial_facility_code"],
                "five_years_since": card["five_years_since"],
            }
        account = {
            "encounter_ref": ticket.visit_code,
            "patient_id": ticket.patient_id,
            "patient_code": patient["code"],
            "patient_name": patient["full_name"],
            "payer": payer,
        }
        if self.call("POST", "/billing/accounts", json=account, ok=(201,)) is None:
            return False
        service = ticket.service
        charge = {
            "source_kind": "service",
            "code": service.code,
            "name": service.name,
            "quantity": "1",
            "unit_price_hospital": service.hospital_price,
            "unit_price_bhyt": service.bhyt_price,
            "in_bhyt_list": service.bhyt_price is not None,
            "service_date": ticket.day,
            # The reference the billing sync gives the visit's exam fee (docs/billing.md): an order placed later
            # syncs the visit's account and must find this charge, not post the fee a second time.
            "source_ref": f"exam:{service.code}",
        }
        path = f"/billing/accounts/{ticket.visit_code}/charges"
        return self.call("POST", path, name="/billing/accounts/{ref}/charges", json=charge, ok=(201,)) is not None


class Pharmacist(StaffUser):
    """Dispenses the doctors' prescriptions at the outpatient pharmacy: reads the prescription, checks each drug's
    stock, picks, dispenses first-expiry-first-out. Between prescriptions, answers stock questions."""

    username = "duocsi"
    weight = 1
    wait_time = between(10, 25)
    warehouse_kind: ClassVar[str] = "outpatient"

    def on_start(self) -> None:
        super().on_start()
        self.warehouse = ""
        if not self.signed_in():
            return
        warehouses = self.get("/pharmacy/warehouses") or []
        chosen = next((w for w in warehouses if w.get("kind") == self.warehouse_kind), None)
        self.warehouse = str(chosen["code"]) if chosen else ""

    @task
    def next_prescription(self) -> None:
        if not self.signed_in() or not self.warehouse:
            return
        if not self.clinic.to_pharmacy:
            self.stock_question()
            return
        prescribed = self.clinic.to_pharmacy.popleft()
        read = self.get(f"/outpatient/prescriptions/{prescribed.code}", name="/outpatient/prescriptions/{code}")
        if read is None or read.get("status") == "cancelled":
            return
        lines = []
        for drug_code, quantity in prescribed.lines:
            stock = self.get(
                f"/pharmacy/stock/{drug_code}", name="/pharmacy/stock/{drug_code}", warehouse=self.warehouse
            )
            if stock and int(stock["usable"]) >= quantity:
                lines.append({"drug_code": drug_code, "quantity": quantity})
        if not lines:
            return  # nothing in stock: the patient buys it outside
        self.think(20, 50)  # picking, labelling, advice
        body = {
            "warehouse_code": self.warehouse,
            "reference": prescribed.code,
            "lines": lines,
            "patient_id": prescribed.patient_id,
        }
        self.call("POST", "/pharmacy/dispensings", json=body, ok=(201,))

    def stock_question(self) -> None:
        found = items(self.get("/catalogs/drugs", q=self.rng.choice(DRUG_WORDS)))
        if found:
            code = self.rng.choice(found)["code"]
            self.think(2, 5)
            self.get(f"/pharmacy/stock/{code}", name="/pharmacy/stock/{drug_code}", warehouse=self.warehouse)
