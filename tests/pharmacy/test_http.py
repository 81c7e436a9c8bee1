"""Pharmacy over HTTP: permissions per role, problem details naming the field, the pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import login
from tests.pharmacy.support import OUTPATIENT, TODAY

pytestmark = [pytest.mark.criterion(34), pytest.mark.usefixtures("catalog_and_warehouses")]

LATER = (TODAY + timedelta(days=400)).isoformat()
SOON = (TODAY + timedelta(days=25)).isoformat()
RECEIPT = {
    "warehouse_code": OUTPATIENT,
    "supplier": "Công ty CP Traphaco",
    "invoice_number": "TRA-2026-00017",
    "invoice_date": TODAY.isoformat(),
    "lines": [
        {"drug_code": "T0001", "lot_number": "250301", "expiry_date": LATER, "quantity": 200, "unit_cost": 1200},
        {"drug_code": "T0001", "lot_number": "240917", "expiry_date": SOON, "quantity": 30, "unit_cost": 1100},
        {"drug_code": "T0002", "lot_number": "A77", "expiry_date": LATER, "quantity": 50, "unit_cost": 900},
    ],
}


def post(client: TestClient[Litestar], csrf: str, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/pharmacy{path}", json=body, headers={"X-CSRF-Token": csrf})


def test_pharmacist_receives_dispenses_reads_returns_and_adjusts(client: TestClient[Litestar]) -> None:
    csrf = login(client, "duocsi")
    receipt = post(client, csrf, "/receipts", RECEIPT)
    assert receipt.status_code == 201, receipt.text
    assert receipt.json()["total_cost"] == 200 * 1200 + 30 * 1100 + 50 * 900

    stock = client.get("/api/v1/pharmacy/stock/T0001").json()
    assert [(lot["lot_number"], lot["quantity_on_hand"]) for lot in stock["lots"]] == [("240917", 30), ("250301", 200)]
    assert stock["usable"] == 230 and stock["as_of"] == TODAY.isoformat()

    dispensing = post(
        client,
        csrf,
        "/dispensings",
        {
            "warehouse_code": OUTPATIENT,
            "reference": "79999A00001234",
            "patient_id": 77,
            "lines": [{"drug_code": "T0001", "quantity": 40}, {"drug_code": "T0002", "quantity": 10}],
        },
    )
    assert dispensing.status_code == 201, dispensing.text
    body = dispensing.json()
    assert [(line["drug_code"], line["lot_number"], line["quantity"]) for line in body["lines"]] == [
        ("T0001", "240917", 30),
        ("T0001", "250301", 10),
        ("T0002", "A77", 10),
    ]
    # Reading what a patient was given is audited as a read of that patient's data.
    assert client.get(f"/api/v1/pharmacy/dispensings/{body['id']}").json() == body
    again = post(
        client,
        csrf,
        "/dispensings",
        {"warehouse_code": OUTPATIENT, "reference": "79999A00001234", "lines": [{"drug_code": "T0001", "quantity": 1}]},
    )
    assert again.status_code == 409

    returned = post(
        client,
        csrf,
        f"/dispensings/{body['id']}/returns",
        {"lines": [{"line_id": body["lines"][2]["id"], "quantity": 4}]},
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["lines"][2]["returned_quantity"] == 4

    lot_id = stock["lots"][1]["id"]
    adjusted = post(client, csrf, "/adjustments", {"lot_id": lot_id, "delta": -2, "reason": "Vỡ vỉ"})
    assert adjusted.status_code == 201 and adjusted.json()["quantity_on_hand"] == 188

    totals = {t["drug_code"]: t for t in client.get("/api/v1/pharmacy/stock").json()}
    assert (totals["T0001"]["usable"], totals["T0002"]["usable"]) == (188, 44)
    assert [w["code"] for w in client.get("/api/v1/pharmacy/warehouses").json()] == ["KC", "NT"]
    only = client.get("/api/v1/pharmacy/stock", params={"drug_code": ["T0002"]}).json()
    assert [t["drug_code"] for t in only] == ["T0002"]
    expiring = client.get("/api/v1/pharmacy/lots/expiring", params={"days": 30}).json()
    assert expiring == []  # the soon lot was emptied by FEFO

    login(client, "kiemtoan")
    audit = client.get("/api/v1/audit", params={"patient_id": "77"}).json()["items"]
    assert {row["action"] for row in audit} == {"pharmacy.dispense", "pharmacy.return", "patient.read"}


def test_too_little_stock_is_a_409_problem_and_the_attempt_is_audited(client: TestClient[Litestar]) -> None:
    csrf = login(client, "duocsi")
    assert post(client, csrf, "/receipts", RECEIPT).status_code == 201
    refused = post(
        client,
        csrf,
        "/dispensings",
        {"warehouse_code": OUTPATIENT, "reference": "RX1", "lines": [{"drug_code": "T0002", "quantity": 51}]},
    )
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "T0002" in refused.json()["detail"] and "51" in refused.json()["detail"]
    assert client.get("/api/v1/pharmacy/stock/T0002").json()["usable"] == 50
    login(client, "kiemtoan")
    audit = client.get("/api/v1/audit", params={"action": "pharmacy.dispense"}).json()["items"]
    assert [(row["outcome"], row["object_id"]) for row in audit] == [("rejected", "RX1")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"warehouse_code": OUTPATIENT, "reference": "RX1", "lines": [{"drug_code": "T0001", "quantity": 0}]},
            "lines[0].quantity",
        ),
        (
            {"warehouse_code": OUTPATIENT, "reference": " ", "lines": [{"drug_code": "T0001", "quantity": 1}]},
            "reference",
        ),
        (
            {"warehouse_code": "XX", "reference": "RX1", "lines": [{"drug_code": "T0001", "quantity": 1}]},
            "warehouse_code",
        ),
    ],
)
def test_invalid_dispensing_is_a_422_that_names_the_field(
    client: TestClient[Litestar], body: dict[str, Any], field: str
) -> None:
    csrf = login(client, "duocsi")
    response = post(client, csrf, "/dispensings", body)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_roles(client: TestClient[Litestar]) -> None:
    dispense = {"warehouse_code": OUTPATIENT, "reference": "RX1", "lines": [{"drug_code": "T0001", "quantity": 1}]}
    csrf = login(client, "thungan")
    assert client.get("/api/v1/pharmacy/stock/T0001").status_code == 403
    assert post(client, csrf, "/dispensings", dispense).status_code == 403
    assert client.get("/pharmacy").status_code == 403
    csrf = login(client, "bacsi")
    assert client.get("/api/v1/pharmacy/stock/T0001").status_code == 200
    assert client.get("/pharmacy/drugs/T0001").status_code == 200
    assert post(client, csrf, "/dispensings", dispense).status_code == 403
    assert post(client, csrf, "/receipts", RECEIPT).status_code == 403
    csrf = login(client, "admin")
    assert post(client, csrf, "/receipts", RECEIPT).status_code == 201
    assert post(client, csrf, "/dispensings", dispense).status_code == 403  # dispensing is a pharmacist's act


def test_pages_drug_information_receipt_and_dispensing_forms(client: TestClient[Litestar]) -> None:
    csrf = login(client, "duocsi")
    receipt_form = client.get("/pharmacy/receipts/new")
    assert (
        receipt_form.status_code == 200 and 'name="drug_code"' in receipt_form.text and "data-scan" in receipt_form.text
    )
    form = {
        "_csrf": csrf,
        "warehouse_code": OUTPATIENT,
        "supplier": "Công ty CP Dược Hậu Giang",
        "invoice_number": "DHG-1",
        "invoice_date": TODAY.isoformat(),
        "drug_code": ["T0003", ""],
        "lot_number": ["L9", ""],
        "expiry_date": [SOON, ""],
        "quantity": ["20", ""],
        "unit_cost": ["8000", ""],
    }
    booked = client.post("/pharmacy/receipts/new", data=form)
    assert booked.status_code == 200 and 'data-testid="receipt-done"' in booked.text

    bad = client.post("/pharmacy/receipts/new", data={**form, "quantity": ["zero", ""]})
    assert bad.status_code == 422 and "lines[0].quantity" in bad.text

    drug = client.get("/pharmacy/drugs/T0003")
    assert drug.status_code == 200
    for expected in ("Acid clavulanic", "125 mg", "Viên nén bao phim", "40.3", "9.800", "L9", "8.000"):
        assert expected in drug.text, expected
    assert client.get("/pharmacy/drugs/T9999").status_code == 404

    overview = client.get("/pharmacy", params={"q": "amoxi"})
    assert (
        overview.status_code == 200
        and "T0003" in overview.text
        and "T0001" not in overview.text.split('id="expiring-title"')[0]
    )
    assert 'data-testid="expiring"' in overview.text and "L9" in overview.text

    dispensed = client.post(
        "/pharmacy/dispense",
        data={
            "_csrf": csrf,
            "warehouse_code": OUTPATIENT,
            "reference": "RX-PAGE-1",
            "patient_id": "",
            "drug_code": ["T0003", ""],
            "quantity": ["6", ""],
        },
    )
    assert dispensed.status_code == 200 and 'data-testid="dispensing-done"' in dispensed.text
    short = client.post(
        "/pharmacy/dispense",
        data={
            "_csrf": csrf,
            "warehouse_code": OUTPATIENT,
            "reference": "RX-PAGE-2",
            "drug_code": "T0003",
            "quantity": "15",
        },
    )
    assert short.status_code == 409 and 'data-testid="form-error"' in short.text
    assert client.get("/api/v1/pharmacy/stock/T0003").json()["usable"] == 14
