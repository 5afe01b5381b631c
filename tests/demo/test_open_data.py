"""The demo's open data: both files validate, totals match the summary, non-consenting organisations unnamed."""

import pytest
from sqlalchemy import select

from cade.demo import data
from cade.demo.open_data import seed_open_data
from cade.demo.seed import _Seeder
from cade.core.db import utcnow
from cade.reports.models import OpenDataDocument
from cade.reports.open_data.documents import current_document
from tests.reports.open_data.test_totals import file_totals, summary_awarded
from tests.reports.open_data.validators import iati_errors, threesixty_errors


@pytest.fixture()
def seeded(app, db):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    seed_open_data(_Seeder(utcnow()), {}, {})  # until cade/demo/seed.py calls it
    db.session.commit()
    return result


def test_the_demo_files_validate_and_agree_with_the_summary(seeded, db):
    package, activities = current_document("360giving"), current_document("iati")
    assert package.grants_count > 0
    assert threesixty_errors(package.content) == []
    assert iati_errors(activities.content) == []
    threesixty, iati = file_totals(package.content, activities.content)
    assert threesixty == iati == summary_awarded(db)


def test_the_demo_never_names_an_organisation_without_consent(seeded, db):
    package, activities = current_document("360giving"), current_document("iati")
    hidden = [spec for spec in data.ORGANISATIONS if not spec.get("publish_consent")]
    assert hidden
    for spec in hidden:
        for key in ("name", "acronym", "website", "registration_number", "city"):
            if spec.get(key):
                assert spec[key].lower().encode() not in package.content.lower(), (spec["key"], key)
                assert spec[key].lower().encode() not in activities.content.lower(), (spec["key"], key)


def test_seeding_twice_rewrites_nothing(seeded, db):
    before = {d.kind: (d.etag, d.generated_at) for d in db.session.scalars(select(OpenDataDocument))}
    seeder = _Seeder(utcnow())
    seed_open_data(seeder, {}, {})
    assert not seeder.report.anything_created
    assert {d.kind: (d.etag, d.generated_at) for d in db.session.scalars(select(OpenDataDocument))} == before
