"""Report arithmetic without a database: change, shares, per capita, ranks, withholding."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reports.figures import (
    FEWER_PARTICIPANTS,
    REVEALS_WITHHELD,
    competition_ranks,
    kg,
    per_capita_kg,
    percent_change,
    share,
    withhold_small,
    withhold_total,
)


@pytest.mark.parametrize(("current", "previous", "expected"), [
    (150, 100, Decimal("50.0")), (50, 100, Decimal("-50.0")), (100, 100, Decimal("0.0")),
    (1, 3, Decimal("-66.7")), (2, 3, Decimal("-33.3")), (0, 7, Decimal("-100.0")),
])
def test_percent_change_is_relative_to_the_previous_value(current, previous, expected):
    assert percent_change(current, previous) == expected


@pytest.mark.parametrize("previous", [0, None, Decimal(0)])
def test_percent_change_from_nothing_is_null(previous):
    assert percent_change(5, previous) is None


def test_kilograms_keep_three_places_exactly():
    assert kg(1234567) == Decimal("1234.567")
    assert kg(1) == Decimal("0.001")


def test_share_is_a_fraction_with_four_places_capped_at_one():
    assert share(1, 3) == Decimal("0.3333")
    assert share(2, 3) == Decimal("0.6667")
    assert share(12, 10) == Decimal(1)
    assert share(3, 0) is None


def test_per_capita_divides_kilograms_by_headcount():
    assert per_capita_kg(10_000, 3) == Decimal("3.333")
    assert per_capita_kg(5, 2) == Decimal("0.003")  # 0.0025 rounds half up
    assert per_capita_kg(10, 0) is None


def test_equal_values_share_a_rank_and_the_next_skips():
    values = [Decimal("1.5"), Decimal("3"), Decimal("1.5"), Decimal("0.2")]
    assert competition_ranks(values) == [2, 1, 2, 4]


def test_a_missing_value_has_no_rank():
    assert competition_ranks([None, 3, 5]) == [None, 2, 1]


@pytest.mark.parametrize(("people", "withheld"), [(0, True), (1, True), (9, True),
                                                  (10, False), (250, False)])
def test_groups_under_ten_people_are_withheld(people, withheld):
    result = withhold_small(people)
    assert result.withheld is withheld
    assert result.reason == (FEWER_PARTICIPANTS if withheld else None)


def test_a_total_that_would_reveal_one_withheld_group_by_subtraction_is_withheld():
    assert withhold_total(30, [9]).reason == REVEALS_WITHHELD
    assert withhold_total(30, [4, 5]).reason == REVEALS_WITHHELD


def test_a_total_is_shown_when_the_withheld_groups_together_are_ten_or_more():
    assert not withhold_total(30, [4, 6]).withheld
    assert not withhold_total(30, []).withheld
    assert not withhold_total(30, [0]).withheld  # an empty group hides nobody


def test_a_small_total_is_withheld_for_its_own_size():
    assert withhold_total(8, []).reason == FEWER_PARTICIPANTS
