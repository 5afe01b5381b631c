"""`flask seed-demo`: idempotent, complete and consistent demo data."""

import hashlib
import re
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from cade.accounts.models import User
from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application, Attachment, BudgetLine
from cade.core.countries import get_country
from cade.core.db import utcnow
from cade.core.storage import get_storage
from cade.demo.data import DEMO_PASSWORD
from cade.organisations.models import Membership, Organisation
from cade.programmes.constants import CallPhase, ProgrammeKind
from cade.programmes.models import Call, Programme


def _row_counts(db) -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


@pytest.fixture()
def seeded(app, db):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def test_second_run_adds_nothing_and_says_so(app, db, seeded):
    before = _row_counts(db)

    again = app.test_cli_runner().invoke(args=["seed-demo"])

    assert again.exit_code == 0, again.output
    db.session.expire_all()
    assert _row_counts(db) == before
    assert "nothing to add" in again.output


def test_a_run_on_partial_data_adds_only_what_is_missing(app, db, seeded):
    draft = db.session.scalar(select(Application).where(
        Application.status == ApplicationStatus.DRAFT, Application.requested_amount_minor.is_not(None)))
    call_id, organisation_id = draft.call_id, draft.organisation_id
    db.session.delete(draft)
    db.session.commit()
    before = _row_counts(db)

    again = app.test_cli_runner().invoke(args=["seed-demo"])

    assert again.exit_code == 0, again.output
    assert "1 applications" in again.output
    db.session.expire_all()
    after = _row_counts(db)
    assert after["applications"] == before["applications"] + 1
    assert after["users"] == before["users"] and after["calls"] == before["calls"]
    restored = db.session.scalar(select(Application).where(
        Application.call_id == call_id, Application.organisation_id == organisation_id))
    assert restored.status == ApplicationStatus.DRAFT and restored.reference is None


def test_output_lists_the_demo_logins(seeded):
    for email in ("admin@cade.example", "reviewer1@cade.example", "reviewer2@cade.example",
                  "trainer@cade.example", "applicant@cade.example"):
        assert email in seeded.output
    assert DEMO_PASSWORD in seeded.output


def test_demo_accounts_are_verified_with_their_roles_and_the_shared_password(db, seeded):
    expected_roles = {
        "admin@cade.example": ["admin"],
        "reviewer1@cade.example": ["reviewer"],
        "reviewer2@cade.example": ["reviewer"],
        "trainer@cade.example": ["trainer"],
        "applicant@cade.example": [],
    }
    for email, roles in expected_roles.items():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user.role_names == roles
        assert user.is_verified and user.is_active
        if email in ("admin@cade.example", "applicant@cade.example"):  # scrypt is slow on purpose
            assert check_password_hash(user.password_hash, DEMO_PASSWORD)
    assert len(DEMO_PASSWORD) >= 12


def test_applicant_owns_an_organisation_with_a_draft_in_an_open_call(db, seeded):
    applicant = db.session.scalar(select(User).where(User.email == "applicant@cade.example"))
    membership = db.session.scalar(select(Membership).where(Membership.user_id == applicant.id))
    assert membership.role == "owner"
    drafts = db.session.scalars(select(Application).where(
        Application.organisation_id == membership.organisation_id,
        Application.status == ApplicationStatus.DRAFT)).all()
    assert any(draft.call.phase() == CallPhase.OPEN for draft in drafts)


def test_every_application_status_and_programme_kind_is_present(db, seeded):
    statuses = set(db.session.scalars(select(Application.status).distinct()))
    kinds = set(db.session.scalars(select(Programme.kind).distinct()))

    assert statuses == {status.value for status in ApplicationStatus}
    assert kinds == {kind.value for kind in ProgrammeKind}


def test_calls_cover_every_phase_and_one_closes_within_48_hours_with_drafts(db, seeded):
    now = utcnow()
    calls = db.session.scalars(select(Call)).all()
    phases = {call.phase(now) for call in calls}
    assert {CallPhase.OPEN, CallPhase.UPCOMING, CallPhase.CLOSED} <= phases
    closing_soon = [c for c in calls if c.is_open(now) and c.closes_at - now <= timedelta(hours=48)]
    assert closing_soon
    assert any(a.status == ApplicationStatus.DRAFT
               for a in db.session.scalars(select(Application).where(
                   Application.call_id.in_([c.id for c in closing_soon]))))
    for call in calls:
        kinds = {question.kind for question in call.questions}
        # A concept note (the first stage of a two-stage call) is short by design: four questions.
        if not call.is_concept_stage:
            assert {"long_text", "short_text", "number", "choice", "date", "file"} <= kinds
        assert 3 <= len(call.criteria) <= 5
    assert len({call.timezone for call in calls}) >= 3


def test_references_are_gapless_per_call_and_follow_submission_order(db, seeded):
    by_call = defaultdict(list)
    for app_row in db.session.scalars(select(Application).where(Application.reference.is_not(None))):
        by_call[app_row.call_id].append(app_row)

    assert by_call
    for call_id, rows in by_call.items():
        call = db.session.get(Call, call_id)
        pattern = re.compile(re.escape(call.reference_prefix) + r"-(\d{4})$")
        numbers = [int(pattern.match(row.reference).group(1)) for row in rows]
        assert sorted(numbers) == list(range(1, len(rows) + 1))
        assert call.last_reference_number == len(rows)
        in_time_order = sorted(rows, key=lambda row: row.submitted_at)
        assert [row.reference for row in in_time_order] == sorted(row.reference for row in rows)


