"""No button that cannot work (issue 8, item 7): an organisation the call's rules turn away is told why and
what it can do, on the start page and on the public call page, and is never offered "Start my application"
or "Apply"."""

import re
from datetime import date

from sqlalchemy import func, select

from cade.applications.eligibility import assess_eligibility
from cade.applications.models import Application
from cade.core.rules import registered_rules
from cade.extensions import db as _db
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    CourseFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

START = "Start my application"


def applications_count() -> int:
    return _db.session.scalar(select(func.count()).select_from(Application))


def apply_link(call) -> str:
    return f'href="/calls/{call.id}/apply"'


# --- the rules carry their remedies ----------------------------------------------------------

def test_each_reason_carries_what_the_organisation_can_do(db):
    organisation = OrganisationFactory(country="KE", organisation_type="ngo")
    call = CallFactory(eligible_countries=["UG"], eligible_organisation_types=["community_network"])
    result = assess_eligibility(call, organisation)
    assert not result.eligible and len(result.blocking) == 2
    country, kind = result.blocking
    assert "Kenya" in country.text and "Non-governmental" in kind.text
    assert [r.endpoint for r in country.remedies] == ["organisations.edit", "programmes.index"]
    assert country.remedies[0].values == {"organisation_id": organisation.id} and country.remedies[0].profile
    # A remedy already offered for an earlier reason is not repeated under the next one.
    assert [r.endpoint for r in kind.remedies] == ["organisations.edit"]
    assert "type" in kind.remedies[0].text
    assert result.reasons == [country.text, kind.text]


def test_every_registered_rule_says_what_to_do_when_it_refuses(db, app):
    from cade.core.rules import Remedy

    from tests.grants.lifecycle_helpers import opened_grant, report
    from tests.travel.claim_helpers import approved_trip, past, travel_call

    organisation = OrganisationFactory()
    late_grant, _owner = opened_grant()
    report(late_grant, "final", due_on=date(2026, 1, 31))  # long overdue
    late = late_grant.organisation
    # (call, organisation) each rule refuses. A call setting refuses on one call, so another call open now is a way
    # out; the overdue report refuses on every call, so its way out is the report itself.
    refusing = {
        "countries": (CallFactory(eligible_countries=["UG"]), organisation),
        "country_lists": (CallFactory(eligible_country_lists=["SIDS"]), organisation),
        "regions": (CallFactory(eligible_regions=["142"]), organisation),
        "organisation_types": (CallFactory(eligible_organisation_types=["academia"]), organisation),
        "stakeholder_groups": (CallFactory(eligible_stakeholder_groups=["academia"]), organisation),
        "max_annual_budget": (CallFactory(max_annual_budget_minor=1_00), organisation),
        "training_certificate": (CallFactory(required_course_id=CourseFactory().id), organisation),
        "no_overdue_report": (CallFactory(), late),
        "required_documents": (CallFactory(required_documents=["statutes"], documents_required_at="submission"),
                               organisation),
        "shortlisted_in_concept_stage": (CallFactory(concept_call_id=CallFactory().id), organisation),
    }
    travel = travel_call()
    overdue_trip, _owner, _traveller = approved_trip(call=travel, starts_on=past(40), due_on=past(3))
    refusing["no_overdue_post_trip_report"] = (travel, overdue_trip.application.organisation)
    way_out = {"no_overdue_report": "grants.report", "required_documents": "diligence.documents",
               "no_overdue_post_trip_report": "travel.post_trip_report"}
    for rule in registered_rules():
        call, refused = refusing[rule.key]
        assert rule.check(call, refused), rule.key
        remedies = rule.remedies(call, refused)
        assert remedies and all(isinstance(r, Remedy) and r.text for r in remedies), rule.key
        assert way_out.get(rule.key, "programmes.index") in [r.endpoint for r in remedies], rule.key
        assert rule.remedies(CallFactory(), organisation) == [], rule.key  # nothing refused, nothing to do


def test_a_profile_without_a_budget_is_a_note_with_a_way_to_add_it(db):
    organisation = OrganisationFactory(annual_budget_minor=None, annual_budget_currency=None)
    result = assess_eligibility(CallFactory(max_annual_budget_minor=100_000_00), organisation)
    assert result.eligible and len(result.advisory) == 1
    assert [r.endpoint for r in result.advisory[0].remedies] == ["organisations.edit"]


# --- the start page ---------------------------------------------------------------------------

def test_an_ineligible_organisation_sees_reasons_and_remedies_but_no_start_button(client, login, db):
    owner = MembershipFactory(organisation=OrganisationFactory(country="KE"))
    call = CallFactory(eligible_countries=["UG"])
    login(owner.user)
    response = client.get(f"/calls/{call.id}/apply")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert START not in page and "<form" not in page.split("<main", 1)[1].split("</main>")[0]
    assert "Kenya" in page and "Uganda" in page
    assert f'href="/organisations/{owner.organisation_id}/edit"' in page  # the owner can correct the profile
    assert re.search(r'<a href="/">[^<]*open[^<]*</a>', page), "a link to the calls open now"


