"""A compiled funding summary (JSON of codes and minor units) as tables in the reader's language.

The dashboard, the CSV, the XLSX and the PDF are all written from these
tables, so their figures agree by construction: one row per group and
currency, with that currency's sums converted beside them, then the
representation targets and the rates used.
"""

from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from cade.core.countries import COUNTRY_LISTS, country_name, region_name
from cade.core.money import Money
from cade.extensions import db
from cade.organisations.constants import FOCUS_AREA_LABELS, ORGANISATION_TYPE_LABELS, STAKEHOLDER_GROUP_LABELS
from cade.programmes.models import Call, Programme
from cade.reports.constants import DIMENSION_TITLES, FIRST_TIME_KEYS, Dimension
from cade.reports.services.travel_tables import travel_tables
from cade.reports.tables import Column, Table


def labeller(summary: dict):
    """label(dimension, key) in the current language; programme and call names in two queries, not one per row."""
    breakdowns = summary["breakdowns"]
    programme_ids = {int(row["key"]) for row in breakdowns.get(Dimension.PROGRAMME, []) if row["key"].isdigit()}
    programme_ids |= {target["programme_id"] for target in summary["targets"]}
    programme_ids |= {item["programme_id"] for item in summary.get("indicators", {}).get("indicators", [])}
    programme_ids |= {target["programme_id"] for target in (summary.get("travel") or {}).get("targets", [])}
    call_ids = {int(row["key"]) for row in breakdowns.get(Dimension.CALL, []) if row["key"].isdigit()}
    programmes = dict(db.session.execute(select(Programme.id, Programme.name).where(Programme.id.in_(programme_ids))
                                         ).tuples().all()) if programme_ids else {}
    calls = dict(db.session.execute(select(Call.id, Call.title).where(Call.id.in_(call_ids))).tuples().all()
                 ) if call_ids else {}

    def label(dimension: str, key: str) -> str:
        if key == "unknown":
            return _("Not recorded")
        match Dimension(dimension):
            case Dimension.PROGRAMME:
                return programmes.get(int(key), key)
            case Dimension.CALL:
                return calls.get(int(key), key)
            case Dimension.REGION | Dimension.SUBREGION:
                return region_name(key) or key
            case Dimension.COUNTRY:
                return country_name(key) or key
            case Dimension.STAKEHOLDER_GROUP:
                return str(STAKEHOLDER_GROUP_LABELS.get(key, key))
            case Dimension.ORGANISATION_TYPE:
                return str(ORGANISATION_TYPE_LABELS.get(key, key))
            case Dimension.FOCUS_AREA:
                return str(FOCUS_AREA_LABELS.get(key, key))
            case Dimension.FIRST_TIME:
                return str(FIRST_TIME_KEYS.get(key, key))
            case Dimension.COUNTRY_LIST:
                return str(COUNTRY_LISTS.get(key, _("None of these lists")))
        return key

    return label, programmes


def _rate(awards: int, applications: int) -> Decimal | None:
    return None if not applications else (Decimal(awards) / Decimal(applications)).quantize(Decimal("0.0001"))


# The breakdowns whose tables show the money disbursed and returned beside the awards (every breakdown has the
# figures in the compiled summary; the page shows them where programme officers follow the money, within its 60 KB).
FLOW_TABLES = (Dimension.PROGRAMME, Dimension.YEAR)


def _figure_columns(currency: str, flows: bool = True) -> list[Column]:
    columns = [
        Column("currency", _("Currency")),
        Column("applications", _("Applications"), "count"),
        Column("awards", _("Awards"), "count"),
        Column("success_rate", _("Success rate"), "percent"),
        Column("requested", _("Requested"), "money"),
        Column("awarded", _("Awarded"), "money"),
        Column("disbursed", _("Disbursed"), "money"),
        Column("returned", _("Returned"), "money"),
        Column("requested_converted", _("Requested in %(currency)s", currency=currency), "money"),
        Column("awarded_converted", _("Awarded in %(currency)s", currency=currency), "money"),
        Column("disbursed_converted", _("Disbursed in %(currency)s", currency=currency), "money"),
        Column("returned_converted", _("Returned in %(currency)s", currency=currency), "money"),
    ]
    return columns if flows else [c for c in columns if not c.key.startswith(("disbursed", "returned"))]


def _figure_cells(row: dict, reporting: str, flows: bool = True) -> list:
    # Runs compiled before grants had payments hold no disbursed or returned sums: zero then.
    currency = row["currency"]
    counts = [currency, row["applications"], row["awards"], _rate(row["awards"], row["applications"])]
    if not flows:
        return [*counts, Money(row["requested"], currency), Money(row["awarded"], currency),
                Money(row["requested_converted"], reporting), Money(row["awarded_converted"], reporting)]
    return [*counts, Money(row["requested"], currency), Money(row["awarded"], currency),
            Money(row.get("disbursed", 0), currency), Money(row.get("returned", 0), currency),
            Money(row["requested_converted"], reporting), Money(row["awarded_converted"], reporting),
            Money(row.get("disbursed_converted", 0), reporting), Money(row.get("returned_converted", 0), reporting)]


