"""When a resident's next certification is due (one per N months, or their birth month).

Default: a certification holds for `window_months` (12) from the last one; the next window
opens `early_days` before that date and closes on it. With the birth-month rule the window is
the resident's birth month of the following cycle year.
"""

from __future__ import annotations

import calendar
import datetime as dt

from kiosk.config import CertificationSection
from kiosk.flow.events import DueWindow


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day N months later (clamped to the month's last day: 31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_window(last: dt.date, rules: CertificationSection, *,
                birth_month: int | None = None) -> DueWindow:
    """The window for the certification after the one made on `last`."""
    if rules.birth_month_rule and birth_month:
        year = add_months(last, rules.window_months).year
        if dt.date(year, birth_month, 1) <= last:
            year += 1
        last_day = calendar.monthrange(year, birth_month)[1]
        return DueWindow(dt.date(year, birth_month, 1), dt.date(year, birth_month, last_day))
    closes = add_months(last, rules.window_months)
    opens = max(last + dt.timedelta(days=1), closes - dt.timedelta(days=rules.early_days))
    return DueWindow(opens, closes)


def already_certified(last: dt.date | None, today: dt.date, rules: CertificationSection, *,
                      birth_month: int | None = None) -> bool:
    """True when the last certification still holds and the next window is not open yet."""
    if last is None:
        return False
    return today < next_window(last, rules, birth_month=birth_month).opens
