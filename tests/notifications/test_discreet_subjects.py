"""E-mails to the people of an organisation at risk keep the site, the funder and grants out of the subject line."""

import re
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from cade.core.timeutil import moment_json
from cade.core.db import utcnow
from cade.notifications import discretion
from cade.notifications.delivery import deliver_notification, list_mailbox, read_mailbox_message
from cade.notifications.discretion import discreet_subject
from cade.notifications.models import Notification
from cade.notifications.rendering import render_in_app, render_notification
from cade.notifications.services import notify
from cade.organisations import discretion as organisation_discretion
from cade.organisations import services as organisation_services
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "email"
# What a subject must not say to someone at risk: the site or funder, and what the e-mail is about.
FORBIDDEN = re.compile(r"cade|grant|fund|award|subvenc|subven|financ|bolsa|prêmio|premio|concess|donat",
                       re.IGNORECASE)
NEUTRAL = {
    "en": ("You have a new update", "A message about your account"),
    "fr": ("Vous avez une nouvelle mise à jour", "Un message au sujet de votre compte"),
}


@pytest.fixture()
def discreet_checks(monkeypatch):
    """notifications' discretion checks with organisations' in it (cade/wiring.py registers it in the app)."""
    checks = [*discretion.discretion_checks]
    organisation_discretion.register(checks)
    monkeypatch.setattr(discretion, "discretion_checks", checks)
    return checks


def person(organisation, locale="en", **kwargs):
    return MembershipFactory(organisation=organisation, user__locale=locale, **kwargs).user


def submitted(user, db, key="submitted"):
    row = notify("applications.submitted", recipient=user, key=f"{key}:{user.id}", context={
        "application_id": 7, "reference": "CADE-2026-0042", "title": "Solar mesh for Kijiji",
        "organisation_name": "Kijiji Net", "call_title": "Community networks 2026",
        "submitted": moment_json(utcnow(), "Africa/Nairobi")})
    db.session.commit()
    return row


def decided(user, db):
    row = notify("awards.decision_released", recipient=user, key=f"decided:{user.id}", context={
        "application_id": 7, "reference": "CADE-2026-0042", "title": "Solar mesh for Kijiji",
        "call_title": "Community networks 2026", "outcome": "award",
        "amount": {"minor": 20_000_00, "currency": "EUR"}, "feedback": ""})
    db.session.commit()
    return row


def reset(user, db):
    row = notify("accounts.reset_password", recipient=user, key=f"reset:{user.id}", in_app=False,
                 context={"token": "t0k3n", "email": user.email, "valid_hours": 2})
    db.session.commit()
    return row


def delivered(mailbox_path, row):
    assert deliver_notification(row.id) == "sent"
    entry = next(e for e in list_mailbox(mailbox_path) if e.to == row.recipient_email)
    return read_mailbox_message(mailbox_path, entry.name)


@pytest.fixture()
def at_risk(db):
    return OrganisationFactory(name="Kijiji Net", at_risk=True)


# --- the subject --------------------------------------------------------------------------------

@pytest.mark.parametrize("locale", ["en", "fr"])
def test_two_kinds_of_e_mail_get_a_neutral_subject_in_the_recipients_language(db, discreet_checks, at_risk,
                                                                              locale):
    user = person(at_risk, locale)
    update, account = NEUTRAL[locale]
    for row in (submitted(user, db), decided(user, db)):
        subject, text, html = render_notification(row)
        assert subject == update and not FORBIDDEN.search(subject)
        assert f"<title>{update}</title>" in html  # the HTML part's title is the subject too
        assert "CADE-2026-0042" in text  # the body still says what it is about
    subject, _text, _html = render_notification(reset(user, db))
    assert subject == account


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_the_same_e_mails_keep_their_subject_for_an_organisation_not_at_risk(db, discreet_checks, locale):
    user = person(OrganisationFactory(name="Open Mesh"), locale)
    subject, _text, _html = render_notification(submitted(user, db))
    assert "CADE-2026-0042" in subject and subject not in NEUTRAL[locale]
    assert "CADE" in render_notification(reset(user, db))[0]


def test_the_sent_e_mail_has_the_neutral_subject_and_a_sender_without_a_name(app, db, discreet_checks, at_risk,
                                                                             mailbox_path):
    user = person(at_risk, "fr", user__email="wanjiru@kijiji.example")
    message = delivered(mailbox_path, submitted(user, db))
    assert message.headers["Subject"] == NEUTRAL["fr"][0]
    assert message.headers["From"] == "grants@localhost"
    assert "CADE" not in message.headers["From"]
    db.session.expire_all()
    assert db.session.scalar(select(Notification.subject).where(Notification.recipient_id == user.id)) == \
        NEUTRAL["fr"][0]


