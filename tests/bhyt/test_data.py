"""The rule data: it loads, it covers every table, and the QĐ 130/QĐ 4750 rows are the reviewed extraction."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import pytest

from his.bhyt.spec import RuleBook

pytestmark = pytest.mark.criterion(36)

DATA = Path(__file__).resolve().parents[2] / "his" / "bhyt" / "data"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "standards" / "vn" / "xml130-fields"
ORIGINAL_SOURCES = {"QĐ 130", "QĐ 4750", "QĐ 130; QĐ 4750"}


def test_every_table_of_the_decision_is_in_the_rule_book(rulebook: RuleBook) -> None:
    assert set(rulebook.fields) == {"CHECKIN", *(f"XML{n}" for n in range(1, 16))}
    assert [rule.field for rule in rulebook.fields["XML5"]] == [
        "MA_LK",
        "STT",
        "DIEN_BIEN_LS",
        "GIAI_DOAN_BENH",
        "HOI_CHAN",
        "PHAU_THUAT",
        "THOI_DIEM_DBLS",
        "NGUOI_THUC_HIEN",
        "DU_PHONG",
    ]


def test_the_tables_built_now_are_reviewed_by_hand(rulebook: RuleBook) -> None:
    for table in ("CHECKIN", "XML1", "XML2", "XML3", "XML4", "XML5", "XML7"):
        assert all(rule.reviewed for rule in rulebook.fields[table]), table
    assert not any(rule.reviewed for rule in rulebook.fields["XML6"])


def test_amendments_of_qd4750_are_applied(rulebook: RuleBook) -> None:
    # Type changed to string, size raised, a field added, a code added.
    assert rulebook.rule("XML1", "MA_LOAI_KCB").type == "string"  # type: ignore[union-attr]
    assert rulebook.rule("XML1", "MA_DOITUONG_KCB").max_size == 4  # type: ignore[union-attr]
    assert rulebook.rule("XML1", "NHOM_MAU").source == "QĐ 4750"  # type: ignore[union-attr]
    assert rulebook.rule("XML2", "MA_KHOA").max_size == 50  # type: ignore[union-attr]
    assert "8" in rulebook.code_lists["KET_QUA_DTRI"]
    assert rulebook.rule("CHECKIN", "NGAY_VAO_NOI_TRU").source == "QĐ 4750"  # type: ignore[union-attr]


def _load_builder() -> object:
    spec = importlib.util.spec_from_file_location("build_fields", DATA / "build_fields.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is made.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared/ standards are not beside the repository")
def test_committed_rows_of_qd130_and_qd4750_equal_the_reviewed_extraction(tmp_path: Path) -> None:
    builder = _load_builder()
    builder.main(["build_fields.py", "--source", str(SHARED), "--out", str(tmp_path)])  # type: ignore[attr-defined]

    def rows(path: Path) -> dict[tuple[str, str], dict[str, str]]:
        with path.open(encoding="utf-8", newline="") as handle:
            return {(row["table"], row["field"]): row for row in csv.DictReader(handle)}

    extracted, committed = rows(tmp_path / "fields.csv"), rows(DATA / "fields.csv")
    original = {key: row for key, row in committed.items() if row["source"] in ORIGINAL_SOURCES}
    assert original, "no QĐ 130/QĐ 4750 rows"
    for key, row in original.items():
        assert extracted.get(key) == row, key
    with (tmp_path / "code_lists.csv").open(encoding="utf-8") as handle:
        extracted_codes = set(map(tuple, csv.reader(handle)))
    with (DATA / "code_lists.csv").open(encoding="utf-8") as handle:
        committed_codes = {tuple(r) for r in csv.reader(handle) if r[-1] in ORIGINAL_SOURCES | {"source"}}
    assert committed_codes <= extracted_codes
