"""The pure rules: abnormal flags, the lifecycle, what a service group orders and the specimen it needs."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from his.orders import rules
from his.orders.rules import Reference, abnormal_flag

pytestmark = pytest.mark.criterion(38)

POTASSIUM = Reference(Decimal("3.5"), Decimal("5.0"), Decimal("2.5"), Decimal("6.5"))


@pytest.mark.parametrize(
    ("value", "flag"),
    [
        ("2.4", "LL"),
        ("2.5", "L"),  # a critical limit itself is abnormal, not critical
        ("3.4", "L"),
        ("3.5", ""),  # the reference limits belong to the range
        ("4.2", ""),
        ("5.0", ""),
        ("5.1", "H"),
        ("6.5", "H"),
        ("6.6", "HH"),
    ],
)
def test_potassium_is_flagged_by_its_reference_and_critical_limits(value: str, flag: str) -> None:
    assert abnormal_flag(Decimal(value), POTASSIUM) == flag


def test_missing_limits_flag_only_what_is_known() -> None:
    assert abnormal_flag(Decimal(100), Reference()) == ""
    assert abnormal_flag(Decimal(41), Reference(high=Decimal(40))) == "H"
    assert abnormal_flag(Decimal("0.5"), Reference(low=Decimal("0.9"))) == "L"
    assert abnormal_flag(Decimal(31), Reference(high=Decimal(7), critical_high=Decimal(30))) == "HH"


def test_reference_ranges_read_and_check() -> None:
    assert POTASSIUM.text() == "3.5 - 5"
    assert Reference(high=Decimal(40)).text() == "≤ 40"
    assert Reference(low=Decimal("0.9")).text() == "≥ 0.9"
    assert POTASSIUM.is_consistent()
    assert not Reference(Decimal(5), Decimal(3)).is_consistent()
    assert not Reference(Decimal(3), Decimal(5), critical_low=Decimal(4)).is_consistent()


def test_the_worst_flag_summarises_an_order() -> None:
    assert rules.worst_flag(["", "H", "LL"]) == "LL"
    assert rules.worst_flag(["", "H"]) == "H"
    assert rules.worst_flag(["", ""]) == ""


def test_the_lifecycle_moves_forward_only() -> None:
    path = ["placed", "accepted", "in_progress", "resulted", "verified"]
    for current, target in itertools.pairwise(path):
        assert rules.can_move(current, target)
    assert rules.can_move("accepted", "resulted")  # a quick test needs no separate start
    assert rules.can_move("resulted", "resulted")  # a correction before verification
    assert not rules.can_move("placed", "resulted")
    assert not rules.can_move("verified", "resulted")
    assert not rules.can_move("resulted", "cancelled")
    assert not rules.can_move("cancelled", "accepted")
    assert all(rules.can_move(status, "cancelled") for status in rules.OPEN_STATUSES)


@pytest.mark.parametrize(
    ("group", "category"),
    [
        ("Xét nghiệm", "lab"),
        ("xet nghiem", "lab"),
        ("Chẩn đoán hình ảnh", "imaging"),
        ("Thăm dò chức năng", "procedure"),
        ("Thủ thuật", "procedure"),
        ("Khám bệnh", "consultation"),
        ("Ngày giường", None),
        ("Khám sức khỏe", None),
    ],
)
def test_catalog_groups_decide_what_is_ordered(group: str, category: str | None) -> None:
    assert rules.category_of_group(group) == category


def test_specimens_come_from_the_test_name() -> None:
    assert rules.specimen_for("lab", "Định lượng Glucose [Máu]") == "Máu"
    assert rules.specimen_for("lab", "Tổng phân tích nước tiểu (bằng máy tự động)") == "Nước tiểu"
    assert rules.specimen_for("lab", "Định lượng Protein [Dịch]") == "Dịch"
    assert rules.specimen_for("lab", "HBsAg test nhanh") == "Máu"
    assert rules.specimen_for("imaging", "Chụp X-quang ngực thẳng") == ""


def test_numbers_are_read_as_typed_on_a_vietnamese_keyboard() -> None:
    assert rules.parse_number("5,8") == Decimal("5.8")
    assert rules.parse_number(" 6.1 ") == Decimal("6.1")
    assert rules.parse_number("") is None
    for bad in ("abc", "5..1", "NaN", "Infinity"):
        with pytest.raises(ValueError):
            rules.parse_number(bad)


def test_order_numbers_and_reasons() -> None:
    assert rules.order_code(42) == "YL00000042"
    assert rules.valid_reason("Trùng chỉ định")
    assert not rules.valid_reason("  x ")
    assert not rules.valid_reason("x" * 301)


def test_a_recent_order_of_the_same_service_is_a_repeat() -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    earlier = [
        rules.EarlierOrder("YL1", "DV04023", "Điện giải đồ", now - timedelta(hours=30)),
        rules.EarlierOrder("YL2", "DV04023", "Điện giải đồ", now - timedelta(hours=5)),
        rules.EarlierOrder("YL3", "DV05001", "X-quang ngực", now - timedelta(hours=25)),
    ]
    window = timedelta(hours=24)
    repeats = rules.recent_repeats(earlier, ["DV05001", "DV04023", "DV04023"], now=now, window=window)
    assert [(code, order.code) for code, order in repeats] == [("DV04023", "YL2")]
    assert rules.recent_repeats(earlier, ["DV04023"], now=now, window=timedelta(0)) == []
    assert rules.recent_repeats(earlier, ["DV04025"], now=now, window=window) == []