def breakdown_table_name(dimension: str) -> str:
    """The name of a breakdown's table ("by-stakeholder-group"): its CSV file, and how the dashboard refers to it."""
    return f"by-{dimension.replace('_', '-')}"


def summary_tables(summary: dict) -> list[Table]:
    """The summary's tables: the totals, each breakdown, the representation targets, the rates used."""
    reporting = summary["currency"]
    label, programmes = labeller(summary)
    rates = rates_note(summary)
    tables = [Table("total", _("All applications"), [Column("group", _("Group")), *_figure_columns(reporting)],
                    [[_("All"), *_figure_cells(row, reporting)] for row in summary["total"]["by_currency"]],
                    note=rates)]
    for dimension, groups in summary["breakdowns"].items():
        title = str(DIMENSION_TITLES[Dimension(dimension)])
        flows = Dimension(dimension) in FLOW_TABLES
        rows = [[label(dimension, group["key"]), *_figure_cells(row, reporting, flows)]
                for group in groups for row in group["by_currency"]]
        tables.append(Table(breakdown_table_name(dimension), title,
                            [Column("group", _("Group")), *_figure_columns(reporting, flows)], rows, note=rates))
    if summary["targets"]:
        tables.append(_targets_table(summary, label, programmes))
    if "reviews" in summary:  # runs compiled before review figures existed have none
        tables.extend(_review_tables(summary["reviews"]))
    if "training" in summary:  # nor before training figures
        tables.extend(_training_tables(summary["training"], label))
    if "indicators" in summary:  # nor before outcome indicators
        tables.extend(_indicator_tables(summary["indicators"], label, programmes))
    if summary.get("travel"):  # only where the selection includes a travel programme (and runs compiled since)
        tables.extend(travel_tables(summary["travel"], label, programmes))
    return tables


