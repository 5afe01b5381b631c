"""The reviewer pool: adding and inviting reviewers, their profiles, removal, the pool page, per role."""

import hashlib
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from cade.accounts.models import User
from cade.applications.constants import ApplicationStatus
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.extensions import db as _db
from cade.notifications.models import Notification
from cade.notifications.rendering import render_notification
from cade.reviews.constants import MAX_LOAD_LIMIT
from cade.reviews.models import Assignment, ReviewerInvitation, ReviewerProfile
from cade.reviews.services import pool
from cade.reviews.services.pool import AddOutcome
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    MembershipFactory,
    ReviewerProfileFactory,
    ReviewFactory,
    UserFactory,
)
from tests.querycount import count_statements


def email_input(email):
    return pool.ReviewerInput.from_input({"email": email})


def profile_input(**values):
    """The profile as the profile page hands it over: typed values cleaned by ReviewerProfileInput."""
    return pool.ReviewerProfileInput.from_input(values)


@pytest.fixture()
def request_ctx(app, db):
    """Services translate their messages inside a request, as the views call them."""
    with app.test_request_context():
        yield


@pytest.fixture()
def reviewer(db):
    return ReviewerProfileFactory(user=UserFactory(roles=["reviewer"], name="Rui Reviewer")).user


@pytest.fixture()
def applicant(db):
    return MembershipFactory().user


def events(verb):
    return _db.session.scalars(select(AuditEvent).where(AuditEvent.verb == verb).order_by(AuditEvent.id)).all()


def reload(model, object_id):
    return _db.session.get(model, object_id, populate_existing=True)


def invite(admin, email="new.reviewer@example.net"):
    """Invite `email`; return the invitation and the token from the e-mail's context."""
    result = pool.add_reviewer(admin, email_input(email))
    _db.session.commit()
    row = _db.session.scalars(select(Notification).where(Notification.kind == "reviews.invitation")
                              .order_by(Notification.id.desc())).first()
    return result.invitation, row.context["token"]


# --- adding a reviewer -----------------------------------------------------------------------

@pytest.mark.usefixtures("request_ctx")
class TestAddReviewer:
    def test_an_existing_account_becomes_a_reviewer_with_a_profile_in_its_language(self, admin):
        user = UserFactory(email="amina@kijiji.example", locale="fr")

        result = pool.add_reviewer(admin, email_input("  Amina@Kijiji.EXAMPLE "))
        _db.session.commit()

        assert result.outcome is AddOutcome.ADDED and result.user.id == user.id
        assert reload(User, user.id).has_role("reviewer")
        profile = pool.profile_of(user.id)
        assert profile.languages == ["fr"] and profile.expertise == [] and profile.max_load == 10
        [added] = events("reviewer.added")
        assert added.actor_id == admin.id and added.object_id == profile.id and added.after["via"] == "admin"
        assert _db.session.scalar(select(func.count(ReviewerInvitation.id))) == 0

    def test_adding_a_reviewer_again_changes_nothing(self, admin, reviewer):
        result = pool.add_reviewer(admin, email_input(reviewer.email))
        _db.session.commit()
        assert result.outcome is AddOutcome.ALREADY
        assert _db.session.scalar(select(func.count(ReviewerProfile.id))) == 1
        assert events("reviewer.added") == []

    def test_a_removed_reviewer_comes_back_with_the_profile_they_had(self, admin, reviewer):
        pool.remove_reviewer(admin, reviewer.id)
        _db.session.commit()
        result = pool.add_reviewer(admin, email_input(reviewer.email))
        _db.session.commit()
        assert result.outcome is AddOutcome.ADDED
        assert reload(User, reviewer.id).has_role("reviewer")
        assert pool.profile_of(reviewer.id).expertise == ["connectivity"]

    @pytest.mark.parametrize("who", ["reviewer", "applicant"])
    def test_only_an_admin_may_add_reviewers(self, request, who):
        actor = request.getfixturevalue(who)
        with pytest.raises(PermissionDenied):
            pool.add_reviewer(actor, email_input("someone@example.net"))
        assert _db.session.scalar(select(func.count(ReviewerInvitation.id))) == 0

    @pytest.mark.parametrize("email", ["", "   ", "not-an-address", "a@b", "two@@example.org"])
    def test_a_malformed_address_is_refused_beside_the_field(self, admin, email):
        with pytest.raises(ValidationFailed) as refused:
            pool.add_reviewer(admin, email_input(email))
        assert "email" in refused.value.errors

    def test_a_disabled_account_is_not_made_a_reviewer(self, admin):
        user = UserFactory(active=False)
        with pytest.raises(ValidationFailed) as refused:
            pool.add_reviewer(admin, email_input(user.email))
        assert "disabled" in str(refused.value.errors["email"][0])
        assert not reload(User, user.id).has_role("reviewer")


