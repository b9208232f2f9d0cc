"""Withholding of public figures, without a database."""

from __future__ import annotations

import pytest

from reports.withholding import (
    FEWER_PARTICIPANTS,
    REVEALS_WITHHELD,
    withhold_small,
    withhold_total,
)


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
