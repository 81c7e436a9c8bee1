"""The inpatient API and pages: a doctor admits and discharges, a nurse works the bed board; permissions,
Vietnamese problem details, the printed papers."""

from __future__ import annotations

import asyncio

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from his.app import installed_modules
from his.kernel.runtime import build_kernel
from his.settings import Settings
from tests.conftest import login
from tests.inpatient.conftest import Ward, build_wards

pytestmark = pytest.mark.criterion(39)
API = "/api/v1/inpatient"


@pytest.fixture
def ward(client: TestClient[Litestar], settings: Settings) -> Ward:
    async def build() -> Ward:
        kernel = build_kernel(settings, installed_modules())
        try:
            return await build_wards(kernel)
        finally:
            await kernel.db.dispose()

    return asyncio.run(build())


def signed_in(client: TestClient[Litestar], username: str) -> dict[str, str]:
    client.cookies.clear()
    return {"x-csrf-token": login(client, username), "accept-language": "vi"}


def test_admit_board_transfer_discharge_and_papers(client: TestClient[Litestar], ward: Ward) -> None:
    doctor = signed_in(client, "bacsi")
    body = {"source": "direct", "patient_id": ward.patients.insured, "department_code": "KNOI", "icd10_code": "J18.9"}
    admitted = client.post(f"{API}/stays", json=body, headers=doctor)
    assert admitted.status_code == 201, admitted.text
    stay = admitted.json()
    assert stay["bed_code"] == "N1-01"

    nurse = signed_in(client, "dieuduong")
    assert client.post(f"{API}/stays", json=body, headers=nurse).status_code == 403
    board = client.get(f"{API}/departments/KNOI/board", headers=nurse).json()
    assert board["counts"]["occupied"] == 1
    moved = client.post(f"{API}/stays/{stay['id']}/bed", json={"bed_code": "G1-01"}, headers=nurse)
    assert moved.status_code == 200, moved.text
    assert [o["bed_code"] for o in moved.json()["occupancies"]] == ["N1-01", "G1-01"]
    taken = client.post(f"{API}/stays/{stay['id']}/bed", json={"bed_code": "G1-01"}, headers=nurse)
    assert taken.status_code == 409 and "không trống" in taken.json()["detail"]
    assert client.post(f"{API}/beds/N1-01/status", json={"status": "free"}, headers=nurse).status_code == 200
    sheet = client.post(f"{API}/stays/{stay['id']}/sheet", json={"progress": "Đỡ sốt", "pulse": 84}, headers=nurse)
    assert sheet.status_code == 201, sheet.text
    page = client.get("/inpatient/board/KNGOAI", headers=nurse)
    assert page.status_code == 200 and "Nguyễn Văn An" in page.text
    assert 'data-testid="bed-G1-01" data-status="occupied"' in page.text
    assert client.get("/inpatient/board/KNGOAI/live", headers=nurse).status_code == 200

    doctor = signed_in(client, "bacsi")
    refused = client.post(
        f"{API}/stays/{stay['id']}/discharge", json={"icd10_code": "J18.9", "treatment_method": ""}, headers=doctor
    )
    assert refused.status_code == 422 and refused.json()["detail"] == "Nhập phương pháp điều trị"
    discharged = client.post(
        f"{API}/stays/{stay['id']}/discharge",
        json={"icd10_code": "J18.9", "treatment_method": "Kháng sinh tĩnh mạch", "outcome": "1"},
        headers=doctor,
    )
    assert discharged.status_code == 200, discharged.text
    assert discharged.json()["status"] == "discharged"
    paper = client.get(f"/inpatient/stays/{stay['id']}/discharge-paper.pdf", headers=doctor)
    assert paper.status_code == 200 and paper.content.startswith(b"%PDF")
    sheet_pdf = client.get(f"/inpatient/stays/{stay['id']}/treatment-sheet.pdf", headers=doctor)
    assert sheet_pdf.status_code == 200 and sheet_pdf.content.startswith(b"%PDF")
    assert "Giấy ra viện" in client.get(f"/inpatient/stays/{stay['id']}", headers=doctor).text


