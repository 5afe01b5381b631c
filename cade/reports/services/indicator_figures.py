"""The outcome indicators of a funding summary: what approved grantee reports say was achieved, rolled up.

Per indicator (each belongs to one programme), the sum of the values of the
APPROVED reports and the number of grants reporting, in all and by the year
the report was approved (reviewed_at), by region and by stakeholder group
(the application's snapshots, so a profile edited later does not move a
grant). Values are per report period, so a grant's reports add up. One
grouped statement computes every roll-up (GROUPING SETS or UNION ALL, see
`grouping.py`) and one more reads the indicators' names, whatever the number
of reports. The summary's programmes and calls select the grants; its period
selects the reports by the day they were approved.
"""

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import extract, func, select

from cade.applications.models import Application
from cade.awards.models import Decision
from cade.extensions import db
from cade.grants.constants import ReportStatus
from cade.grants.models import Grant, GrantReport, Indicator, IndicatorValue
from cade.programmes.models import Call
from cade.reports.constants import Dimension
from cade.reports.services.grouping import grouped_rows

# The breakdowns indicators roll up by (the programme is the indicator's own).
INDICATOR_DIMENSIONS = (Dimension.YEAR, Dimension.REGION, Dimension.STAKEHOLDER_GROUP)


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _keys() -> dict:
    return {Dimension.YEAR: extract("year", GrantReport.reviewed_at),
            Dimension.REGION: Application.org_region_code,
            Dimension.STAKEHOLDER_GROUP: Application.org_stakeholder_group}


def _filters(command) -> list:
    found = [GrantReport.status == ReportStatus.APPROVED]
    if command.programme_ids:
        found.append(Call.programme_id.in_(command.programme_ids))
    if command.call_ids:
        found.append(Grant.call_id.in_(command.call_ids))
    if command.date_from:
        found.append(GrantReport.reviewed_at >= _start(command.date_from))
    if command.date_to:
        found.append(GrantReport.reviewed_at < _start(command.date_to + timedelta(days=1)))
    return found


def _base(filters):
    def base(statement):
        return (statement.select_from(IndicatorValue)
                .join(GrantReport, GrantReport.id == IndicatorValue.report_id)
                .join(Grant, Grant.id == GrantReport.grant_id)
                .join(Decision, Decision.id == Grant.decision_id)
                .join(Application, Application.id == Decision.application_id)
                .join(Call, Call.id == Grant.call_id).where(*filters))
    return base


def _key(dimension: Dimension, raw) -> str:
    if raw is None:
        return "unknown"
    return str(int(raw)) if dimension == Dimension.YEAR else str(raw)


def _plain(value) -> str:
    """A sum as JSON keeps it: the Decimal's digits, two decimals (SQLite may hand back a float)."""
    return str(Decimal(str(value or 0)).quantize(Decimal("0.01")))


def indicator_figures(command) -> dict:
    """The roll-up as JSON: {"indicators": [...], "total": [...], "by": {dimension: [...]}}.

    `indicators` lists each reported indicator once ({"id", "programme_id", "code", "label", "unit"}) in
    programme and list order; `total` and each `by[dimension]` hold {"indicator_id", ("key",) "value" (a
    decimal string), "grants"} rows. `command` is the summary's (programme_ids, call_ids, date_from,
    date_to, dimensions): the roll-ups are those of its breakdowns that indicators have.
    """
    dimensions = [d for d in INDICATOR_DIMENSIONS if d in command.dimensions]
    groupings = [(), *[(d,) for d in dimensions]]
    measures = [func.sum(IndicatorValue.value).label("value"),
                func.count(func.distinct(Grant.id)).label("grants")]
    total: list[dict] = []
    by: dict[str, list[dict]] = {str(d): [] for d in dimensions}
    for grouping, (indicator_id,), key_values, mapping in grouped_rows(
            _keys(), groupings, _base(_filters(command)), measures, [IndicatorValue.indicator_id]):
        row = {"indicator_id": indicator_id, "value": _plain(mapping["value"]), "grants": int(mapping["grants"])}
        if not grouping:
            total.append(row)
        else:
            by[str(grouping[0])].append({**row, "key": _key(grouping[0], key_values[0])})
    ids = {row["indicator_id"] for row in total}
    indicators = db.session.execute(
        select(Indicator.id, Indicator.programme_id, Indicator.code, Indicator.label, Indicator.unit)
        .where(Indicator.id.in_(ids)).order_by(Indicator.programme_id, Indicator.position, Indicator.id)
    ).all() if ids else []
    order = {row.id: index for index, row in enumerate(indicators)}
    total.sort(key=lambda r: order.get(r["indicator_id"], len(order)))
    for dimension, rows in by.items():
        rows.sort(key=lambda r: (order.get(r["indicator_id"], len(order)),
                                 int(r["key"]) if dimension == Dimension.YEAR and r["key"].isdigit() else r["key"]))
    return {"indicators": [{"id": row.id, "programme_id": row.programme_id, "code": row.code, "label": row.label,
                            "unit": row.unit} for row in indicators],
            "total": total, "by": by}
