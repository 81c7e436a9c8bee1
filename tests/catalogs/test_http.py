"""Catalogs over HTTP: the JSON API under /api/v1 and the pages, with their permissions and audit."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from his.catalogs.icd10 import packaged_icd10_path
from tests.conftest import login

pytestmark = pytest.mark.criterion(31)

DEPARTMENTS = b"code,name,bhyt_code\nKNOI,Khoa N\xe1\xbb\x99i t\xe1\xbb\x95ng h\xe1\xbb\xa3p,K03\nKNHI,Khoa Nhi,\n"
SERVICES = (
    "code,name,group,unit,hospital_price,bhyt_price,bhyt_code\n"
    "DV1,Khám Nội,Khám bệnh,Lần,50000,42100,\n"
    "DV2,Định lượng Glucose [Máu],Xét nghiệm,Lần,25000,,\n"
).encode()


def upload(
    client: TestClient[Litestar], csrf: str, kind: str, content: bytes, name: str = "file.csv", **fields: str
) -> Any:
    return client.post(
        f"/api/v1/catalogs/{kind}/import",
        files={"file": (name, content, "text/csv")},
        data=fields,
        headers={"X-CSRF-Token": csrf},
    )


@pytest.mark.criterion(109)
def test_icd10_upload_search_pagination_and_lookup(client: TestClient[Litestar]) -> None:
    csrf = login(client, "admin")
    response = upload(
        client,
        csrf,
        "icd10",
        packaged_icd10_path().read_bytes(),
        "icd10-qd4469.csv.gz",
        effective="2025-01-01",
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report == {
        "kind": "icd10",
        "effective": "2025-01-01",
        "rows": 12219,
        "added": 12218,
        "changed": 0,
        "unchanged": 0,
        "retired": 0,
        "duplicates": 1,
    }

    # The national list writes "đái tháo đường" (it has no "tiểu đường"); any accents, any case, finds it.
    found = client.get("/api/v1/catalogs/icd10", params={"q": "DAI thao duong", "limit": 5}).json()
    assert found["total"] > 50 and found["limit"] == 5 and found["offset"] == 0
    assert [item["code"] for item in found["items"]] == ["E10", "E10.0", "E10.1", "E10.2†", "E10.3†"]
    assert all("đái tháo đường" in item["name"].lower() for item in found["items"])
    assert found["items"][0]["kind"] == "icd10"
    same = client.get("/api/v1/catalogs/icd10", params={"q": "đái tháo đường", "limit": 5}).json()
    assert same == found
    second = client.get("/api/v1/catalogs/icd10", params={"q": "dai thao duong", "limit": 5, "offset": 5}).json()
    assert second["total"] == found["total"]
    assert not {i["code"] for i in second["items"]} & {i["code"] for i in found["items"]}
    # A code prefix ranks first, before names that merely contain the letters.
    assert client.get("/api/v1/catalogs/icd10", params={"q": "e11", "limit": 1}).json()["items"][0]["code"] == "E11"

    entry = client.get("/api/v1/catalogs/icd10/N70.0").json()
    assert entry["code"] == "N70.0" and entry["name"].startswith("Viêm")
    assert entry["sex"] == "F" and entry["valid_from"] == "2025-01-01" and entry["valid_to"] is None
    dagger = client.get("/api/v1/catalogs/icd10/A17.0%E2%80%A0").json()
    assert dagger["is_dagger"] is True and dagger["code_plain"] == "A170"

    missing = client.get("/api/v1/catalogs/icd10/Z99.99")
    assert missing.status_code == 404
    assert missing.json()["detail"].startswith("Danh mục icd10 không có mã Z99.99 còn hiệu lực vào ngày ")
    before = client.get("/api/v1/catalogs/icd10/E11", params={"as_of": "2024-12-31"})
    assert before.status_code == 404

    kinds = {k["kind"]: k["count"] for k in client.get("/api/v1/catalogs").json()}
    assert kinds["icd10"] == 12218 and kinds["drugs"] == 0


def test_unknown_kind_and_bad_paging_are_client_errors(client: TestClient[Litestar]) -> None:
    login(client, "bacsi")
    unknown = client.get("/api/v1/catalogs/medicines", headers={"Accept-Language": "en"})
    assert unknown.status_code == 404
    assert unknown.json()["detail"].startswith("There is no catalog called medicines")
    vietnamese = client.get("/api/v1/catalogs/medicines")
    assert vietnamese.status_code == 404 and "medicines" in vietnamese.json()["detail"]
    assert vietnamese.json()["detail"] != unknown.json()["detail"]
    assert client.get("/api/v1/catalogs/icd10", params={"limit": 201}).status_code == 400
    assert client.get("/api/v1/catalogs/icd10", params={"offset": -1}).status_code == 400
    assert client.get("/api/v1/catalogs/icd10", params={"as_of": "31/12/2024"}).status_code == 400
    assert client.get("/api/v1/catalogs/icd10").json() == {"items": [], "total": 0, "limit": 50, "offset": 0}


def test_a_bad_upload_is_422_with_every_row_error_and_writes_nothing(client: TestClient[Litestar]) -> None:
    csrf = login(client, "admin")
    assert upload(client, csrf, "departments", DEPARTMENTS, effective="2025-01-01").status_code == 200
    bad = b"code,name,bhyt_code\nKNOI,Khoa N\xe1\xbb\x99i m\xe1\xbb\x9bi,K03\nK 2,,\n"
    response = upload(
        client,
        csrf,
        "departments",
        bad,
        effective="2025-02-01",
    )
    assert response.status_code == 422
    body = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [(e["line"], e["column"]) for e in body["errors"]] == [(3, "code"), (3, "name")]
    assert all(e["message"] for e in body["errors"])
    assert client.get("/api/v1/catalogs/departments/KNOI").json()["name"] == "Khoa Nội tổng hợp"

    no_file = client.post(
        "/api/v1/catalogs/departments/import",
        data={"effective": "2025-01-01"},
        files={"other": ("x.csv", b"x", "text/csv")},
        headers={"X-CSRF-Token": csrf},
    )
    assert no_file.status_code == 422 and no_file.json()["errors"][0]["field"] == "file"
    bad_date = upload(client, csrf, "departments", DEPARTMENTS, effective="01/02/2025")
    assert bad_date.status_code == 422 and bad_date.json()["errors"][0]["field"] == "effective"

    audit = client.get("/api/v1/audit", params={"action": "catalog.import"}).json()["items"]
    assert sorted((a["object_type"], a["outcome"]) for a in audit) == [
        ("departments", "rejected"),
        ("departments", "success"),
    ]
    success = next(a for a in audit if a["outcome"] == "success")
    assert success["username"] == "admin" and "2 added" in success["detail"]


def test_only_catalog_writers_may_import(client: TestClient[Litestar]) -> None:
    csrf = login(client, "letan")
    assert client.get("/api/v1/catalogs").status_code == 200
    refused = upload(client, csrf, "departments", DEPARTMENTS, effective="2025-01-01")
    assert refused.status_code == 403
    assert client.get("/api/v1/catalogs/departments").json()["total"] == 0
    client.cookies.clear()
    assert client.get("/api/v1/catalogs").status_code == 401


def test_export_csv_round_trips_through_the_api(client: TestClient[Litestar]) -> None:
    csrf = login(client, "admin")
    assert upload(client, csrf, "services", SERVICES, effective="2025-01-01").status_code == 200
    exported = client.get("/api/v1/catalogs/services/export.csv", params={"as_of": "2025-01-01"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    assert exported.content == SERVICES
    again = upload(client, csrf, "services", exported.content, effective="2025-06-01").json()
    assert (again["added"], again["changed"], again["unchanged"]) == (0, 0, 2)
    empty = client.get("/api/v1/catalogs/services/export.csv", params={"as_of": "2024-01-01"})
    assert empty.text == "code,name,group,unit,hospital_price,bhyt_price,bhyt_code\n"
    assert client.get("/api/v1/catalogs/services/DV2").json()["bhyt_price"] is None


def test_pages_search_without_javascript_and_with_htmx(client: TestClient[Litestar]) -> None:
    csrf = login(client, "admin")
    assert upload(client, csrf, "services", SERVICES, effective="2025-01-01").status_code == 200
    index = client.get("/catalogs")
    assert index.status_code == 200 and 'href="/catalogs/services"' in index.text
    page = client.get("/catalogs/services", params={"q": "glucose"})
    assert page.status_code == 200
    assert (
        "data-search" in page.text and "autofocus" in page.text and 'hx-get="/catalogs/services/results"' in page.text
    )
    assert 'data-code="DV2"' in page.text and 'data-code="DV1"' not in page.text
    assert "25.000" in page.text  # prices with the Vietnamese thousands separator
    assert 'name="_csrf"' in page.text and 'enctype="multipart/form-data"' in page.text
    fragment = client.get("/catalogs/services/results", params={"q": "kham noi"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'data-code="DV1"' in fragment.text and 'data-code="DV2"' not in fragment.text
    entry = client.get("/catalogs/services/entries/DV1")
    assert entry.status_code == 200 and "Khám Nội" in entry.text and "2025-01-01" in entry.text
    missing = client.get("/catalogs/nope", headers={"Accept": "text/html"})
    assert missing.status_code == 404


def test_import_form_page_reports_success_and_row_errors(client: TestClient[Litestar]) -> None:
    login(client, "admin")
    page = client.get("/catalogs/departments")
    csrf = page.text.split('name="_csrf" value="', 1)[1].split('"', 1)[0]
    done = client.post(
        "/catalogs/departments/import",
        data={"_csrf": csrf, "effective": "2025-01-01"},
        files={"file": ("d.csv", DEPARTMENTS, "text/csv")},
    )
    assert done.status_code == 200 and 'data-testid="import-report"' in done.text
    assert 'data-code="KNOI"' in done.text
    failed = client.post(
        "/catalogs/departments/import",
        data={"_csrf": csrf, "effective": "2025-02-01"},
        files={"file": ("d.csv", b"code,name\nK 1,\n", "text/csv")},
    )
    assert failed.status_code == 422 and 'data-testid="import-problems"' in failed.text
    no_csrf = client.post(
        "/catalogs/departments/import",
        data={"effective": "2025-02-01"},
        files={"file": ("d.csv", DEPARTMENTS, "text/csv")},
    )
    assert no_csrf.status_code == 403


def test_the_import_form_is_only_shown_to_writers(client: TestClient[Litestar]) -> None:
    login(client, "dieuduong")
    page = client.get("/catalogs/icd10")
    assert page.status_code == 200 and 'action="/catalogs/icd10/import"' not in page.text
