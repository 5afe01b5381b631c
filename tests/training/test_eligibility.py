"""Training gates funding: "a member of the applying organisation holds a certificate of course X"."""

from datetime import timedelta

from cade.applications.eligibility import check_eligibility
from cade.core.db import utcnow
from cade.core.rules import registered_rules
from cade.training.eligibility import TrainingCertificateRule
from tests.factories import (
    CallFactory,
    CertificateFactory,
    CourseFactory,
    MembershipFactory,
    OrganisationFactory,
    SessionFactory,
    UserFactory,
)

START = "Start my application"


def test_the_rule_is_registered_through_the_registry(db):
    assert isinstance(registered_rules().get("training_certificate"), TrainingCertificateRule)


def test_an_organisation_with_a_certified_member_is_eligible(db):
    course = CourseFactory(title="Digital security for CSOs")
    call = CallFactory(required_course_id=course.id)
    organisation = OrganisationFactory()
    holder = MembershipFactory(organisation=organisation, role="member").user
    reasons = check_eligibility(call, organisation)
    assert reasons and "Digital security for CSOs" in reasons[0]
    certificate = CertificateFactory(user=holder, course=course)
    assert check_eligibility(call, organisation) == []
    certificate.revoked_at = utcnow()
    assert check_eligibility(call, organisation)  # a revoked certificate does not count
    CertificateFactory(user=UserFactory(), course=CourseFactory())  # nobody else's certificate helps
    assert check_eligibility(call, OrganisationFactory())


def test_the_call_page_names_the_course_and_the_refused_see_the_remedy_and_no_start(client, login, db):
    course = CourseFactory(title="Digital security for CSOs")
    SessionFactory(course=course, starts_at=utcnow() + timedelta(days=20))
    call = CallFactory(required_course_id=course.id)
    public = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "holds a certificate of the course “Digital security for CSOs” (next session:" in public
    # ... and links to the course, where its next session can be taken.
    assert f'<a href="/training/courses/{course.id}">The course and its sessions</a>' in public
    owner = MembershipFactory()
    login(owner.user)
    page = client.get(f"/calls/{call.id}/apply").get_data(as_text=True)
    assert START not in page and "nobody in your organisation holds one yet" in page
    assert "Take the course “Digital security for CSOs”: next session on" in page
    assert f'href="/training/courses/{course.id}"' in page
    CertificateFactory(user=owner.user, course=course)
    page = client.get(f"/calls/{call.id}/apply").get_data(as_text=True)
    assert START in page


def test_the_call_form_offers_published_courses_and_refuses_a_draft(app, db):
    from cade.core.commands import Cleaning, FieldErrors

    published, draft = CourseFactory(title="Open course"), CourseFactory(title="Draft course", draft=True)
    rule = registered_rules().get("training_certificate")
    with app.test_request_context():
        from cade.programmes.forms import call_form

        form = call_form("EUR", meta={"csrf": False})
        labels = [choice[1] for choice in form.required_course_id.iter_choices()]
    assert "Open course" in labels and "Draft course" not in labels
    errors = FieldErrors()
    assert rule.cleaner.clean(str(draft.id), Cleaning("required_course_id", errors, {}, {})) is None
    assert errors
    assert rule.cleaner.clean(str(published.id), Cleaning("required_course_id", FieldErrors(), {}, {})) == published.id