# --- invitations -----------------------------------------------------------------------------

@pytest.mark.usefixtures("request_ctx")
class TestInvitations:
    def test_an_unknown_address_gets_an_invitation_whose_token_only_travels_by_e_mail(self, admin):
        before = utcnow()
        result = pool.add_reviewer(admin, email_input("New.Reviewer@Example.NET"))
        _db.session.commit()

        assert result.outcome is AddOutcome.INVITED
        invitation = _db.session.scalars(select(ReviewerInvitation)).one()
        assert invitation.email == "new.reviewer@example.net" and invitation.invited_by_id == admin.id
        assert before + timedelta(days=14) <= invitation.expires_at <= utcnow() + timedelta(days=14)
        [mail] = _db.session.scalars(select(Notification)).all()
        token = mail.context["token"]
        assert mail.kind == "reviews.invitation" and mail.recipient_email == "new.reviewer@example.net"
        assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
        assert events("reviewer.invited")[0].after["email"] == "new.reviewer@example.net"

    def test_the_invitation_e_mail_names_the_inviter_and_carries_the_accept_link(self, admin):
        _invitation, token = invite(admin)
        row = _db.session.scalars(select(Notification)).one()
        subject, text, html = render_notification(row)
        assert "Ada Admin" in subject and "review" in subject
        assert f"/review/invitations/{token}" in text and f"/review/invitations/{token}" in html
        assert "14 days" in text
        assert row.in_app is False  # no account yet: e-mail only

    def test_inviting_a_waiting_address_again_sends_a_new_link_and_kills_the_old_one(self, admin):
        first, old_token = invite(admin)
        second, new_token = invite(admin, "NEW.reviewer@example.net")

        assert first.id == second.id and old_token != new_token
        assert _db.session.scalar(select(func.count(ReviewerInvitation.id))) == 1
        assert _db.session.scalar(select(func.count(Notification.id))) == 2
        user = UserFactory()
        with pytest.raises(NotFound):
            pool.find_reviewer_invitation(user, old_token)
        assert pool.find_reviewer_invitation(user, new_token).id == first.id

    def test_accepting_makes_any_verified_account_a_reviewer(self, admin):
        invitation, token = invite(admin)
        user = UserFactory(email="personal@example.com", locale="pt")

        profile = pool.accept_reviewer_invitation(user, token)
        _db.session.commit()

        assert reload(User, user.id).has_role("reviewer")
        assert profile.user_id == user.id and profile.languages == ["pt"]
        invitation = reload(ReviewerInvitation, invitation.id)
        assert invitation.accepted_by_id == user.id and invitation.accepted_at is not None
        [added] = events("reviewer.added")
        assert added.actor_id == user.id and added.after["invitation_id"] == invitation.id

    def test_accepting_twice_is_harmless(self, admin):
        _invitation, token = invite(admin)
        user = UserFactory()
        pool.accept_reviewer_invitation(user, token)
        _db.session.commit()
        pool.accept_reviewer_invitation(user, token)
        _db.session.commit()
        assert len(events("reviewer.added")) == 1

    def test_a_used_link_does_not_work_for_someone_else(self, admin):
        _invitation, token = invite(admin)
        pool.accept_reviewer_invitation(UserFactory(), token)
        _db.session.commit()
        other = UserFactory()
        with pytest.raises(InvalidTransition, match="already been used"):
            pool.accept_reviewer_invitation(other, token)
        assert not reload(User, other.id).has_role("reviewer")

    @pytest.mark.parametrize("token", ["", "not-a-token", "x" * 43])
    def test_an_unknown_link_is_refused(self, token):
        with pytest.raises(NotFound, match="not valid"):
            pool.accept_reviewer_invitation(UserFactory(), token)

    def test_an_expired_link_is_refused(self, admin):
        invitation, token = invite(admin)
        invitation.expires_at = utcnow() - timedelta(seconds=1)
        _db.session.commit()
        user = UserFactory()
        with pytest.raises(InvalidTransition, match="expired"):
            pool.accept_reviewer_invitation(user, token)
        assert pool.profile_of(user.id) is None

    def test_a_withdrawn_link_is_refused(self, admin):
        invitation, token = invite(admin)
        pool.revoke_reviewer_invitation(admin, invitation.id)
        _db.session.commit()
        with pytest.raises(InvalidTransition, match="withdrawn"):
            pool.accept_reviewer_invitation(UserFactory(), token)
        assert pool.pending_reviewer_invitations() == []

    def test_an_unconfirmed_account_must_confirm_its_address_first(self, admin):
        _invitation, token = invite(admin)
        user = UserFactory(unverified=True)
        with pytest.raises(PermissionDenied, match="confirm your e-mail"):
            pool.accept_reviewer_invitation(user, token)
        assert not reload(User, user.id).has_role("reviewer")

    def test_an_invitation_from_someone_no_longer_admin_gives_no_role(self, admin):
        _invitation, token = invite(admin)
        other_admin = UserFactory(roles=["admin"])
        from cade.accounts.services import revoke_role

        revoke_role(other_admin, admin.id, "admin")
        _db.session.commit()
        with pytest.raises(InvalidTransition, match="no longer valid"):
            pool.accept_reviewer_invitation(UserFactory(), token)

    def test_only_an_admin_may_withdraw_and_an_accepted_invitation_stays(self, admin, reviewer):
        invitation, token = invite(admin)
        with pytest.raises(PermissionDenied):
            pool.revoke_reviewer_invitation(reviewer, invitation.id)
        pool.accept_reviewer_invitation(UserFactory(), token)
        with pytest.raises(InvalidTransition):
            pool.revoke_reviewer_invitation(admin, invitation.id)
        with pytest.raises(NotFound):
            pool.revoke_reviewer_invitation(admin, 987654)


