"""English and Japanese time expressions → Superset time ranges, and Superset time ranges → dates.

Off-the-shelf date parsers return points in time, not the calendar ranges a BI question means
(research/anchors-nl2chart.md §4.3), so this is a small ordered rule table over normalised text
(`text.normalise`). Every range it emits is one `templates.params.normalise_time_range` accepts:

- "last/previous week|month|year", 先週/先月/昨年 → the previous *calendar* period (spec rule);
- "this month|year", 今月/今年 → `Current month|year`; "yesterday"/昨日 → `Last day`;
- "last/past N days|weeks|months|years", 過去N日/直近N週間/Nか月 → rolling
  `DATEADD(DATETIME("today"), -N, unit) : today`;
- periods without a Superset literal (this week, last/this quarter, today, a named month, quarter or
  year, explicit dates) → `START : END` ISO dates with an exclusive end, resolved against `today`.
  A date without a year is the most recent one not after `today`.

`resolve` turns any allowed range back into (since, until) dates for a given `today`; the evaluation
compares plans through it, so two spellings of the same period score as equal.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from supertenant.chat.text import TIME_SLOT
from supertenant.templates.params import normalise_time_range, rolling_range

NO_FILTER = "No filter"

_EN_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "eighteen": 18, "twenty": 20, "thirty": 30, "sixty": 60, "ninety": 90,
}  # fmt: skip
_KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_ORDINAL_QUARTERS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}

_NUM = r"(\d{1,4}|[一二三四五六七八九十]{1,3}|" + "|".join(sorted(_EN_NUMBERS, key=len, reverse=True)) + ")"
# "may" only where it cannot be the verb: before a day or a year, or after in/for/since/during/of.
_MON = (
    r"(?:january|february|march|april|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
)
_MON_ANY = r"(?:" + _MON + r"|may)"
_B = r"(?<![a-z0-9])"  # ASCII word boundaries that also work next to Japanese
_E = r"(?![a-z0-9])"

# Date atoms; each is re-parsed by `_parse_date` after a rule captured it.
_ISO_DATE = r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
_JA_DATE = r"(?:\d{4}\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*日"
_EN_DATE = (
    r"(?:" + _MON_ANY + r"\.?\s+\d{1,2}(?!\d)(?:st|nd|rd|th)?(?:,?\s+\d{4})?"
    r"|(?<!\d)\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MON_ANY + r"\.?(?:,?\s+\d{4})?)"
)
_SLASH_DATE = r"\d{1,2}/\d{1,2}(?![/\d])"
_DATE = f"(?:{_ISO_DATE}|{_JA_DATE}|{_EN_DATE}|{_SLASH_DATE})"
_DAY_ONLY = r"\d{1,2}(?:st|nd|rd|th|日)?"
_JA_MONTH = r"(?:\d{4}\s*年\s*)?\d{1,2}\s*月(?!\s*\d{1,2}\s*日)"
_EN_MONTH = r"(?:" + _MON + r"(?:\s+\d{4})?|may\s+\d{4})"
_ISO_MONTH = r"\d{4}[-/]\d{1,2}(?![-/.]?\d)"
_MONTH = f"(?:{_ISO_MONTH}|{_JA_MONTH}|{_EN_MONTH})"
_RANGE_SEP = r"\s*(?:~|-|–|to|through|thru|until|till|から|より)\s*"


@dataclass(frozen=True, slots=True)
class TimeHit:
    """One time expression found in the text and the Superset range it stands for."""

    time_range: str
    text: str


# --- calendar arithmetic ------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's last day (Jan 31 + 1 month = Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def month_start(day: date) -> date:
    return day.replace(day=1)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def week_start(day: date) -> date:
    """Monday of `day`'s week, as Superset's DATETRUNC(…, WEEK) does."""
    return day - timedelta(days=day.weekday())


def iso_range(start: date, end_exclusive: date) -> str:
    return f"{start.isoformat()} : {end_exclusive.isoformat()}"


def _latest_not_after(month: int, day: int, today: date) -> date | None:
    """The date month/day in today's year, or last year's if that lies in the future."""
    for year in (today.year, today.year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    return None


# --- atoms --------------------------------------------------------------------------------------


def _number(token: str) -> int:
    if token.isdigit():
        return int(token)
    if token in _EN_NUMBERS:
        return _EN_NUMBERS[token]
    # Kanji numerals up to 99: 十 = 10, 二十 = 20, 十五 = 15, 三十一 = 31.
    tens, _, ones = token.partition("十")
    if "十" not in token:
        return _KANJI_DIGITS.get(token, 0)
    return (_KANJI_DIGITS.get(tens, 1) if tens else 1) * 10 + (_KANJI_DIGITS.get(ones, 0) if ones else 0)


def _parse_date(text: str, today: date) -> tuple[date, bool] | None:
    """A date atom → (date, had an explicit year); None when it is not a real date."""
    text = text.strip()
    year: int | None
    if match := re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", text):
        year, month, day = (int(part) for part in match.groups())
    elif match := re.fullmatch(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日", text):
        year = int(match.group(1)) if match.group(1) else None
        month, day = int(match.group(2)), int(match.group(3))
    elif match := re.fullmatch(r"(\d{1,2})/(\d{1,2})", text):
        year, month, day = None, int(match.group(1)), int(match.group(2))
    elif match := re.fullmatch(
        r"(" + _MON_ANY + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?", text
    ) or re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(" + _MON_ANY + r")\.?(?:,?\s+(\d{4}))?", text):
        first, second, year_text = match.groups()
        name, day_text = (first, second) if not first[0].isdigit() else (second, first)
        year, month, day = (int(year_text) if year_text else None), _MONTHS[name], int(day_text)
    else:
        return None
    if year is None:
        found = _latest_not_after(month, day, today)
        return (found, False) if found else None
    try:
        return date(year, month, day), True
    except ValueError:
        return None


def _parse_month(text: str, today: date) -> date | None:
    """A month atom → its first day; a month without a year is the latest one already begun."""
    text = text.strip()
    year: int | None
    if match := re.fullmatch(r"(\d{4})[-/](\d{1,2})", text):
        year, month = int(match.group(1)), int(match.group(2))
    elif match := re.fullmatch(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月", text):
        year, month = (int(match.group(1)) if match.group(1) else None), int(match.group(2))
    elif match := re.fullmatch(r"(" + _MON_ANY + r")(?:\s+(\d{4}))?", text):
        year, month = (int(match.group(2)) if match.group(2) else None), _MONTHS[match.group(1)]
    else:
        return None
    if not 1 <= month <= 12:
        return None
    if year is None:
        year = today.year if month <= today.month else today.year - 1
    return date(year, month, 1)


# --- rules --------------------------------------------------------------------------------------

Handler = Callable[[re.Match[str], date], str | None]


def _date_range(match: re.Match[str], today: date) -> str | None:
    first = _parse_date(match.group("a"), today)
    if first is None:
        return None
    start, _ = first
    end_text = match.group("b").strip()
    if re.fullmatch(_DAY_ONLY, end_text):
        try:
            end = start.replace(day=int(re.sub(r"\D", "", end_text)))
        except ValueError:
            return None
    else:
        second = _parse_date(end_text, today)
        if second is None:
            return None
        end, explicit_year = second
        if not explicit_year:
            end = end.replace(year=start.year)
            if end < start:
                end = end.replace(year=start.year + 1)
    return iso_range(start, end + timedelta(days=1)) if start <= end else None


def _month_range(match: re.Match[str], today: date) -> str | None:
    first, last = _parse_month(match.group("a"), today), _parse_month(match.group("b"), today)
    if first is None or last is None:
        return None
    if last < first and not re.search(r"\d{4}", match.group("b")):
        last = last.replace(year=first.year if last.month >= first.month else first.year + 1)
    return iso_range(first, add_months(last, 1)) if first <= last else None


def _since(match: re.Match[str], today: date) -> str | None:
    """An open end: from the start up to and including today."""
    atom = match.group("a")
    start: date | None
    if parsed := _parse_date(atom, today):
        start = parsed[0]
    elif year := re.fullmatch(r"(\d{4})\s*年?", atom.strip()):
        start = date(int(year.group(1)), 1, 1)
    else:
        start = _parse_month(atom, today)
    tomorrow = today + timedelta(days=1)
    return iso_range(start, tomorrow) if start and start < tomorrow else None


def _single_date(match: re.Match[str], today: date) -> str | None:
    parsed = _parse_date(match.group("a"), today)
    return iso_range(parsed[0], parsed[0] + timedelta(days=1)) if parsed else None


def _single_month(match: re.Match[str], today: date) -> str | None:
    start = _parse_month(match.group("a"), today)
    return iso_range(start, add_months(start, 1)) if start else None


def _quarter(match: re.Match[str], today: date) -> str | None:
    groups = match.groupdict()
    quarter_text = groups["q"]
    quarter = _ORDINAL_QUARTERS.get(quarter_text) or int(quarter_text)
    if groups.get("y"):
        start = date(int(groups["y"]), 3 * quarter - 2, 1)
    else:
        start = date(today.year, 3 * quarter - 2, 1)
        if start > today:
            start = start.replace(year=today.year - 1)
    return iso_range(start, add_months(start, 3))


def _year(match: re.Match[str], today: date) -> str | None:
    year = int(match.group("y"))
    return iso_range(date(year, 1, 1), date(year + 1, 1, 1)) if 2000 <= year <= today.year + 1 else None


def _rolling(match: re.Match[str], today: date) -> str | None:
    count, unit = _number(match.group("n")), _unit(match.group("u"))
    if unit == "quarter":
        count, unit = count * 3, "month"
    return rolling_range(count, unit) if count > 0 else None


def _unit(text: str) -> str:
    if text.startswith(("d", "日")):
        return "day"
    if text.startswith(("w", "週")):
        return "week"
    if text.startswith(("q", "四半期")):
        return "quarter"
    if text.startswith(("y", "年")):
        return "year"
    return "month"


def _fixed(value: str) -> Handler:
    return lambda match, today: value


def _computed(compute: Callable[[date], str]) -> Handler:
    return lambda match, today: compute(today)


def _previous_quarter(today: date) -> str:
    start = quarter_start(today)
    return iso_range(add_months(start, -3), start)


def _this_quarter(today: date) -> str:
    start = quarter_start(today)
    return iso_range(start, add_months(start, 3))


def _this_week(today: date) -> str:
    start = week_start(today)
    return iso_range(start, start + timedelta(days=7))


def _day(offset: int) -> Callable[[date], str]:
    return lambda today: iso_range(today + timedelta(days=offset), today + timedelta(days=offset + 1))


def _calendar(unit: str) -> Handler:
    """ "last week|month|quarter|year": the previous calendar period."""

    def handler(match: re.Match[str], today: date) -> str | None:
        if unit == "quarter":
            return _previous_quarter(today)
        return f"previous calendar {unit}"

    return handler


def _current(unit: str) -> Handler:
    def handler(match: re.Match[str], today: date) -> str | None:
        if unit == "week":
            return _this_week(today)
        if unit == "quarter":
            return _this_quarter(today)
        return f"Current {unit}"

    return handler


def _one_unit(match: re.Match[str], today: date) -> str | None:
    """ "the past week|month|quarter|year": one rolling unit."""
    unit = match.group("u")
    return rolling_range(3, "month") if unit == "quarter" else rolling_range(1, unit)


def _may(today: date) -> str:
    start = date(today.year if today.month >= 5 else today.year - 1, 5, 1)
    return iso_range(start, add_months(start, 1))


_JA_NUM = r"(?P<n>\d{1,3}|[一二三四五六七八九十]{1,3})"
_JA_UNIT = r"(?P<u>日|週|カ月|ケ月|か月|箇月|月|年|四半期)"
_EN_UNIT = r"(?P<u>days?|weeks?|months?|years?|quarters?|d|w|m|y)"
_EN_ROLLING_WORD = r"(?:last|past|previous|prior|trailing|rolling|recent)"


def _word(pattern: str) -> str:
    """`pattern` as whole ASCII words (Japanese around it is fine)."""
    return _B + "(?:" + pattern + ")" + _E


def _either(english: str, japanese: str) -> str:
    return _word(english) + "|" + japanese


_LAST = r"(?:the\s+)?(?:last|previous|prior)\s+"
_THIS = r"(?:this|current)\s+"
_TO_DATE = r"[\s-]to[\s-]date"
_EN_COUNT = _NUM.replace("(", "(?P<n>", 1)
_MONTH_END = r"(?:\s*まで(?:の間)?)?"

_RULES: tuple[tuple[re.Pattern[str], Handler], ...] = tuple(
    (re.compile(pattern), handler)
    for pattern, handler in (
        # explicit ranges first: they contain dates, months and years
        (_B + r"between\s+(?P<a>" + _DATE + r")\s+and\s+(?P<b>" + _DATE + ")", _date_range),
        (
            r"(?:"
            + _B
            + r"from\s+)?(?P<a>"
            + _DATE
            + ")"
            + _RANGE_SEP
            + "(?P<b>"
            + _DATE
            + "|"
            + _DAY_ONLY
            + r")(?![\d/])"
            + _MONTH_END,
            _date_range,
        ),
        (
            r"(?:"
            + _B
            + r"(?:from|between)\s+)?(?P<a>"
            + _MONTH
            + ")"
            + r"(?:"
            + _RANGE_SEP
            + r"|\s+and\s+)(?P<b>"
            + _MONTH
            + ")"
            + _MONTH_END,
            _month_range,
        ),
        # open ends
        (
            _B
            + r"(?:since|from|after|starting(?:\s+from)?|beginning)\s+"
            + r"(?P<a>"
            + _DATE
            + "|"
            + _MONTH
            + r"|\d{4})"
            + _E,
            _since,
        ),
        (r"(?P<a>" + _DATE + "|" + _MONTH + r"|\d{4}\s*年)\s*(?:以降|以来|から(?!.*まで))", _since),
        # single periods
        (r"(?:" + _B + r"on\s+)?(?P<a>" + _DATE + ")", _single_date),
        (r"(?:(?P<y>\d{4})\s*年\s*(?:度\s*)?)?第\s*(?P<q>[1-4])\s*四半期", _quarter),
        (_word(r"q(?P<q>[1-4])(?:\s*(?:of\s+)?(?P<y>\d{4}))?"), _quarter),
        (_word(r"(?P<y>\d{4})\s*q(?P<q>[1-4])"), _quarter),
        (
            _word(
                r"(?:the\s+)?(?P<q>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter"
                + r"(?:\s+(?:of\s+)?(?P<y>\d{4}))?"
            ),
            _quarter,
        ),
        (
            r"(?:" + _B + r"(?:in|for|during|of)\s+)?(?P<a>" + _MONTH + r")(?!\s*(?:別|ごと|毎|次))" + _E,
            _single_month,
        ),
        (_word(r"(?:in|during|since)\s+may"), _computed(_may)),
        (r"(?P<y>\d{4})\s*年(?!\s*度?\s*第)", _year),
        (_word(r"(?:in|for|during|of|year)\s+(?P<y>\d{4})"), _year),
        (r"(?<![\d-])(?P<y>20[1-3]\d)(?![\d-])", _year),
        # rolling windows
        (r"(?:過去|直近|ここ|最近|この|ラスト)\s*" + _JA_NUM + r"\s*" + _JA_UNIT + r"(?:間)?", _rolling),
        (_JA_NUM + r"\s*(?P<u>日|週|カ月|ケ月|か月|箇月|年)間", _rolling),
        (_JA_NUM + r"\s*(?P<u>週|カ月|ケ月|か月|箇月)", _rolling),
        (r"(?:過去|直近|ここ)?\s*半年(?:間)?", _fixed(rolling_range(6, "month"))),
        (
            _word(
                r"(?:(?:in|over|during|for)\s+)?(?:the\s+)?"
                + _EN_ROLLING_WORD
                + r"\s+"
                + _EN_COUNT
                + r"\s*"
                + _EN_UNIT
            ),
            _rolling,
        ),
        (_word(r"(?:the\s+)?(?:past|trailing|rolling)\s+(?P<u>day|week|month|quarter|year)"), _one_unit),
        # calendar periods
        (_either(_LAST + "week", "先週|前週|前の週"), _calendar("week")),
        (_either(_LAST + "month", "先月|前月|前の月"), _calendar("month")),
        (_either(_LAST + "quarter", "前四半期|先四半期|前の四半期"), _calendar("quarter")),
        (_either(_LAST + "year", "昨年|去年|前年|前の年"), _calendar("year")),
        (_either(_THIS + "week|week" + _TO_DATE + "|wtd", "今週"), _current("week")),
        (_either(_THIS + "month|month" + _TO_DATE + "|mtd", "今月|当月"), _current("month")),
        (_either(_THIS + "quarter|quarter" + _TO_DATE + "|qtd", "今四半期|当四半期"), _current("quarter")),
        (_either(_THIS + "year|year" + _TO_DATE + "|ytd", "今年|本年|当年"), _current("year")),
        (_either(r"(?:the\s+)?day\s+before\s+yesterday", "一昨日|おととい|おとつい"), _computed(_day(-2))),
        (_either("yesterday", "昨日|前日"), _fixed("Last day")),
        (_either("today", "今日|本日|当日"), _computed(_day(0))),
        (_either(r"all[\s-]time|lifetime|ever", "全期間|(?:全て|すべて)の期間|累計|通算"), _fixed(NO_FILTER)),
    )
)


def extract(text: str, today: date) -> tuple[list[TimeHit], str]:
    """Every time expression in normalised `text`, and the text with each replaced by `TIME_SLOT`."""
    hits: list[TimeHit] = []
    for pattern, handler in _RULES:

        def replace(match: re.Match[str], handler: Handler = handler) -> str:
            if TIME_SLOT in match.group(0):
                return match.group(0)
            found = handler(match, today)
            if found is None:
                return match.group(0)
            hits.append(TimeHit(found, match.group(0).strip()))
            return f" {TIME_SLOT} "

        text = pattern.sub(replace, text)
    return hits, text


def parse_time(text: str, today: date) -> str | None:
    """The one time range in `text` (normalised), or None; convenience for callers and tests."""
    hits, _ = extract(text, today)
    return hits[0].time_range if hits else None


# --- resolving ranges to dates ------------------------------------------------------------------

_DATEADD = re.compile(r'DATEADD\(DATETIME\("today"\), -(\d+), (day|week|month|year)\) : today')


def resolve(time_range: str, today: date) -> tuple[date | None, date | None]:
    """(since, until) of an allowed Superset time range at `today`; until is exclusive.

    Mirrors Superset's `get_since_until`: "Last X" is rolling up to today, "previous calendar X" and
    "Current X" are calendar aligned (weeks start on Monday). Raises ValueError for a range that
    `normalise_time_range` does not accept.
    """
    try:
        canonical = normalise_time_range(time_range)
    except Exception as exc:  # pydantic's custom error is not a ValueError subclass
        raise ValueError(f"not an allowed time range: {time_range!r}") from exc
    rolling = {"Last day": (0, 1), "Last week": (0, 7), "Last month": (1, 0), "Last quarter": (3, 0)}
    if canonical == NO_FILTER:
        return None, None
    if canonical in rolling:
        months, days = rolling[canonical]
        return add_months(today, -months) - timedelta(days=days), today
    if canonical == "Last year":
        return add_months(today, -12), today
    if canonical == "previous calendar week":
        return week_start(today) - timedelta(days=7), week_start(today)
    if canonical == "previous calendar month":
        return add_months(month_start(today), -1), month_start(today)
    if canonical == "previous calendar year":
        return date(today.year - 1, 1, 1), date(today.year, 1, 1)
    if canonical == "Current month":
        return month_start(today), add_months(month_start(today), 1)
    if canonical == "Current year":
        return date(today.year, 1, 1), date(today.year + 1, 1, 1)
    if match := _DATEADD.fullmatch(canonical):
        count, unit = int(match.group(1)), match.group(2)
        if unit == "day":
            return today - timedelta(days=count), today
        if unit == "week":
            return today - timedelta(weeks=count), today
        return add_months(today, -count * (12 if unit == "year" else 1)), today
    start_text, _, end_text = canonical.partition(" : ")
    return date.fromisoformat(start_text), date.fromisoformat(end_text)
