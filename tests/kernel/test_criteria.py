"""Tests of the Circular 54 criteria map and of the ``criterion`` pytest plugin."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from his.kernel.criteria import GROUPS, Criterion, load_criteria

pytest_plugins = ["pytester"]

REPO_ROOT = Path(__file__).resolve().parents[2]

GROUP_RANGES: dict[str, range] = {
    "infrastructure": range(1, 20),
    "management": range(20, 30),
    "his": range(30, 62),
    "ris_pacs": range(62, 80),
    "lis": range(80, 90),
    "non_functional": range(90, 114),
    "security": range(114, 129),
    "emr": range(129, 147),
}

# Appendix I: first criterion of each level (a level cell spans the rows after it).
INFRASTRUCTURE_LEVEL_STARTS = {1: 1, 2: 4, 3: 8, 4: 11, 5: 14, 6: 15, 7: 18}
HIS_LEVEL_STARTS = {1: 30, 2: 37, 3: 39, 4: 44, 5: 48, 6: 53, 7: 57}
# Groups graded basic/advanced: first advanced criterion.
FIRST_ADVANCED = {
    "management": 23,
    "ris_pacs": 76,
    "lis": 86,
    "non_functional": 99,
    "security": 119,
    "emr": 138,
}


def test_exactly_146_criteria_numbered_1_to_146() -> None:
    criteria = load_criteria()
    assert len(criteria) == 146
    assert list(criteria) == list(range(1, 147))
    assert all(number == c.number for number, c in criteria.items())


def test_groups_cover_their_number_ranges() -> None:
    criteria = load_criteria()
    assert set(GROUP_RANGES) == set(GROUPS)
    for group, numbers in GROUP_RANGES.items():
        assert [c.number for c in criteria.values() if c.group == group] == list(numbers)


def test_texts_are_present_and_trimmed() -> None:
    for c in load_criteria().values():
        for text in (c.text_vi, c.text_en):
            assert text
            assert text == text.strip()
            assert "  " not in text
            assert "\n" not in text


def test_his_levels_are_1_to_7_and_non_decreasing() -> None:
    criteria = load_criteria()
    levels = [criteria[n].level for n in GROUP_RANGES["his"]]
    assert all(level is not None and 1 <= level <= 7 for level in levels)
    assert levels == sorted(levels, key=lambda level: level or 0)
    assert set(levels) == set(range(1, 8))


@pytest.mark.parametrize(
    ("group", "starts"),
    [("infrastructure", INFRASTRUCTURE_LEVEL_STARTS), ("his", HIS_LEVEL_STARTS)],
)
def test_levels_match_appendix_i(group: str, starts: dict[int, int]) -> None:
    criteria = load_criteria()
    for number in GROUP_RANGES[group]:
        expected = max(level for level, first in starts.items() if first <= number)
        assert criteria[number].level == expected, number
        assert criteria[number].tier is None


def test_basic_and_advanced_tiers() -> None:
    criteria = load_criteria()
    for group, first_advanced in FIRST_ADVANCED.items():
        for number in GROUP_RANGES[group]:
            c = criteria[number]
            assert c.level is None
            assert c.tier == ("advanced" if number >= first_advanced else "basic"), number


def test_criterion_31_shared_catalogs() -> None:
    c = load_criteria()[31]
    assert c.group == "his"
    assert c.level == 1
    assert c.text_vi == "Quản lý danh mục dùng chung"
    assert c.text_en == "Shared list management"


def test_criterion_123_password_hash_with_salt() -> None:
    c = load_criteria()[123]
    assert c.group == "security"
    assert c.tier == "advanced"
    assert c.text_vi.startswith("Phương thức mã hóa mật khẩu của người dùng:")
    assert "salt, hash (MD5, SHA)" in c.text_vi
    assert c.text_en == (
        "User password encryption method: User password must be encrypted using hash, salt (MD5, SHA) techniques"
    )


def test_spot_checks_across_groups() -> None:
    criteria = load_criteria()
    assert criteria[1].text_en == "Computers that must satisfy requirements for IT application"
    assert criteria[11].text_vi == "Hệ thống lưu trữ (SAN/NAS)"
    assert criteria[20].text_vi == "Quản lý tài chính - kế toán"
    assert criteria[36].text_vi == "Kết nối với BHXH thanh quyết toán BHYT (tập tin XML)"
    assert "theo tiêu chuẩn HL7" in criteria[68].text_vi
    assert "DICOM pathological images to JPEG format" in criteria[68].text_en
    assert criteria[84].text_en.startswith("Connection of laboratory information system")
    assert "dưới 10 giây" in criteria[105].text_vi
    assert "less than 10 seconds" in criteria[105].text_en
    assert criteria[114].text_en.startswith("Control of user’s access to system: Authentication management;")
    assert criteria[128].text_vi == "Tích hợp chữ ký số"
    assert criteria[144].text_en.endswith("(exporting electronic medical records according to HL7 CDA, CCD)")
    assert criteria[146].text_vi == "Sao lưu dự phòng và phục hồi CSDL"


def test_criterion_is_frozen_and_loader_cached() -> None:
    criteria = load_criteria()
    assert load_criteria() is criteria
    with pytest.raises(dataclasses.FrozenInstanceError):
        criteria[1].number = 2  # type: ignore[misc]
    assert isinstance(criteria[1], Criterion)


# --- the pytest plugin -------------------------------------------------------

PLUGIN = "tests.plugins.criteria"
# The inner runs have no project configuration; keep pytest-asyncio out of them
# (it warns when its loop-scope option is unset).
INNER_ARGS = ("-p", PLUGIN, "-p", "no:asyncio")


@pytest.fixture
def plugin_pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert(REPO_ROOT)
    return pytester


@pytest.mark.parametrize("marker", ["criterion(147)", "criterion(0)", "criterion('31')", "criterion()"])
def test_bad_marker_fails_collection(plugin_pytester: pytest.Pytester, marker: str) -> None:
    plugin_pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.{marker}
        def test_bad():
            pass

        def test_fine():
            pass
        """
    )
    result = plugin_pytester.runpytest(*INNER_ARGS)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid criterion markers*", "*test_bad*"])
    result.stdout.no_fnmatch_line("*passed*")