# --- profiles --------------------------------------------------------------------------------

GOOD = {"expertise": "Mesh networks, policy", "languages": ["en", "sw"], "regions": ["002", "014"], "max_load": 4}


@pytest.mark.usefixtures("request_ctx")
class TestProfiles:
    def test_an_admin_edits_a_profile_and_the_change_is_audited(self, admin, reviewer):
        profile = pool.update_reviewer_profile(admin, reviewer.id, profile_input(**GOOD))
        _db.session.commit()
        assert (profile.expertise, profile.languages, profile.regions, profile.max_load) == (
            ["mesh networks", "policy"], ["en", "sw"], ["002", "014"], 4)
        [updated] = events("reviewer.profile_updated")
        assert updated.actor_id == admin.id
        assert updated.before["expertise"] == ["connectivity"] and updated.after["max_load"] == 4

    def test_saving_the_same_values_records_nothing(self, reviewer):
        pool.update_reviewer_profile(reviewer, reviewer.id, profile_input(**GOOD))
        pool.update_reviewer_profile(reviewer, reviewer.id, profile_input(**GOOD))
        assert len(events("reviewer.profile_updated")) == 1

    def test_expertise_tags_are_trimmed_lower_cased_and_de_duplicated(self, reviewer):
        profile = pool.update_reviewer_profile(
            reviewer, reviewer.id,
            profile_input(**dict(GOOD, expertise="  Mesh   Networks, policy ,mesh networks,, GENDER ,")))
        assert profile.expertise == ["mesh networks", "policy", "gender"]
        profile = pool.update_reviewer_profile(reviewer, reviewer.id,
                                               profile_input(**dict(GOOD, expertise=["A, b", "B", " c "])))
        assert profile.expertise == ["a", "b", "c"]

    def test_a_reviewer_edits_their_own_profile(self, reviewer):
        pool.update_reviewer_profile(reviewer, reviewer.id, profile_input(**dict(GOOD, max_load=0)))
        _db.session.commit()
        assert pool.profile_of(reviewer.id).max_load == 0
        assert events("reviewer.profile_updated")[0].actor_id == reviewer.id

    @pytest.mark.parametrize("who", ["other_reviewer", "applicant"])
    def test_no_one_else_may_edit_a_profile(self, request, reviewer, who):
        actor = (ReviewerProfileFactory().user if who == "other_reviewer" else request.getfixturevalue(who))
        with pytest.raises(PermissionDenied):
            pool.update_reviewer_profile(actor, reviewer.id, profile_input(**GOOD))
        assert pool.profile_of(reviewer.id).max_load == 10

    def test_a_former_reviewer_may_not_edit_their_profile_but_an_admin_may(self, admin, reviewer):
        pool.remove_reviewer(admin, reviewer.id)
        _db.session.commit()
        reviewer = reload(User, reviewer.id)
        with pytest.raises(PermissionDenied):
            pool.update_reviewer_profile(reviewer, reviewer.id, profile_input(**GOOD))
        assert pool.update_reviewer_profile(admin, reviewer.id, profile_input(**GOOD)).max_load == 4

    def test_an_admin_cannot_give_a_profile_to_someone_outside_the_pool(self, admin, applicant):
        with pytest.raises(NotFound):
            pool.update_reviewer_profile(admin, applicant.id, profile_input(**GOOD))
        with pytest.raises(NotFound):
            pool.update_reviewer_profile(admin, 987654, profile_input(**GOOD))

    def test_a_reviewer_without_a_profile_gets_one_on_first_save(self, admin):
        user = UserFactory(roles=["reviewer"])  # role granted on the accounts page, no profile yet
        pool.update_reviewer_profile(admin, user.id, profile_input(**GOOD))
        assert pool.profile_of(user.id).regions == ["002", "014"]

    @pytest.mark.parametrize("field, value", [
        ("languages", ["en", "xx"]),
        ("languages", ["EN"]),
        ("regions", ["999"]),
        ("regions", ["KE"]),  # a country, not a region
        ("max_load", -1),
        ("max_load", "abc"),
        ("max_load", ""),
        ("max_load", None),
        ("max_load", MAX_LOAD_LIMIT + 1),
        ("max_load", 10**12),
        ("max_load", 2.5),
        ("max_load", True),
        ("expertise", ", ".join(f"topic {n}" for n in range(21))),
        ("expertise", "x" * 61),
    ])
    def test_bad_values_are_refused_beside_their_field_and_nothing_changes(self, reviewer, field, value):
        with pytest.raises(ValidationFailed) as refused:
            pool.update_reviewer_profile(reviewer, reviewer.id, profile_input(**dict(GOOD, **{field: value})))
        assert list(refused.value.errors) == [field]
        _db.session.rollback()
        assert pool.profile_of(reviewer.id).expertise == ["connectivity"]

    def test_the_limits_themselves_are_accepted(self, reviewer):
        tags = ", ".join(f"topic {n}" for n in range(19)) + ", " + "y" * 60
        profile = pool.update_reviewer_profile(reviewer, reviewer.id,
                                               profile_input(**dict(GOOD, expertise=tags, max_load=str(MAX_LOAD_LIMIT))))
        assert len(profile.expertise) == 20 and profile.max_load == MAX_LOAD_LIMIT

    def test_every_bad_field_is_reported_at_once(self, reviewer):
        with pytest.raises(ValidationFailed) as refused:
            pool.update_reviewer_profile(reviewer, reviewer.id, profile_input(
                expertise="x" * 61, languages=["zz"], regions=["1"], max_load="many"))
        assert set(refused.value.errors) == {"expertise", "languages", "regions", "max_load"}