def _share(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _targets_table(summary: dict, label, programmes) -> Table:
    reporting = summary["currency"]
    columns = [Column("programme", _("Programme")), Column("dimension", _("Breakdown")), Column("group", _("Group")),
               Column("target", _("Target share"), "percent"), Column("baseline", _("Baseline"), "percent"),
               Column("count_share", _("Share of awards"), "percent"),
               Column("amount_share", _("Share of amount awarded"), "percent"),
               Column("awards", _("Awards"), "count"), Column("awarded", _("Awarded"), "money"),
               Column("shortfall", _("Below target")), Column("baseline_source", _("Source of the baseline"))]
    rows = [[programmes.get(t["programme_id"], str(t["programme_id"])),
             str(DIMENSION_TITLES[Dimension(t["dimension"])]), label(t["dimension"], t["value"]),
             _share(t["target_share"]), _share(t["baseline_share"]), _share(t["count_share"]),
             _share(t["amount_share"]), t["awards"], Money(t["awarded"], reporting),
             _("Yes") if t["shortfall"] else _("No"), t["baseline_source"]]
            for t in summary["targets"]]
    return Table("targets", _("Representation: actual, target and baseline"), columns, rows)


def rates_note(summary: dict) -> str:
    """Which rates converted the figures, in one sentence per rate (or that none was needed)."""
    if not summary["rates"]:
        return _("All amounts are in %(currency)s: no conversion was needed.", currency=summary["currency"])
    parts = []
    for rate in summary["rates"]:
        value = format_decimal(Decimal(rate["rate"]).normalize(), format="#,##0.##########")
        pair = (f"1 {rate['to']} = {value} {rate['from']}" if rate["inverted"]
                else f"1 {rate['from']} = {value} {rate['to']}")
        parts.append(_("%(pair)s (rate of %(date)s, %(source)s)", pair=pair, date=rate["date"],
                       source=rate["source"] or _("no source given")))
    return _("Converted to %(currency)s at: %(rates)s.", currency=summary["currency"], rates="; ".join(parts))


def _review_tables(reviews: dict) -> list[Table]:
    """The review figures: one row for all reviews, then one per reviewer."""
    overview = Table("reviews", _("Reviews"), [
        Column("assigned", _("Assignments"), "count"), Column("submitted", _("Reviews submitted"), "count"),
        Column("completion", _("Completion"), "percent"),
        Column("mean_days", _("Mean days from assignment to submission")),
        Column("reviewed", _("Applications reviewed"), "count"),
        Column("disagreement", _("Applications where reviewers disagreed"), "percent"),
        Column("conflicts", _("Conflicts of interest declared"), "count"),
    ], [[reviews["assigned"], reviews["submitted"], _share(reviews["completion"]), reviews["mean_days"] or "—",
         reviews["reviewed_applications"], _share(reviews["disagreement_rate"]), reviews["conflicts"]]])
    by_reviewer = Table("by-reviewer", _("By reviewer"), [
        Column("reviewer", _("Reviewer")), Column("assigned", _("Assignments"), "count"),
        Column("submitted", _("Reviews submitted"), "count"), Column("completion", _("Completion"), "percent"),
        Column("mean_days", _("Mean days from assignment to submission")),
    ], [[r["name"], r["assigned"], r["submitted"], _share(r["completion"]), r["mean_days"] or "—"]
        for r in reviews["reviewers"]])
    return [overview, by_reviewer]


def _training_tables(training: dict, label) -> list[Table]:
    """Participants and completion by course, certificates by region and group, capacity gains by dimension."""
    from cade.training.constants import DIMENSION_LABELS

    count = _("Certificates")
    by_course = Table("training-by-course", _("Training by course"), [
        Column("course", _("Course")), Column("participants", _("Participants"), "count"),
        Column("certificates", count, "count"), Column("completion", _("Completion"), "percent"),
    ], [[c["title"], c["participants"], c["certificates"], _share(c["completion"])] for c in training["courses"]],
        note=_("%(participants)d participants and %(certificates)d certificates in the period.",
               participants=training["participants"], certificates=training["certificates"]))
    by_region = Table("certificates-by-region", _("Certificates by region"),
                      [Column("region", _("Region")), Column("certificates", count, "count")],
                      [[label(Dimension.REGION, r["key"]), r["certificates"]]
                       for r in training["certificates_by_region"]])
    by_group = Table("certificates-by-stakeholder-group", _("Certificates by stakeholder group"),
                     [Column("group", _("Stakeholder group")), Column("certificates", count, "count")],
                     [[label(Dimension.STAKEHOLDER_GROUP, r["key"]), r["certificates"]]
                      for r in training["certificates_by_stakeholder_group"]])
    gains = Table("capacity-gains", _("Capacity gain by dimension"), [
        Column("dimension", _("Dimension")), Column("organisations", _("Organisations"), "count"),
        Column("before", _("Mean baseline score"), "number"),
        Column("after", _("Mean latest follow-up score"), "number"), Column("gain", _("Mean gain"), "number"),
    ], [[str(DIMENSION_LABELS.get(g["dimension"], g["dimension"])), g["organisations"], g["before"], g["after"],
         g["gain"]] for g in training["gains"]],
        note=_("Scores from 1 to 5; the gain is the latest follow-up minus the baseline, over organisations that "
               "have both."))
    return [by_course, by_region, by_group, gains]


def _indicator_tables(figures: dict, label, programmes) -> list[Table]:
    """The outcome indicators: in all, then by year of approval, region and stakeholder group."""
    indicators = {item["id"]: item for item in figures["indicators"]}

    def described(indicator_id: int) -> list:
        item = indicators.get(indicator_id) or {"programme_id": None, "code": str(indicator_id), "label": "",
                                                "unit": ""}
        return [programmes.get(item["programme_id"], str(item["programme_id"] or "")), item["code"], item["label"],
                item["unit"]]

    described_columns = [Column("programme", _("Programme")), Column("code", _("Code")),
                         Column("indicator", _("Indicator")), Column("unit", _("Unit"))]
    figure_columns = [Column("value", _("Achieved"), "number"), Column("grants", _("Grants reporting"), "count")]
    note = _("Sums of the values given in approved grantee reports (each report gives what was achieved in its "
             "period); the period selects reports by the day they were approved.")
    tables = [Table("outcome-indicators", _("Outcome indicators"), [*described_columns, *figure_columns],
                    [[*described(r["indicator_id"]), Decimal(r["value"]), r["grants"]] for r in figures["total"]],
                    note=note)]
    titles = {Dimension.YEAR: (_("Outcome indicators by year of approval"), _("Year")),
              Dimension.REGION: (_("Outcome indicators by region"), _("Region")),
              Dimension.STAKEHOLDER_GROUP: (_("Outcome indicators by stakeholder group"), _("Stakeholder group"))}
    for dimension, rows in figures["by"].items():
        title, group = titles[Dimension(dimension)]
        # Named by code only, the stable name exports use: the first table gives each code's label, programme and
        # unit (repeating them in every row would take the dashboard over its 60 KB).
        tables.append(Table(f"indicators-by-{dimension.replace('_', '-')}", title,
                            [Column("code", _("Code")), Column("group", group), *figure_columns],
                            [[described(r["indicator_id"])[1], label(dimension, r["key"]), Decimal(r["value"]),
                              r["grants"]] for r in rows]))
    return tables
