"""A newcomer's first visit, in a real browser: register, verify, describe the
organisation, apply with a budget and a PDF, submit, and get the receipt."""

import re

from sqlalchemy import select

from cade.notifications.constants import NotificationStatus
from cade.notifications.delivery import deliver_notification
from cade.notifications.models import Notification
from cade.programmes.constants import QuestionKind
from tests.factories import CallFactory, ProgrammeFactory, QuestionFactory

PASSWORD = "a long enough passphrase 2026"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def deliver_pending(db):
    """Do the worker's job: send what the outbox holds (the worker is tested on its own)."""
    db.session.expire_all()
    ids = db.session.scalars(
        select(Notification.id).where(Notification.status == NotificationStatus.PENDING)
    ).all()
    for notification_id in ids:
        deliver_notification(notification_id)
        db.session.commit()


def open_latest_mail(page, subject_part: str) -> str:
    page.goto("/dev/mailbox")
    with page.expect_navigation():  # read the page that answers, not the one leaving
        page.get_by_role("link", name=re.compile(subject_part)).first.click()
    return page.content()


def test_a_newcomer_registers_applies_and_gets_a_receipt(page, db, tmp_path):
    programme = ProgrammeFactory(name="Community Network Grants", currency="USD")
    call = CallFactory(programme=programme, title="Connecting rural communities 2026",
                       reference_prefix="CN-2026", timezone="Africa/Nairobi")
    QuestionFactory(call=call, kind=QuestionKind.LONG_TEXT, label="Who will the network serve?",
                    word_limit=200, required=True)

    # The public list of open calls leads to the call page.
    page.goto("/")
    with page.expect_navigation():  # read the page that answers, not the one leaving
        page.get_by_role("link", name="Connecting rural communities 2026").first.click()
    assert "Africa/Nairobi" in page.content()

    # Register, then verify through the link in the e-mail.
    page.goto("/auth/register")
    page.get_by_label("Your name").fill("Amina Njoroge")
    page.get_by_label("E-mail").first.fill("amina@kijiji.example")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    deliver_pending(db)
    mail = open_latest_mail(page, "onfirm|erif")
    link = re.search(r'https?://[^\s"<]+/auth/verify/[^\s"<]+', mail).group(0)
    page.goto(re.sub(r"^https?://[^/]+", "", link))
    # The link proves the address and signs the person in.
    assert page.locator("form[action$='/auth/logout']").count() == 1

    # Describe the organisation.
    page.goto("/organisations/new")
    page.get_by_label("Name of the organisation").fill("Kijiji Community Network")
    page.get_by_label("Country").select_option("KE")
    page.get_by_label("City or town").fill("Nanyuki")
    page.get_by_label("Type of organisation").select_option("community_network")
    page.get_by_label("Stakeholder group").select_option("civil_society")
    with page.expect_navigation():  # read the page that answers, not the one leaving
        page.get_by_role("button", name="Register the organisation").click()
    assert "Kijiji Community Network" in page.content()

    # Apply: eligibility first, then the draft with a budget and a PDF.
    page.goto(f"/calls/{call.id}/apply")
    page.get_by_role("button", name="Start my application").click()
    page.get_by_label("Title").fill("Solar mesh for three villages")
    page.get_by_label("Summary").fill("We will connect three villages with a solar-powered mesh network.")
    page.get_by_label("Amount requested").fill("20000")
    page.get_by_label("Who will the network serve?").fill("About 1,200 people in three villages.")
    page.locator("select[name='budget_lines-0-category']").select_option("equipment")
    page.locator("input[name='budget_lines-0-description']").fill("Routers and solar panels")
    page.locator("input[name='budget_lines-0-amount']").fill("20000")
    pdf = tmp_path / "budget-plan.pdf"
    pdf.write_bytes(PDF)
    page.get_by_label("Add a file").set_input_files(str(pdf))
    with page.expect_navigation():  # read the page that answers, not the one leaving
        page.get_by_role("button", name="Save draft").click()
    assert "budget-plan.pdf" in page.content()

    with page.expect_navigation():  # read the page that answers, not the one leaving
        page.get_by_role("button", name="Submit application").click()
    body = page.content()
    assert "CN-2026-0001" in body

    # Every member gets a receipt naming the reference.
    deliver_pending(db)
    receipt = open_latest_mail(page, "CN-2026-0001")
    assert "Solar mesh for three villages" in receipt


def test_a_draft_saves_itself_while_the_applicant_types(page, db):
    from tests.factories import PASSWORD, ApplicationFactory, MembershipFactory
    from cade.applications.models import Application

    membership = MembershipFactory()
    application = ApplicationFactory(organisation=membership.organisation, title="First idea")
    page.goto("/auth/login")
    page.get_by_label("E-mail").first.fill(membership.user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"/applications/{application.id}/edit")
    page.get_by_label("Title").fill("Typed on a train, never saved by hand")
    page.get_by_text("Draft saved automatically.").wait_for(timeout=15_000)

    db.session.expire_all()
    assert db.session.get(Application, application.id).title == "Typed on a train, never saved by hand"
