"""What an application keeps, at submission, of the organisation that sent it: the facts reports count by.

A profile edited later (a move to another country, a new stakeholder group)
does not move an earlier application between a report's regions or groups.
"""

from sqlalchemy import delete, exists, insert, select

from cade.applications.models import Application, ApplicationFocusArea
from cade.core.countries import get_country
from cade.extensions import db


def snapshot_applicant(application: Application) -> None:
    """Copy the organisation's country, region, groups, UN lists and focus areas onto `application`.

    "First time" means the organisation had submitted no other application
    before this one (before its submission time, once it has one). Flushes;
    the caller commits with the submission.
    """
    organisation = application.organisation
    country = get_country(organisation.country)
    lists = country.lists if country else frozenset()
    application.org_country = organisation.country
    application.org_region_code = organisation.region_code
    application.org_subregion_code = organisation.subregion_code
    application.org_stakeholder_group = organisation.stakeholder_group
    application.org_type = organisation.organisation_type
    application.org_ldc = "LDC" in lists
    application.org_lldc = "LLDC" in lists
    application.org_sids = "SIDS" in lists
    earlier = (Application.submitted_at < application.submitted_at if application.submitted_at
               else Application.submitted_at.is_not(None))
    application.org_first_time = not db.session.scalar(select(exists().where(
        Application.organisation_id == organisation.id, Application.id != application.id, earlier)))
    db.session.flush()
    db.session.execute(delete(ApplicationFocusArea).where(ApplicationFocusArea.application_id == application.id))
    areas = list(dict.fromkeys(organisation.focus_areas or []))
    if areas:
        db.session.execute(insert(ApplicationFocusArea),
                           [{"application_id": application.id, "focus_area": area} for area in areas])
