"""WCAG 2.2 AA (axe) on the capacity-assessment and resource pages, as members and administrators meet them."""

from cade.organisations.models import Membership
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import CapacityAssessmentFactory, CourseFactory, ResourceFactory, UserFactory, member


def test_assessment_and_resource_pages_meet_wcag_2_2_aa(page, db):
    person = member(name="Amani Nakato")
    organisation = db.session.query(Membership).filter_by(user_id=person.id).one().organisation
    CapacityAssessmentFactory(organisation=organisation, scores=2)
    CapacityAssessmentFactory(organisation=organisation, follow_up=True, scores=4)
    course = CourseFactory(title="Organisational foundations")
    ResourceFactory(title="Why capacity matters", course=course, in_library=True, public=True)
    admin = UserFactory(name="Ada Admin", roles=["admin"])

    audit = Audit(page)
    audit.visit("/training/library", "resource library, visitor")
    sign_in(page, person)
    audit.visit("/training/assessments", "assessments with a gain")
    send(page, page.get_by_role("button", name="Start a follow-up"))
    audit.check("follow-up form")
    send(page, page.get_by_role("button", name="Submit the assessment"))
    audit.check("follow-up form refused")
    sign_in(page, admin)
    audit.visit("/admin/training/assessments", "gains across organisations")
    audit.visit("/admin/training/resources", "resources, admin")
    audit.visit("/admin/training/resources/new", "new resource")
    send(page, page.get_by_role("button", name="Save"))
    audit.check("new resource refused")
    audit.assert_clean()
