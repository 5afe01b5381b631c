"""What a funding summary can be broken down by, and the representation dimensions a programme sets targets on."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Dimension(StrEnum):
    """A breakdown of the funding summary: the application's snapshot (or its call) it groups by."""

    PROGRAMME = "programme"
    CALL = "call"
    YEAR = "year"
    REGION = "region"
    SUBREGION = "subregion"
    COUNTRY = "country"
    STAKEHOLDER_GROUP = "stakeholder_group"
    ORGANISATION_TYPE = "organisation_type"
    FOCUS_AREA = "focus_area"
    FIRST_TIME = "first_time"
    COUNTRY_LIST = "country_list"


DIMENSION_TITLES = {
    Dimension.PROGRAMME: _l("By programme"),
    Dimension.CALL: _l("By call"),
    Dimension.YEAR: _l("By year of submission"),
    Dimension.REGION: _l("By region"),
    Dimension.SUBREGION: _l("By sub-region"),
    Dimension.COUNTRY: _l("By country"),
    Dimension.STAKEHOLDER_GROUP: _l("By stakeholder group"),
    Dimension.ORGANISATION_TYPE: _l("By organisation type"),
    Dimension.FOCUS_AREA: _l("By focus area"),
    Dimension.FIRST_TIME: _l("First-time and returning organisations"),
    Dimension.COUNTRY_LIST: _l("Least developed, landlocked developing and small island developing states"),
}

# What a programme may set a representation target on (a share of its awards).
TARGET_DIMENSIONS = (Dimension.REGION, Dimension.SUBREGION, Dimension.STAKEHOLDER_GROUP, Dimension.COUNTRY_LIST)

# The keys of the country-list breakdown: an application counts under each list its country was on.
COUNTRY_LIST_KEYS = ("LDC", "LLDC", "SIDS", "none")
FIRST_TIME_KEYS = {"first": _l("First application"), "returning": _l("Returning organisation")}

FUNDING_SUMMARY = "funding-summary"  # the report kind
REPORT_RUN_KIND = "report"
