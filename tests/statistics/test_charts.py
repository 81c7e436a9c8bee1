"""The SVG charts: well-formed, accessible, scaled to their figures, and safe with any label."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from his.statistics.charts import Series, bar_chart, grid_steps, line_chart, nice_maximum

pytestmark = pytest.mark.criterion(42)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(("value", "top"), [(0, 1), (1, 1), (3, 5), (7, 10), (10, 10), (11, 20), (420, 500)])
def test_nice_maximum(value: float, top: int) -> None:
    assert nice_maximum(value) == top


@pytest.mark.parametrize(("top", "steps"), [(1, 1), (2, 2), (5, 5), (10, 5), (20, 5), (200_000, 5)])
def test_gridlines_fall_on_whole_numbers(top: int, steps: int) -> None:
    assert grid_steps(top) == steps


def test_axis_labels_use_the_vietnamese_thousands_separator() -> None:
    root = ET.fromstring(str(line_chart("Doanh thu", ["01/03"], [Series("Quỹ BHYT", [1_234_567])])))
    labels = [t.text for t in root.findall(f"{SVG}text")]
    assert labels[:6] == ["0", "400.000", "800.000", "1.200.000", "1.600.000", "2.000.000"]


def test_a_bar_chart_has_a_title_a_description_and_one_bar_per_value() -> None:
    svg = bar_chart(
        "Lượt khám <theo khoa>", ["Nội", "Ngoại & Nhi"], [Series("Đăng ký", [40, 10]), Series("Khám", [20, 5])]
    )
    root = ET.fromstring(str(svg))
    assert root.get("role") == "img"
    assert root.findtext(f"{SVG}title") == "Lượt khám <theo khoa>"
    desc = root.findtext(f"{SVG}desc")
    assert desc == "Đăng ký: Nội 40, Ngoại & Nhi 10; Khám: Nội 20, Ngoại & Nhi 5"
    bars = root.findall(f"{SVG}rect[@height]")
    bars = [b for b in bars if b.find(f"{SVG}title") is not None]
    assert len(bars) == 4
    heights = [float(b.get("height", "nan")) for b in bars]
    # Grouped by label: Nội 40, Nội 20, Ngoại 10, Ngoại 5. The tallest bar (40) reaches 4/5 of the axis top (50).
    assert heights == pytest.approx([heights[0], heights[0] / 2, heights[0] / 4, heights[0] / 8])
    assert max(heights) == pytest.approx((260 - 16 - 48) * 40 / 50, abs=0.1)  # the plot is 196 high


def test_a_line_chart_draws_one_line_per_series_with_a_dot_per_day() -> None:
    days = [f"{d:02d}/03" for d in range(1, 31)]
    svg = line_chart("Theo ngày", days, [Series("A", list(range(30))), Series("B", [0] * 30)])
    root = ET.fromstring(str(svg))
    assert len(root.findall(f"{SVG}polyline")) == 2
    assert len(root.findall(f"{SVG}circle")) == 60
    # Thirty days do not fit under the axis: every third label is printed.
    labels = [t.text for t in root.findall(f"{SVG}text") if t.text and t.text.endswith("/03")]
    assert labels == days[::3]


def test_an_empty_chart_is_still_valid() -> None:
    root = ET.fromstring(str(line_chart("Trống", [], [Series("A", [])])))
    assert root.find(f"{SVG}polyline") is not None
    ET.fromstring(str(bar_chart("Trống", [], [Series("A", [])])))
