"""The statistics page and its exports through the HTTP client, on both databases: the files carry the page's
figures, bad periods are refused in Vietnamese, and only admin, auditor and doctors may read."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from html import unescape

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook

from his.settings import Settings
from tests.conftest import login
from tests.statistics.conftest import Seeded, seeded_database

pytestmark = pytest.mark.criterion(42)
PERIOD = {"date_from": "2026-03-01", "date_to": "2026-03-03"}


@pytest.fixture
def stats_client(client: TestClient[Litestar], settings: Settings) -> tuple[TestClient[Litestar], Seeded]:
    seeded = asyncio.run(seeded_database(settings))
    login(client, "admin")
    return client, seeded


def page_tables(html: str) -> dict[str, list[list[str]]]:
    """Each report table of the page as rows of cell texts (the header row first)."""
    tables = {}
    for key, body in re.findall(r'<table class="data" data-testid="table-([a-z_]+)">(.*?)</table>', html, re.S):
        rows = []
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
            cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            rows.append([unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
        tables[key] = rows
    return tables


def as_page_text(value: object) -> str:
    """An exported cell as the page prints it (1.234 for integers, 12,5 for decimals)."""
    if value is None:
        return ""
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    if isinstance(value, float):
        return str(value).replace(".", ",")
    if re.fullmatch(r"-?\d+", str(value)):
        return f"{int(str(value)):,}".replace(",", ".")
    if re.fullmatch(r"-?\d+\.\d+", str(value)):
        return str(value).replace(".", ",")
    return str(value)


def test_the_page_shows_the_figures_and_charts(stats_client: tuple[TestClient[Litestar], Seeded]) -> None:
    client, seeded = stats_client
    response = client.get("/statistics", params=PERIOD)
    assert response.status_code == 200, response.text
    html = response.text
    assert "Thống kê bệnh viện" in html and "Kỳ báo cáo: từ 01/03/2026 đến 03/03/2026" in html
    for chart in ("chart-flow", "chart-departments", "chart-diagnoses", "chart-revenue"):
        assert f'data-testid="{chart}"' in html
    tables = page_tables(html)
    assert tables["flow"][1:] == [["02/03/2026", "Khoa Khám bệnh", "3", "2"]]
    assert tables["diagnoses"][1:] == [
        ["1", "I10", "Tăng huyết áp vô căn", "1"],
        ["2", "J06.9", "Nhiễm trùng hô hấp trên cấp", "1"],
    ]
    total = seeded.insured_totals.patient_pays + seeded.insured_totals.fund_pays + seeded.uninsured_totals.patient_pays
    assert tables["revenue"][-1][0] == "Tổng cộng"
    assert tables["revenue"][-1][-1] == f"{total:,}".replace(",", ".")
    # The nav shows the module to whoever may read it.
    assert 'href="/statistics"' in html


def test_the_default_period_is_the_last_30_days(stats_client: tuple[TestClient[Litestar], Seeded]) -> None:
    client, _seeded = stats_client
    html = client.get("/statistics").text
    assert len(page_tables(html)["flow_by_day"]) == 31  # the header and 30 days


def test_csv_and_xlsx_carry_the_page_figures(stats_client: tuple[TestClient[Litestar], Seeded]) -> None:
    client, _seeded = stats_client
    html = client.get("/statistics", params=PERIOD).text
    tables, captions = page_tables(html), page_captions(html)

    exported = client.get("/statistics/export.csv", params=PERIOD)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "thong-ke-2026-03-01-2026-03-03.csv" in exported.headers["content-disposition"]
    text = exported.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Thống kê bệnh viện"]
    for key, page_rows in tables.items():
        title_index = next(i for i, row in enumerate(rows) if row and row[0] == captions[key])
        body = rows[title_index + 1 : title_index + 1 + len(page_rows)]
        assert [[as_page_text(c) for c in row] for row in body] == page_rows, key

    workbook = load_workbook(io.BytesIO(client.get("/statistics/export.xlsx", params=PERIOD).content))
    assert len(workbook.sheetnames) == len(tables)
    for sheet in workbook.worksheets:
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
        key = next(k for k in tables if captions[k] == values[3][0])
        assert [[as_page_text(c) for c in row] for row in values[4:]] == tables[key], key


def page_captions(html: str) -> dict[str, str]:
    """Each report table's caption on the page (the exports title each table the same way)."""
    found = re.findall(r'data-testid="table-([a-z_]+)">\s*<caption>(.*?)</caption>', html, re.S)
    return {key: unescape(caption) for key, caption in found}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "Ngày kết thúc kỳ báo cáo đứng trước ngày bắt đầu"),
        ({"date_from": "2023-01-01", "date_to": "2026-03-01"}, "Kỳ báo cáo không được dài quá hai năm"),
        ({"date_from": "01/03/2026"}, "Không phải ngày hợp lệ: 01/03/2026"),
        ({"department": "KHONG-CO"}, "Không có khoa KHONG-CO"),
    ],
)
def test_bad_periods_are_refused_in_vietnamese(
    stats_client: tuple[TestClient[Litestar], Seeded], params: dict[str, str], message: str
) -> None:
    client, _seeded = stats_client
    page = client.get("/statistics", params=params)
    assert page.status_code == 422 and message in page.text
    for path in ("/statistics/export.csv", "/statistics/export.xlsx", "/api/v1/statistics/report"):
        refused = client.get(path, params=params)
        assert refused.status_code == 422, path
        assert refused.json()["detail"] == message


def test_the_json_report_has_the_same_tables(stats_client: tuple[TestClient[Litestar], Seeded]) -> None:
    client, _seeded = stats_client
    body = client.get("/api/v1/statistics/report", params=PERIOD).json()
    assert body["date_from"] == "2026-03-01" and body["department"] is None
    flow = next(t for t in body["tables"] if t["key"] == "flow")
    assert flow["rows"] == [["02/03/2026", "Khoa Khám bệnh", 3, 2]]


@pytest.mark.parametrize(
    ("username", "status"),
    [("admin", 200), ("kiemtoan", 200), ("bacsi", 200), ("letan", 403), ("thungan", 403), ("duocsi", 403)],
)
def test_who_may_read_statistics(client: TestClient[Litestar], username: str, status: int) -> None:
    login(client, username)
    assert client.get("/api/v1/statistics/report", params=PERIOD).status_code == status
    assert client.get("/statistics/export.csv", params=PERIOD).status_code == status
