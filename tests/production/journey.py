"""What the people of the production-shaped test do, page by page, over real HTTP.

Each function is one person's step through the site's own pages and forms
(tests/production/browser.py): what a person does, never a shortcut into the
database. E-mails are read at the SMTP sink, as a person reads their inbox.
"""

import re
import time

from cade.accounts import two_factor
from tests.production.browser import Page, PageError, Person, find_link, path_of

PASSWORD = "a long enough passphrase for 2026"
MAIL_SECONDS = 30


def pdf_for(index: int) -> bytes:
    """A small real PDF, different for every applicant, so a file read back is known to be theirs."""
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n"
            + f"% budget plan of applicant {index}\n".encode() + b"%%EOF\n")


def wait_for_mail(sink, to: str, subject_part: str, timeout: float = MAIL_SECONDS):
    """The first message to `to` whose subject contains `subject_part`, as it arrives at the sink."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(sink.messages):
            if message["To"] == to and subject_part in str(message["Subject"]):
                return message
        time.sleep(0.05)
    seen = [(m["To"], str(m["Subject"])) for m in list(sink.messages) if m["To"] == to]
    raise AssertionError(f"no e-mail {subject_part!r} reached {to} within {timeout}s; it has: {seen}")


def link_in(message, path: str) -> str:
    return find_link(message.get_body(preferencelist=("plain",)).get_content(), rf'https?://[^\s"<]+{path}[^\s"<]*')


def sign_up(person: Person, sink, register_path: str = "/auth/register") -> Page:
    """Register, then follow the link in the verification e-mail through the other web host."""
    page = person.get(register_path)
    form = page.form("Create my account").fill(name=person.name, password=PASSWORD, confirm=PASSWORD)
    if register_path == "/auth/register":
        form.set("email", person.email)
    page = person.submit(form)
    if "/auth/register/check-email" not in page.url:
        raise PageError(f"{person.email}: registering ended at {page.url}: {page.main_text()[:1000]}")
    link = link_in(wait_for_mail(sink, person.email, "Confirm your e-mail"), "/auth/verify/")
    page = person.on(person.host + 1).get(link)
    if "you are signed in" not in page.flashes():
        raise PageError(f"{person.email}: the verification link did not sign in: {page.flashes()}")
    return page


def register_organisation(person: Person, name: str) -> int:
    page = person.get("/organisations/new")
    page = person.submit(page.form("Register the organisation").fill(
        name=name, country="KE", city="Nanyuki", organisation_type="community_network",
        stakeholder_group="civil_society"))
    match = re.search(r"/organisations/(\d+)$", page.url)
    if match is None:
        raise PageError(f"{person.email}: registering {name} ended at {page.url}: {page.flashes()}")
    return int(match.group(1))


def invite_and_join(owner: Person, colleague: Person, organisation_id: int, sink) -> None:
    """The owner invites a colleague, who creates an account from the e-mail, confirms it and joins."""
    page = owner.get(f"/organisations/{organisation_id}/members")
    owner.submit(page.form("Send the invitation").fill(email=colleague.email, role="member"))
    invitation = link_in(wait_for_mail(sink, colleague.email, "invites you to join"), "/organisations/invitations/")
    page = colleague.get(invitation)
    register = [href for href in page.tree().xpath("//main//a/@href") if "/auth/register" in href]
    if not register:
        raise PageError(f"{colleague.email}: the invitation offers no sign-up: {page.main_text()[:1000]}")
    page = sign_up(colleague, sink, register_path=register[0])
    if "/organisations/invitations/" not in page.url:
        raise PageError(f"{colleague.email}: after verifying, not back on the invitation but at {page.url}")
    page = colleague.submit(page.form("Accept and join"))
    if f"/organisations/{organisation_id}" not in page.url:
        raise PageError(f"{colleague.email}: accepting the invitation ended at {page.url}: {page.flashes()}")


def start_application(person: Person, call_id: int) -> int:
    page = person.get(f"/calls/{call_id}/apply")
    page = person.submit(page.form("Start my application"))
    match = re.search(r"/applications/(\d+)/edit", page.url)
    if match is None:
        raise PageError(f"{person.email}: starting an application ended at {page.url}: {page.flashes()}")
    return int(match.group(1))


def fill_draft(person: Person, application_id: int, index: int, question: str) -> str:
    """Fill the draft and attach a PDF in one press of "Save draft"; return the attachment's download path."""
    page = person.get(f"/applications/{application_id}/edit")
    form = page.form("Save draft").fill(**{
        "title": f"Solar mesh for village {index}", "summary": "We will connect three villages with a mesh network.",
        "requested_amount": "20000", question: "About 1,200 people in three villages.",
        "budget_lines-0-category": "equipment", "budget_lines-0-description": "Routers and solar panels",
        "budget_lines-0-amount": "20000"})
    page = person.submit(form, files={"file": (f"budget-plan-{index}.pdf", pdf_for(index), "application/pdf")})
    if "file attached" not in page.flashes():
        raise PageError(f"{person.email}: saving the draft with a file said {page.flashes()!r}")
    links = page.tree().xpath(f"//a[contains(@href, '/applications/{application_id}/attachments/')]/@href")
    if len(set(links)) != 1:
        raise PageError(f"{person.email}: the draft shows attachments {links}")
    return links[0]


