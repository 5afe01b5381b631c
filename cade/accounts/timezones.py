"""The time-zone picker's order (common zones first) and a country's own clock, for a zone nobody chose.

Zones come from the IANA database through pytz's lists (the one the full
picker already uses) and zoneinfo; a country's zones from pytz's
`country_timezones`, the IANA `zone.tab` file, which lists a country's zones
in an order that makes geographical sense and, where that allows, puts the
most populous first. The zone the browser reports is picked in the page by
`cade/static/timezone.js`.
"""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytz

from cade.core.timeutil import is_timezone, utcnow

# Where most of the people using CADE Grants work, then London, Paris and UTC, the usual references.
COMMON_ZONES = (
    "Africa/Cairo",
    "Africa/Dakar",
    "Africa/Johannesburg",
    "Africa/Kinshasa",
    "Africa/Lagos",
    "Africa/Nairobi",
    "America/Bogota",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Asia/Dhaka",
    "Asia/Jakarta",
    "Asia/Kolkata",
    "Asia/Manila",
    "Europe/London",
    "Europe/Paris",
    "UTC",
)

# What a new account starts with: a zone that is still this was never chosen by anyone.
DEFAULT_ZONE = "UTC"


def zone_label(name: str) -> str:
    return name.replace("_", " ")


def _offsets(name: str, year: int) -> tuple:
    zone = ZoneInfo(name)
    # Winter and summer on both halves of the world: two zones that agree on both keep one clock.
    return tuple(datetime(year, month, 15, 12, tzinfo=timezone.utc).astimezone(zone).utcoffset()
                 for month in (1, 7))


def country_zone(country: str | None) -> str | None:
    """The zone a person in `country` (ISO 3166 alpha-2) most likely lives in, or None when unclear.

    A country with one zone gets it; one whose zones all keep the same clock
    (Malaysia's two, Germany's two) gets the first zone.tab lists; a country
    with several clocks (Brazil, the United States) gets none: better to ask
    than to guess.
    """
    if not country or not isinstance(country, str):
        return None
    zones = [name for name in pytz.country_timezones.get(country.strip().upper(), []) if is_timezone(name)]
    if not zones:
        return None
    year = utcnow().year
    if len({_offsets(name, year) for name in zones}) != 1:
        return None
    return zones[0]
