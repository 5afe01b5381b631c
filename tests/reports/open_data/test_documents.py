"""The kept documents: generated once, served as kept with a stable ETag, rewritten when an award is released."""

import hashlib
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from cade.core.errors import NotFound
from cade.reports.models import OpenDataDocument
from cade.reports.open_data.documents import KINDS, current_document, regenerate_documents
from cade.awards.services.release import release_decisions
from tests.factories import CallFactory, DecisionFactory, OrganisationFactory
from tests.reports.open_data.conftest import _submitted
from tests.reports.open_data.validators import iati_errors, threesixty_errors

LATER = datetime(2027, 1, 2, 9, 30, tzinfo=timezone.utc)


def test_current_document_generates_and_keeps_each_kind(world, db):
    package = current_document("360giving")
    assert package.content_type == "application/json" and package.grants_count == 7
    assert package.etag == f'"{hashlib.sha256(package.content).hexdigest()[:62]}"' and len(package.etag) == 64
    assert threesixty_errors(package.content) == []
    activities = current_document("iati")
    assert activities.content_type == "application/xml" and iati_errors(activities.content) == []
    db.session.commit()
    assert current_document("360giving").id == package.id
    assert db.session.scalar(select(func.count()).select_from(OpenDataDocument)) == 2


def test_an_unknown_kind_is_not_found(db):
    with pytest.raises(NotFound):
        current_document("csv")


def test_with_nothing_released_the_documents_are_empty(db):
    package, activities = regenerate_documents()
    assert json.loads(package.content) == {"grants": []} and package.grants_count == 0
    assert b"<iati-activities" in activities.content and b"<iati-activity " not in activities.content


def test_the_etag_stays_while_nothing_changes(world, db):
    first = [(d.etag, d.generated_at) for d in regenerate_documents()]
    db.session.commit()
    again = [(d.etag, d.generated_at) for d in regenerate_documents(now=LATER)]
    assert again == first  # the IATI file's generation time is not a change
    assert [d.kind for d in db.session.scalars(select(OpenDataDocument).order_by(OpenDataDocument.kind))] == \
        list(KINDS)


def test_a_change_rewrites_both_with_new_etags(world, db):
    before = {d.kind: d.etag for d in regenerate_documents()}
    db.session.commit()
    world["secret"].publish_consent = True  # the organisation consents: regenerate_documents names it
    after = regenerate_documents(now=LATER)
    assert all(d.etag != before[d.kind] for d in after)
    assert all(d.generated_at == LATER for d in after)
    assert b"Hidden Rights Collective" in after[0].content and b"Hidden Rights Collective" in after[1].content


def test_releasing_an_award_regenerates_both(world, db, admin, release_hook):
    regenerate_documents()
    db.session.commit()
    call = CallFactory(programme=world["cn"], closed=True)
    DecisionFactory(application=_submitted(call, OrganisationFactory(publish_consent=True, name="Fresh Mesh")),
                    amount_minor=12_000_00)
    db.session.commit()
    assert release_decisions(admin, call.id, expected=1) == 1
    db.session.commit()
    package, activities = current_document("360giving"), current_document("iati")
    assert package.grants_count == activities.grants_count == 8
    assert b"Fresh Mesh" in package.content and b"Fresh Mesh" in activities.content
    assert threesixty_errors(package.content) == [] and iati_errors(activities.content) == []


def test_releasing_only_rejections_rewrites_nothing(world, db, admin, release_hook):
    before = {d.kind: (d.etag, d.generated_at) for d in regenerate_documents()}
    db.session.commit()
    call = CallFactory(programme=world["cn"], closed=True)
    DecisionFactory(application=_submitted(call, OrganisationFactory()), outcome="reject", amount_minor=None)
    db.session.commit()
    assert release_decisions(admin, call.id) == 1
    db.session.commit()
    assert {k: (current_document(k).etag, current_document(k).generated_at) for k in KINDS} == before


def test_the_command_regenerates_and_commits(app, world, db):
    from cade.reports.open_data import cli

    cli.register(app)
    result = app.test_cli_runner().invoke(args=["regenerate-open-data"])
    assert result.exit_code == 0, result.output
    assert "360giving: 7 grants" in result.output and "iati: 7 grants" in result.output
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OpenDataDocument)) == 2


def test_the_acceptance_hook_rewrites_the_files(world, db):
    from cade.reports.open_data.documents import on_offer_accepted
    from tests.grants.indicator_helpers import grant_in

    before = {d.kind: d.etag for d in regenerate_documents()}
    db.session.commit()
    # An offer accepted and its grant opened (as accept_offer and grants' hook leave it), then our hook.
    grant = grant_in(world["calls"][0], organisation=OrganisationFactory(publish_consent=True, name="Late Acceptor"))
    on_offer_accepted(grant.decision)
    assert all(current_document(kind).etag != before[kind] for kind in KINDS)
    assert b"Late Acceptor" in current_document("iati").content


def test_the_beat_rewrites_the_open_data_hourly_through_its_task(app, db):
    import tasks  # noqa: F401  (registers the tasks)
    from celery.schedules import crontab

    [entry] = [e for e in app.extensions["celery"].conf.beat_schedule.values()
               if e["task"] == "reports.regenerate_open_data"]
    assert isinstance(entry["schedule"], crontab) and entry["schedule"].minute == {25}
    assert app.extensions["celery"].tasks["reports.regenerate_open_data"].apply().get() == 0  # nothing released
    assert {d.kind for d in db.session.scalars(select(OpenDataDocument))} == {"360giving", "iati"}
