"""The e-mails of this domain render from their outbox rows, in the recipient's language."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from cade.applications import services
from cade.core.db import utcnow
from cade.core.timeutil import format_in_zone
from cade.extensions import db as _db
from cade.notifications.models import Notification
from cade.notifications.rendering import render_notification
from tests.factories import ApplicationFactory, CallFactory, MembershipFactory

def test_receipt_names_the_reference_and_links_to_the_application(draft, member):
    services.submit_application(member, draft.id)
    _db.session.commit()
    row = _db.session.scalars(select(Notification)).one()
    subject, text, html = render_notification(row)
    assert "CN-2026-0001" in subject
    assert f"/applications/{draft.id}" in text and draft.call.title in text
    assert f"/applications/{draft.id}" in html and "CN-2026-0001" in html


@pytest.mark.parametrize("days, kind", [(5, "applications.call_closing_7d"), (1, "applications.call_closing_48h")])
def test_closing_reminders_render(db, days, kind):
    call = CallFactory(closes_at=utcnow() + timedelta(days=days), timezone="America/Lima")
    application = ApplicationFactory(call=call, title="Mesh & more")
    MembershipFactory(organisation=application.organisation)
    assert services.queue_call_closing_reminders() == 1
    _db.session.commit()
    row = _db.session.scalars(select(Notification)).one()
    assert row.kind == kind
    subject, text, html = render_notification(row)
    assert "Mesh & more" in subject
    assert "America/Lima" in text and f"/applications/{application.id}/edit" in text
    assert "Mesh &amp; more" in html or "Mesh & more" not in html


def test_a_receipt_stays_in_one_language_when_the_member_switches_before_delivery(draft, member):
    """Decided: the language at the moment of the event wins, so the subject, the text and
    the date written into the context (formatted then) always agree."""
    member.locale = "fr"
    _db.session.commit()
    services.submit_application(member, draft.id)
    _db.session.commit()
    member.locale = "es"  # changed in the profile while the receipt waits for a worker
    _db.session.commit()
    row = _db.session.scalars(select(Notification)).one()
    subject, text, _html = render_notification(row)
    assert subject.startswith("Candidature reçue") and text.startswith("Bonjour")
    when = format_in_zone(row_submitted(draft), draft.call.timezone, locale="fr")
    assert when in text and when == format_in_zone(row_submitted(draft), draft.call.timezone, locale="fr")


def row_submitted(draft):
    from cade.applications.models import Application

    return _db.session.get(Application, draft.id).submitted_at


def test_a_disabled_member_gets_no_receipt(draft, member, organisation):
    # Receipts and decisions follow one rule (members_of_organisations): a disabled account is not written to.
    from tests.factories import UserFactory

    MembershipFactory(organisation=organisation, role="member", user=UserFactory(active=False))
    services.submit_application(member, draft.id)
    _db.session.commit()
    assert _db.session.scalars(select(Notification.recipient_id)).all() == [member.id]