def download(person: Person, path: str) -> bytes:
    response = person.session.get(person.url(path), timeout=60)
    if response.status_code != 200:
        raise PageError(f"{person.email}: downloading {path} answered {response.status_code}")
    return response.content


def sign_in(person: Person, password: str) -> None:
    """Sign in; staff whose role requires a second factor (admins and reviewers in production) set it up on the way,
    and sign in with a code from then on."""
    page = person.get("/auth/login")
    page = person.submit(page.form("Sign in").fill(email=person.email, password=password))
    if path_of(page.url).startswith("/auth/login/code"):
        page = person.submit(page.form("Sign in").fill(code=two_factor.current_code(person.totp_secret)))
    if path_of(page.url) == "/auth/two-factor" and "requires two-factor" in page.main_text():
        page = person.get("/auth/two-factor/enrol")
        person.totp_secret = "".join(page.tree().xpath("//code[@id='totp-secret']/text()")).replace(" ", "")
        page = person.submit(page.form("Turn on two-factor sign-in").fill(
            code=two_factor.current_code(person.totp_secret)))
        if "Save these codes now" not in page.main_text():
            raise PageError(f"{person.email}: two-factor set-up said {page.main_text()[:300]!r}")
        page = person.get("/")
    if page.tree().xpath("//form[contains(@action, '/auth/logout')]") == []:
        raise PageError(f"{person.email}: not signed in after the sign-in page: {page.flashes()}")


def assign_automatically(admin: Person, call_id: int) -> str:
    page = admin.get(f"/admin/calls/{call_id}/review")
    page = admin.submit(page.form("Assign automatically"))
    return page.main_text()


def review_everything(reviewer: Person) -> int:
    """Declare no conflict and score every application on the reviewer's list; return how many."""
    page = reviewer.get("/review/")
    assignments = sorted(set(page.tree().xpath("//main//a[contains(@href, '/review/assignments/')]/@href")))
    for path in assignments:
        page = reviewer.get(path)
        page = reviewer.submit(page.form("Send my answer").set("has_conflict", "no"))
        form = page.form("Submit review")
        for name in form.names():
            if name.startswith("score_"):
                form.set(name, 4)
        page = reviewer.submit(form.fill(recommendation="fund", comment_to_applicant="A clear plan."))
        if "Your review was submitted" not in page.flashes():
            raise PageError(f"submitting the review at {path} said {page.flashes()!r}")
    return len(assignments)


def decide(admin: Person, application_id: int, outcome: str) -> None:
    page = admin.get(f"/admin/applications/{application_id}/decision")
    form = page.form("Save the decision", action="/decision").fill(
        outcome=outcome, feedback="Thank you for a careful proposal.", rationale="Ranked by the panel's score.")
    if outcome == "award":
        form.set("amount", "20000")
    page = admin.submit(form)
    if "Decision saved" not in page.flashes():
        raise PageError(f"deciding application {application_id} said {page.flashes()!r}: {page.main_text()[:800]}")


def release(admin: Person, call_id: int, count: int) -> str:
    page = admin.get(f"/admin/calls/{call_id}/ranking")
    page = admin.submit(page.form("Release decisions now"))
    label = f"Release {count} decision" + ("s" if count != 1 else "")
    page = admin.submit(page.form(label))
    return page.flashes()