# --- removal and the pool page ---------------------------------------------------------------

@pytest.mark.usefixtures("request_ctx")
class TestRemovalAndPool:
    def test_removing_takes_the_role_and_keeps_profile_and_assignments(self, admin, reviewer):
        assignment = AssignmentFactory(reviewer=reviewer)
        pool.remove_reviewer(admin, reviewer.id)
        _db.session.commit()
        assert not reload(User, reviewer.id).has_role("reviewer")
        assert pool.profile_of(reviewer.id) is not None
        assert _db.session.get(Assignment, assignment.id) is not None
        [removed] = events("reviewer.removed")
        assert removed.actor_id == admin.id and removed.after == {"user_id": reviewer.id, "reviewer": False}
        pool.remove_reviewer(admin, reviewer.id)  # again: nothing more
        assert len(events("reviewer.removed")) == 1

    def test_only_an_admin_may_remove(self, reviewer):
        with pytest.raises(PermissionDenied):
            pool.remove_reviewer(reviewer, reviewer.id)

    def test_the_pool_counts_open_assignments_and_submitted_reviews(self, admin, reviewer):
        other = ReviewerProfileFactory().user
        first, second = AssignmentFactory(reviewer=reviewer), AssignmentFactory(reviewer=reviewer)
        ReviewFactory(assignment=first, submitted=True)
        ReviewFactory(assignment=second)  # a draft
        decided = ApplicationFactory(submitted=True, status=ApplicationStatus.AWARDED)
        ReviewFactory(assignment=AssignmentFactory(reviewer=reviewer, application=decided), submitted=True)
        UserFactory()  # not a reviewer: not listed

        page = pool.pool_page()

        by_user = {entry.user.id: entry for entry in page.entries}
        assert set(by_user) == {reviewer.id, other.id} and page.page.total == 2
        assert (by_user[reviewer.id].current_assignments, by_user[reviewer.id].submitted_reviews) == (2, 1)
        assert (by_user[other.id].current_assignments, by_user[other.id].submitted_reviews) == (0, 0)
        assert by_user[reviewer.id].profile.user_id == reviewer.id

    def test_the_pool_runs_the_same_number_of_queries_however_many_reviewers(self, app):
        def queries() -> int:
            def read():
                entries = pool.pool_page().entries
                return [(e.profile.max_load, e.user.name, e.current_assignments) for e in entries]

            _db.session.expire_all()
            return count_statements(read)[1]

        for _ in range(2):
            AssignmentFactory()
        small = queries()
        for _ in range(8):
            ReviewFactory(submitted=True)
        assert queries() == small


