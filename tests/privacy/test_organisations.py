"""Erasing an organisation: owners only (404 for everyone else), never with an open grant, its history kept."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.grants.constants import GrantStatus
from cade.grants.models import Grant
from cade.organisations.models import Invitation, Organisation
from tests.factories import PASSWORD, ApplicationFactory, MembershipFactory, OrganisationFactory
from tests.privacy.helpers import open_grant_for


@pytest.fixture()
def owned(db):
    """An owner and their organisation, with a full profile."""
    org = OrganisationFactory(name="Mesh Collective", acronym="MC", city="Kisumu", website="https://mesh.example",
                              description="We build networks.", registration_number="REG-123",
                              publish_consent=True, country="KE")
    owner = MembershipFactory(organisation=org, role="owner", user__name="Owner One").user
    return owner, org


def url(org_id) -> str:
    return f"/account/data/organisations/{org_id}/erase"


def erase(client, org_id, password=PASSWORD, understood="y"):
    return client.post(url(org_id), data={"password": password, "understood": understood})


def test_only_an_owner_finds_the_page(db, client, login, owned, admin):
    owner, org = owned
    member = MembershipFactory(organisation=org, role="member").user
    stranger = MembershipFactory(role="owner").user  # an owner, of another organisation
    for user in (member, stranger, admin):
        login(user)
        assert client.get(url(org.id)).status_code == 404
        assert erase(client, org.id).status_code == 404
    login(owner)
    assert client.get(url(org.id)).status_code == 200
    assert client.get(url(org.id + 1000)).status_code == 404
    assert db.session.get(Organisation, org.id).erased_at is None


def test_the_page_needs_sign_in(db, client, owned):
    _owner, org = owned
    response = client.get(url(org.id))
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_an_owner_erases_the_profile_and_keeps_the_history(db, client, login, owned):
    owner, org = owned
    grant = open_grant_for(org, status=GrantStatus.CLOSED)
    draft = ApplicationFactory(organisation=org, created_by=owner)
    invitation = Invitation(organisation_id=org.id, email="new@example.org", token_hash="a" * 64,
                            expires_at=utcnow() + timedelta(days=7), invited_by_id=owner.id)
    db.session.add(invitation)
    db.session.commit()
    login(owner)

    page = client.get(url(org.id)).get_data(as_text=True)
    assert "1 application will be withdrawn." in page and "funding statistics" in page
    response = erase(client, org.id)

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "The organisation has been erased" in text and f"Erased organisation {org.id}" in text
    org = db.session.get(Organisation, org.id)
    assert org.name == f"Erased organisation {org.id}" and org.erased_at is not None
    assert (org.acronym, org.city, org.website, org.description, org.registration_number) == (None,) * 5
    assert org.publish_consent is False
    assert (org.country, org.region_code, org.stakeholder_group) == ("KE", "002", "civil_society")
    assert db.session.get(type(draft), draft.id).status == ApplicationStatus.WITHDRAWN
    assert db.session.get(Invitation, invitation.id).revoked_at is not None
    assert db.session.get(Grant, grant.id) is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "organisation.erased"))
    assert (event.actor_id, event.object_id) == (owner.id, org.id)
    # Erased once: the page is gone.
    assert client.get(url(org.id)).status_code == 404


def test_an_open_grant_is_refused_with_what_to_do(db, client, login, owned):
    owner, org = owned
    open_grant_for(org)
    login(owner)
    assert "It has a grant still open." in client.get(url(org.id)).get_data(as_text=True)

    response = erase(client, org.id)
    assert response.status_code == 200
    assert "It can be erased once the grant is closed" in response.get_data(as_text=True)
    assert db.session.get(Organisation, org.id).name == "Mesh Collective"


def test_an_application_being_decided_is_refused(db, client, login, owned):
    owner, org = owned
    application = ApplicationFactory(organisation=org, under_review=True)
    login(owner)
    response = erase(client, org.id)
    assert "still being decided" in response.get_data(as_text=True)
    assert db.session.get(Organisation, org.id).erased_at is None
    assert db.session.get(type(application), application.id).status == ApplicationStatus.UNDER_REVIEW


def test_a_wrong_password_keeps_the_form_and_the_organisation(db, client, login, owned):
    owner, org = owned
    login(owner)
    response = erase(client, org.id, password="not the right one")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Your password is not correct." in text
    assert '<input checked id="understood" name="understood" type="checkbox"' in text
    assert db.session.get(Organisation, org.id).erased_at is None


def test_the_page_renders_in_french(db, client, login, owned):
    owner, org = owned
    owner.locale = "fr"
    db.session.commit()
    login(owner)
    response = client.get(url(org.id))
    assert response.status_code == 200 and '<html lang="fr"' in response.get_data(as_text=True)
