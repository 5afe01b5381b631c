"""The dashboard's four charts, drawn from a compiled summary in the reader's language.

Each chart is a picture of a table the dashboard prints right after it (the
table is what a screen reader reads): the amount awarded by region, awards
by stakeholder group, the amount awarded by year, and each representation
target beside the share reached and the baseline.
"""

from decimal import Decimal

from flask_babel import gettext as _

from cade.core.money import format_money
from cade.reports.constants import Dimension


def _converted(summary: dict, dimension: Dimension, measure: str) -> list[tuple[str, int]]:
    return [(group["key"], group["converted"][measure]) for group in summary["breakdowns"].get(str(dimension), [])]


def dashboard_charts(summary: dict) -> list[dict]:
    """[{"title", "svg", "table"}]: each chart with the name of the table that holds its figures."""
    from cade.reports.outputs.charts import bar_chart, grouped_bar_chart
    from cade.reports.services.tables import labeller

    label, programmes = labeller(summary)
    currency = summary["currency"]

    def money(value) -> str:
        return format_money(int(value), currency)

    def count(value) -> str:
        return str(int(value))

    charts = []
    if str(Dimension.REGION) in summary["breakdowns"]:
        title = _("Amount awarded by region, in %(currency)s", currency=currency)
        bars = [(label(Dimension.REGION, key), value) for key, value in
                _converted(summary, Dimension.REGION, "awarded")]
        charts.append({"title": title, "svg": bar_chart(title, bars, value_format=money, show_title=False), "table": "by-region"})
    if str(Dimension.STAKEHOLDER_GROUP) in summary["breakdowns"]:
        title = _("Awards by stakeholder group")
        bars = [(label(Dimension.STAKEHOLDER_GROUP, key), value) for key, value in
                _converted(summary, Dimension.STAKEHOLDER_GROUP, "awards")]
        charts.append({"title": title, "svg": bar_chart(title, bars, value_format=count, show_title=False),
                       "table": "by-stakeholder-group"})
    if str(Dimension.YEAR) in summary["breakdowns"]:
        title = _("Amount awarded by year of submission, in %(currency)s", currency=currency)
        bars = _converted(summary, Dimension.YEAR, "awarded")
        charts.append({"title": title, "svg": bar_chart(title, bars, value_format=money, show_title=False), "table": "by-year"})
    if summary["targets"]:
        title = _("Share of awards: reached, target and baseline")
        categories = [f"{label(t['dimension'], t['value'])} ({programmes.get(t['programme_id'], '')})"
                      for t in summary["targets"]]

        def percent(value) -> str:
            return f"{Decimal(value) * 100:.0f} %"

        series = [(_("Reached"), [Decimal(t["count_share"] or 0) for t in summary["targets"]]),
                  (_("Target"), [Decimal(t["target_share"] or 0) for t in summary["targets"]]),
                  (_("Baseline"), [Decimal(t["baseline_share"] or 0) for t in summary["targets"]])]
        charts.append({"title": title, "svg": grouped_bar_chart(title, categories, series, value_format=percent,
                                                                show_title=False),
                       "table": "targets"})
    return charts
