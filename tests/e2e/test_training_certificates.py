"""A trainer marks attendance on a phone without JavaScript; the participant downloads and verifies the certificate."""

from datetime import timedelta

from cade.core.db import utcnow
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import (
    CertificateFactory,
    CourseFactory,
    EnrolmentFactory,
    MembershipFactory,
    SessionFactory,
    UserFactory,
)

PHONE = {"width": 360, "height": 740}


def _running_session():
    trainer = UserFactory(roles=["trainer"], name="Tariq Trainer")
    start = utcnow() - timedelta(hours=2)
    session = SessionFactory(course=CourseFactory(title="Digital security for CSOs"), trainers=[trainer],
                             title="Nairobi workshop", starts_at=start, ends_at=start + timedelta(hours=4),
                             enrolment_opens_at=start - timedelta(days=9), enrolment_closes_at=start)
    membership = MembershipFactory(user=UserFactory(name="Amani Njeri"))
    participant = membership.user
    EnrolmentFactory(session=session, user=participant, organisation=membership.organisation)
    EnrolmentFactory(session=session, user=UserFactory(name="Bruno Costa"))  # stays markable: radios on the page
    return trainer, session, participant


def test_attendance_on_a_phone_without_javascript_then_the_certificate_and_its_public_page(browser, live_server,
                                                                                           page, db):
    trainer, session, participant = _running_session()
    revoked = CertificateFactory(revoked_at=utcnow() - timedelta(days=1), revocation_reason="Issued by mistake")

    phone = browser.new_context(base_url=live_server, java_script_enabled=False, locale="en-GB", viewport=PHONE)
    no_js = phone.new_page()
    try:
        sign_in(no_js, trainer)
        with no_js.expect_navigation():
            no_js.locator("header").get_by_role("link", name="Teaching", exact=True).click()
        assert no_js.url.endswith("/training/teaching")
        with no_js.expect_navigation():
            no_js.get_by_role("link", name="Attendance (Nairobi workshop)").click()
        no_js.get_by_role("group", name="Amani Njeri").get_by_label("Attended").check()
        no_js.get_by_role("group", name="Bruno Costa").get_by_label("Did not attend").check()
        send(no_js, no_js.get_by_role("button", name="Save attendance"))
        assert "Attendance saved (2 changed)." in no_js.locator(".flashes").inner_text()
        assert no_js.get_by_role("group", name="Amani Njeri").get_by_text("Completed the course").count() == 1
        assert no_js.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    finally:
        phone.close()

    audit = Audit(page)
    page.set_viewport_size(PHONE)
    sign_in(page, trainer)
    audit.visit("/training/teaching", "my teaching, trainer")
    audit.visit(f"/training/sessions/{session.id}/attendance", "attendance, trainer, JS on")
    assert page.get_by_role("group", name="Bruno Costa").get_by_label("Did not attend").is_checked()

    page.set_viewport_size({"width": 1280, "height": 720})
    sign_in(page, participant)
    audit.visit("/training/mine", "my trainings, with a certificate")
    certificates = page.locator("#my-certificates").locator("xpath=..")
    assert "Digital security for CSOs" in certificates.inner_text()
    with page.expect_download() as download:
        certificates.get_by_role("link", name="Download the certificate (PDF)").click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert download.value.suggested_filename.endswith(".pdf")

    with page.expect_navigation():
        certificates.get_by_role("link", name="Its public page").click()
    audit.check("certificate check, valid")
    main = page.locator("main").inner_text()
    assert "This certificate is valid." in main and "Amani Njeri" in main and "Digital security for CSOs" in main
    code = page.locator("main code").inner_text()
    assert len(code) == 12 and page.url.endswith(f"/certificates/{code}")

    audit.visit("/certificates/NOSUCHCODE99", "certificate check, unknown", status=404)
    assert "No certificate has this code." in page.locator("main").inner_text()
    audit.visit(f"/certificates/{revoked.code}", "certificate check, revoked", status=410)
    assert "Issued by mistake" in page.locator("main").inner_text()
    audit.assert_clean()