def test_a_configured_discreet_sender_is_used(app, db, discreet_checks, at_risk, mailbox_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DISCREET_SENDER", "Notices <notices@neutral.example>")
    user = person(at_risk, user__email="amina@kijiji.example")
    assert delivered(mailbox_path, decided(user, db)).headers["From"] == "Notices <notices@neutral.example>"


def test_others_keep_the_subject_and_the_named_sender(app, db, discreet_checks, mailbox_path):
    user = person(OrganisationFactory(name="Open Mesh"), user__email="open@mesh.example")
    message = delivered(mailbox_path, submitted(user, db))
    assert message.headers["Subject"] == "Application received: CADE-2026-0042"
    assert message.headers["From"] == app.config["MAIL_DEFAULT_SENDER"]


def test_an_e_mail_queued_before_the_organisation_marked_itself_goes_out_discreet(db, discreet_checks):
    organisation = OrganisationFactory(name="Kijiji Net")
    owner = person(organisation, role="owner")
    row = submitted(owner, db)
    organisation_services.update_organisation(owner, organisation.id, organisation_services.OrganisationProfileInput
                                              .from_input({"name": organisation.name, "country": "KE",
                                                           "organisation_type": "ngo",
                                                           "stakeholder_group": "civil_society",
                                                           "at_risk": True}))
    db.session.commit()
    assert render_notification(row)[0] == NEUTRAL["en"][0]


def test_a_member_of_two_organisations_is_discreet_if_either_is_at_risk(db, discreet_checks, at_risk):
    user = person(OrganisationFactory(name="Open Mesh"))
    MembershipFactory(organisation=at_risk, user=user)
    assert render_notification(submitted(user, db))[0] == NEUTRAL["en"][0]


# --- who is discreet ----------------------------------------------------------------------------

def test_an_invitation_to_join_an_organisation_at_risk_is_discreet(db, discreet_checks, at_risk, outbox):
    owner = person(at_risk, role="owner")
    organisation_services.invite_member(owner, at_risk.id, organisation_services.InviteMemberInput.from_input(
        {"email": "new.colleague@example.org"}))
    db.session.commit()
    [row] = outbox("organisations.invitation")
    assert row.recipient_id is None
    assert render_notification(row)[0] == NEUTRAL["en"][0]


def test_an_invitation_to_another_organisation_names_it(db, discreet_checks, outbox):
    organisation = OrganisationFactory(name="Open Mesh")
    owner = person(organisation, role="owner")
    organisation_services.invite_member(owner, organisation.id, organisation_services.InviteMemberInput.from_input(
        {"email": "new.colleague@example.org"}))
    db.session.commit()
    assert "Open Mesh" in render_notification(outbox("organisations.invitation")[0])[0]


def test_an_address_only_e_mail_to_someone_with_an_account_at_risk_is_discreet(db, discreet_checks, at_risk):
    user = person(at_risk, user__email="traveller@kijiji.example")
    row = notify("accounts.reset_password", email="Traveller@Kijiji.example", key="address-only", in_app=False,
                 context={"token": "t", "email": user.email, "valid_hours": 2})
    db.session.commit()
    assert render_notification(row)[0] == NEUTRAL["en"][1]


def test_staff_told_about_an_organisation_at_risk_keep_the_subject(db, discreet_checks, at_risk):
    staff = UserFactory(roles=["admin"])
    row = notify("applications.submitted", recipient=staff, key="staff", context={
        "organisation_id": at_risk.id, "application_id": 7, "reference": "CADE-2026-0042", "title": "T",
        "organisation_name": "Kijiji Net", "call_title": "C", "submitted": moment_json(utcnow(), "UTC")})
    db.session.commit()
    assert render_notification(row)[0] == "Application received: CADE-2026-0042"


def test_the_inbox_keeps_the_real_subject_for_the_signed_in_reader(db, discreet_checks, at_risk):
    user = person(at_risk)
    subject, _body = render_in_app(submitted(user, db))
    assert subject == "Application received: CADE-2026-0042"


# --- every kind, every language -----------------------------------------------------------------

def _kinds() -> list[str]:
    return sorted(f"{path.parent.name}.{path.stem}" for path in TEMPLATES.glob("*/*.txt")
                  if not path.name.startswith("_"))


@pytest.mark.parametrize("locale", ["en", "fr", "es", "pt"])
def test_no_neutral_subject_names_the_site_the_funder_or_grants(app, locale):
    kinds = _kinds()
    assert "applications.submitted" in kinds and "accounts.reset_password" in kinds
    with app.app_context(), force_locale(locale):
        subjects = {discreet_subject(kind) for kind in kinds}
    assert len(subjects) == 2
    for subject in subjects:
        assert subject and not FORBIDDEN.search(subject), subject


def test_without_a_check_nobody_is_discreet(db, at_risk, monkeypatch):
    monkeypatch.setattr(discretion, "discretion_checks", [])
    assert "CADE-2026-0042" in render_notification(submitted(person(at_risk), db))[0]


def test_the_app_registers_organisations_check(app):
    """cade/wiring.py's register_hooks adds organisations' check to notifications' discretion checks."""
    assert organisation_discretion.discreet_notifications in discretion.discretion_checks
