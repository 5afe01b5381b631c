"""Amendment pages: owners ask, members read, admins decide; other organisations find nothing; nothing typed is lost."""

from flask import render_template_string

from cade.extensions import db as _db
from cade.grants.amendments import request_amendment
from cade.grants.constants import AmendmentStatus
from cade.grants.models import GrantAmendment
from tests.factories import MembershipFactory, UserFactory
from tests.grants.amendment_helpers import amounts, extension, lines, opened_grant, reallocation


def flat(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def member_of(grant, role="member"):
    user = UserFactory()
    MembershipFactory(user=user, organisation=grant.organisation, role=role)
    _db.session.commit()
    return user


def test_an_owner_sees_the_forms_and_a_member_only_reads(db, client, login):
    opened = opened_grant()
    login(opened.owner)
    page = flat(client.get(f"/grants/{opened.grant.id}/amendments"))
    assert "Ask for an amendment" in page and 'id="extension-days"' in page and 'id="amount-0"' in page
    assert "Routers and solar panels" in page and "$8,000.00" in page and "$12,345.00" in page  # the budget
    assert "at most 10 % of it" in page

    login(member_of(opened.grant))
    page = flat(client.get(f"/grants/{opened.grant.id}/amendments"))
    assert "Ask for an amendment" not in page and "Only an owner of your organisation" in page
    assert "Version 1 (PDF)" in page


def test_a_member_who_posts_anyway_is_refused(db, client, login):
    opened = opened_grant()
    login(member_of(opened.grant))

    response = client.post(f"/grants/{opened.grant.id}/amendments/extension",
                           data={"extension-days": "30", "extension-reason": "Rain"})

    assert response.status_code == 403 and "Only an owner" in flat(response)
    assert _db.session.query(GrantAmendment).count() == 0


def test_another_organisation_finds_nothing(db, client, login, admin):
    opened = opened_grant()
    amendment = request_amendment(opened.owner, opened.grant.id, extension())
    _db.session.commit()
    stranger = UserFactory()
    MembershipFactory(user=stranger, role="owner")
    _db.session.commit()
    login(stranger)

    grant_id = opened.grant.id
    assert client.get(f"/grants/{grant_id}/amendments").status_code == 404
    assert client.post(f"/grants/{grant_id}/amendments/extension",
                       data={"extension-days": "30", "extension-reason": "Rain"}).status_code == 404
    assert client.get(f"/admin/grants/{grant_id}/amendments/{amendment.id}").status_code == 404
    assert client.post(f"/admin/grants/{grant_id}/amendments/{amendment.id}/approve").status_code == 404
    assert _db.session.get(GrantAmendment, amendment.id).status == AmendmentStatus.REQUESTED


def test_a_reallocation_on_notice_goes_through_from_the_page(db, client, login, admin):
    opened = opened_grant()
    equipment, training = lines(opened.grant)
    login(opened.owner)

    response = client.post(f"/grants/{opened.grant.id}/amendments/reallocation", data={
        "from-0": str(equipment.id), "to-0": str(training.id), "amount-0": "800",
        "reallocation-reason": "Cheaper routers than planned."})

    assert response.status_code == 302
    page = flat(client.get(response.headers["Location"]))
    assert "in force on notice" in page and "$800.00 from “Routers and solar panels”" in page
    assert amounts(opened.grant) == [7_200_00, 5_145_00]


def test_moving_more_than_a_line_holds_is_refused_keeping_what_was_typed(db, client, login, admin):
    opened = opened_grant()
    equipment, training = lines(opened.grant)
    login(opened.owner)

    response = client.post(f"/grants/{opened.grant.id}/amendments/reallocation", data={
        "from-0": str(training.id), "to-0": str(equipment.id), "amount-0": "5000.00",
        "reallocation-reason": "Training moved online."})

    assert response.status_code == 422
    page = flat(response)
    assert 'href="#amount-0"' in page and "holds only $4,345.00" in page  # the summary links to the field
    assert 'value="5000.00"' in page and "Training moved online." in page
    assert f'<option value="{training.id}" selected>' in page and f'<option value="{equipment.id}" selected>' in page
    assert 'aria-invalid="true"' in page
    assert _db.session.query(GrantAmendment).count() == 0 and amounts(opened.grant) == [8_000_00, 4_345_00]


def test_an_extension_of_too_many_days_is_refused_next_to_the_field(db, client, login):
    opened = opened_grant()
    login(opened.owner)

    response = client.post(f"/grants/{opened.grant.id}/amendments/extension",
                           data={"extension-days": "800", "extension-reason": "The rains came early."})

    assert response.status_code == 422
    page = flat(response)
    assert 'href="#extension-days"' in page and "from 1 to 730" in page
    assert 'id="extension-days-error"' in page and "The rains came early." in page and 'value="800"' in page


def test_an_admin_refuses_with_a_reason_then_cannot_decide_again(db, client, login, admin):
    opened = opened_grant()
    amendment = request_amendment(opened.owner, opened.grant.id, extension(45))
    _db.session.commit()
    login(admin)
    address = f"/admin/grants/{opened.grant.id}/amendments/{amendment.id}"

    page = flat(client.get(address))
    assert "No-cost extension" in page and "45 more days" in page and "The rainy season delayed" in page
    response = client.post(f"{address}/refuse", data={"reason": ""})
    assert response.status_code == 422 and 'href="#refuse-reason"' in flat(response)

    response = client.post(f"{address}/refuse", data={"reason": "The programme ends in March."})
    assert response.status_code == 302
    page = flat(client.get(address))
    assert "Refused" in page and "The programme ends in March." in page and "Your decision" not in page

    response = client.post(f"{address}/approve", data={"reason": ""})
    assert response.status_code == 409 and "already refused" in flat(response)


def test_an_admin_approves_from_the_page(db, client, login, admin):
    opened = opened_grant()
    amendment = request_amendment(opened.owner, opened.grant.id, extension(45))
    _db.session.commit()
    login(admin)

    response = client.post(f"/admin/grants/{opened.grant.id}/amendments/{amendment.id}/approve",
                           data={"reason": "Fine."})

    assert response.status_code == 302
    assert _db.session.get(GrantAmendment, amendment.id).status == AmendmentStatus.APPROVED
    page = flat(client.get(f"/grants/{opened.grant.id}/amendments"))
    assert "Version 2 (PDF)" in page and "Approved" in page


def test_the_admin_page_is_for_admins_and_for_the_grants_own_amendments(db, client, login, admin):
    opened = opened_grant()
    other = opened_grant()
    amendment = request_amendment(opened.owner, opened.grant.id, extension())
    _db.session.commit()

    login(opened.owner)
    assert client.get(f"/admin/grants/{opened.grant.id}/amendments/{amendment.id}").status_code == 404
    login(admin)
    assert client.get(f"/admin/grants/{other.grant.id}/amendments/{amendment.id}").status_code == 404


def test_the_overview_for_the_grant_page(app, db, admin):
    opened = opened_grant()
    request_amendment(opened.owner, opened.grant.id, extension())
    equipment, training = lines(opened.grant)
    request_amendment(opened.owner, opened.grant.id, reallocation((equipment, training, "1.00")))
    _db.session.commit()

    with app.test_request_context():
        html = render_template_string('{% include "grants/_amendments_summary.html" %}', grant=opened.grant)
    text = " ".join(html.split())
    assert "The agreement has 1 version." in text and "1 amendment waits for a decision." in text
    assert f"/grants/{opened.grant.id}/agreement/v1" in text and f"/grants/{opened.grant.id}/amendments" in text


def test_the_amendments_page_is_light_and_runs_the_same_queries_however_many_amendments(db, client, login, admin):
    from tests.querycount import count_statements
    from tests.quality.conftest import assert_pages_are_light

    opened = opened_grant()
    equipment, training = lines(opened.grant)
    request_amendment(opened.owner, opened.grant.id, extension())
    request_amendment(opened.owner, opened.grant.id, reallocation((equipment, training, "1.00")))
    _db.session.commit()
    path = f"/grants/{opened.grant.id}/amendments"
    login(opened.owner)
    few = count_statements(lambda: client.get(path))[1]
    for _ in range(4):
        request_amendment(opened.owner, opened.grant.id, reallocation((training, equipment, "1.00")))
        request_amendment(opened.owner, opened.grant.id, extension(10))
    _db.session.commit()

    assert count_statements(lambda: client.get(path))[1] == few
    assert_pages_are_light(client, login, [(opened.owner, [path]), (admin, [path])], "fr")
