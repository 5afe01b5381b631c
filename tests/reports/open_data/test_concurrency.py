"""Two releases at once: the last writer still writes every award. Two first readers at once: one row each kind."""

from sqlalchemy import func, select

from cade.accounts.models import User
from cade.awards.services.release import release_decisions
from cade.extensions import db as _db
from cade.reports.models import OpenDataDocument
from cade.reports.open_data.documents import current_document, regenerate_documents
from tests.concurrency import run_side_by_side
from tests.factories import CallFactory, DecisionFactory, OrganisationFactory
from tests.reports.open_data.conftest import _submitted


def test_two_releases_at_once_both_reach_the_files(app, world, db, admin, release_hook):
    regenerate_documents()
    calls = []
    for name in ("First Mesh", "Second Mesh"):
        call = CallFactory(programme=world["cn"], closed=True)
        DecisionFactory(application=_submitted(call, OrganisationFactory(publish_consent=True, name=name)),
                        amount_minor=5_000_00)
        calls.append(call.id)
    db.session.commit()
    admin_id = admin.id

    def releasing(call_id):
        return lambda: release_decisions(_db.session.get(User, admin_id), call_id)

    outcomes = run_side_by_side(app, [releasing(call_id) for call_id in calls], "from open_data_documents")
    assert outcomes == ["done", "done"]
    db.session.expire_all()
    for kind in ("360giving", "iati"):
        document = current_document(kind)
        assert document.grants_count == 9
        assert b"First Mesh" in document.content and b"Second Mesh" in document.content


def test_two_first_readers_at_once_make_one_document(app, world, db):
    outcomes = run_side_by_side(app, [lambda: current_document("iati"), lambda: current_document("iati")],
                                "from open_data_documents")
    assert outcomes == ["done", "done"]
    assert db.session.scalar(select(func.count()).select_from(OpenDataDocument)) == 1
