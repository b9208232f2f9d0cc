"""Pure report arithmetic: shares, competition ranks, percent change."""

from __future__ import annotations

from decimal import Decimal

from campaigns.figures import competition_ranks, percent_change, share


def test_equal_values_share_a_rank_and_the_next_rank_skips():
    assert competition_ranks([5, 9, 7, 7, 1]) == [4, 1, 2, 2, 5]


def test_ranks_of_nothing_and_of_all_equal():
    assert competition_ranks([]) == []
    assert competition_ranks([0, 0, 0]) == [1, 1, 1]


def test_percent_change_is_relative_to_the_previous_value_with_one_place():
    assert percent_change(150, 100) == Decimal("50.0")
    assert percent_change(2, 3) == Decimal("-33.3")
    assert percent_change(0, 40) == Decimal("-100.0")
    assert percent_change(Decimal("0.0750"), Decimal("0.0500")) == Decimal("50.0")


def test_percent_change_from_zero_is_none():
    assert percent_change(10, 0) is None
    assert percent_change(0, 0) is None


def test_share_has_four_places_is_capped_at_one_and_zero_without_a_whole():
    assert share(1, 3) == Decimal("0.3333")
    assert share(5, 4) == Decimal(1)
    assert share(3, 0) == Decimal(0)
