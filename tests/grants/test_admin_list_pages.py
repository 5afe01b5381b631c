"""The admins' grants list in keyset pages of 50: order, links without JavaScript, filters, cost, bad links."""

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

import pytest
from sqlalchemy import event

from cade.extensions import db
from cade.grants.constants import GrantStatus, ReportKind, ReportStatus, TrancheCondition, TrancheStatus
from cade.grants.models import Grant, GrantReport, Tranche
from cade.grants.services import ADMIN_PAGE_SIZE, all_grants
from tests.factories import CallFactory, DecisionFactory
from tests.querycount import count_statements

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
HOURS = 40  # opening times cycle through this many hours: three grants share each, out of id order


def make_grants(count: int, *, call=None, status=GrantStatus.ACTIVE) -> list[Grant]:
    """`count` grants of `call` (no agreement file, tranche or report), opened at times that tie and that do not
    follow their ids, so the list's order (opened, then id) is something a page can get wrong."""
    call = call or CallFactory()
    grants = []
    for _ in range(count):
        decision = DecisionFactory(application__call=call)
        grants.append(Grant(decision_id=decision.id, organisation_id=decision.application.organisation_id,
                            call_id=call.id, amount_minor=10_000_00, currency="EUR", status=status,
                            agreement_stored_name="a.pdf", agreement_size=1, agreement_sha256="0" * 64,
                            agreement_language="en", created_at=START + timedelta(hours=(len(grants) * 7) % HOURS)))
    db.session.add_all(grants)
    db.session.commit()
    return grants


def newest_first(grants) -> list[int]:
    return [g.id for g in sorted(grants, key=lambda g: (g.created_at, g.id), reverse=True)]


class Page(NamedTuple):
    ids: list[int]  # the grants listed, in order
    newer: str | None  # the Newer link
    older: str | None  # the Older link


def read(client, url: str) -> Page:
    """One page of the list as a browser without JavaScript sees it."""
    response = client.get(url)
    assert response.status_code == 200, url
    text = response.get_data(as_text=True)
    links = {rel: html.unescape(href) for href, rel in re.findall(r'<a href="([^"]+)" rel="(prev|next)"', text)}
    return Page([int(found) for found in re.findall(r'<a href="/grants/(\d+)">', text)], links.get("prev"),
                links.get("next"))


def walk(client, url: str, link: str = "older") -> list[Page]:
    """Every page from `url` on, following the Newer or the Older links to the end."""
    pages = []
    while url:
        pages.append(read(client, url))
        url = getattr(pages[-1], link)
    return pages


def listed(pages: list[Page]) -> list[int]:
    return [grant_id for page in pages for grant_id in page.ids]


def test_the_list_pages_by_fifty_newest_first_and_back(db, client, login, admin):
    grants = make_grants(2 * ADMIN_PAGE_SIZE + 20)
    login(admin)

    pages = walk(client, "/admin/grants/")
    assert [len(page.ids) for page in pages] == [50, 50, 20]
    assert listed(pages) == newest_first(grants)
    assert pages[0].newer is None and pages[-1].older is None

    back = walk(client, pages[-1].newer, "newer")
    assert [page.ids for page in back] == [pages[1].ids, pages[0].ids]
    assert back[-1].newer is None and back[-1].older == pages[0].older


def test_a_page_of_exactly_fifty_has_no_links_and_one_more_grant_adds_one(db, client, login, admin):
    grants = make_grants(ADMIN_PAGE_SIZE)
    login(admin)
    assert read(client, "/admin/grants/") == Page(newest_first(grants), None, None)

    oldest = make_grants(1)[0]
    db.session.execute(Grant.__table__.update().where(Grant.id == oldest.id).values(created_at=START - timedelta(1)))
    db.session.commit()
    ids, newer, older = read(client, "/admin/grants/")
    assert oldest.id not in ids and newer is None
    assert read(client, older) == Page([oldest.id], f"/admin/grants/?after={oldest.id}", None)


def test_the_links_keep_the_filters_and_every_page_matches_them(db, client, login, admin):
    call = CallFactory(title="Second call for networks")
    wanted = make_grants(ADMIN_PAGE_SIZE + 5, call=call)
    make_grants(6, call=call, status=GrantStatus.CLOSED)
    make_grants(6)  # another call
    login(admin)

    url = f"/admin/grants/?status=active&call={call.id}"
    pages = walk(client, url)
    assert listed(pages) == newest_first(wanted) and len(pages) == 2
    older, newer = pages[0].older, pages[1].newer
    assert "status=active" in older and f"call={call.id}" in older
    assert "status=active" in newer and f"call={call.id}" in newer
    assert read(client, newer).ids == pages[0].ids
    assert f'<option value="{call.id}" selected>' in client.get(older).get_data(as_text=True)


