"""Time zones (IANA, through zoneinfo + tzdata) and locale-aware formatting.

Notification contexts keep a moment as `moment_json` writes it (``{"at":
"2026-12-05T10:00:00+00:00", "zone": "Africa/Nairobi"}``: ISO 8601 in UTC
and the zone to show it in); templates write it out in the reader's language
with the ``moment`` filter (`format_moment`).
"""

from datetime import datetime, timezone
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pytz
from babel.dates import format_date
from babel.dates import format_time as babel_format_time
from flask_babel import get_locale

from cade.core.db import utcnow  # noqa: F401  (one clock for the whole code base; imported from here too)


@cache
def timezone_names() -> list[str]:
    """The zones a person would pick: pytz's "common" list (no legacy aliases such
    as US/Eastern or Etc/GMT+3), restricted to what zoneinfo knows here."""
    known = available_timezones()
    return [name for name in pytz.common_timezones if name in known]


def is_timezone(name: str | None) -> bool:
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_to_utc(naive_local: datetime, tz_name: str) -> datetime:
    """A wall-clock time in `tz_name` (as typed by a person) → aware UTC.

    A time that happens twice, in the hour repeated when the clocks go back,
    is read as its first occurrence (fold=0, still on summer time): the
    earlier of the two moments, whatever `fold` the caller's datetime had.
    (A time skipped when the clocks go forward comes out shifted; callers
    that read typed times check for that and refuse it.)
    """
    return naive_local.replace(tzinfo=ZoneInfo(tz_name), fold=0).astimezone(timezone.utc)


def utc_to_local(moment: datetime, tz_name: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz_name))


def format_in_zone(moment: datetime | None, tz_name: str, fmt: str = "medium", locale=None) -> str:
    """A moment shown in a named zone, with the zone written out (no guessing).

    Seconds are shown only when they are not zero: "17:00" reads better than
    "17:00:00", but a deadline of 23:59:59 must not be shown as 23:59.
    """
    if moment is None:
        return ""
    locale = locale or str(get_locale() or "en")
    zone = ZoneInfo(tz_name)
    local = utc_to_local(moment, tz_name)
    time_format = "medium" if local.second else "short"
    text = "{}, {}".format(
        format_date(local.date(), format=fmt, locale=locale),
        babel_format_time(local, format=time_format, tzinfo=zone, locale=locale),
    )
    return f"{text} ({tz_name})"


def moment_json(moment: datetime | None, tz_name: str) -> dict | None:
    """A moment as a notification context keeps it: ISO 8601 in UTC, and the zone it is shown in."""
    if moment is None:
        return None
    return {"at": moment.astimezone(timezone.utc).isoformat(), "zone": tz_name}


def format_moment(value: dict | None, fmt: str = "medium", locale=None) -> str:
    """A moment kept by `moment_json`, written in its zone in `locale` (else the current language)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value["at"])
    if moment.tzinfo is None:  # written by hand or by an older caller: the ISO text is UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return format_in_zone(moment, value.get("zone") or "UTC", fmt=fmt, locale=locale)
