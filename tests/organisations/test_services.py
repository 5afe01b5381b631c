"""Organisation services: profiles, members, invitations and their rules."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from cade.core.audit import AuditEvent
from cade.core.countries import get_country
from cade.core.db import utcnow
from cade.core.errors import AlreadyExists, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.core.tokens import token_digest
from cade.organisations import services
from cade.organisations.models import Invitation, Membership, Organisation
from tests.auditlog import audit_verbs
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory


def profile(**overrides) -> dict:
    data = {
        "name": "Rural Mesh Collective",
        "acronym": "RMC",
        "country": "SN",
        "city": "Thiès",
        "website": "https://mesh.example.org",
        "description": "Community networks in rural Senegal.",
        "organisation_type": "community_network",
        "stakeholder_group": "technical_community",
        "year_founded": 2015,
        "staff_band": "1-5",
        "annual_budget_amount": "25000.50",
        "annual_budget_currency": "EUR",
        "focus_areas": ["connectivity", "gender"],
        "languages": ["fr", "en"],
        "registration_number": "SN-2015-123",
        "publish_consent": True,
    }
    data.update(overrides)
    return data


def profile_input(**overrides) -> services.OrganisationProfileInput:
    return services.OrganisationProfileInput.from_input(profile(**overrides))


def invitation_to(email, role=None) -> services.InviteMemberInput:
    return services.InviteMemberInput.from_input({"email": email, "role": role})


def as_role(role) -> services.MemberRoleInput:
    return services.MemberRoleInput.from_input({"role": role})


def errors_of(excinfo) -> dict:
    return excinfo.value.errors


# --- create / update ---------------------------------------------------------------------------

def test_create_derives_region_from_country_and_makes_creator_owner(db):
    user = UserFactory()
    org = services.create_organisation(user, profile_input(country="sn"))
    db.session.commit()

    assert org.country == "SN"
    assert org.region_code == get_country("SN").region_code == "002"
    assert org.subregion_code == get_country("SN").subregion_code
    assert org.annual_budget_minor == 2_500_050 and org.annual_budget_currency == "EUR"
    assert org.languages == ["en", "fr"]
    assert org.verified is False
    assert services.membership_of(user, org).role == "owner"
    assert services.organisations_for_user(user) == [org]
    assert "organisation.created" in audit_verbs(org)


def test_a_user_may_belong_to_several_organisations(db):
    user = UserFactory()
    first = services.create_organisation(user, profile_input(name="B org"))
    second = services.create_organisation(user, profile_input(name="A org"))
    db.session.commit()
    assert services.organisations_for_user(user) == [second, first]
    assert services.is_member(user, first) and services.is_member(user, second)


def test_server_owned_fields_in_data_are_ignored(db):
    user = UserFactory()
    org = services.create_organisation(
        user, profile_input(country="KE", verified=True, region_code="150", subregion_code="155", id=999))
    assert org.verified is False
    assert org.region_code == "002"
    assert org.id != 999


@pytest.mark.parametrize("country", ["XX", "", None, "Kenya", "KEN"])
def test_unknown_country_is_refused(db, country):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_organisation(UserFactory(), profile_input(country=country))
    assert "country" in errors_of(excinfo)
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "ftp://files.example.org",
                                 "data:text/html,<b>x</b>", "https://", "mesh.example.org",
                                 "https://exa mple.org"])
def test_website_must_be_an_http_or_https_address(db, url):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_organisation(UserFactory(), profile_input(website=url))
    assert "website" in errors_of(excinfo)


def test_website_is_optional_and_http_is_accepted(db):
    assert services.create_organisation(UserFactory(), profile_input(website="")).website is None
    org = services.create_organisation(UserFactory(), profile_input(website="http://a.example"))
    assert org.website == "http://a.example"


@pytest.mark.parametrize("amount, currency", [("100.005", "USD"), ("1000.5", "XOF"), ("12.1", "JPY")])
def test_budget_with_more_decimals_than_the_currency_is_refused(db, amount, currency):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_organisation(UserFactory(), profile_input(annual_budget_amount=amount,
                                                            annual_budget_currency=currency))
    assert "annual_budget_amount" in errors_of(excinfo)


@pytest.mark.parametrize("amount, currency, field", [
    ("-1", "USD", "annual_budget_amount"),
    ("lots", "USD", "annual_budget_amount"),
    ("NaN", "USD", "annual_budget_amount"),
    ("100", "", "annual_budget_currency"),
    ("100", "ZZZ", "annual_budget_currency"),
])
def test_bad_budget_is_refused(db, amount, currency, field):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_organisation(UserFactory(), profile_input(annual_budget_amount=amount,
                                                            annual_budget_currency=currency))
    assert field in errors_of(excinfo)


@pytest.mark.parametrize("amount, currency", [
    ("1E+999999", "EUR"),            # finite, but no currency has room for it
    ("1e15", "USD"),
    ("1000000000000000", "XOF"),
    ("999999999999999", "JOD"),      # below 10**15, but not in thousandths of a dinar
    ("10000000000000", "USD"),
])
def test_a_budget_too_large_to_store_is_called_too_large(db, amount, currency):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_organisation(UserFactory(), profile_input(annual_budget_amount=amount,
                                                            annual_budget_currency=currency))
    assert [str(m) for m in errors_of(excinfo)["annual_budget_amount"]] == ["This amount is too large."]


def test_the_largest_budget_that_fits_is_kept_exactly(db):
    org = services.create_organisation(UserFactory(), profile_input(annual_budget_amount="9999999999999.99",
                                                              annual_budget_currency="USD"))
    assert org.annual_budget_minor == 999_999_999_999_999


def test_budget_is_optional_and_exact(db):
    org = services.create_organisation(UserFactory(), profile_input(annual_budget_amount=None))
    assert org.annual_budget_minor is None and org.annual_budget_currency is None
    org = services.create_organisation(UserFactory(), profile_input(annual_budget_amount="1500000",
                                                              annual_budget_currency="XOF"))
    assert org.annual_budget_minor == 1_500_000


@pytest.mark.parametrize("year", [1799, "1066", "next", 3000])
def test_year_founded_outside_1800_to_this_year_is_refused(db, year):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_organisation(UserFactory(), profile_input(year_founded=year))
    assert "year_founded" in errors_of(excinfo)


def test_year_founded_bounds_are_accepted(db):
    assert services.create_organisation(UserFactory(), profile_input(year_founded=1800)).year_founded == 1800
    this_year = utcnow().year
    assert services.create_organisation(UserFactory(), profile_input(year_founded=this_year)).year_founded == this_year


def test_every_problem_is_reported_at_once(db):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_organisation(UserFactory(), profile_input(
            name="  ", organisation_type="bank", stakeholder_group="", staff_band="huge",
            focus_areas=["connectivity", "weapons"], languages=["xx"], acronym="A" * 41))
    assert set(errors_of(excinfo)) >= {"name", "organisation_type", "stakeholder_group", "staff_band",
                                       "focus_areas", "languages", "acronym"}


def test_informal_group_needs_no_registration_number(db):
    org = services.create_organisation(UserFactory(), profile_input(organisation_type="informal_group",
                                                              registration_number="  "))
    assert org.registration_number is None


def test_anonymous_cannot_create(db):
    with pytest.raises(PermissionDenied):
        services.create_organisation(None, profile_input())


def test_owner_updates_profile_and_region_follows_country(db, org, owner):
    services.update_organisation(owner, org.id, profile_input(country="BR", name="Nova Rede"))
    db.session.commit()
    assert org.name == "Nova Rede"
    assert org.region_code == get_country("BR").region_code == "019"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "organisation.updated"))
    assert event.before["country"] == "KE" and event.after["country"] == "BR"


def test_admin_may_update_but_a_member_may_not(db, org, member, admin):
    with pytest.raises(PermissionDenied):
        services.update_organisation(member, org.id, profile_input())
    services.update_organisation(admin, org.id, profile_input(name="Renamed by admin"))
    assert org.name == "Renamed by admin"


def test_update_never_sets_verified(db, org, owner):
    services.update_organisation(owner, org.id, profile_input(verified=True))
    assert org.verified is False


def test_only_admins_verify(db, org, owner, admin):
    with pytest.raises(PermissionDenied):
        services.set_organisation_verified(owner, org, True)
    services.set_organisation_verified(admin, org, True)
    db.session.commit()
    assert org.verified is True
    assert "organisation.verified" in audit_verbs(org)


# --- members ----------------------------------------------------------------------------------

def test_last_owner_cannot_be_removed_demoted_or_leave(db, org, owner):
    membership = services.membership_of(owner, org)
    with pytest.raises(InvalidTransition, match="owner"):
        services.remove_member(owner, membership)
    with pytest.raises(InvalidTransition, match="owner"):
        services.change_member_role(owner, membership.id, as_role("member"))
    with pytest.raises(InvalidTransition, match="owner"):
        services.leave_organisation(owner, org)
    assert services.membership_of(owner, org).role == "owner"


def test_with_a_second_owner_the_first_may_step_down(db, org, owner, member):
    services.change_member_role(owner, services.membership_of(member, org).id, as_role("owner"))
    services.change_member_role(owner, services.membership_of(owner, org).id, as_role("member"))
    db.session.commit()
    assert services.membership_of(owner, org).role == "member"
    assert services.membership_of(member, org).role == "owner"
    assert "membership.role_changed" in audit_verbs(services.membership_of(owner, org))


def test_owner_removes_a_member(db, org, owner, member):
    services.remove_member(owner, services.membership_of(member, org))
    db.session.commit()
    assert not services.is_member(member, org)
    assert db.session.scalar(select(AuditEvent.verb).where(AuditEvent.verb == "membership.removed"))


def test_members_cannot_manage_members(db, org, owner, member):
    with pytest.raises(PermissionDenied):
        services.remove_member(member, services.membership_of(owner, org))
    with pytest.raises(PermissionDenied):
        services.change_member_role(member, services.membership_of(member, org).id, as_role("owner"))
    with pytest.raises(PermissionDenied):
        services.invite_member(member, org.id, invitation_to("new@example.org"))


def test_unknown_role_is_refused(db, org, owner, member):
    with pytest.raises(ValidationFailed):
        services.change_member_role(owner, services.membership_of(member, org).id, as_role("admin"))


def test_member_may_leave(db, org, member):
    services.leave_organisation(member, org)
    db.session.commit()
    assert services.organisations_for_user(member) == []


def test_leaving_an_organisation_one_does_not_belong_to(db, org, outsider):
    with pytest.raises(NotFound):
        services.leave_organisation(outsider, org)


# --- invitations ------------------------------------------------------------------------------

def test_invitation_stores_only_a_hash_and_queues_an_email(db, outbox, org, owner):
    owner.locale = "fr"
    invitation, token = services.invite_member(owner, org.id, invitation_to("  Amina@Example.ORG ", "member"))
    db.session.commit()

    assert invitation.email == "amina@example.org"
    assert invitation.token_hash == token_digest(token)
    assert token not in invitation.token_hash and len(token) >= 40
    assert invitation.expires_at - utcnow() == pytest.approx(timedelta(days=14), abs=timedelta(minutes=1))
    [mail] = outbox("organisations.invitation", email="amina@example.org")
    assert mail.recipient_id is None
    assert mail.locale == "fr"
    assert mail.context["token"] == token
    assert mail.context["organisation_name"] == org.display_name
    assert mail.context["inviter_name"] == owner.name
    assert "invitation.created" in audit_verbs(invitation)


def test_reinviting_refreshes_instead_of_duplicating(db, outbox, org, owner):
    first, old_token = services.invite_member(owner, org.id, invitation_to("amina@example.org", "member"))
    db.session.commit()
    with time_machine.travel(utcnow() + timedelta(days=10), tick=False):
        second, new_token = services.invite_member(owner, org.id, invitation_to("AMINA@example.org", "owner"))
        db.session.commit()
        assert second.id == first.id
        assert second.role == "owner"
        assert second.expires_at > utcnow() + timedelta(days=13)
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1
    mails = outbox("organisations.invitation", email="amina@example.org")
    assert [m.context["token"] for m in mails] == [old_token, new_token]
    amina = UserFactory(email="amina@example.org")
    with pytest.raises(NotFound):
        services.accept_invitation(amina, old_token)
    assert services.accept_invitation(amina, new_token).role == "owner"


def test_inviting_an_existing_member_is_refused(db, org, owner, member):
    with pytest.raises(AlreadyExists):
        services.invite_member(owner, org.id, invitation_to(member.email.upper()))


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b", "x@@example.org"])
def test_invalid_invitation_address_is_refused(db, org, owner, email):
    with pytest.raises(ValidationFailed):
        services.invite_member(owner, org.id, invitation_to(email))


def test_accepting_joins_with_the_invited_role(db, org, owner):
    _, token = services.invite_member(owner, org.id, invitation_to("amina@example.org", "owner"))
    amina = UserFactory(email="amina@example.org")
    membership = services.accept_invitation(amina, token)
    db.session.commit()
    assert membership.role == "owner"
    assert services.organisations_for_user(amina) == [org]
    assert services.pending_invitations(org) == []


def test_email_match_is_case_insensitive(db, org, owner):
    _, token = services.invite_member(owner, org.id, invitation_to("amina@example.org"))
    amina = UserFactory(email="Amina@Example.org")
    assert services.accept_invitation(amina, token).user_id == amina.id


def test_someone_else_cannot_use_the_link(db, org, owner):
    _, token = services.invite_member(owner, org.id, invitation_to("amina@example.org"))
    mallory = UserFactory(email="mallory@example.org")
    with pytest.raises(PermissionDenied, match="different e-mail"):
        services.accept_invitation(mallory, token)
    assert not services.is_member(mallory, org)


def test_expired_invitation_is_refused(db, org, owner):
    _, token = services.invite_member(owner, org.id, invitation_to("amina@example.org"))
    db.session.commit()
    amina = UserFactory(email="amina@example.org")
    with time_machine.travel(utcnow() + timedelta(days=14, seconds=1), tick=False):
        with pytest.raises(InvalidTransition, match="expired"):
            services.accept_invitation(amina, token)
    with time_machine.travel(utcnow() + timedelta(days=13), tick=False):
        assert services.accept_invitation(amina, token).role == "member"


def test_revoked_invitation_is_refused(db, org, owner):
    invitation, token = services.invite_member(owner, org.id, invitation_to("amina@example.org"))
    services.revoke_invitation(owner, invitation)
    services.revoke_invitation(owner, invitation)  # harmless twice
    db.session.commit()
    assert services.pending_invitations(org) == []
    with pytest.raises(InvalidTransition, match="withdrawn"):
        services.accept_invitation(UserFactory(email="amina@example.org"), token)
    assert audit_verbs(invitation).count("invitation.revoked") == 1


def test_members_cannot_revoke(db, org, owner, member):
    invitation, _ = services.invite_member(owner, org.id, invitation_to("amina@example.org"))
    with pytest.raises(PermissionDenied):
        services.revoke_invitation(member, invitation)


def test_accepting_twice_is_harmless(db, org, owner):
    invitation, token = services.invite_member(owner, org.id, invitation_to("amina@example.org"))
    amina = UserFactory(email="amina@example.org")
    first = services.accept_invitation(amina, token)
    db.session.commit()
    second = services.accept_invitation(amina, token)
    db.session.commit()
    assert first.id == second.id
    assert db.session.scalar(select(func.count()).select_from(Membership)
                             .where(Membership.organisation_id == org.id)) == 2
    with pytest.raises(InvalidTransition, match="accepted"):
        services.revoke_invitation(owner, invitation)


def test_used_invitation_cannot_be_reused_after_leaving(db, org, owner):
    _, token = services.invite_member(owner, org.id, invitation_to("amina@example.org"))
    amina = UserFactory(email="amina@example.org")
    services.accept_invitation(amina, token)
    services.leave_organisation(amina, org)
    with pytest.raises(InvalidTransition, match="already been used"):
        services.accept_invitation(amina, token)


def test_existing_member_is_not_duplicated_and_owner_invitation_promotes(db, org, owner):
    amina = MembershipFactory(organisation=org, role="member", user=UserFactory(email="amina@example.org")).user
    # Invited before joining through another route: the invitation still resolves.
    invitation = Invitation(organisation=org, email="amina@example.org", role="owner",
                            token_hash=token_digest("tok"), invited_by_id=owner.id,
                            expires_at=utcnow() + timedelta(days=1))
    db.session.add(invitation)
    db.session.commit()
    membership = services.accept_invitation(amina, "tok")
    db.session.commit()
    assert membership.role == "owner"
    assert db.session.scalar(select(func.count()).select_from(Membership)
                             .where(Membership.user_id == amina.id)) == 1


def test_unknown_token_is_refused(db):
    with pytest.raises(NotFound):
        services.accept_invitation(UserFactory(), "no-such-token")


def test_members_of_lists_owners_first_then_by_name(db):
    org = OrganisationFactory()
    # Added in neither the expected order nor name order, so only the query's own order can pass.
    for name, role in [("Aaron", "member"), ("Zoe", "owner"), ("Bea", "member"), ("Yann", "owner")]:
        MembershipFactory(organisation=org, role=role, user=UserFactory(name=name))
    members = services.members_of(org)
    assert [m.role for m in members] == ["owner", "owner", "member", "member"]
    assert [m.user.name for m in members] == ["Yann", "Zoe", "Aaron", "Bea"]


def test_other_organisations_do_not_leak_into_queries(db, org, owner):
    other = OrganisationFactory()
    assert not services.is_member(owner, other)
    assert services.membership_of(owner, other) is None
    assert services.organisations_for_user(owner) == [org]


def test_invitation_email_carries_the_link_and_escapes_names(db, outbox, org, owner):
    from cade.notifications.rendering import render_notification

    org.name = "Tom & <b>Jerry</b>"
    invitation, token = services.invite_member(owner, org.id, invitation_to("amina@example.org", "owner"))
    [mail] = outbox("organisations.invitation", email="amina@example.org")
    subject, text, html = render_notification(mail)
    assert "Tom & <b>Jerry</b>" in subject
    assert f"/organisations/invitations/{token}" in text
    assert "14 days" in text and "an owner" in text
    assert "Tom &amp; &lt;b&gt;Jerry&lt;/b&gt;" in html
    assert f'/organisations/invitations/{token}"' in html and 'href="http' in html
