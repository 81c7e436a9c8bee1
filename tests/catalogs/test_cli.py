"""`his catalog import|export|list` through click's CliRunner, on both databases."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from his.catalogs.models import Icd10Code
from his.cli import build_cli
from his.kernel.db import Database

pytestmark = pytest.mark.criterion(31)


def count_icd10(database_url: str) -> tuple[int, int]:
    """(rows, open versions) of the ICD-10 table."""

    async def work() -> tuple[int, int]:
        database = Database(database_url)
        try:
            async with database.transaction() as session:
                rows = await session.scalar(select(func.count()).select_from(Icd10Code)) or 0
                open_ = (
                    await session.scalar(
                        select(func.count()).select_from(Icd10Code).where(Icd10Code.valid_to.is_(None))
                    )
                    or 0
                )
                return rows, open_
        finally:
            await database.dispose()

    return asyncio.run(work())


def run(database_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(), ["--database-url", database_url, "catalog", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.mark.criterion(109)
def test_import_the_national_icd10_list_then_export_and_reimport_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    started = time.perf_counter()
    code, output = run(database_url, "import", "icd10", "--effective", "2025-01-01")
    elapsed = time.perf_counter() - started
    assert code == 0, output
    # 12,219 rows: J13 is written twice, word for word, so 12,218 distinct codes are in force.
    assert "12219 rows read, 12218 added, 0 changed" in output
    assert "1 duplicate rows skipped" in output
    assert elapsed < 30, f"import took {elapsed:.1f} s"
    assert count_icd10(database_url) == (12218, 12218)

    exported = tmp_path / "icd10.csv"
    code, output = run(database_url, "export", "icd10", str(exported), "--as-of", "2025-01-01")
    assert code == 0, output
    assert len(exported.read_text(encoding="utf-8").splitlines()) >= 12219

    code, output = run(database_url, "import", "icd10", str(exported), "--effective", "2025-06-01")
    assert code == 0, output
    assert "12218 rows read, 0 added, 0 changed, 12218 unchanged" in output
    assert count_icd10(database_url) == (12218, 12218)

    code, output = run(database_url, "list")
    assert code == 0 and "icd10" in output and "12218" in output


def test_a_bad_file_exits_1_and_lists_its_problems(database_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "services.csv"
    bad.write_text(
        "code,name,group,unit,hospital_price,bhyt_price,bhyt_code\n"
        "DV1,Khám Nội,Khám bệnh,Lần,50.000,,\n"
        "DV2,,Xét nghiệm,Lần,25000,,\n",
        encoding="utf-8",
    )
    code, output = run(database_url, "import", "services", str(bad))
    assert code == 1
    assert "line 2, column hospital_price: Write a whole number without separators" in output
    assert "line 3, column name: A value is required" in output
    assert "Nothing was imported: the file has 2 problem(s)" in output

    code, output = run(database_url, "import", "services")
    assert code == 2 and "FILE is required" in output
    code, output = run(database_url, "import", "medicines", str(bad))
    assert code == 2


def test_export_to_standard_output(database_url: str, tmp_path: Path) -> None:
    departments = tmp_path / "departments.csv"
    departments.write_text("code,name,bhyt_code\nKNOI,Khoa Nội,\n", encoding="utf-8")
    code, output = run(database_url, "import", "departments", str(departments), "--effective", "2025-01-01")
    assert code == 0, output
    code, output = run(database_url, "export", "departments", "-")
    assert code == 0
    assert output.endswith("code,name,bhyt_code\nKNOI,Khoa Nội,\n")
