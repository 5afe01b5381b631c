"""Certificates: the PDF in the participant's language, the public page, downloads, revocation, prerequisites."""

from datetime import timedelta
from io import BytesIO

import pytest
import segno
from pypdf import PdfReader
from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition
from cade.core.urls import external_url
from cade.notifications.rendering import render_notification
from cade.organisations.services.queries import organisations_for_user
from cade.training import services
from cade.training.models import Certificate
from cade.training.services.attendance import mark_attendance
from cade.training.services.certificates import CODE_ALPHABET, RevokeInput, revoke_certificate
from cade.training.certificate_pdf import certificate_html, certificate_pdf
from tests.factories import CourseFactory, EnrolmentFactory, SessionFactory, UserFactory, member


def certify(person=None, course=None, **user):
    course = course or CourseFactory(title="Digital security for CSOs")
    start = utcnow() - timedelta(days=3)
    trainer = UserFactory(roles=["trainer"])
    session = SessionFactory(course=course, trainers=[trainer], starts_at=start,
                             enrolment_opens_at=start - timedelta(days=9), enrolment_closes_at=start)
    person = person or member(name="Amani Njeri", **user)
    organisations = organisations_for_user(person)
    enrolment = EnrolmentFactory(session=session, user=person,
                                 **({"organisation": organisations[0]} if organisations else {}))
    mark_attendance(trainer, session.id, {enrolment.id: True})
    from cade.extensions import db
    db.session.commit()
    return db.session.scalar(select(Certificate).where(Certificate.user_id == person.id,
                                                        Certificate.course_id == course.id))


def test_a_code_is_long_unguessable_and_unambiguous(db):
    codes = {certify().code for _ in range(3)}
    assert len(codes) == 3
    for code in codes:
        assert len(code) == 12 and set(code) <= set(CODE_ALPHABET)
    assert not set("01OIL") & set(CODE_ALPHABET)


def test_the_pdf_is_in_the_participants_language_with_name_course_code_and_address(app, db):
    certificate = certify(locale="fr")
    pdf = certificate_pdf(certificate)
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    url = external_url("training.verify", code=certificate.code)
    assert "Amani Njeri" in text and "Digital security for CSOs" in text and certificate.code in text
    assert url in text.replace("\n", "")
    months = ("janvier février mars avril mai juin juillet août septembre octobre novembre décembre").split()
    assert any(month in text for month in months)


def test_the_qr_code_encodes_the_public_address(app, db):
    certificate = certify()
    url = external_url("training.verify", code=certificate.code)
    html = certificate_html(certificate)
    assert segno.make(url, error="m").svg_inline(scale=4, omitsize=True) in html


def test_the_public_page_confirms_a_valid_certificate(client, db):
    certificate = certify()
    page = client.get(f"/certificates/{certificate.code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Amani Njeri" in html and "Digital security for CSOs" in html and "valid" in html
    assert certificate.organisation_name not in html  # the organisation did not consent to be published
    certificate.organisation.publish_consent = True
    db.session.commit()
    assert certificate.organisation_name in client.get(f"/certificates/{certificate.code.lower()}").get_data(
        as_text=True)


def test_an_unknown_code_says_so(client, db):
    page = client.get("/certificates/ZZZZZZZZZZZZ")
    assert page.status_code == 404 and "No certificate has this code" in page.get_data(as_text=True)


def test_a_revoked_certificate_says_when_and_why(client, db, admin):
    certificate = certify()
    revoke_certificate(admin, certificate.id, RevokeInput.from_input({"reason": "Attendance was misreported."}))
    db.session.commit()
    page = client.get(f"/certificates/{certificate.code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 410
    assert "revoked" in html and "Attendance was misreported." in html and "Amani Njeri" in html
    with pytest.raises(InvalidTransition):
        revoke_certificate(admin, certificate.id, RevokeInput.from_input({"reason": "Again"}))


def test_an_admin_revokes_with_a_reason_audited_and_the_form_keeps_it(client, login, db, admin):
    certificate = certify()
    login(admin)
    url = f"/admin/training/certificates/{certificate.id}/revoke"
    assert "Amani Njeri" in client.get(url).get_data(as_text=True)
    too_long = "x" * 2001
    refused = client.post(url, data={"reason": too_long})
    assert refused.status_code == 400 and too_long in refused.get_data(as_text=True)
    assert client.post(url, data={"reason": ""}).status_code == 400
    done = client.post(url, data={"reason": "Issued by mistake"})
    assert done.status_code == 302
    db.session.refresh(certificate)
    assert certificate.revoked_at and certificate.revocation_reason == "Issued by mistake"
    assert certificate.revoked_by_id == admin.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "certificate.revoked"))
    assert event.actor_id == admin.id and event.after["reason"] == "Issued by mistake"
    listing = client.get(f"/admin/training/courses/{certificate.course_id}/certificates").get_data(as_text=True)
    assert "Amani Njeri" in listing and certificate.code in listing and "Revoked" in listing


def test_only_the_participant_downloads_their_pdf(client, login, db):
    certificate = certify()
    login(UserFactory())
    assert client.get(f"/training/certificates/{certificate.id}.pdf").status_code == 404
    login(certificate.user)
    mine = client.get("/training/mine").get_data(as_text=True)
    assert f"/training/certificates/{certificate.id}.pdf" in mine and f"/certificates/{certificate.code}" in mine
    response = client.get(f"/training/certificates/{certificate.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


def test_the_issued_notice_links_the_pdf_and_the_public_page(db, outbox):
    certificate = certify()
    [notice] = outbox("training.certificate_issued")
    assert notice.recipient_id == certificate.user_id and notice.context["code"] == certificate.code
    _subject, text, html = render_notification(notice)
    assert f"/certificates/{certificate.code}" in html
    assert f"/training/certificates/{certificate.id}.pdf" in text and f"/certificates/{certificate.code}" in text


def test_a_prerequisite_is_met_by_a_valid_certificate_only(db, admin):
    basics = CourseFactory(title="Security basics")
    advanced = CourseFactory(prerequisite=basics)
    person = member()
    assert not services.holds_prerequisite(person, advanced)
    certificate = certify(person, basics)
    assert services.holds_prerequisite(person, advanced)
    revoke_certificate(admin, certificate.id, RevokeInput.from_input({"reason": "Mistake"}))
    assert not services.holds_prerequisite(person, advanced)
