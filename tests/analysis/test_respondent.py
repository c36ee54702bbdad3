"""Respondent selection: the Kish grid against Kish's (1949) published selection tables, the tables'
proportions, the listing order, and the next-birthday rule including the wrap into the next year."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import numpy as np
import pytest

from analysis.errors import AnalysisError
from analysis.sampling import respondent
from analysis.sampling.respondent import kish, kish_line, kish_order, kish_table, kish_table_for, next_birthday

# Kish (1949), JASA 44, p. 383: the line selected for 1, 2, 3, 4, 5, 6 or more eligible members
PUBLISHED = {
    "A": (1, 1, 1, 1, 1, 1), "B1": (1, 1, 1, 1, 2, 2), "B2": (1, 1, 1, 2, 2, 2), "C": (1, 1, 2, 2, 3, 3),
    "D": (1, 2, 2, 3, 4, 4), "E1": (1, 2, 3, 3, 3, 5), "E2": (1, 2, 3, 4, 5, 5), "F": (1, 2, 3, 4, 5, 6),
}
PROPORTIONS = {"A": Fraction(1, 6), "B1": Fraction(1, 12), "B2": Fraction(1, 12), "C": Fraction(1, 6),
               "D": Fraction(1, 6), "E1": Fraction(1, 12), "E2": Fraction(1, 12), "F": Fraction(1, 6)}


@pytest.mark.parametrize("table", list(PUBLISHED))
def test_every_lookup_matches_the_published_table(table: str) -> None:
    assert tuple(kish_line(table, n) for n in range(1, 7)) == PUBLISHED[table]
    assert kish_line(table, 9) == PUBLISHED[table][5]  # 6 or more read as 6


def test_the_proportions_are_kish_s_and_give_each_line_one_nth() -> None:
    assert dict(zip(respondent.TABLES, respondent.SHARES, strict=True)) == pytest.approx(
        {t: float(p) for t, p in PROPORTIONS.items()})
    for n in (1, 2, 3, 4, 6):
        for line in range(1, n + 1):
            share = sum(p for t, p in PROPORTIONS.items() if PUBLISHED[t][n - 1] == line)
            assert share == Fraction(1, n)
            assert respondent.table_prob(line, n) == pytest.approx(1 / n)
    # five members: Kish's approximation
    assert [respondent.table_prob(line, 5) for line in range(1, 6)] == pytest.approx([1 / 6, 1 / 6, 1 / 4, 1 / 6, 1 / 4])


def test_a_choice_records_one_over_n_and_the_exact_table_value() -> None:
    assert kish("E1", 5) == respondent.Choice(3, 5, 1 / 5, 1 / 4)
    seven = kish("C", 7)
    assert (seven.line, seven.prob, seven.table_prob) == (3, 1 / 7, 1 / 6)


def test_serial_numbers_cycle_through_the_tables_in_their_proportions() -> None:
    tables = [kish_table_for(s) for s in range(1, 25)]
    assert tables[:12] == tables[12:]
    for table, p in PROPORTIONS.items():
        assert Fraction(tables[:12].count(table), 12) == p


def test_tables_drawn_from_the_generator_have_the_proportions() -> None:
    rng = np.random.default_rng(4)
    draws = [kish_table(rng) for _ in range(12_000)]
    for table, p in PROPORTIONS.items():
        assert abs(draws.count(table) / 12_000 - float(p)) < 4 * np.sqrt(float(p) * (1 - float(p)) / 12_000)


def test_the_vectorised_lookup_agrees() -> None:
    tables = np.repeat(np.arange(8), 8)
    eligible = np.tile(np.arange(1, 9), 8)
    assert respondent.kish_lines(tables, eligible).tolist() == [
        kish_line(respondent.TABLES[t], int(n)) for t, n in zip(tables, eligible, strict=True)]


def test_members_are_listed_males_oldest_first_then_females() -> None:
    assert kish_order(["F", "M", "M", "F"], [40, 30, 60, 70]) == [2, 1, 3, 0]


def test_an_unknown_table_or_an_empty_household_is_a_problem() -> None:
    with pytest.raises(AnalysisError) as caught:
        kish_line("G", 2)
    assert caught.value.code == "sample.kish_table"
    with pytest.raises(AnalysisError) as caught:
        kish_line("A", 0)
    assert caught.value.code == "sample.no_eligible"


def test_next_birthday_is_the_first_on_or_after_the_interview_date() -> None:
    birthdays = [(3, 1), (12, 25), (1, 5)]
    assert next_birthday(birthdays, dt.date(2026, 12, 20)).line == 2
    assert next_birthday(birthdays, dt.date(2026, 3, 1)).line == 1  # a birthday today is the next one
    assert next_birthday(birthdays, dt.date(2026, 6, 1)).prob == pytest.approx(1 / 3)


def test_next_birthday_wraps_into_the_next_year() -> None:
    assert next_birthday([(3, 1), (12, 25), (1, 5)], dt.date(2026, 12, 28)).line == 3
    assert next_birthday([(11, 2), (6, 30)], dt.date(2026, 11, 3)).line == 2


def test_the_29th_of_february_falls_between_the_28th_and_the_1st_of_march() -> None:
    assert next_birthday([(3, 1), (2, 29)], dt.date(2027, 2, 28)).line == 2
    assert next_birthday([(3, 1), (2, 29)], dt.date(2027, 3, 1)).line == 1


def test_a_tie_goes_to_the_first_listed_unless_a_generator_breaks_it() -> None:
    assert next_birthday([(5, 5), (5, 5)], dt.date(2026, 1, 1)).line == 1
    rng = np.random.default_rng(0)
    assert {next_birthday([(5, 5), (5, 5)], dt.date(2026, 1, 1), rng).line for _ in range(40)} == {1, 2}


def test_an_impossible_birthday_is_a_problem() -> None:
    with pytest.raises(AnalysisError) as caught:
        next_birthday([(2, 30)], dt.date(2026, 1, 1))
    assert caught.value.code == "sample.birthday"