def test_a_doctor_orders_a_test_for_the_stay_from_its_page(client: TestClient[Litestar], ward: Ward) -> None:
    doctor = signed_in(client, "bacsi")
    body = {"source": "direct", "patient_id": ward.patients.insured, "department_code": "KNOI", "icd10_code": "J18.9"}
    stay = client.post(f"{API}/stays", json=body, headers=doctor).json()
    form = {"_csrf": doctor["x-csrf-token"], "service_codes": "XN0001", "clinical_note": "Theo dõi đường huyết"}
    page = client.post(f"/inpatient/stays/{stay['id']}/orders", data=form, headers={"accept-language": "vi"})
    assert page.status_code == 200 and "Định lượng Glucose [Máu]" in page.text
    sheet = client.get(f"{API}/stays/{stay['id']}/sheet", headers=doctor).json()
    assert [o["service_code"] for day in sheet for o in day["orders"]] == ["XN0001"]
    bad = client.post(f"/inpatient/stays/{stay['id']}/orders", data={**form, "service_codes": "G0101"})
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("change", "status", "detail"),
    [
        ({"department_code": "KXXX"}, 422, "Không có khoa KXXX"),
        ({"icd10_code": "Z99.99"}, 422, "Không có mã ICD-10 Z99.99"),
        ({"source": "outpatient", "patient_id": None}, 422, "Chọn lượt khám mà người bệnh được chuyển vào viện"),
        ({"bed_code": "N9-99"}, 404, "Không có giường N9-99"),
    ],
)
def test_bad_admissions_answer_in_vietnamese(
    client: TestClient[Litestar], ward: Ward, change: dict[str, object], status: int, detail: str
) -> None:
    doctor = signed_in(client, "bacsi")
    body = {"source": "direct", "patient_id": ward.patients.insured, "department_code": "KNOI", "icd10_code": "J18.9"}
    response = client.post(f"{API}/stays", json={**body, **change}, headers=doctor)
    assert response.status_code == status, response.text
    assert response.json()["detail"] == detail


def test_the_admission_form_and_the_stay_page(client: TestClient[Litestar], ward: Ward) -> None:
    doctor = signed_in(client, "bacsi")
    home = client.get("/inpatient", headers=doctor)
    assert home.status_code == 200 and "Cho người bệnh nhập viện" in home.text
    form = {
        "_csrf": doctor["x-csrf-token"],
        "source": "direct",
        "visit_id": str(ward.patients.uninsured),
        "department_code": "KNOI",
        "icd10_code": "J18.9",
        "bed_code": "N1-03",
    }
    response = client.post("/inpatient/admit", data=form, headers={"accept-language": "vi"}, follow_redirects=True)
    assert response.status_code == 200 and "N1-03" in response.text and "Trần Thị Bình" in response.text
    bad = client.post("/inpatient/admit", data={**form, "icd10_code": "Q00.00"}, headers={"accept-language": "vi"})
    assert bad.status_code == 422 and "Không có mã ICD-10 Q00.00" in bad.text


def test_two_nurses_placing_the_same_waiting_patient_do_not_move_them_twice(
    client: TestClient[Litestar], ward: Ward
) -> None:
    doctor = signed_in(client, "bacsi")
    body = {
        "source": "direct",
        "patient_id": ward.patients.insured,
        "department_code": "KNOI",
        "icd10_code": "J18.9",
        "bed_code": "none",
    }
    stay = client.post(f"{API}/stays", json=body, headers=doctor).json()
    nurse = signed_in(client, "dieuduong")
    # Both saw the patient waiting (no bed); the first places them, the second is told to look again.
    first = client.post(f"{API}/stays/{stay['id']}/bed", json={"bed_code": "N1-02", "from_bed_code": ""}, headers=nurse)
    assert first.status_code == 200, first.text
    second = client.post(
        f"{API}/stays/{stay['id']}/bed", json={"bed_code": "N1-03", "from_bed_code": ""}, headers=nurse
    )
    assert second.status_code == 409 and "N1-02" in second.json()["detail"]
    assert client.get(f"{API}/stays/{stay['id']}", headers=nurse).json()["bed_code"] == "N1-02"
    # Seen in N1-02: the transfer goes through.
    moved = client.post(
        f"{API}/stays/{stay['id']}/bed", json={"bed_code": "N1-03", "from_bed_code": "N1-02"}, headers=nurse
    )
    assert moved.status_code == 200 and moved.json()["bed_code"] == "N1-03"
