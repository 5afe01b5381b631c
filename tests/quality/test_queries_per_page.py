"""Pages run a fixed number of queries, however much data there is (DESIGN §8)."""

from sqlalchemy import select

from cade.applications.models import Application
from tests.factories import UserFactory
from tests.quality.conftest import make_world


def queries_for(client, count_queries, pages):
    counts = {}
    for page in pages:
        response, count = count_queries(client, "GET", page)
        assert response.status_code == 200, page
        counts[page] = count
    return counts


def test_public_and_applicant_pages_do_not_grow_with_the_data(db, client, login, count_queries):
    applicant = UserFactory()
    calls = make_world(2, applicant=applicant)
    login(applicant)
    own = db.session.scalar(select(Application.id).where(Application.status == "submitted").limit(1))
    pages = ["/", f"/calls/{calls[0].id}", "/calls/closed", "/applications/", f"/applications/{own}",
             "/organisations/new", "/inbox", f"/calls/{calls[0].id}/apply"]
    small = queries_for(client, count_queries, pages)

    make_world(10, applicant=applicant)  # five times the calls, organisations and applications
    large = queries_for(client, count_queries, pages)
    assert large == small


def test_admin_pages_do_not_grow_with_the_data(db, client, login, count_queries):
    admin = UserFactory(roles=["admin"])
    calls = make_world(2)
    login(admin)
    pages = ["/admin/", f"/admin/calls/{calls[0].id}", f"/admin/calls/{calls[0].id}/edit"]
    small = queries_for(client, count_queries, pages)

    make_world(10)
    large = queries_for(client, count_queries, pages)
    assert large == small