def test_marker_is_registered(plugin_pytester: pytest.Pytester) -> None:
    result = plugin_pytester.runpytest(*INNER_ARGS, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.criterion(*numbers): the Circular 54 criteria this test demonstrates"])


def test_criteria_report_json(plugin_pytester: pytest.Pytester) -> None:
    plugin_pytester.makepyfile(
        test_demo="""
        import pytest

        @pytest.mark.criterion(31)
        def test_catalog_passes():
            pass

        @pytest.mark.criterion(31, 123)
        def test_catalog_and_password_fails():
            assert False

        @pytest.mark.criterion(123)
        @pytest.mark.skip(reason="not yet")
        def test_password_skipped():
            pass

        @pytest.mark.criterion(123)
        def test_password_skips_in_call():
            pytest.skip("later")

        @pytest.mark.criterion(105)
        class TestPerformance:
            def test_fast(self):
                pass

        def test_untagged():
            pass
        """
    )
    result = plugin_pytester.runpytest(*INNER_ARGS, "--strict-markers", "--criteria-report=out/report.json")
    result.assert_outcomes(passed=3, failed=1, skipped=2)
    report = json.loads((plugin_pytester.path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report == {
        "criteria": {
            "31": {
                "tests": [
                    "test_demo.py::test_catalog_passes",
                    "test_demo.py::test_catalog_and_password_fails",
                ],
                "passed": 1,
                "failed": 1,
                "skipped": 0,
            },
            "105": {
                "tests": ["test_demo.py::TestPerformance::test_fast"],
                "passed": 1,
                "failed": 0,
                "skipped": 0,
            },
            "123": {
                "tests": [
                    "test_demo.py::test_catalog_and_password_fails",
                    "test_demo.py::test_password_skipped",
                    "test_demo.py::test_password_skips_in_call",
                ],
                "passed": 0,
                "failed": 1,
                "skipped": 2,
            },
        },
        "uncovered": [n for n in range(1, 147) if n not in (31, 105, 123)],
    }


def test_no_report_without_option(plugin_pytester: pytest.Pytester) -> None:
    plugin_pytester.makepyfile(
        """
        import pytest

        @pytest.mark.criterion(1)
        def test_ok():
            pass
        """
    )
    result = plugin_pytester.runpytest(*INNER_ARGS)
    result.assert_outcomes(passed=1)
    assert not list(plugin_pytester.path.rglob("*.json"))
