"""An organisation marks itself at risk: who may, what it changes to its consent, the audit, and who sees it."""

import pytest
from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.core.errors import PermissionDenied
from cade.organisations import services
from cade.organisations.models import Organisation
from cade.organisations.permissions import can_mark_at_risk
from cade.organisations.services import profiles
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.organisations.test_services import profile, profile_input
from tests.organisations.test_views import FORM

LABEL = "We work where being known as foreign-funded puts us at risk"


def edit_url(org) -> str:
    return f"/organisations/{org.id}/edit"


def updates(db, org) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.verb == "organisation.updated", AuditEvent.object_id == org.id).order_by(AuditEvent.id)))


@pytest.fixture()
def heard(monkeypatch):
    """What organisations' profile hooks are told, with the hooks the app registered kept."""
    calls = []
    monkeypatch.setattr(profiles, "profile_change_hooks",
                        [*profiles.profile_change_hooks, lambda org, changed: calls.append((org.id, changed))])
    return calls


# --- the predicate ------------------------------------------------------------------------------

def test_may_be_named_only_with_consent_and_without_risk(db):
    cases = {(True, False): True, (True, True): False, (False, False): False, (False, True): False}
    orgs = {key: OrganisationFactory(publish_consent=key[0], at_risk=key[1]) for key in cases}
    db.session.commit()
    for key, expected in cases.items():
        assert orgs[key].may_be_named is expected
    named = set(db.session.scalars(select(Organisation.id).where(Organisation.may_be_named)))
    assert named == {orgs[(True, False)].id}


def test_only_owners_may_mark_it_not_members_admins_or_outsiders(db, org, owner, member, admin, outsider):
    assert can_mark_at_risk(owner, org)
    for user in (member, admin, outsider, None):
        assert not can_mark_at_risk(user, org)


# --- services -----------------------------------------------------------------------------------

def test_marking_at_risk_withdraws_the_consent_audits_and_tells_the_hooks(db, org, owner, heard):
    org.publish_consent = True
    db.session.commit()
    services.update_organisation(owner, org.id, profile_input(name=org.name, at_risk=True, publish_consent=True))
    db.session.commit()
    assert org.at_risk is True and org.publish_consent is False and not org.may_be_named
    event = updates(db, org)[-1]
    assert event.before["at_risk"] is False and event.after["at_risk"] is True
    assert event.before["publish_consent"] is True and event.after["publish_consent"] is False
    assert event.actor_id == owner.id
    assert heard[-1][0] == org.id and {"at_risk", "publish_consent"} <= heard[-1][1]


def test_consent_cannot_be_given_while_at_risk_and_clearing_the_mark_names_nobody(db, org, owner):
    org.at_risk = True
    db.session.commit()
    services.update_organisation(owner, org.id, profile_input(name=org.name, publish_consent=True))
    assert org.publish_consent is False and org.at_risk is True  # no at_risk in the input: kept
    services.update_organisation(owner, org.id, profile_input(name=org.name, at_risk=False, publish_consent=False))
    assert (org.at_risk, org.publish_consent) == (False, False)
    services.update_organisation(owner, org.id, profile_input(name=org.name, at_risk=False, publish_consent=True))
    assert org.may_be_named is True  # named again only once an owner consents again


def test_an_admin_keeps_the_owners_choice_and_may_not_change_it(db, org, admin):
    org.at_risk = True
    db.session.commit()
    services.update_organisation(admin, org.id, profile_input(name="Renamed by staff"))
    assert org.name == "Renamed by staff" and org.at_risk is True
    with pytest.raises(PermissionDenied) as refused:
        services.update_organisation(admin, org.id, profile_input(name=org.name, at_risk=False))
    assert refused.value.field == "at_risk"
    db.session.rollback()
    assert db.session.get(Organisation, org.id).at_risk is True


def test_a_member_may_not_mark_it(db, org, member):
    with pytest.raises(PermissionDenied):
        services.update_organisation(member, org.id, profile_input(name=org.name, at_risk=True))


def test_an_organisation_may_register_as_at_risk_without_consent(db):
    owner = UserFactory()
    org = services.create_organisation(owner, profile_input(at_risk=True, publish_consent=True))
    assert org.at_risk is True and org.publish_consent is False
    created = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "organisation.created"))
    assert created.after["at_risk"] is True and created.after["publish_consent"] is False


def test_unchanged_mark_is_not_a_change(db, org, owner, heard):
    services.update_organisation(owner, org.id, profile_input(**{**profile(), "name": "Kijiji Net", "country": "KE",
                                                                 "at_risk": False}))
    first = len(updates(db, org))
    services.update_organisation(owner, org.id, profile_input(**{**profile(), "name": "Kijiji Net", "country": "KE",
                                                                 "at_risk": False}))
    assert len(updates(db, org)) == first
    assert all("at_risk" not in changed for _id, changed in heard)


# --- pages --------------------------------------------------------------------------------------

def test_the_owner_sees_the_explained_box_and_marks_it(client, login, db, org, owner):
    login(owner)
    html = client.get(edit_url(org)).get_data(as_text=True)
    assert LABEL in html and 'name="at_risk"' in html
    assert "never name it in open data or on public pages" in html
    response = client.post(edit_url(org), data=dict(FORM, name="Kijiji Net", at_risk="y"), follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "now treated as at risk" in page
    assert "Published only as an anonymous organisation of its region" in page  # consent in FORM: withdrawn
    db.session.refresh(org)
    assert org.at_risk is True and org.publish_consent is False


def test_unticking_the_box_clears_the_mark(client, login, db, org, owner):
    org.at_risk = True
    db.session.commit()
    login(owner)
    assert 'checked id="at_risk" name="at_risk"' in client.get(edit_url(org)).get_data(as_text=True)
    client.post(edit_url(org), data=dict(FORM, name="Kijiji Net"))
    db.session.refresh(org)
    assert org.at_risk is False


def test_an_admin_sees_the_mark_but_no_box_and_saving_keeps_it(client, login, db, org, owner, admin):
    org.at_risk = True
    db.session.commit()
    login(admin)
    view = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "This organisation has marked itself at risk" in view
    edit = client.get(edit_url(org)).get_data(as_text=True)
    assert 'name="at_risk"' not in edit and "The organisation has marked itself at risk." in edit
    # A crafted post with the box unticked (absent) or forced off changes nothing.
    assert client.post(edit_url(org), data=dict(FORM, name="Kijiji Net")).status_code == 302
    client.post(edit_url(org), data=dict(FORM, name="Kijiji Net", at_risk=""))
    db.session.refresh(org)
    assert org.at_risk is True


def test_an_admin_who_is_also_an_owner_may_change_it(client, login, db, org):
    both = MembershipFactory(organisation=org, role="owner", user=UserFactory(roles=["admin"])).user
    login(both)
    assert 'name="at_risk"' in client.get(edit_url(org)).get_data(as_text=True)
    client.post(edit_url(org), data=dict(FORM, name="Kijiji Net", at_risk="y"))
    db.session.refresh(org)
    assert org.at_risk is True


def test_a_member_sees_the_mark_on_the_profile(client, login, db, org, member):
    org.at_risk = True
    db.session.commit()
    login(member)
    html = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "Yes: being known as foreign-funded puts it at risk" in html
    assert client.get(edit_url(org)).status_code == 403


def test_registering_with_the_box_ticked_keeps_no_consent(client, login, db):
    login(UserFactory())
    client.post("/organisations/new", data=dict(FORM, at_risk="y"))
    org = db.session.scalar(select(Organisation).where(Organisation.name == FORM["name"]))
    assert org.at_risk is True and org.publish_consent is False