def test_a_member_who_cannot_edit_the_profile_is_told_to_ask_an_owner(client, login, db):
    member = MembershipFactory(role="member", organisation=OrganisationFactory(country="KE"))
    call = CallFactory(eligible_countries=["UG"])
    login(member.user)
    page = client.get(f"/calls/{call.id}/apply").get_data(as_text=True)
    assert START not in page
    assert f"/organisations/{member.organisation_id}/edit" not in page  # a link that would answer 403
    assert "Ask an owner" in page


def test_posting_the_start_form_anyway_is_refused_cleanly(client, login, db):
    owner = MembershipFactory(organisation=OrganisationFactory(country="KE"))
    call = CallFactory(eligible_countries=["UG"])
    login(owner.user)
    response = client.post(f"/calls/{call.id}/apply", data={"organisation_id": owner.organisation_id},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Kenya" in page and START not in page
    assert applications_count() == 0


def test_an_eligible_organisation_is_offered_the_start_button(client, login, db):
    owner = MembershipFactory()
    call = CallFactory()
    login(owner.user)
    page = client.get(f"/calls/{call.id}/apply").get_data(as_text=True)
    assert START in page and "Eligible" in page


def test_only_the_organisations_that_can_start_are_offered(client, login, db):
    user = UserFactory()
    kenyan = MembershipFactory(user=user, organisation=OrganisationFactory(name="Kenyan Net", country="KE"))
    ugandan = MembershipFactory(user=user, organisation=OrganisationFactory(name="Ugandan Net", country="UG"))
    call = CallFactory(eligible_countries=["UG"])
    login(user)
    page = client.get(f"/calls/{call.id}/apply").get_data(as_text=True)
    assert START in page
    assert f'<input type="hidden" name="organisation_id" value="{ugandan.organisation_id}">' in page
    assert f'value="{kenyan.organisation_id}"' not in page
    assert "Kenya" in page  # the other organisation is still told why


def test_an_organisation_that_already_applied_is_sent_to_its_application(client, login, db):
    owner = MembershipFactory()
    call = CallFactory()
    application = ApplicationFactory(call=call, organisation=owner.organisation)
    login(owner.user)
    page = client.get(f"/calls/{call.id}/apply").get_data(as_text=True)
    assert START not in page and f'href="/applications/{application.id}"' in page


def test_a_closed_call_offers_other_calls_and_no_button(client, login, db):
    owner = MembershipFactory()
    call = CallFactory(closed=True)
    login(owner.user)
    page = client.get(f"/calls/{call.id}/apply").get_data(as_text=True)
    assert START not in page and "not open" in page
    assert re.search(r'<a href="/">[^<]*open[^<]*</a>', page)


# --- the public call page ---------------------------------------------------------------------

def test_the_call_page_offers_no_apply_button_to_an_ineligible_organisation(client, login, db):
    owner = MembershipFactory(organisation=OrganisationFactory(country="KE"))
    call = CallFactory(eligible_countries=["UG"])
    login(owner.user)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert apply_link(call) not in page and ">Apply<" not in page
    assert "Kenya" in page and f'href="/organisations/{owner.organisation_id}/edit"' in page
    assert re.search(r'<a href="/">[^<]*open[^<]*</a>', page)


def test_the_call_page_offers_apply_to_those_who_can(client, login, db):
    call = CallFactory(eligible_countries=["UG"])
    assert apply_link(call) in client.get(f"/calls/{call.id}").get_data(as_text=True)  # signed out: sign in first
    owner = MembershipFactory(organisation=OrganisationFactory(country="UG"))
    login(owner.user)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert apply_link(call) in page and "cannot apply" not in page
    login(UserFactory())  # no organisation yet: Apply leads to describing it
    assert apply_link(call) in client.get(f"/calls/{call.id}").get_data(as_text=True)


def test_the_call_page_tells_an_unconfirmed_user_to_confirm_first(client, login, db):
    user = MembershipFactory(user=UserFactory(unverified=True)).user
    call = CallFactory()
    login(user)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert apply_link(call) not in page
    assert "confirm your e-mail address" in page and 'href="/auth/profile"' in page


def test_the_call_page_leads_an_organisation_that_applied_to_its_application(client, login, db):
    owner = MembershipFactory()
    call = CallFactory()
    application = ApplicationFactory(call=call, organisation=owner.organisation)
    login(owner.user)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert apply_link(call) not in page and f'href="/applications/{application.id}"' in page
