"""The schedule arithmetic of recurring rules: which dates a rule's occurrences fall on.

Occurrence n (counting from 0) falls n * interval days, weeks, months or years after the start date. Months and years
are counted from the start date every time, never from the previous occurrence, so a rule on the 31st falls on the
last day of shorter months and back on the 31st after them, and one on 29 February falls on 28 February in other
years. The schedule ends after `count` occurrences, after `end_date`, or at the end of year 9999.

The Go aggregator has the same arithmetic (go_aggregator/schedule.go); both run the table in
go_aggregator/testdata/schedules.json, and tests/ledger/test_schedules.py compares them on random rules.
"""

import calendar
import datetime
from collections.abc import Iterator
from dataclasses import dataclass

DAILY, WEEKLY, MONTHLY, YEARLY = "daily", "weekly", "monthly", "yearly"


@dataclass(frozen=True)
class Schedule:
    frequency: str  # ledger.models.Frequency value
    interval: int  # >= 1
    start_date: datetime.date
    end_date: datetime.date | None = None  # inclusive
    count: int | None = None  # occurrences in all, >= 1

    def date_at(self, index: int) -> datetime.date | None:
        """The date of occurrence `index`, or None when the schedule has ended before it."""
        if index < 0 or (self.count is not None and index >= self.count):
            return None
        day = _shifted(self.start_date, self.frequency, index * self.interval)
        if day is None or (self.end_date is not None and day > self.end_date):
            return None
        return day

    def first_index_on_or_after(self, day: datetime.date) -> int:
        """The index of the first occurrence dated `day` or later (it may be past the schedule's end)."""
        if day <= self.start_date:
            return 0
        index = max(0, _steps_before(self.start_date, self.frequency, day) // self.interval)
        # The estimate is off by at most one step either way (month-end clamping); walk to the exact index.
        while index > 0 and _on_or_after(self._unbounded(index - 1), day):
            index -= 1
        while not _on_or_after(self._unbounded(index), day):
            index += 1
        return index

    def occurrences(self, first: datetime.date, last: datetime.date) -> Iterator[tuple[int, datetime.date]]:
        """(index, date) of every occurrence dated from `first` to `last`, both included, in order."""
        index = self.first_index_on_or_after(first)
        while (day := self.date_at(index)) is not None and day <= last:
            yield index, day
            index += 1

    def _unbounded(self, index: int) -> datetime.date | None:
        return _shifted(self.start_date, self.frequency, index * self.interval)


def _on_or_after(day: datetime.date | None, bound: datetime.date) -> bool:
    return day is None or day >= bound  # None: past year 9999, after every date


def _shifted(start: datetime.date, frequency: str, steps: int) -> datetime.date | None:
    """`start` moved by `steps` units of `frequency`; None past 9999-12-31."""
    try:
        if frequency == DAILY:
            return start + datetime.timedelta(days=steps)
        if frequency == WEEKLY:
            return start + datetime.timedelta(weeks=steps)
        months = steps if frequency == MONTHLY else steps * 12
        year, month0 = divmod(start.month - 1 + months, 12)
        year += start.year
        if year > datetime.MAXYEAR:
            return None
        return datetime.date(year, month0 + 1, min(start.day, calendar.monthrange(year, month0 + 1)[1]))
    except OverflowError:
        return None
    raise AssertionError(frequency)  # pragma: no cover (the model's check constraint allows these four)


def _steps_before(start: datetime.date, frequency: str, day: datetime.date) -> int:
    """Roughly how many whole units of `frequency` lie between start and day."""
    if frequency == DAILY:
        return (day - start).days
    if frequency == WEEKLY:
        return (day - start).days // 7
    months = (day.year - start.year) * 12 + day.month - start.month
    return months if frequency == MONTHLY else months // 12