def test_submissions_fall_inside_their_call_and_drafts_have_no_reference(db, seeded):
    for app_row in db.session.scalars(select(Application)):
        if app_row.submitted_at is None:
            assert app_row.reference is None
            assert app_row.status in (ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN)
            continue
        assert app_row.reference is not None
        assert app_row.call.opens_at <= app_row.submitted_at < app_row.call.closes_at
        assert app_row.submitted_at <= utcnow()


def test_budget_lines_add_up_to_the_requested_amount_within_the_call_limits(db, seeded):
    totals = dict(db.session.execute(
        select(BudgetLine.application_id, func.sum(BudgetLine.amount_minor))
        .group_by(BudgetLine.application_id)).all())

    for app_row in db.session.scalars(select(Application)):
        if app_row.requested_amount_minor is None:
            assert app_row.id not in totals
            continue
        assert totals[app_row.id] == app_row.requested_amount_minor + (app_row.cofinancing_minor or 0)
        assert app_row.call.min_award_minor <= app_row.requested_amount_minor <= app_row.call.max_award_minor
        assert all(line.amount_minor > 0 for line in app_row.budget_lines)


def test_organisations_span_the_regions_with_derived_codes_and_members(db, seeded):
    organisations = db.session.scalars(select(Organisation)).all()

    assert len(organisations) >= 20
    for org in organisations:
        country = get_country(org.country)
        assert (org.region_code, org.subregion_code) == (country.region_code, country.subregion_code)
        assert 1 <= len(org.memberships) <= 2
        assert sum(m.role == "owner" for m in org.memberships) == 1
    subregions = {org.subregion_code for org in organisations}
    # Sub-Saharan and Northern Africa, Southern/South-eastern/Central/Western Asia,
    # Melanesia, Latin America and the Caribbean, Eastern Europe.
    assert {"202", "015", "034", "035", "143", "145", "054", "419", "151"} <= subregions
    assert any(org.publish_consent for org in organisations)
    assert any(not org.publish_consent for org in organisations)


def test_attachments_are_stored_files_matching_their_hash(db, seeded):
    attachments = db.session.scalars(select(Attachment)).all()

    assert attachments
    storage = get_storage()
    for attachment in attachments:
        with storage.open(attachment.stored_name) as handle:
            body = handle.read()
        assert body.startswith(b"%PDF-")
        assert hashlib.sha256(body).hexdigest() == attachment.sha256
        assert len(body) == attachment.size


def test_review_work_is_seeded_for_a_call_in_review_and_a_call_with_released_decisions(db, seeded):
    from cade.awards.models import Decision
    from cade.reviews.constants import ReviewStatus
    from cade.reviews.models import ConflictDeclaration, Review, ReviewerProfile, ReviewScore

    reviewers = db.session.scalars(select(User).join(ReviewerProfile, ReviewerProfile.user_id == User.id)).all()
    assert len(reviewers) >= 4 and all(user.has_role("reviewer") for user in reviewers)
    assert db.session.scalar(select(func.count()).select_from(ConflictDeclaration)
                             .where(ConflictDeclaration.has_conflict.is_(True))) >= 1
    statuses = set(db.session.scalars(select(Review.status)))
    assert statuses == {ReviewStatus.DRAFT, ReviewStatus.SUBMITTED}

    in_review = db.session.scalar(select(Call).where(Call.reference_prefix == "CADE-2025"))
    under_review = db.session.scalars(select(Application).where(
        Application.call_id == in_review.id, Application.status == ApplicationStatus.UNDER_REVIEW)).all()
    assert len(under_review) == 3
    assert not db.session.scalar(select(func.count()).select_from(Decision)
                                 .where(Decision.application_id.in_([a.id for a in under_review])))

    # Every released decision matches its application's status, and awards stay inside the envelope and limits.
    for call in db.session.scalars(select(Call).where(Call.reference_prefix.in_(["CADE-2025", "TRV-WSIS26"]))):
        decisions = db.session.scalars(select(Decision).where(Decision.call_id == call.id)).all()
        assert decisions and all(d.released_at is not None for d in decisions)
        expected = {"award": ApplicationStatus.AWARDED, "waitlist": ApplicationStatus.WAITLISTED,
                    "reject": ApplicationStatus.REJECTED}
        for decision in decisions:
            assert decision.application.status == expected[decision.outcome]
        awards = [d.amount_minor for d in decisions if d.outcome == "award"]
        assert sum(awards) <= call.budget_envelope_minor
        assert all(call.min_award_minor <= amount <= call.max_award_minor for amount in awards)

    # Submitted reviews score every criterion of their call within its maximum; drafts only some.
    for review in db.session.scalars(select(Review)):
        scores = db.session.scalars(select(ReviewScore).where(ReviewScore.review_id == review.id)).all()
        criteria = review.assignment.application.call.criteria
        assert all(0 <= s.score <= s.criterion.max_score for s in scores)
        if review.status == ReviewStatus.SUBMITTED:
            assert len(scores) == len(criteria) and review.recommendation
        else:
            assert len(scores) < len(criteria)
