"""The call review page offers the reviewers with the most room once, as one list every row's reviewer field
refers to, and anyone else of the pool is typed: assigning works with JavaScript and without, a refusal is
shown beside the field with what was typed, and the page stays WCAG 2.2 AA (issue 18)."""

from sqlalchemy import select

from cade.reviews.models import Assignment
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import ApplicationFactory, CallFactory, MembershipFactory, ReviewerProfileFactory, UserFactory


def test_assigning_from_the_shared_list_of_the_pool(browse, db):
    page = browse
    call = CallFactory(closed=True, title="Connecting rural communities 2026", reviews_required=2)
    application = ApplicationFactory(call=call, submitted=True)
    ApplicationFactory(call=call, submitted=True)
    rita = ReviewerProfileFactory(user__name="Rita Reviewer").user
    member = ReviewerProfileFactory(user__name="Mo Member").user
    MembershipFactory(organisation=application.organisation, user=member)
    admin = UserFactory(roles=["admin"])
    db.session.commit()
    audit = Audit(page)
    sign_in(page, admin)

    audit.visit(f"/admin/calls/{call.id}/review", "call review")
    assert page.locator("datalist#pool-reviewers option").count() == 2  # once for the page, not per row
    assert page.get_by_role("link", name="Everyone in the reviewer pool").count() == 1
    assert page.locator("input[list=pool-reviewers]").count() == 3  # two rows and the bulk form
    row = page.locator(f"#application-{application.id}")
    field = row.get_by_label(f"Reviewer for {application.reference}")
    row.get_by_text("1 reviewer in conflict").click()  # a <details>: opens without JavaScript too
    assert "Mo Member is a member of the applicant organisation." in row.locator("details").inner_text()

    typed = f"Mo Member <{member.email}>"
    field.fill(typed)
    send(page, row.get_by_role("button", name="Assign", exact=True))
    audit.check("call review, a refused assignment")
    row = page.locator(f"#application-{application.id}")
    field = row.get_by_label(f"Reviewer for {application.reference}")
    assert field.input_value() == typed, "what was typed is kept"
    assert "Mo Member is a member of the applicant organisation." in row.locator(".error").inner_text()

    field.fill(f"Rita Reviewer <{rita.email}>")
    send(page, row.get_by_role("button", name="Assign", exact=True))
    audit.check("call review, assigned")
    assert f"Rita Reviewer is now reviewing {application.reference}." in page.locator(".flashes").inner_text()
    db.session.expire_all()
    assert db.session.scalars(select(Assignment.reviewer_id)).all() == [rita.id]
    audit.assert_clean()
