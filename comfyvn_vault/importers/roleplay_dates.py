"""The dates chats are stamped with, read into what a node shows and a number to measure gaps with.

SillyTavern has written a message's ``send_date`` in four forms over the years
(its own ``timestampToMoment`` reads them all), and every one is still found in
chats people keep:

* Unix time in milliseconds, as a number or a string of digits (``1718813602123``);
* its "humanized" form, ``2024-6-19 @16h 13m 22s 123ms`` (also ``2024-06-19@16h13m22s``,
  the form of its chat file names);
* the form it showed under each message, ``June 19, 2024 4:14pm``;
* ISO 8601, ``2024-06-19T16:13:22.123Z``.

:func:`parse_date` returns ``(shown, stamp)``: ``shown`` is what the node's
``meta["time"]`` holds (ISO 8601; an ISO date is kept as written, a Unix time is
written in UTC with ``Z``, the humanized and meridiem forms, which are local
times with no zone, without one) and ``stamp`` the milliseconds since the epoch
(a time without a zone counted as UTC, as SillyTavern does), or ``None`` when the
value is no date this module knows (it is then kept as written). Numbers below
10¹¹ are taken as seconds (10¹¹ ms is in 1973, 10¹¹ s in the year 5138).

:func:`parse_clock` reads the time of day of a text log (``[12:01]``, ``[4:14 pm]``).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Final

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MS: Final = timedelta(milliseconds=1)
DAY_MS: Final = 86_400_000
_SECONDS_BELOW: Final = 10**11
_MONTH_NAMES: Final = (
    *("january", "february", "march", "april", "may", "june"),
    *("july", "august", "september", "october", "november", "december"),
)
_MONTHS: Final = {
    **{name: n for n, name in enumerate(_MONTH_NAMES, start=1)},
    **{name[:3]: n for n, name in enumerate(_MONTH_NAMES, start=1)},
    "sept": 9,
}
_DIGITS: Final = re.compile(r"[0-9]{1,20}")
_HUMANIZED: Final = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2}) ?@([0-9]{1,2})h ?([0-9]{1,2})m ?([0-9]{1,2})s(?: ?([0-9]{1,3})ms)?"
)
_MERIDIEM: Final = re.compile(
    r"([A-Za-z]{3,9})\.? ([0-9]{1,2}),? ([0-9]{4}),? ([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))? ?([AaPp])\.?[Mm]\.?"
)
_ISO_START: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CLOCK: Final = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?(?: ?([AaPp])\.?[Mm]\.?)?")


def parse_date(value: object) -> tuple[str, int | None]:
    """``(shown, stamp)`` for a message's date (see the module docstring); ``stamp`` is None when unknown."""
    if isinstance(value, bool):
        return ("true" if value else "false"), None
    if isinstance(value, int | float):
        return _from_number(value)
    if not isinstance(value, str):
        return "", None
    text = value.strip()
    try:
        if _DIGITS.fullmatch(text):
            return _from_number(int(text))
        if (m := _HUMANIZED.match(text)) is not None:
            year, month, day, hour, minute, second, ms = m.groups()
            moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), int(ms or 0) * 1000)
            return _iso(moment), _stamp(moment)
        if (m := _MERIDIEM.match(text)) is not None:
            name, day, year, hour, minute, second, half = m.groups()
            month = _MONTHS.get(name.casefold())
            h = int(hour)
            if month is None or not 1 <= h <= 12:
                return value, None
            h = h % 12 + (12 if half in "Pp" else 0)
            moment = datetime(int(year), month, int(day), h, int(minute), int(second or 0))
            return _iso(moment), _stamp(moment)
        if _ISO_START.match(text):
            return text, _stamp(datetime.fromisoformat(text))
    except (ValueError, OverflowError):
        pass
    return value, None


def parse_clock(text: str) -> int | None:
    """Milliseconds since midnight for ``12:01``, ``12:01:33``, ``4:14 pm``; None for anything else."""
    m = _CLOCK.fullmatch(text)
    if m is None:
        return None
    hour, minute, second, half = int(m[1]), int(m[2]), int(m[3] or 0), m[4]
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half in "Pp" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return ((hour * 60 + minute) * 60 + second) * 1000


def _from_number(number: int | float) -> tuple[str, int | None]:
    if isinstance(number, float) and not math.isfinite(number):
        return repr(number), None
    if number < 0:
        return str(number), None
    try:
        ms = int(number) if number >= _SECONDS_BELOW else int(number * 1000)
        moment = _EPOCH + ms * _MS
    except (ValueError, OverflowError):
        return str(number), None
    return _iso(moment).replace("+00:00", "Z"), ms


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")


def _stamp(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MS
