"""Erasing a person: pseudonymised, signed out for good, records funders keep kept, told what and why."""

import json

import pytest
from sqlalchemy import func, select

from cade.accounts import services as accounts
from cade.accounts.models import ApiToken, RecoveryCode, RememberedDevice, User
from cade.applications.models import Application
from cade.awards.models import Decision
from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition, ValidationFailed
from cade.extensions import db
from cade.grants.constants import GrantStatus
from cade.grants.models import Grant
from cade.notifications.models import Notification
from cade.notifications.rendering import render_notification
from cade.notifications.services import deliver_notification
from cade.notifications.delivery import list_mailbox, read_mailbox_message
from cade.organisations.models import Membership
from cade.privacy.erasure import ErasureInput, erase_person
from cade.reviews.models import Review, ReviewerProfile, ReviewScore
from cade.training.constants import EnrolmentStatus
from cade.training.models import Enrolment
from cade.travel.models import Trip
from tests.factories import PASSWORD, EnrolmentFactory, MembershipFactory, SessionFactory, UserFactory
from tests.privacy.helpers import open_grant_for, person_with_everything


def confirmed(password=PASSWORD, understood="y") -> ErasureInput:
    return ErasureInput.from_input({"password": password, "understood": understood})


def count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def test_erasure_pseudonymises_the_person_and_keeps_what_funders_keep(db):
    amina = person_with_everything()
    user, org = amina.user, amina.organisation
    grant = open_grant_for(org, status=GrantStatus.CLOSED)
    events_before = count(AuditEvent)

    outcome = erase_person(user, confirmed())
    db.session.commit()
    db.session.expire_all()

    user = db.session.get(User, user.id)
    assert (user.name, user.email) == (f"Erased person {user.id}", f"erased-{user.id}@invalid")
    assert outcome.pseudonym == user.name
    assert not user.active and user.erased_at is not None and user.roles == []
    assert (user.totp_secret, user.totp_enabled_at, user.last_login_at) == (None, None, None)
    for model in (ApiToken, RecoveryCode, RememberedDevice, ReviewerProfile, Membership):
        assert count(model, model.user_id == user.id) == 0, model
    # The inbox and every e-mail to them are gone, but for the one telling them about the erasure.
    assert db.session.scalars(select(Notification.kind)).all() == ["privacy.erased"]
    trip = db.session.scalar(select(Trip).where(Trip.traveller_user_id == user.id))
    assert (trip.traveller_name, trip.traveller_email, trip.passport_country, trip.gender) == (
        user.name, user.email, None, None)

    # Kept: what they wrote and what the funder decided, now under the pseudonym.
    assert db.session.get(Application, amina.application.id).created_by_id == user.id
    review = db.session.scalar(select(Review).where(Review.reviewer_id == user.id))
    assert [s.score for s in db.session.scalars(select(ReviewScore).where(ReviewScore.review_id == review.id))] == [4]
    assert db.session.get(Grant, grant.id) is not None and db.session.get(Decision, grant.decision_id) is not None
    assert set(outcome.kept) == {"applications", "reviews", "messages", "travel", "training", "audit"}
    # The audit log only grew; its new entry names no personal data.
    assert count(AuditEvent) > events_before
    erased = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "user.erased"))
    assert erased.object_id == user.id
    assert "Amina" not in json.dumps(erased.after) and "amina@" not in json.dumps(erased.after)


def test_the_only_owner_of_an_organisation_without_open_grant_leaves_it_ownerless(db):
    amina = person_with_everything()
    member = MembershipFactory(organisation=amina.organisation, role="member").user

    outcome = erase_person(amina.user, confirmed())
    db.session.commit()

    assert outcome.ownerless == (amina.organisation.name,)
    roles = db.session.execute(select(Membership.user_id, Membership.role)
                               .where(Membership.organisation_id == amina.organisation.id)).all()
    assert roles == [(member.id, "member")]


def test_a_place_in_a_session_still_to_come_goes_to_the_waiting_list(db, outbox):
    session = SessionFactory(seats=1)
    amina = person_with_everything()
    EnrolmentFactory(session=session, user=amina.user, organisation=amina.organisation)
    waiting = EnrolmentFactory(session=session, status=EnrolmentStatus.WAITLISTED, waitlist_position=1)

    erase_person(amina.user, confirmed())
    db.session.commit()

    statuses = db.session.execute(select(Enrolment.user_id, Enrolment.status)
                                  .where(Enrolment.session_id == session.id).order_by(Enrolment.id)).all()
    assert statuses == [(amina.user.id, EnrolmentStatus.CANCELLED), (waiting.user_id, EnrolmentStatus.CONFIRMED)]


