"""The dashboard draws what was chosen when its summary was compiled (issue 18): the same figures as the summary,
each list that grows with the data cut to its largest groups, with a link to every row."""

import json

from flask import render_template
from sqlalchemy import event

from cade.core.money import Money
from cade.extensions import db as _db
from cade.reports.services.charts import dashboard_charts
from cade.reports.services.dashboard import DASHBOARD_GROUPS, dashboard_digest, table_page
from cade.reports.services.runs import compile_report, request_report
from cade.reports.services.summary import FundingSummaryInput
from cade.reports.services.tables import summary_tables
from tests.factories import UserFactory
from tests.reports.test_summary import fixture  # noqa: F401  (the hand-computed fixture: Kenya, Brazil, Fiji)


def _compiled(admin):
    run = request_report(admin, FundingSummaryInput.from_input({"currency": "USD"}))
    _db.session.commit()
    run = compile_report(run.id, _db.session.commit)
    _db.session.commit()
    return run


def _summary(run) -> dict:
    return {key: value for key, value in run.result.items() if key != "dashboard"}


def _keep(run, result: dict) -> None:
    run.result = result
    _db.session.commit()
    _db.session.expire_all()


def _section(page: str, title: str) -> str:
    return page.split(f"<caption>{title}</caption>")[1].split("</section>")[0]


def test_the_digest_is_made_when_the_summary_is_compiled(fixture, admin):  # noqa: F811
    run = _compiled(admin)
    summary = _summary(run)
    assert run.result["dashboard"] == json.loads(json.dumps(dashboard_digest(summary)))
    # A summary this small is shown whole, in its own order.
    assert run.result["dashboard"]["cut"] == {}
    assert run.result["dashboard"]["breakdowns"] == summary["breakdowns"]
    assert run.result["dashboard"]["reviews"] == summary["reviews"]


def test_the_page_shows_what_it_showed_before_for_a_small_summary(app, fixture, admin, client, login):  # noqa: F811
    run = _compiled(admin)
    summary = _summary(run)
    login(admin)
    page = client.get(f"/reports/{run.id}/").get_data(as_text=True)
    with app.test_request_context():
        drawn_from_the_summary = render_template("reports/_summary.html", summary=summary,
                                                 tables=summary_tables(summary), charts=dashboard_charts(summary))
    assert drawn_from_the_summary.strip() in page
    assert "are shown here, of" not in page


def test_the_page_reads_the_digest_alone(fixture, admin, client, login):  # noqa: F811
    run = _compiled(admin)
    _keep(run, {"dashboard": run.result["dashboard"]})  # nothing of the summary left but what the page shows
    path = f"/reports/{run.id}/"
    login(admin)
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(_db.engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
    finally:
        event.remove(_db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "$23,200.00" in page and "Latin America and the Caribbean" in page and "Fiji" in page
    assert not any("runs.result AS" in statement for statement in seen)  # the whole result is never loaded


def test_a_run_compiled_before_digests_were_kept_shows_the_same_page(fixture, admin, client, login):  # noqa: F811
    run = _compiled(admin)
    login(admin)
    with_digest = client.get(f"/reports/{run.id}/").get_data(as_text=True)
    _keep(run, _summary(run))
    assert client.get(f"/reports/{run.id}/").get_data(as_text=True) == with_digest


def test_a_cut_table_says_so_and_links_every_row(fixture, admin, client, login):  # noqa: F811
    run = _compiled(admin)
    summary = _summary(run)
    _keep(run, {**summary, "dashboard": dashboard_digest(summary, limit=2)})
    login(admin)
    page = client.get(f"/reports/{run.id}/").get_data(as_text=True)

    by_country = _section(page, "By country")
    assert "Fiji" in by_country and "Kenya" in by_country and "Brazil" not in by_country  # the most awarded
    assert by_country.index("Fiji") < by_country.index("Kenya")  # largest first: $13,200 before $10,000
    assert "The 2 groups with the most awarded are shown here, of 3." in by_country
    link = f"/reports/{run.id}/tables/by-country"
    assert f'<a href="{link}">Every row of “By country”</a>' in by_country

    full = client.get(link).get_data(as_text=True)
    [table] = [t for t in summary_tables(summary) if t.name == "by-country"]
    rows = len(table.rows)  # a row per country and currency
    assert f"Rows 1 to {rows} of {rows}." in full and all(name in full for name in ("Brazil", "Fiji", "Kenya"))
    for row in table.rows:
        for cell in row:
            if isinstance(cell, Money):
                assert cell.format() in full


def test_a_full_table_comes_a_page_at_a_time(fixture, admin, client, login):  # noqa: F811
    run = _compiled(admin)
    tables = summary_tables(_summary(run))
    [table] = [t for t in tables if t.name == "by-country"]
    pages = [table_page(tables, "by-country", number, per_page=2) for number in (1, 2)]
    assert [page.pages for page in pages] == [2, 2] and (pages[0].has_next, pages[1].has_prev) == (True, True)
    assert [row for page in pages for row in page.table.rows] == list(table.rows)
    assert table_page(tables, "by-country", 9, per_page=2).page == 2  # past the last: the last
    assert table_page(tables, "by-nothing") is None
    login(admin)
    assert client.get(f"/reports/{run.id}/tables/by-nothing").status_code == 404


def test_only_administrators_see_a_full_table(fixture, admin, client, login):  # noqa: F811
    path = f"/reports/{_compiled(admin).id}/tables/by-country"
    assert "/auth/login" in client.get(path).headers["Location"]
    login(UserFactory())
    response = client.get(path)
    assert response.status_code == 404 and b"Kenya" not in response.data


def test_only_the_largest_groups_of_a_long_list_are_kept():
    group = {"by_currency": [], "converted": {"applications": 1, "awards": 0, "awarded": 0}}
    countries = [{**group, "key": f"C{i:03}", "converted": {**group["converted"], "awarded": i}} for i in range(300)]
    reviewers = [{"name": f"R{i}", "assigned": i % 50, "submitted": 0} for i in range(1000)]
    summary = {"breakdowns": {"country": countries, "region": countries[:6]},
               "reviews": {"assigned": 1, "reviewers": reviewers}}
    digest = dashboard_digest(summary)
    assert [g["key"] for g in digest["breakdowns"]["country"]] == [f"C{i:03}" for i in range(299, 279, -1)]
    assert digest["breakdowns"]["region"] == countries[:6]  # within the limit: whole, in its order
    assert len(digest["reviews"]["reviewers"]) == DASHBOARD_GROUPS
    assert {r["assigned"] for r in digest["reviews"]["reviewers"]} == {49}
    assert digest["cut"] == {"by-country": {"shown": DASHBOARD_GROUPS, "of": 300, "by": "awarded"},
                             "by-reviewer": {"shown": DASHBOARD_GROUPS, "of": 1000, "by": "assigned"}}
    assert summary["breakdowns"]["country"] == countries  # the summary itself is left whole
