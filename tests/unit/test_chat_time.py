"""Time expressions in English and Japanese → Superset ranges, compared as resolved dates."""

from __future__ import annotations

from datetime import date

import pytest

from supertenant.chat.text import normalise
from supertenant.chat.timeexpr import add_months, extract, parse_time, resolve

TODAY = date(2026, 11, 18)  # a Wednesday
D = date


def dates(text: str, today: date = TODAY) -> tuple[date | None, date | None]:
    found = parse_time(normalise(text), today)
    assert found is not None, f"no time expression found in {text!r}"
    return resolve(found, today)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the spec's calendar rules
        ("last month", (D(2026, 10, 1), D(2026, 11, 1))),
        ("先月", (D(2026, 10, 1), D(2026, 11, 1))),
        ("last week", (D(2026, 11, 9), D(2026, 11, 16))),
        ("先週", (D(2026, 11, 9), D(2026, 11, 16))),
        ("previous week", (D(2026, 11, 9), D(2026, 11, 16))),
        ("last year", (D(2025, 1, 1), D(2026, 1, 1))),
        ("昨年", (D(2025, 1, 1), D(2026, 1, 1))),
        ("去年", (D(2025, 1, 1), D(2026, 1, 1))),
        ("last quarter", (D(2026, 7, 1), D(2026, 10, 1))),
        ("前四半期", (D(2026, 7, 1), D(2026, 10, 1))),
        ("this month", (D(2026, 11, 1), D(2026, 12, 1))),
        ("今月", (D(2026, 11, 1), D(2026, 12, 1))),
        ("this week", (D(2026, 11, 16), D(2026, 11, 23))),
        ("今週", (D(2026, 11, 16), D(2026, 11, 23))),
        ("this quarter", (D(2026, 10, 1), D(2027, 1, 1))),
        ("今四半期", (D(2026, 10, 1), D(2027, 1, 1))),
        ("this year", (D(2026, 1, 1), D(2027, 1, 1))),
        ("今年", (D(2026, 1, 1), D(2027, 1, 1))),
        ("year to date", (D(2026, 1, 1), D(2027, 1, 1))),
        ("yesterday", (D(2026, 11, 17), D(2026, 11, 18))),
        ("昨日", (D(2026, 11, 17), D(2026, 11, 18))),
        ("today", (D(2026, 11, 18), D(2026, 11, 19))),
        ("一昨日", (D(2026, 11, 16), D(2026, 11, 17))),
        # rolling windows
        ("last 30 days", (D(2026, 10, 19), D(2026, 11, 18))),
        ("過去30日", (D(2026, 10, 19), D(2026, 11, 18))),
        ("過去３０日間", (D(2026, 10, 19), D(2026, 11, 18))),
        ("直近7日", (D(2026, 11, 11), D(2026, 11, 18))),
        ("past two weeks", (D(2026, 11, 4), D(2026, 11, 18))),
        ("過去2週間", (D(2026, 11, 4), D(2026, 11, 18))),
        ("the past week", (D(2026, 11, 11), D(2026, 11, 18))),
        ("last 3 months", (D(2026, 8, 18), D(2026, 11, 18))),
        ("過去3か月", (D(2026, 8, 18), D(2026, 11, 18))),
        ("直近3ヶ月", (D(2026, 8, 18), D(2026, 11, 18))),
        ("過去半年", (D(2026, 5, 18), D(2026, 11, 18))),
        ("last 2 years", (D(2024, 11, 18), D(2026, 11, 18))),
        # explicit dates: inclusive end in the text, exclusive in the range
        ("2026-10-01〜2026-10-31", (D(2026, 10, 1), D(2026, 11, 1))),
        ("from Oct 1 to Oct 31", (D(2026, 10, 1), D(2026, 11, 1))),
        ("Oct 1-31", (D(2026, 10, 1), D(2026, 11, 1))),
        ("10月1日から10月31日まで", (D(2026, 10, 1), D(2026, 11, 1))),
        ("10/1〜10/31", (D(2026, 10, 1), D(2026, 11, 1))),
        ("between 2026-09-01 and 2026-09-30", (D(2026, 9, 1), D(2026, 10, 1))),
        ("on 2026-10-05", (D(2026, 10, 5), D(2026, 10, 6))),
        ("2026年10月", (D(2026, 10, 1), D(2026, 11, 1))),
        ("October 2026", (D(2026, 10, 1), D(2026, 11, 1))),
        ("in March", (D(2026, 3, 1), D(2026, 4, 1))),
        ("12月", (D(2025, 12, 1), D(2026, 1, 1))),  # a month not yet begun this year is last year's
        ("from September to October", (D(2026, 9, 1), D(2026, 11, 1))),
        ("Q3 2026", (D(2026, 7, 1), D(2026, 10, 1))),
        ("2026年第3四半期", (D(2026, 7, 1), D(2026, 10, 1))),
        ("in 2025", (D(2025, 1, 1), D(2026, 1, 1))),
        ("2025年", (D(2025, 1, 1), D(2026, 1, 1))),
        ("since Jan 2026", (D(2026, 1, 1), D(2026, 11, 19))),
        ("2026年1月以降", (D(2026, 1, 1), D(2026, 11, 19))),
        ("all time", (None, None)),
    ],
)
def test_time_expression_resolves_to_dates(text: str, expected: tuple[date | None, date | None]) -> None:
    assert dates(text) == expected