def test_the_person_is_told_at_their_old_address_what_was_erased_and_kept(db, outbox, mailbox_path):
    amina = person_with_everything()
    erase_person(amina.user, confirmed())
    db.session.commit()

    [row] = outbox("privacy.erased")
    assert (row.recipient_email, row.recipient_id, row.in_app) == ("amina@example.org", None, False)
    subject, text, html = render_notification(row)
    assert subject == "Your CADE Grants account has been erased"
    assert "What was kept, and why:" in text
    assert "The applications you wrote, with their answers" in text and "funder must keep them" in text
    assert "Your reviews, their scores" in text and "append-only" in text
    assert f"Erased person {amina.user.id}" in text and "Amina" not in text
    assert "What was kept, and why:" in html

    assert deliver_notification(row.id) == "sent"
    db.session.commit()
    [entry] = [e for e in list_mailbox(mailbox_path) if e.to == "amina@example.org" and "erased" in e.subject]
    message = read_mailbox_message(mailbox_path, entry.name)
    assert "What was erased:" in message.text


def test_the_email_renders_in_french_too(db, outbox):
    amina = person_with_everything()
    erase_person(amina.user, confirmed())
    db.session.commit()
    subject, text, html = render_notification(outbox("privacy.erased")[0], locale="fr")
    assert subject and text and '<html lang="fr">' in html


def test_the_only_owner_of_an_organisation_with_an_open_grant_is_refused_with_what_to_do(db):
    amina = person_with_everything()
    open_grant_for(amina.organisation)

    with pytest.raises(InvalidTransition) as refused:
        erase_person(amina.user, confirmed())
    db.session.rollback()
    assert amina.organisation.name in str(refused.value)
    assert "Make another member an owner" in str(refused.value)
    assert db.session.get(User, amina.user.id).name == "Amina Diallo"

    # With a second owner the grant has someone to answer for it: the erasure goes ahead.
    MembershipFactory(organisation=amina.organisation, role="owner")
    erase_person(db.session.get(User, amina.user.id), confirmed())
    db.session.commit()
    assert db.session.get(User, amina.user.id).erased_at is not None


def test_a_member_who_is_not_the_only_owner_is_not_held_back_by_an_open_grant(db):
    grant_org = MembershipFactory(role="owner").organisation
    open_grant_for(grant_org)
    member = MembershipFactory(organisation=grant_org, role="member").user
    erase_person(member, confirmed())
    db.session.commit()
    assert db.session.get(User, member.id).erased_at is not None


@pytest.mark.parametrize(("password", "understood", "field"), [
    ("not my password at all", "y", "password"),
    (PASSWORD, "", "understood"),
])
def test_a_wrong_password_or_no_tick_changes_nothing(db, password, understood, field):
    user = UserFactory(name="Amina Diallo")
    with pytest.raises(ValidationFailed) as refused:
        erase_person(user, ErasureInput.from_input({"password": password, "understood": understood}))
    db.session.rollback()
    assert field in refused.value.errors
    assert db.session.get(User, user.id).active and db.session.get(User, user.id).name == "Amina Diallo"


def test_the_last_administrator_is_refused(db):
    admin = UserFactory(roles=["admin"])
    with pytest.raises(InvalidTransition, match="last administrator"):
        erase_person(admin, confirmed())
    db.session.rollback()
    UserFactory(roles=["admin"])
    erase_person(db.session.get(User, admin.id), confirmed())


def test_the_erased_person_can_neither_sign_in_nor_reset_nor_be_erased_again(db, outbox):
    user = UserFactory(email="amina@example.org")
    erase_person(user, confirmed())
    db.session.commit()

    for address in ("amina@example.org", user.email):
        with pytest.raises(accounts.AuthenticationFailed):
            accounts.authenticate(address, PASSWORD)
        assert accounts.request_password_reset(address) is False
    assert outbox("accounts.reset_password") == []
    with pytest.raises(InvalidTransition):
        erase_person(user, confirmed())
