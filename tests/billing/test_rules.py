"""BHYT coverage rules of the packaged policy, each both ways and on both sides of its effective date."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from his.billing import rules
from his.billing.rules import ChargeLine, CoverageDecision, CoverageFacts, PolicyRule
from his.billing.service import packaged_policy_path

pytestmark = pytest.mark.criterion(35)


@cache
def packaged() -> tuple[PolicyRule, ...]:
    return tuple(rules.parse_policy_csv(packaged_policy_path().read_text(encoding="utf-8")))


def decide(day: date, **changes: object) -> CoverageDecision:
    facts = CoverageFacts(
        service_date=day,
        benefit_level=4,
        card_valid=True,
        route="registered",
        hospital_level="provincial",
        care_type="outpatient",
        visit_total=2_000_000,  # well above the small-visit threshold
    )
    return rules.coverage(rules.snapshot_on(packaged(), day), replace(facts, **changes))  # type: ignore[arg-type]


def test_packaged_policy_parses_every_rule_has_a_source_and_no_key_overlaps() -> None:
    found = packaged()
    assert len(found) > 30
    assert all(rule.source for rule in found)
    assert rules.overlap_problems(found) == []


@pytest.mark.parametrize(("level", "percent"), [(1, 100), (2, 100), (3, 95), (4, 80), (5, 100)])
def test_benefit_level_of_the_card(level: int, percent: int) -> None:
    decision = decide(date(2025, 3, 1), benefit_level=level)
    assert decision.percent == percent
    assert decision.right_route
    assert f"benefit.percent.{level}@2015-01-01" in decision.rule_keys
    assert rules.REASON_BENEFIT in decision.reasons


def test_only_level_5_covers_costs_outside_the_list_and_levels_2_to_4_are_capped_for_high_tech() -> None:
    day = date(2025, 3, 1)
    assert decide(day, benefit_level=5).out_of_list_covered
    assert not any(decide(day, benefit_level=level).out_of_list_covered for level in (1, 2, 3, 4))
    # 40 months of the base salary in force (2,340,000 since 01/07/2024).
    assert decide(day, benefit_level=2).high_tech_cap == 40 * 2_340_000
    assert decide(day, benefit_level=4).high_tech_cap == 40 * 2_340_000
    assert decide(day, benefit_level=1).high_tech_cap is None
    assert decide(day, benefit_level=5).high_tech_cap is None


def test_no_card_or_an_expired_card_pays_nothing() -> None:
    no_card = decide(date(2025, 3, 1), benefit_level=None)
    assert no_card.percent == 0 and not no_card.covered and no_card.reasons == (rules.REASON_NO_CARD,)
    expired = decide(date(2025, 3, 1), card_valid=False)
    assert expired.percent == 0 and expired.reasons == (rules.REASON_CARD_INVALID,)


@pytest.mark.parametrize(
    ("day", "level", "care", "route_percent"),
    [
        # Central level: 40% of inpatient costs, outpatient not covered.
        (date(2015, 1, 1), "central", "inpatient", 40),
        (date(2025, 8, 1), "central", "inpatient", 40),
        (date(2020, 6, 1), "central", "outpatient", 0),
        # Provincial inpatient: 60% until 31/12/2020, 100% from 01/01/2021.
        (date(2020, 12, 31), "provincial", "inpatient", 60),
        (date(2021, 1, 1), "provincial", "inpatient", 100),
        # Provincial outpatient: not covered until 30/06/2025; 50% from 01/07/2025 (Law 51/2024, to verify).
        (date(2025, 6, 30), "provincial", "outpatient", 0),
        (date(2025, 7, 1), "provincial", "outpatient", 50),
        # District: 70% during 2015, 100% from 01/01/2016, outpatient too.
        (date(2015, 12, 31), "district", "inpatient", 70),
        (date(2016, 1, 1), "district", "inpatient", 100),
        (date(2015, 12, 31), "district", "outpatient", 70),
        (date(2016, 1, 1), "district", "outpatient", 100),
    ],
)
def test_wrong_route_rates_by_level_care_type_and_day(day: date, level: str, care: str, route_percent: int) -> None:
    decision = decide(day, route="wrong", hospital_level=level, care_type=care)
    assert not decision.right_route
    assert decision.percent == Decimal(80 * route_percent) / 100  # the benefit share times the route rate
    assert any(key.startswith(f"wrong_route.{level}.{care}@") for key in decision.rule_keys)
    expected = rules.REASON_WRONG_ROUTE if route_percent else rules.REASON_WRONG_ROUTE_NONE
    assert expected in decision.reasons


def test_wrong_route_keeps_fractions_of_a_percent() -> None:
    # 95% benefit x 50% route = 47.5%, not rounded to a whole percent.
    assert decide(date(2025, 7, 1), benefit_level=3, route="wrong").percent == Decimal("47.5")


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        ("registered", rules.REASON_REGISTERED),
        ("referral", rules.REASON_REFERRAL),
        ("transfer", rules.REASON_TRANSFER),
        ("emergency", rules.REASON_EMERGENCY),
    ],
)
def test_right_routes_pay_the_full_benefit_share_even_at_central_level(route: str, reason: str) -> None:
    decision = decide(date(2019, 5, 1), route=route, hospital_level="central", care_type="outpatient")
    assert decision.right_route and decision.percent == 80 and reason in decision.reasons


def test_the_cards_registered_facility_is_right_route_whatever_the_desk_said() -> None:
    day = date(2019, 5, 1)
    here = decide(day, route="wrong", hospital_level="central", registered_facility="01001", facility_code="01001")
    elsewhere = decide(day, route="wrong", hospital_level="central", registered_facility="01002", facility_code="01001")
    assert here.right_route and here.percent == 80
    assert not elsewhere.right_route and elsewhere.percent == 0


def test_a_route_rule_not_in_force_makes_the_route_wrong() -> None:
    without_emergency = [rule for rule in packaged() if rule.rule_key != "right_route.emergency"]
    day = date(2022, 1, 1)
    facts = CoverageFacts(day, 4, True, "emergency", "central", "inpatient", visit_total=10**7)
    decision = rules.coverage(rules.snapshot_on(without_emergency, day), facts)
    assert not decision.right_route and decision.percent == Decimal(32)


@pytest.mark.parametrize(
    ("day", "base_salary"),
    [
        (date(2019, 6, 30), 1_390_000),
        (date(2019, 7, 1), 1_490_000),
        (date(2023, 6, 30), 1_490_000),
        (date(2023, 7, 1), 1_800_000),
        (date(2024, 6, 30), 1_800_000),
        (date(2024, 7, 1), 2_340_000),
    ],
)
def test_small_visit_below_15_percent_of_the_base_salary_of_the_day(day: date, base_salary: int) -> None:
    threshold = base_salary * 15 // 100  # every base salary here is a multiple of 20 dong: exact
    below = decide(day, visit_total=threshold - 1)
    at = decide(day, visit_total=threshold)
    assert below.percent == 100 and rules.REASON_SMALL_VISIT in below.reasons
    assert any(key.startswith("base_salary@") for key in below.rule_keys)
    assert at.percent == 80 and rules.REASON_SMALL_VISIT not in at.reasons


def test_small_visit_on_a_wrong_route_still_takes_the_route_rate() -> None:
    decision = decide(date(2020, 12, 31), route="wrong", care_type="inpatient", visit_total=100_000)
    assert decision.percent == 60 and rules.REASON_SMALL_VISIT in decision.reasons


def test_commune_level_care_is_paid_in_full_on_the_right_route() -> None:
    assert decide(date(2022, 1, 1), hospital_level="commune").percent == 100
    assert rules.REASON_COMMUNE in decide(date(2022, 1, 1), hospital_level="commune").reasons


def test_five_consecutive_years_and_a_high_co_payment_pay_in_full() -> None:
    day = date(2025, 3, 1)
    limit = 6 * 2_340_000
    qualifies = decide(day, five_years_since=date(2020, 3, 1), year_copay_to_date=limit + 1)
    assert qualifies.percent == 100 and rules.REASON_FIVE_YEARS in qualifies.reasons
    # One day short of five years, or a co-payment not above six months of base salary: the card's share.
    assert decide(day, five_years_since=date(2020, 3, 2), year_copay_to_date=limit + 1).percent == 80
    assert decide(day, five_years_since=date(2020, 3, 1), year_copay_to_date=limit).percent == 80
    # Not on a wrong route (Law 25/2008 art. 22(1)(dd) as amended).
    wrong = decide(
        day, route="wrong", care_type="inpatient", five_years_since=date(2010, 1, 1), year_copay_to_date=10**8
    )
    assert wrong.percent == 80 and rules.REASON_FIVE_YEARS not in wrong.reasons


def test_five_year_limit_follows_the_base_salary_of_the_day() -> None:
    since = date(2010, 1, 1)
    assert decide(date(2024, 6, 30), five_years_since=since, year_copay_to_date=6 * 1_800_000 + 1).percent == 100
    assert decide(date(2024, 7, 1), five_years_since=since, year_copay_to_date=6 * 1_800_000 + 1).percent == 80


def test_missing_rule_is_a_policy_gap_not_a_silent_zero() -> None:
    with pytest.raises(rules.PolicyGap) as gap:
        decide(date(2014, 12, 31))
    assert gap.value.rule_key == "benefit.percent.4"


# ---------------------------------------------------------------- policy files


HEADER = "rule_key,value,unit,effective_from,effective_to,source,note\n"


def test_policy_file_problems_are_all_listed() -> None:
    text = HEADER + (
        "benefit.percent.9,80,percent,2015-01-01,,Law,\n"
        "base_salary,abc,vnd,2015-01-01,,Decree,\n"
        "small_visit.percent_of_base_salary,150,percent,2015-01-01,,Decree,\n"
        "base_salary,1,vnd,2016-01-01,2015-01-01,Decree,\n"
        "commune_level.percent,100,percent,2015-01-01,,,\n"
    )
    with pytest.raises(rules.PolicyFileError) as rejected:
        rules.parse_policy_csv(text)
    assert [p.line for p in rejected.value.problems] == [2, 3, 4, 5, 6]


def test_overlapping_versions_of_a_rule_are_refused() -> None:
    text = HEADER + (
        "base_salary,1490000,vnd,2019-07-01,,Decree 38/2019,\nbase_salary,1800000,vnd,2023-07-01,,Decree 24/2023,\n"
    )
    with pytest.raises(rules.PolicyFileError) as rejected:
        rules.parse_policy_csv(text)
    assert rejected.value.problems[0].params["key"] == "base_salary"


def test_missing_columns_are_named() -> None:
    with pytest.raises(rules.PolicyFileError) as rejected:
        rules.parse_policy_csv("rule_key,value\n")
    assert "unit" in rejected.value.problems[0].params["columns"]


# ---------------------------------------------------------------- split and rounding


def line(quantity: str, hospital: int, bhyt: int | None, *, listed: bool = True, high_tech: bool = False) -> ChargeLine:
    return ChargeLine("X", "x", Decimal(quantity), hospital, bhyt, listed, high_tech)


def test_split_of_listed_unlisted_and_price_difference_lines() -> None:
    decision = CoverageDecision(Decimal(80), right_route=True)
    listed, unlisted, dearer = rules.split_charges(
        [line("1", 50_500, 50_500), line("1", 150_000, None, listed=False), line("2", 25_000, 21_500)], decision
    )
    assert (listed.fund_pays, listed.patient_copay, listed.patient_other) == (40_400, 10_100, 0)
    assert (unlisted.fund_pays, unlisted.patient_copay, unlisted.patient_other) == (0, 0, 150_000)
    # The fund's share applies to the BHYT price; the hospital's price above it is the patient's.
    assert (dearer.amount_bhyt, dearer.fund_pays, dearer.patient_copay, dearer.patient_other) == (
        43_000,
        34_400,
        8_600,
        7_000,
    )


def test_lines_round_half_up_and_totals_are_sums_of_rounded_lines() -> None:
    decision = CoverageDecision(Decimal("47.5"), right_route=False)
    # 3 x 1 dong at 47.5%: each line 0.475 -> 0 dong; 0.5 x 3 dong = 1.5 -> 2 dong.
    splits = rules.split_charges([line("1", 1, 1), line("1", 1, 1), line("0.5", 3, 3)], decision)
    assert [s.amount_hospital for s in splits] == [1, 1, 2]
    assert [s.fund_pays for s in splits] == [0, 0, 1]  # 2 x 0.475 = 0.95 -> 1 (half up)
    total = rules.totals(splits)
    assert total.fund_pays == 1 and total.patient_pays == 3 and total.amount_hospital == 4


def test_round_vnd_is_half_up() -> None:
    assert [rules.round_vnd(Decimal(v)) for v in ("0.5", "1.5", "2.5", "2.4999")] == [1, 2, 3, 2]


def test_level_5_pays_outside_the_list_and_high_tech_lines_are_capped() -> None:
    level5 = CoverageDecision(Decimal(100), right_route=True, out_of_list_covered=True)
    (outside,) = rules.split_charges([line("1", 150_000, None, listed=False)], level5)
    assert outside.fund_pays == 150_000 and outside.patient_pays == 0
    capped = CoverageDecision(Decimal(80), right_route=True, high_tech_cap=1_000_000)
    (big,) = rules.split_charges([line("1", 5_000_000, 5_000_000, high_tech=True)], capped)
    assert big.fund_pays == 1_000_000 and big.patient_copay == 4_000_000


def test_uncovered_decision_leaves_everything_to_the_patient() -> None:
    (split,) = rules.split_charges([line("2", 10_000, 9_000)], CoverageDecision(Decimal(0), right_route=False))
    assert split.fund_pays == 0 and split.patient_pays == 20_000


@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=Decimal("0.001"), max_value=Decimal(1000), places=3),
            st.integers(min_value=0, max_value=10_000_000),
            st.one_of(st.none(), st.integers(min_value=0, max_value=10_000_000)),
            st.booleans(),
        ),
        max_size=20,
    ),
    st.decimals(min_value=0, max_value=100, places=2),
)
def test_every_line_adds_up_and_totals_equal_the_sum_of_lines(
    raw: list[tuple[Decimal, int, int | None, bool]], percent: Decimal
) -> None:
    decision = CoverageDecision(percent, right_route=True)
    splits = rules.split_charges([line(str(q), h, b, listed=listed) for q, h, b, listed in raw], decision)
    for split in splits:
        assert split.fund_pays + split.patient_copay + split.patient_other == split.amount_hospital
        assert min(split.fund_pays, split.patient_copay, split.patient_other) >= 0
    total = rules.totals(splits)
    assert total.fund_pays == sum(s.fund_pays for s in splits)
    assert total.patient_pays == sum(s.patient_pays for s in splits)
    assert total.fund_pays + total.patient_pays == total.amount_hospital


def test_quantity_parsing() -> None:
    assert rules.parse_quantity("2,5") == Decimal("2.5")
    for bad in ("0", "-1", "1.0005", "abc", "NaN"):
        with pytest.raises(ValueError):
            rules.parse_quantity(bad)
