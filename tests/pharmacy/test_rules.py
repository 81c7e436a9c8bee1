"""FEFO allocation and expiry warnings: pure rules, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from his.pharmacy.rules import (
    Allocation,
    Insufficient,
    LotStock,
    allocate_fefo,
    expiring_within,
    usable_quantity,
    vietnam_day,
)

pytestmark = pytest.mark.criterion(34)

DAY = date(2026, 3, 1)


def lot(lot_id: int, days: int, available: int) -> LotStock:
    return LotStock(lot_id, DAY + timedelta(days=days), available)


def test_the_lot_that_expires_first_is_taken_first_whatever_the_order_given() -> None:
    lots = [lot(1, 300, 50), lot(2, 30, 50), lot(3, 120, 50)]
    assert allocate_fefo(lots, 20, DAY) == [Allocation(2, 20)]


def test_a_request_larger_than_one_lot_spans_lots_in_expiry_order() -> None:
    lots = [lot(1, 300, 50), lot(2, 30, 10), lot(3, 120, 15)]
    assert allocate_fefo(lots, 40, DAY) == [Allocation(2, 10), Allocation(3, 15), Allocation(1, 15)]


def test_expired_lots_are_never_used_but_a_lot_expiring_today_is() -> None:
    lots = [lot(1, -1, 100), lot(2, 0, 5), lot(3, 10, 5)]
    assert allocate_fefo(lots, 8, DAY) == [Allocation(2, 5), Allocation(3, 3)]
    assert usable_quantity(lots, DAY) == 10


def test_too_little_usable_stock_allocates_nothing_and_says_how_much_is_missing() -> None:
    lots = [lot(1, -5, 100), lot(2, 10, 7), lot(3, 20, 0)]
    result = allocate_fefo(lots, 10, DAY)
    assert result == Insufficient(requested=10, usable=7)
    assert isinstance(result, Insufficient) and result.shortfall == 3


def test_lots_with_the_same_expiry_are_taken_in_receipt_order() -> None:
    assert allocate_fefo([lot(9, 30, 5), lot(4, 30, 5)], 6, DAY) == [Allocation(4, 5), Allocation(9, 1)]


def test_a_quantity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        allocate_fefo([lot(1, 30, 5)], 0, DAY)


@given(
    st.lists(st.tuples(st.integers(-30, 400), st.integers(0, 60)), max_size=8),
    st.integers(1, 300),
)
def test_allocations_add_up_never_exceed_a_lot_and_never_touch_expired_stock(
    spec: list[tuple[int, int]], quantity: int
) -> None:
    lots = [lot(index, days, available) for index, (days, available) in enumerate(spec, start=1)]
    result = allocate_fefo(lots, quantity, DAY)
    usable = usable_quantity(lots, DAY)
    if isinstance(result, Insufficient):
        assert usable < quantity and result.usable == usable
        return
    by_id = {item.lot_id: item for item in lots}
    assert sum(a.quantity for a in result) == quantity
    assert all(0 < a.quantity <= by_id[a.lot_id].available for a in result)
    assert all(by_id[a.lot_id].expiry_date >= DAY for a in result)
    # FEFO: a later-expiring lot is only used once every earlier usable lot is empty.
    taken = [by_id[a.lot_id] for a in result]
    for skipped in lots:
        if skipped.available and skipped.expiry_date >= DAY and skipped.lot_id not in {t.lot_id for t in taken}:
            assert all(t.expiry_date <= skipped.expiry_date for t in taken)


def test_expiry_warnings_list_lots_with_stock_expiring_within_the_horizon_soonest_first() -> None:
    lots = [lot(1, 90, 10), lot(2, 59, 10), lot(3, -2, 4), lot(4, 60, 10), lot(5, 5, 0)]
    assert [item.lot_id for item in expiring_within(lots, DAY, 60)] == [3, 2, 4]


def test_today_is_the_day_in_viet_nam() -> None:
    assert vietnam_day(datetime(2026, 3, 1, 16, 59, tzinfo=UTC)) == date(2026, 3, 1)
    assert vietnam_day(datetime(2026, 3, 1, 17, 0, tzinfo=UTC)) == date(2026, 3, 2)
    with pytest.raises(ValueError):
        vietnam_day(datetime(2026, 3, 1, 17, 0))
