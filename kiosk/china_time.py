"""China time (UTC+8) for days a person reads and windows the roster counts in.

Times are stored as UTC ISO text; a kiosk's clock may not know its own zone, so the day of a
stored instant is always its China day — the staff console, the slips, the reports and the
kiosk's own 查一查 and certification windows all count in the same days.
"""

from __future__ import annotations

import datetime as dt

LOCAL_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


def parse_utc(text: str) -> dt.datetime:
    """Stored ISO text to an aware datetime (naive text is taken as UTC)."""
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def to_local(text: str) -> dt.datetime:
    return parse_utc(text).astimezone(LOCAL_TZ)


def local_day(text: str) -> dt.date:
    """The China day of a stored instant; a plain date (`2026-03-01`) is that day."""
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    return to_local(text).date()