# --- pages, one test per role ----------------------------------------------------------------

def admin_pages(reviewer):
    return ["/admin/reviewers", f"/admin/reviewers/{reviewer.id}"]


@pytest.mark.parametrize("page", ["admin", "admin_edit", "profile", "invitation"])
def test_anonymous_is_sent_to_sign_in(client, reviewer, page):
    url = {"admin": "/admin/reviewers", "admin_edit": f"/admin/reviewers/{reviewer.id}",
           "profile": "/review/profile", "invitation": "/review/invitations/sometoken"}[page]
    # An invitation's page shows a visitor the way to an account (tests/accounts/test_invitation_registration.py);
    # accepting it needs one.
    response = client.post(url) if page == "invitation" else client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    assert quote(url, safe="") in response.headers["Location"]


def test_an_applicant_gets_404_on_admin_and_reviewer_pages(client, login, applicant, reviewer):
    login(applicant)
    for url in [*admin_pages(reviewer), "/review/profile"]:
        assert client.get(url).status_code == 404, url
    assert client.post("/admin/reviewers", data={"email": applicant.email}).status_code == 404
    assert not reload(User, applicant.id).has_role("reviewer")


def test_a_reviewer_gets_404_on_admin_pages(client, login, reviewer):
    login(reviewer)
    for url in admin_pages(reviewer):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/admin/reviewers/{reviewer.id}", data={"remove": "1"}).status_code == 404
    assert reload(User, reviewer.id).has_role("reviewer")


def test_a_reviewer_sees_and_saves_their_own_profile(client, login, reviewer):
    login(reviewer)
    page = client.get("/review/profile")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Your reviewer profile" in html and 'value="connectivity"' in html
    assert re.search(r'name="languages" type="checkbox" value="sw"> <label [^>]*>Swahili</label>', html)

    response = client.post("/review/profile", data={**GOOD, "languages": ["fr", "sw"]})
    assert response.status_code == 302 and response.headers["Location"] == "/review/profile"
    profile = pool.profile_of(reviewer.id)
    assert profile.languages == ["fr", "sw"] and profile.regions == ["002", "014"] and profile.max_load == 4


@pytest.mark.parametrize("max_load, message", [("abc", "integer"), ("-1", "from 0 to"), ("100000", "from 0 to")])
def test_a_refused_profile_keeps_what_was_typed(client, login, reviewer, max_load, message):
    login(reviewer)
    response = client.post("/review/profile", data={"expertise": "Spectrum Policy", "languages": ["fr"],
                                                    "regions": ["014"], "max_load": max_load})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and f'value="{max_load}"' in html and 'value="Spectrum Policy"' in html
    assert re.search(r'checked[^>]*value="fr"|value="fr"[^>]*checked', html)
    assert pool.profile_of(reviewer.id).max_load == 10


def test_an_unknown_language_sent_by_hand_is_refused_on_the_page(client, login, reviewer):
    login(reviewer)
    response = client.post("/review/profile", data={**GOOD, "languages": ["klingon"]})
    assert response.status_code == 400
    assert "Choose languages from the list." in response.get_data(as_text=True)