def test_spec_spellings_are_emitted() -> None:
    assert parse_time("先月", TODAY) == "previous calendar month"
    assert parse_time("last 30 days", TODAY) == 'DATEADD(DATETIME("today"), -30, day) : today'
    assert parse_time("yesterday", TODAY) == "Last day"
    assert parse_time("今年", TODAY) == "Current year"


def test_year_less_dates_take_the_latest_year_not_after_today() -> None:
    assert dates("from Dec 1 to Dec 31", D(2026, 11, 18)) == (D(2025, 12, 1), D(2026, 1, 1))
    assert dates("from Dec 20 to Jan 5", D(2026, 3, 1)) == (D(2025, 12, 20), D(2026, 1, 6))


def test_the_matched_span_is_replaced_so_later_passes_do_not_reread_it() -> None:
    hits, rest = extract(normalise("daily clicks for the last 30 days"), TODAY)
    assert [hit.text for hit in hits] == ["for the last 30 days"]
    assert "30" not in rest
    assert "days" not in rest


@pytest.mark.parametrize(
    "text", ["top 5 campaigns", "サイト訪問者_30日", "cost by campaign", "30日", "2026-02-30"]
)
def test_no_time_where_there_is_none(text: str) -> None:
    assert parse_time(normalise(text), TODAY) is None


@pytest.mark.parametrize(
    ("time_range", "expected"),
    [
        ("Last day", (D(2026, 11, 17), D(2026, 11, 18))),
        ("Last week", (D(2026, 11, 11), D(2026, 11, 18))),
        ("Last month", (D(2026, 10, 18), D(2026, 11, 18))),
        ("Last quarter", (D(2026, 8, 18), D(2026, 11, 18))),
        ("Last year", (D(2025, 11, 18), D(2026, 11, 18))),
        ("previous calendar year", (D(2025, 1, 1), D(2026, 1, 1))),
        ("Current month", (D(2026, 11, 1), D(2026, 12, 1))),
        ('DATEADD(DATETIME("today"), -1, month) : today', (D(2026, 10, 18), D(2026, 11, 18))),
        ("2026-01-01 : 2026-02-01", (D(2026, 1, 1), D(2026, 2, 1))),
    ],
)
def test_resolve_mirrors_superset(time_range: str, expected: tuple[date, date]) -> None:
    assert resolve(time_range, TODAY) == expected


def test_resolve_rejects_what_templates_reject() -> None:
    with pytest.raises(ValueError, match="not an allowed time range"):
        resolve("next year", TODAY)


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2026, 3, 31), -13) == D(2025, 2, 28)
