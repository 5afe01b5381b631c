"""The travel figures of a compiled summary as tables in the reader's language: whom travel support brought.

One table holds every breakdown (the dashboard stays light), a second the
travel programmes' representation targets where they have any. Gender is
shown as the travellers wrote it; the small groups were merged when the
figures were compiled (`travel_figures.py`), and the table's note says so.
"""

from decimal import Decimal

from flask_babel import gettext as _

from cade.reports.constants import DIMENSION_TITLES, Dimension
from cade.reports.services.travel_figures import (GENDER_MIN_TRAVELLERS, MERGED, NOT_GIVEN, TRAVEL_BREAKDOWNS,
                                                  UNKNOWN)
from cade.reports.tables import Column, Table
from cade.travel.constants import TRAVELLER_ROLE_LABELS


def _breakdown_titles() -> dict[str, str]:
    return {"region": _("Region"), "country": _("Country"), "stakeholder_group": _("Stakeholder group"),
            "gender": _("Gender (self-described)"), "first_time": _("First-time participants"),
            "role": _("Role at the event")}


def _group(name: str, key: str, label) -> str:
    if key == UNKNOWN:
        return _("Not recorded")
    if key == NOT_GIVEN:
        return _("Not given")
    if key == MERGED:
        return _("Other or not given")
    match name:
        case "gender":
            return key  # the traveller's own words, never mapped to a category
        case "first_time":
            return _("First time") if key == "first" else _("Has taken part before")
        case "role":
            return str(TRAVELLER_ROLE_LABELS.get(key, key))
    return label(name, key)


def _share(part: int, whole: int) -> Decimal | None:
    return None if not whole else (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


def _fraction(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def travel_tables(travel: dict, label, programmes) -> list[Table]:
    """The travellers by each breakdown, then (where set) the travel programmes' targets against their shares."""
    titles = _breakdown_titles()
    whole = travel["travellers"]
    rows = [[_("All"), _("All travellers"), whole, _share(whole, whole)]]
    for name in TRAVEL_BREAKDOWNS:
        rows += [[titles[name], _group(name, row["key"], label), row["travellers"], _share(row["travellers"], whole)]
                 for row in travel["breakdowns"].get(name, [])]
    note = _("Trips whose award was released. Gender is as travellers describe it, where they gave it; groups of "
             "fewer than %(n)d travellers are counted under \u201cOther or not given\u201d so that no one can be "
             "identified.", n=GENDER_MIN_TRAVELLERS)
    tables = [Table("travellers", _("Who we brought: travellers supported"), [
        Column("breakdown", _("Breakdown")), Column("group", _("Group")),
        Column("travellers", _("Travellers"), "count"), Column("share", _("Share of travellers"), "percent"),
    ], rows, note=note)]
    if travel["targets"]:
        tables.append(Table("travel-targets", _("Travellers against the representation targets"), [
            Column("programme", _("Programme")), Column("dimension", _("Breakdown")), Column("group", _("Group")),
            Column("target", _("Target share"), "percent"), Column("baseline", _("Baseline"), "percent"),
            Column("share", _("Share of travellers"), "percent"), Column("travellers", _("Travellers"), "count"),
            Column("shortfall", _("Below target")), Column("baseline_source", _("Source of the baseline")),
        ], [[programmes.get(t["programme_id"], str(t["programme_id"])),
             str(DIMENSION_TITLES[Dimension(t["dimension"])]), label(t["dimension"], t["value"]),
             _fraction(t["target_share"]), _fraction(t["baseline_share"]), _fraction(t["share"]), t["travellers"],
             _("Yes") if t["shortfall"] else _("No"), t["baseline_source"]] for t in travel["targets"]]))
    return tables