def test_an_admin_lists_the_pool_and_adds_a_reviewer(client, login, admin, reviewer, applicant):
    AssignmentFactory(reviewer=reviewer)
    login(admin)
    html = client.get("/admin/reviewers").get_data(as_text=True)
    assert "Rui Reviewer" in html and f"/admin/reviewers/{reviewer.id}" in html
    assert "<caption>1 reviewer in the pool</caption>" in html
    assert "English" in html and "Africa" in html and "connectivity" in html

    response = client.post("/admin/reviewers", data={"email": applicant.email.upper()}, follow_redirects=True)
    assert response.status_code == 200
    assert f"{applicant.name} is now a reviewer." in response.get_data(as_text=True)
    assert reload(User, applicant.id).has_role("reviewer")


def test_an_admin_invites_an_unknown_address_and_can_withdraw_it(client, login, admin):
    login(admin)
    response = client.post("/admin/reviewers", data={"email": "expert@ngo.example"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "an invitation has been sent" in html and "expert@ngo.example" in html
    invitation = _db.session.scalars(select(ReviewerInvitation)).one()

    response = client.post("/admin/reviewers", data={"revoke": str(invitation.id)}, follow_redirects=True)
    assert "has been withdrawn" in response.get_data(as_text=True)
    assert reload(ReviewerInvitation, invitation.id).revoked_at is not None


def test_the_pool_page_runs_a_fixed_number_of_queries(client, login, admin):
    def queries() -> int:
        response, statements = count_statements(lambda: client.get("/admin/reviewers"))
        assert response.status_code == 200
        return statements

    login(admin)
    ReviewFactory(submitted=True)
    small = queries()
    for _ in range(6):
        ReviewFactory(assignment=AssignmentFactory(reviewer=ReviewerProfileFactory().user))
    UserFactory(roles=["reviewer"])  # no profile yet
    assert queries() == small


def test_a_bad_address_on_the_pool_page_keeps_what_was_typed(client, login, admin):
    login(admin)
    response = client.post("/admin/reviewers", data={"email": "not an address"})
    assert response.status_code == 400
    assert 'value="not an address"' in response.get_data(as_text=True)
    assert _db.session.scalar(select(func.count(ReviewerInvitation.id))) == 0


def test_an_admin_edits_and_removes_a_reviewer(client, login, admin, reviewer):
    login(admin)
    assert "Reviewer profile of Rui Reviewer" in client.get(f"/admin/reviewers/{reviewer.id}").get_data(as_text=True)
    response = client.post(f"/admin/reviewers/{reviewer.id}", data=GOOD)
    assert response.status_code == 302
    assert pool.profile_of(reviewer.id).expertise == ["mesh networks", "policy"]

    response = client.post(f"/admin/reviewers/{reviewer.id}", data={"remove": "1"}, follow_redirects=True)
    assert "assignments stay" in response.get_data(as_text=True)
    assert not reload(User, reviewer.id).has_role("reviewer")
    html = client.get(f"/admin/reviewers/{reviewer.id}").get_data(as_text=True)
    assert "no longer in the pool" in html


def test_an_admin_gets_404_for_someone_who_never_was_a_reviewer(client, login, admin, applicant):
    login(admin)
    assert client.get(f"/admin/reviewers/{applicant.id}").status_code == 404
    assert client.get("/admin/reviewers/987654").status_code == 404


def test_accepting_an_invitation_through_the_pages(client, login, admin, app):
    with app.test_request_context():
        _invitation, token = invite(admin)
    user = login(UserFactory(name="Nia Newcomer"))
    page = client.get(f"/review/invitations/{token}")
    assert page.status_code == 200 and "Accept and become a reviewer" in page.get_data(as_text=True)

    response = client.post(f"/review/invitations/{token}")
    assert response.status_code == 302 and response.headers["Location"] == "/review/profile"
    assert reload(User, user.id).has_role("reviewer")
    assert client.get("/review/profile").status_code == 200


def test_a_bad_or_expired_invitation_link_says_why(client, login, admin, app):
    with app.test_request_context():
        invitation, token = invite(admin)
    login(UserFactory())
    assert client.get("/review/invitations/wrong").status_code == 404
    reload(ReviewerInvitation, invitation.id).expires_at = utcnow() - timedelta(minutes=1)
    _db.session.commit()
    response = client.post(f"/review/invitations/{token}")
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
