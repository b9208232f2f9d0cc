"""The one place figures are rounded and ranked (app/figures.py), without a database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.figures import (
    competition_ranks,
    kg,
    per_capita_kg,
    per_unit_kg,
    percent_change,
    percent_of,
    ratio,
    share,
    yuan,
)


def test_kilograms_keep_three_places_exactly():
    assert kg(1234567) == Decimal("1234.567")
    assert kg(1) == Decimal("0.001")
    assert kg(0) == Decimal("0.000")
    assert kg(-1500) == Decimal("-1.500")


def test_per_unit_kilograms_keep_whole_milligrams_rounding_half_up():
    assert per_unit_kg(Decimal("4.59")) == Decimal("0.004590")
    assert per_unit_kg(Decimal("0.0005")) == Decimal("0.000001")
    assert per_unit_kg(Decimal("0.0015")) == Decimal("0.000002")


def test_per_capita_divides_kilograms_by_headcount_rounding_half_up():
    assert per_capita_kg(10_000, 3) == Decimal("3.333")
    assert per_capita_kg(5, 2) == Decimal("0.003")  # 0.0025
    assert per_capita_kg(15, 2) == Decimal("0.008")  # 0.0075
    assert per_capita_kg(10, 0) is None


def test_share_is_a_fraction_with_four_places_capped_at_one():
    assert share(1, 3) == Decimal("0.3333")
    assert share(2, 3) == Decimal("0.6667")
    assert share(12, 10) == Decimal(1)
    assert share(3, 0) is None


@pytest.mark.parametrize(("part", "whole", "expected"), [
    (1, 20000, Decimal("0.0001")),  # 0.00005: half-even would give 0.0000
    (3, 20000, Decimal("0.0002")),  # 0.00015
    (5, 20000, Decimal("0.0003")),  # 0.00025: half-even would give 0.0002
    (1, 3, Decimal("0.3333")),
    (2, 3, Decimal("0.6667")),
])
def test_one_rounding_mode_half_up_for_every_rate(part, whole, expected):
    assert share(part, whole) == expected
    assert ratio(part, whole) == expected


def test_a_ratio_may_pass_one_and_is_none_without_a_whole():
    assert ratio(3, 2) == Decimal("1.5000")
    assert ratio(3, 0) is None


@pytest.mark.parametrize(("current", "previous", "expected"), [
    (150, 100, Decimal("50.0")), (50, 100, Decimal("-50.0")), (100, 100, Decimal("0.0")),
    (1, 3, Decimal("-66.7")), (2, 3, Decimal("-33.3")), (0, 7, Decimal("-100.0")),
    (Decimal("0.0750"), Decimal("0.0500"), Decimal("50.0")),
    (2001, 2000, Decimal("0.1")),  # 0.05 exactly: half up
])
def test_percent_change_is_relative_to_the_previous_value(current, previous, expected):
    assert percent_change(current, previous) == expected


@pytest.mark.parametrize("previous", [0, None, Decimal(0)])
def test_percent_change_from_nothing_is_none(previous):
    assert percent_change(5, previous) is None
    assert percent_change(None, 5) is None


def test_equal_values_share_a_rank_and_the_next_skips():
    assert competition_ranks([5, 9, 7, 7, 1]) == [4, 1, 2, 2, 5]
    values = [Decimal("1.5"), Decimal("3"), Decimal("1.5"), Decimal("0.2")]
    assert competition_ranks(values) == [2, 1, 2, 4]
    assert competition_ranks([1.5, 1.5, 0.25]) == [1, 1, 3]


def test_ranks_of_nothing_of_all_equal_and_of_missing_values():
    assert competition_ranks([]) == []
    assert competition_ranks([0, 0, 0]) == [1, 1, 1]
    assert competition_ranks([None, 3, 5]) == [None, 2, 1]


def test_yuan_keep_two_places_rounding_half_up():
    assert yuan(Decimal("12.345")) == Decimal("12.35")
    assert yuan(Decimal("0.005")) == Decimal("0.01")
    assert yuan(7) == Decimal("7.00")


def test_a_percent_of_a_whole_has_one_place_and_none_without_a_whole():
    assert percent_of(1, 3) == Decimal("33.3")
    assert percent_of(Decimal("0.5"), 1000) == Decimal("0.1")  # 0.05: half up
    assert percent_of(5, 0) is None
    assert percent_of(5, None) is None
