"""Grant pages: the organisation's grants, a grant's page and agreement, the admins' list."""

from sqlalchemy import select

from cade.extensions import db
from cade.grants.constants import GrantStatus
from cade.grants.models import Grant
from cade.grants.services import open_grant
from tests.factories import CallFactory, MembershipFactory, OrganisationFactory, UserFactory
from tests.grants.helpers import accepted_decision
from tests.quality.conftest import assert_pages_are_light


def opened(**kwargs):
    decision, owner = accepted_decision(**kwargs)
    grant = open_grant(decision)
    db.session.commit()
    return grant, owner


def test_a_member_sees_their_organisations_grants_with_the_next_step(db, client, login):
    grant, owner = opened()
    colleague = MembershipFactory(organisation=grant.organisation, role="member").user
    other, _ = opened(organisation=OrganisationFactory(name="Another Network"))

    login(colleague)
    page = client.get("/grants/").get_data(as_text=True)

    assert grant.decision.application.title in page
    assert f"/grants/{grant.id}" in page and "Download the agreement" in page
    assert f"/grants/{other.id}\"" not in page
    assert "My grants" in page  # the site navigation, for a member of an organisation


def test_a_grant_page_shows_its_timeline_and_the_agreement_downloads(db, client, login):
    grant, owner = opened()
    login(owner)

    page = client.get(f"/grants/{grant.id}").get_data(as_text=True)
    assert "Offer released" in page and "Accepted by Amina Diallo (Directrice)" in page
    assert "Agreement created" in page

    response = client.get(f"/grants/{grant.id}/agreement")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "no-store" in response.headers["Cache-Control"]


def test_a_stranger_gets_404_for_the_grant_and_its_agreement(db, client, login):
    grant, _owner = opened()
    login(MembershipFactory(organisation=OrganisationFactory()).user)

    assert client.get(f"/grants/{grant.id}").status_code == 404
    assert client.get(f"/grants/{grant.id}/agreement").status_code == 404
    assert client.get("/grants/999999").status_code == 404
    assert grant.decision.application.title not in client.get("/grants/").get_data(as_text=True)


def test_a_visitor_is_sent_to_sign_in(db, client):
    grant, _owner = opened()
    response = client.get(f"/grants/{grant.id}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_user_without_an_organisation_has_no_my_grants_link(db, client, login):
    login(UserFactory())
    page = client.get("/").get_data(as_text=True)
    assert "My grants" not in page


def test_the_admin_list_filters_by_status_and_call(db, client, login, admin):
    first, _ = opened()
    second_call = CallFactory(title="Second call for networks")
    second, _ = opened(organisation=OrganisationFactory(name="Second Network"),
                       application__call=second_call, application__title="Second network project")
    db.session.execute(Grant.__table__.update().where(Grant.id == second.id).values(status=GrantStatus.CLOSED))
    db.session.commit()
    login(admin)

    everything = client.get("/admin/grants/").get_data(as_text=True)
    assert f"/grants/{first.id}\"" in everything and f"/grants/{second.id}\"" in everything

    active = client.get("/admin/grants/?status=active").get_data(as_text=True)
    assert f"/grants/{first.id}\"" in active and f"/grants/{second.id}\"" not in active

    by_call = client.get(f"/admin/grants/?call={second_call.id}").get_data(as_text=True)
    assert f"/grants/{second.id}\"" in by_call and f"/grants/{first.id}\"" not in by_call

    # An admin reads every grant and its agreement.
    assert client.get(f"/grants/{second.id}").status_code == 200
    assert client.get(f"/grants/{second.id}/agreement").status_code == 200


def test_bad_filters_are_ignored_not_an_error(db, client, login, admin):
    grant, _ = opened()
    login(admin)
    response = client.get("/admin/grants/?status=bogus&call=abc")
    assert response.status_code == 200
    assert f"/grants/{grant.id}\"" in response.get_data(as_text=True)


def test_the_admin_list_is_for_admins_only(db, client, login):
    grant, owner = opened()
    login(owner)
    assert client.get("/admin/grants/").status_code == 404


def test_grant_pages_are_light(db, client, login, admin):
    grant, owner = opened()
    assert db.session.scalar(select(Grant.id)) == grant.id
    assert_pages_are_light(client, login, [(owner, ["/grants/", f"/grants/{grant.id}"]),
                                           (admin, ["/admin/grants/", f"/grants/{grant.id}"])], "fr")
