"""What the funding-summary dashboard shows, chosen once when the summary is compiled (issue 18).

The dashboard is drawn from a compiled summary in the reader's language on
every view. Drawn from the whole summary, its cost and its weight grew with
the data: a row per country (up to 250) and per reviewer (a thousand at
100,000 applications), each row a dozen amounts formatted for the reader. So
when the summary is compiled, `dashboard_digest` makes a copy of it in which
every list that grows with the data keeps only its DASHBOARD_GROUPS largest
groups (the countries with the most awarded, the reviewers with the most
assignments...), and notes which tables it cut and from how many groups. The
run keeps the digest beside the summary (`result["dashboard"]`) and the page
reads that alone: the same bounded work and weight whatever the data.

Nothing is lost: under each cut table the dashboard says how many groups it
shows of how many, and links the full table (its own page, a page of rows at
a time, drawn from the whole summary); the CSV, XLSX and PDF hold every row.
The digest has the summary's shape, so `summary_tables` and
`dashboard_charts` draw it as they draw the summary. Lists set by hand
rather than grown by the data (representation targets, outcome indicators,
the capacity dimensions) are kept whole.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _

from cade.core.pagination import PageNumbers
from cade.reports.services.tables import breakdown_table_name
from cade.reports.tables import Table

DASHBOARD_GROUPS = 20  # groups a table of the dashboard shows at most (per breakdown in the travellers' table)
TABLE_PAGE_ROWS = 100  # rows on a page of a full table


def dashboard_digest(summary: dict, limit: int = DASHBOARD_GROUPS) -> dict:
    """The summary with each growing list cut to its `limit` largest groups, and `cut`: what was cut, per table.

    `cut` maps a table's name to {"shown", "of", "by"}: the groups kept, the
    groups there are, and the measure they were chosen by. A list within the
    limit is kept whole and in its order, so a small summary's dashboard is
    the summary itself.
    """
    digest = {key: value for key, value in summary.items() if key != "dashboard"}
    cut: dict[str, dict] = {}

    def largest(items: list, name: str, measure: str, size: Callable) -> list:
        if len(items) <= limit:
            return items
        cut[name] = {"shown": limit, "of": len(items), "by": measure}
        # sorted() is stable: groups of the same size keep the summary's order.
        return sorted(items, key=lambda item: tuple(-n for n in size(item)))[:limit]

    digest["breakdowns"] = {
        dimension: largest(groups, breakdown_table_name(dimension), "awarded",
                           lambda group: (group["converted"]["awarded"], group["converted"]["applications"]))
        for dimension, groups in summary["breakdowns"].items()}
    if "reviews" in summary:
        digest["reviews"] = {**summary["reviews"], "reviewers": largest(
            summary["reviews"]["reviewers"], "by-reviewer", "assigned", lambda r: (r["assigned"], r["submitted"]))}
    if "training" in summary:
        digest["training"] = {**summary["training"], "courses": largest(
            summary["training"]["courses"], "training-by-course", "participants", lambda c: (c["participants"],))}
    if summary.get("travel"):
        digest["travel"] = _travel_digest(summary["travel"], limit, cut)
    digest["cut"] = cut
    return digest


def _travel_digest(travel: dict, limit: int, cut: dict) -> dict:
    """The travellers' table holds every breakdown: each keeps its `limit` largest groups (they come largest first)."""
    breakdowns = travel["breakdowns"]
    if all(len(groups) <= limit for groups in breakdowns.values()):
        return travel
    kept = {name: groups[:limit] for name, groups in breakdowns.items()}
    cut["travellers"] = {"shown": sum(map(len, kept.values())), "of": sum(map(len, breakdowns.values())),
                         "by": "travellers"}
    return {**travel, "breakdowns": kept}


def cut_notes(digest: dict) -> dict[str, str]:
    """For each table the digest cut, the sentence that says so under it, in the reader's language."""
    notes = {}
    for name, cut in digest.get("cut", {}).items():
        shown, count = cut["shown"], cut["of"]
        match cut["by"]:
            case "awarded":
                notes[name] = _("The %(shown)d groups with the most awarded are shown here, of %(count)d.",
                                shown=shown, count=count)
            case "assigned":
                notes[name] = _("The %(shown)d reviewers with the most assignments are shown here, of %(count)d.",
                                shown=shown, count=count)
            case "participants":
                notes[name] = _("The %(shown)d courses with the most participants are shown here, of %(count)d.",
                                shown=shown, count=count)
            case _:
                notes[name] = _("Each breakdown's largest groups are shown here: %(shown)d groups of %(count)d.",
                                shown=shown, count=count)
    return notes


@dataclass(frozen=True)
class TablePage(PageNumbers):
    """One page of a full table's rows (`table` holds only those), with what `forms.pagination` asks of a page."""

    table: Table
    page: int
    total_rows: int
    per_page: int = TABLE_PAGE_ROWS

    @property
    def first_row(self) -> int:
        return min((self.page - 1) * self.per_page + 1, self.total_rows)

    @property
    def last_row(self) -> int:
        return min(self.page * self.per_page, self.total_rows)


def table_page(tables: list[Table], name: str, page: int = 1, per_page: int = TABLE_PAGE_ROWS) -> TablePage | None:
    """Page `page` (from 1; past the last, the last) of the table called `name`; None if there is none."""
    table = next((t for t in tables if t.name == name), None)
    if table is None:
        return None
    pages = max(1, -(-len(table.rows) // per_page))
    page = min(max(page, 1), pages)
    rows = table.rows[(page - 1) * per_page: page * per_page]
    return TablePage(Table(table.name, table.title, table.columns, rows, note=table.note), page, len(table.rows),
                     per_page)
