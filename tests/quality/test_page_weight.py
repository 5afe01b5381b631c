"""Low bandwidth (DESIGN §8): each page with its CSS and JS under 60 KB, nothing
fetched from elsewhere, in every language."""

import pytest
from sqlalchemy import select

from cade.applications.models import Application
from tests.factories import UserFactory
from tests.quality.conftest import assert_pages_are_light, make_world


@pytest.mark.parametrize("language", ["en", "fr", "es", "pt"])
def test_pages_stay_under_60_kb_and_load_nothing_from_elsewhere(db, client, login, language):
    applicant = UserFactory(locale=language)
    admin = UserFactory(roles=["admin"], locale=language)
    calls = make_world(3, applicant=applicant)
    draft = db.session.scalar(select(Application.id).where(Application.status == "draft").limit(1))
    submitted = db.session.scalar(select(Application.id).where(Application.status == "submitted").limit(1))
    public = ["/", f"/calls/{calls[0].id}", "/auth/login", "/auth/register", "/auth/reset"]
    applicant_pages = ["/applications/", f"/applications/{draft}/edit", f"/applications/{submitted}",
                       "/organisations/new", "/auth/profile", "/inbox", f"/calls/{calls[0].id}/apply"]
    admin_pages = ["/admin/", f"/admin/calls/{calls[0].id}", f"/admin/calls/{calls[0].id}/edit"]

    assert_pages_are_light(client, login, [(None, public), (applicant, applicant_pages), (admin, admin_pages)],
                           language)
