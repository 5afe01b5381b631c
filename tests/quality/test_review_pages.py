"""The review and decision pages keep the product's qualities: under 60 KB with their assets in
every language, and a fixed number of queries whatever the number of applications."""

import pytest

from cade.reviews.models import Assignment
from tests.factories import ReviewerProfileFactory, UserFactory
from tests.quality.conftest import assert_pages_are_light, make_review_world


def _pages(call, applications, reviewer_assignment):
    reviewer = ["/review/", f"/review/assignments/{reviewer_assignment}", "/review/profile"]
    admin = ["/admin/reviewers", f"/admin/calls/{call.id}/review", f"/admin/calls/{call.id}/ranking",
             f"/admin/applications/{applications[0].id}/decision",
             f"/admin/applications/{applications[1].id}/decision"]
    applicant = [f"/applications/{applications[0].id}/decision"]
    return reviewer, admin, applicant


def _world(db, size, language="en"):
    reviewer = ReviewerProfileFactory(user__locale=language).user
    applicant = UserFactory(locale=language)
    call, applications = make_review_world(size, reviewer=reviewer, applicant=applicant)
    assignment = db.session.query(Assignment.id).filter_by(reviewer_id=reviewer.id).first()[0]
    admin = UserFactory(roles=["admin"], locale=language)
    return (reviewer, admin, applicant), _pages(call, applications, assignment)


@pytest.mark.parametrize("language", ["en", "fr", "es", "pt"])
def test_review_pages_stay_under_60_kb(db, client, login, language):
    people, pages = _world(db, 6, language)
    assert_pages_are_light(client, login, zip(people, pages, strict=True), language)


def test_review_pages_run_the_same_number_of_queries_as_the_call_grows(db, client, login, count_queries):
    counts = {}
    for size in (2, 8):
        people, pages = _world(db, size)
        for who, paths in zip(people, pages, strict=True):
            login(who)
            for index, path in enumerate(paths):
                response, queries = count_queries(client, "GET", path)
                assert response.status_code == 200, path
                counts.setdefault((who is people[0], who is people[1], index), []).append(queries)
    assert len(counts) == 9 and all(len(v) == 2 and v[0] > 2 for v in counts.values()), counts
    grown = {key: value for key, value in counts.items() if value[0] != value[1]}
    assert not grown, f"pages whose queries grow with the call (2 → 8 applications): {grown}"