def _report(grant: Grant, status: str, due_on: date) -> GrantReport:
    return GrantReport(grant_id=grant.id, kind=ReportKind.FINAL, status=status, due_on=due_on)


def _tranche(grant: Grant, status: str) -> Tranche:
    return Tranche(grant_id=grant.id, position=1, amount_minor=100, currency="EUR", status=status,
                   condition=TrancheCondition.ON_SIGNATURE, due_on=date(2026, 1, 5))


@pytest.mark.parametrize("need", ["overdue", "review", "payable"])
def test_each_need_filters_in_the_database_across_pages(db, client, login, admin, need):
    grants = make_grants(ADMIN_PAGE_SIZE + 15)
    today = date.today()
    needing = [grant for index, grant in enumerate(grants) if index % 5]  # 52 of 65, spread through the list
    for grant in grants:
        asks = grant in needing
        if need == "payable":
            db.session.add(_tranche(grant, TrancheStatus.PAYABLE if asks else TrancheStatus.DUE))
        elif need == "review":
            db.session.add(_report(grant, ReportStatus.SUBMITTED if asks else ReportStatus.APPROVED, today))
        else:
            db.session.add(_report(grant, ReportStatus.DRAFT, today - timedelta(days=1) if asks else today))
    db.session.commit()
    login(admin)

    pages = walk(client, f"/admin/grants/?needs={need}")
    assert [len(page.ids) for page in pages] == [ADMIN_PAGE_SIZE, 2]
    assert listed(pages) == newest_first(needing)
    assert f"needs={need}" in pages[0].older and f"needs={need}" in pages[1].newer


def test_a_page_costs_the_same_statements_and_reads_only_what_it_shows(db, client, login, admin):
    make_grants(10)
    login(admin)
    _response, few = count_statements(lambda: client.get("/admin/grants/"))
    grants = make_grants(3 * ADMIN_PAGE_SIZE)
    db.session.add_all(_tranche(grant, TrancheStatus.PAYABLE) for grant in grants)
    db.session.commit()
    order = newest_first(grants)
    loaded, counts = [], {}

    def count_load(grant, _context):
        loaded.append(grant.id)

    event.listen(Grant, "load", count_load)
    try:
        for url in ("/admin/grants/", f"/admin/grants/?before={order[70]}", f"/admin/grants/?after={order[120]}",
                    f"/admin/grants/?before={order[-2]}", "/admin/grants/?needs=payable&status=active"):
            loaded.clear()
            _response, counts[url] = count_statements(lambda url=url: client.get(url))
            assert 0 < len(loaded) <= ADMIN_PAGE_SIZE + 1, url  # the page's grants and one to know of more
    finally:
        event.remove(Grant, "load", count_load)
    assert set(counts.values()) == {few}, counts


@pytest.mark.parametrize("query", ["before=abc", "after=1.5", "before=", "before=-3", "after=0",
                                   "before=99999999999999999999999", "after=99999999999999999999999",
                                   "before=%00", "before=x&before=12", "after=2147483648"])
def test_a_bad_link_gives_the_first_page_never_an_error(db, client, login, admin, query):
    grants = make_grants(ADMIN_PAGE_SIZE + 3)
    login(admin)
    response = client.get(f"/admin/grants/?status=active&{query}", follow_redirects=True)
    assert response.status_code == 200
    page = read(client, response.request.full_path)
    assert page.ids == newest_first(grants)[:ADMIN_PAGE_SIZE] and page.newer is None
    assert response.request.args.get("status") == "active"


def test_a_link_past_either_end_or_to_no_grant_starts_the_list_again(db, client, login, admin):
    grants = make_grants(3)
    order = newest_first(grants)
    login(admin)
    for query in (f"before={grants[-1].id + 1000}", f"after={order[0]}", f"before={order[-1]}"):
        response = client.get(f"/admin/grants/?status=active&{query}")
        assert response.status_code == 302, query
        assert response.headers["Location"] == "/admin/grants/?status=active"
    assert read(client, "/admin/grants/?status=active") == Page(order, None, None)
    # Where no grant matches at all, the first page says so (and sends nowhere else).
    response = client.get(f"/admin/grants/?needs=review&before={order[0]}", follow_redirects=True)
    assert response.request.full_path == "/admin/grants/?needs=review"
    assert "No grant matches these filters." in response.get_data(as_text=True)


def test_an_impossible_call_is_no_grant_not_an_error(db, client, login, admin):
    make_grants(2)
    login(admin)
    response = client.get("/admin/grants/?call=99999999999999999999999")
    assert response.status_code == 200 and "No grant matches these filters." in response.get_data(as_text=True)
    assert all_grants(call_id=-1).grants == [] and all_grants(before=2**40).grants == []
