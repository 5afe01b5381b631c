"""Submitting keeps what the organisation's profile said then: the facts reports count by."""

from sqlalchemy import select

from cade.applications import services
from cade.applications.models import ApplicationFocusArea
from tests.factories import ApplicationFactory


def test_submission_keeps_the_profile_as_it_was(db, draft, member, organisation):
    organisation.country, organisation.region_code, organisation.subregion_code = "FJ", "009", "054"
    organisation.stakeholder_group, organisation.organisation_type = "academia", "academic"
    organisation.focus_areas = ["connectivity", "gender"]
    db.session.commit()

    application = services.submit_application(member, draft.id)
    db.session.commit()
    organisation.country, organisation.region_code, organisation.stakeholder_group = "KE", "002", "government"
    organisation.focus_areas = ["health"]
    db.session.commit()

    db.session.refresh(application)
    assert (application.org_country, application.org_region_code, application.org_subregion_code) == (
        "FJ", "009", "054")
    assert (application.org_stakeholder_group, application.org_type) == ("academia", "academic")
    assert (application.org_ldc, application.org_lldc, application.org_sids) == (False, False, True)
    assert application.org_first_time is True
    areas = db.session.scalars(select(ApplicationFocusArea.focus_area)
                               .where(ApplicationFocusArea.application_id == application.id)).all()
    assert sorted(areas) == ["connectivity", "gender"]


def test_a_second_application_is_a_returning_organisation(db, draft, member, organisation, call):
    from tests.factories import CallFactory

    ApplicationFactory(organisation=organisation, call=CallFactory(), submitted=True)
    application = services.submit_application(member, draft.id)
    db.session.commit()
    assert application.org_first_time is False
