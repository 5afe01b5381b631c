"""Low bandwidth (DESIGN §8): each page with its CSS and JS under 60 KB, nothing
fetched from elsewhere, in every language."""

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from cade.applications.models import Application
from tests.factories import UserFactory
from tests.quality.conftest import make_world

STATIC = Path(__file__).resolve().parents[2] / "cade" / "static"
BUDGET = 60 * 1024
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


def assets_size(html: str) -> int:
    names = re.findall(r"/static/([\w.-]+)", html)
    return sum((STATIC / name).stat().st_size for name in set(names))


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

    weights = {}
    for who, pages in ((None, public), (applicant, applicant_pages), (admin, admin_pages)):
        if who is not None:
            login(who)
        for page in pages:
            response = client.get(page, headers={"Accept-Language": language})
            assert response.status_code == 200, page
            html = response.get_data(as_text=True)
            assert not EXTERNAL.search(html), f"{page} loads something from another site"
            weights[page] = len(response.data) + assets_size(html)
    heavy = {page: size for page, size in weights.items() if size >= BUDGET}
    assert not heavy, f"pages over {BUDGET} bytes with their CSS and JS: {heavy}"
