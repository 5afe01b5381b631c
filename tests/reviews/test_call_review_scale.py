"""The admin's review page of a call as the pool and the call grow: a fixed number of statements, a few reviewers
offered once for the whole page whatever the size of the pool, the conflicts found from the page's applications,
and every assignment typed or picked checked when it is posted (issue 18)."""

import pytest
from sqlalchemy import func, insert, select

from cade.accounts.models import User, UserRole
from cade.applications.constants import ApplicationStatus
from cade.core.errors import NotFound
from cade.extensions import db as _db
from cade.reviews.models import Assignment, ConflictDeclaration, ReviewerProfile
from cade.reviews.services.assignment import (
    PAGE_SIZE,
    SUGGESTED_REVIEWERS,
    reviewer_from_input,
    suggested_reviewers,
)
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    MembershipFactory,
    ReviewerProfileFactory,
    UserFactory,
)
from tests.querycount import count_statements

# SQLAlchemy sends a selectin load in batches of 500 ids: past that, a pool read as ORM objects needs more statements.
BEYOND_A_SELECTIN_BATCH = 520


@pytest.fixture()
def call(db):
    return CallFactory(closed=True, title="Mesh call", reviews_required=2)


@pytest.fixture()
def application(call):
    return ApplicationFactory(call=call, submitted=True, title="Village mesh")


def page_of(call, page: int = 1) -> str:
    return f"/admin/calls/{call.id}/review?page={page}"


def add_reviewers(n: int, *, prefix: str = "bulk") -> list[int]:
    """`n` reviewers of the pool (account, role, profile) in three statements: the factories would take minutes."""
    hashed = UserFactory().password_hash
    ids = list(_db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), [
        {"email": f"{prefix}{n}.{index}@reviewers.example", "name": f"{prefix.title()} Reviewer {index:04d}",
         "password_hash": hashed, "locale": "en", "timezone": "UTC"} for index in range(n)]))
    _db.session.execute(insert(UserRole), [{"user_id": user_id, "role": "reviewer"} for user_id in ids])
    _db.session.execute(insert(ReviewerProfile), [
        {"user_id": user_id, "expertise": [], "languages": ["en"], "regions": [], "max_load": 5} for user_id in ids])
    _db.session.commit()
    return ids


def grow_call(call, n: int) -> None:
    """`n` more applications under review, each with a member, an assignment and a declared conflict."""
    for _ in range(n):
        application = ApplicationFactory(call=call, submitted=True, status=ApplicationStatus.UNDER_REVIEW)
        MembershipFactory(organisation=application.organisation)
        assignment = AssignmentFactory(application=application)
        _db.session.add(ConflictDeclaration(application_id=application.id, reviewer_id=assignment.reviewer_id,
                                            has_conflict=False))
    _db.session.commit()


def statements(client, path) -> int:
    response, sent = count_statements(lambda: client.get(path))
    assert response.status_code == 200
    return sent


# --- the page as the data grows ---------------------------------------------------------------------------------


def test_the_page_runs_the_same_statements_with_more_applications_and_a_larger_pool(client, login, admin, call):
    grow_call(call, 2)
    add_reviewers(3)
    login(admin)
    small = statements(client, page_of(call))

    grow_call(call, PAGE_SIZE)  # a full page, and a second one
    add_reviewers(BEYOND_A_SELECTIN_BATCH)
    large = statements(client, page_of(call))

    assert small == large
    assert statements(client, page_of(call, 2)) == large


def offered(html: str) -> list[str]:
    """The options of the page's one list of reviewers, as the field receives them."""
    listed = html.split('<datalist id="pool-reviewers">')[1].split("</datalist>")[0]
    return [option.split('"')[0] for option in listed.split('<option value="')[1:]]


def test_the_page_offers_a_few_reviewers_once_whatever_the_size_of_the_pool(client, login, admin, call):
    grow_call(call, 6)
    ids = add_reviewers(SUGGESTED_REVIEWERS + BEYOND_A_SELECTIN_BATCH)
    login(admin)

    html = client.get(page_of(call)).text

    assert len(offered(html)) == SUGGESTED_REVIEWERS
    assert html.count("<datalist") == 1 and html.count('list="pool-reviewers"') == 7  # 6 rows and the bulk form
    last = _db.session.get(User, ids[-1])
    assert last.email not in html  # the others are typed, not shipped with every page
    assert "<select" not in html.split('id="applications"')[1].split('id="conflicts"')[0]
    assert 'href="/admin/reviewers"' in html  # where the whole pool is listed


def test_a_reviewer_left_out_of_the_list_is_assigned_by_their_address(client, login, admin, call, application):
    ids = add_reviewers(SUGGESTED_REVIEWERS + 5)
    login(admin)
    last = _db.session.get(User, ids[-1])
    assert last.email not in client.get(page_of(call)).text

    response = client.post(f"/admin/applications/{application.id}/assignments",
                           data={f"a{application.id}-reviewer": last.email})

    assert response.status_code == 302
    assert _db.session.scalar(select(Assignment.reviewer_id)) == last.id


def test_the_list_offers_the_reviewers_with_the_most_room_in_one_query(call, application):
    other_call = CallFactory(closed=True)
    busy = ReviewerProfileFactory(user__name="Bea Busy", max_load=3).user
    full = ReviewerProfileFactory(user__name="Fay Full", max_load=1).user
    ReviewerProfileFactory(user__name="Al Idle")
    AssignmentFactory(application=application, reviewer=busy)
    AssignmentFactory(application=application, reviewer=full)
    AssignmentFactory(application=ApplicationFactory(call=call, submitted=True), reviewer=busy)
    AssignmentFactory(application=ApplicationFactory(call=other_call, submitted=True), reviewer=busy)
    ReviewerProfileFactory(user__name="Dee Deactivated", user__active=False)
    ReviewerProfileFactory(user__name="Rory Revoked", user__roles=[])  # a profile kept after the role went
    UserFactory(name="Nat Noprofile", roles=["reviewer"])
    add_reviewers(BEYOND_A_SELECTIN_BATCH)
    for reviewer_id in add_reviewers(SUGGESTED_REVIEWERS, prefix="loaded"):  # one application each: after Al
        AssignmentFactory(application=application, reviewer=_db.session.get(User, reviewer_id))
    call_id = call.id
    _db.session.expire_all()

    few, sent = count_statements(lambda: suggested_reviewers(call_id))
    assert sent == 1
    assert len(few) == SUGGESTED_REVIEWERS
    assert few[0].name == "Al Idle" and few[0].load == 0  # then the bulk reviewers, all idle, by name
    assert [reviewer.name for reviewer in few[1:]] == sorted(reviewer.name for reviewer in few[1:])

    everyone = suggested_reviewers(call_id, limit=10_000)
    named = {reviewer.name: reviewer for reviewer in everyone}
    assert named["Bea Busy"].load == 2 and named["Bea Busy"].max_load == 3  # the other call's does not count
    assert [reviewer.load for reviewer in everyone] == sorted(reviewer.load for reviewer in everyone)
    assert not {"Fay Full", "Dee Deactivated", "Rory Revoked", "Nat Noprofile"} & set(named)
    assert len(everyone) == 2 + BEYOND_A_SELECTIN_BATCH + SUGGESTED_REVIEWERS


def row_of(html: str, application) -> str:
    return html.split(f'id="application-{application.id}"')[1].split("</tr>")[0]


def test_a_row_names_a_few_reviewers_in_conflict_and_counts_the_others(client, login, admin, call, application):
    for n in range(7):
        MembershipFactory(organisation=application.organisation,
                          user=ReviewerProfileFactory(user__name=f"Member {n}").user)
    login(admin)

    row = row_of(client.get(page_of(call)).text, application)

    assert "7 reviewers in conflict" in row and "and 2 others" in row
    assert [f"Member {n} is a member of the applicant organisation." in row for n in range(7)] == [True] * 5 + [False] * 2


def test_a_row_counts_members_and_declared_conflicts_of_the_pool_once_each(client, login, admin, call, application):
    organisation = application.organisation
    both = ReviewerProfileFactory(user__name="Bo Both").user  # a member who declared too: one conflict, declared
    MembershipFactory(organisation=organisation, user=both)
    declared = ReviewerProfileFactory(user__name="Cy Cousin").user
    for reviewer in (both, declared):
        _db.session.add(ConflictDeclaration(application_id=application.id, reviewer_id=reviewer.id,
                                            has_conflict=True, reason="Family"))
    MembershipFactory(organisation=organisation, user=ReviewerProfileFactory(user__active=False).user)
    MembershipFactory(organisation=organisation)  # a member who does not review
    other = ApplicationFactory(call=call, submitted=True)
    MembershipFactory(organisation=other.organisation, user=both)
    _db.session.commit()
    login(admin)

    html = client.get(page_of(call)).text

    row = row_of(html, application).replace("&#39;", "'")
    assert "2 reviewers in conflict" in row
    assert "Bo Both has declared a conflict of interest with this application." in row
    assert "Cy Cousin has declared a conflict of interest with this application." in row
    assert "Bo Both is a member" not in row
    assert "Bo Both is a member of the applicant organisation." in row_of(html, other)


def test_a_shared_email_domain_is_found_when_the_assignment_is_posted(client, login, admin, call, application):
    MembershipFactory(organisation=application.organisation, user__email="director@mesh.example")
    colleague = ReviewerProfileFactory(user__name="Col League", user__email="colleague@mesh.example").user
    login(admin)
    assert "in conflict" not in row_of(client.get(page_of(call)).text, application)  # not read from the pool

    response = client.post(f"/admin/applications/{application.id}/assignments",
                           data={f"a{application.id}-reviewer": colleague.email})

    assert response.status_code == 400
    field = response.text.split(f'id="a{application.id}-reviewer"')[1].split("</div>")[0]
    assert "Col League shares an e-mail domain with a member of the applicant organisation." in field
    assert _db.session.scalar(select(func.count()).select_from(Assignment)) == 0


def test_an_empty_pool_is_said_so(client, login, admin, call, application):
    login(admin)
    html = client.get(page_of(call)).text
    assert "The reviewer pool is empty." in html and '<datalist id="pool-reviewers"></datalist>' in html


def test_a_pool_with_no_room_left_is_said_so(client, login, admin, call, application):
    AssignmentFactory(application=application, reviewer=ReviewerProfileFactory(max_load=1).user)
    login(admin)
    html = client.get(page_of(call)).text
    assert "Every reviewer of the pool has reached their maximum in this call." in html
    assert "The reviewer pool is empty." not in html and '<datalist id="pool-reviewers"></datalist>' in html


# --- what the reviewer field accepts ----------------------------------------------------------------------------


def test_the_reviewer_field_reads_a_suggestion_an_address_or_a_unique_name(db):
    rita = ReviewerProfileFactory(user__name="Rita Reviewer", user__email="rita@reviewers.example").user
    assert reviewer_from_input(f"Rita Reviewer <{rita.email}>") == rita.id
    assert reviewer_from_input("  RITA@Reviewers.example ") == rita.id
    assert reviewer_from_input("rita   reviewer") == rita.id
    applicant = UserFactory(email="applicant@example.org")
    assert reviewer_from_input("applicant@example.org") == applicant.id  # the assignment says they are not a reviewer


@pytest.mark.parametrize("typed, message", [
    ("Nobody Known", "No reviewer in the pool is called Nobody Known: choose one from the list"),
    ("Sam Same", "Several reviewers are called Sam Same: type the e-mail address of the one you mean"),
    ("Dee Deactivated", "No reviewer in the pool is called Dee Deactivated"),
    ("Nobody <nobody@nowhere.example>", "No account has the e-mail address nobody@nowhere.example."),
    ("<>", "No reviewer in the pool is called"),
])
def test_a_reviewer_field_that_names_nobody_or_several_is_refused(db, typed, message):
    ReviewerProfileFactory(user__name="Sam Same")
    ReviewerProfileFactory(user__name="Sam Same")
    ReviewerProfileFactory(user__name="Dee Deactivated", user__active=False)
    with pytest.raises(NotFound) as refused:
        reviewer_from_input(typed)
    assert message in str(refused.value)


# --- assigning from the shared list or by typing -------------------------------------------------------------


def test_assigning_by_a_unique_name_typed_without_the_list(client, login, admin, application):
    rita = ReviewerProfileFactory(user__name="Rita Reviewer").user
    login(admin)
    response = client.post(f"/admin/applications/{application.id}/assignments",
                           data={f"a{application.id}-reviewer": "rita reviewer"})
    assert response.status_code == 302
    assert _db.session.scalar(select(Assignment.reviewer_id)) == rita.id


@pytest.mark.parametrize("case", ["conflict", "full", "already", "not_a_reviewer", "ambiguous"])
def test_a_reviewer_who_may_not_take_the_application_is_refused_beside_the_field(client, login, admin, call,
                                                                                 application, case):
    reviewer = ReviewerProfileFactory(user__name="Rita Reviewer", max_load=1).user
    typed = f"Rita Reviewer <{reviewer.email}>"
    expected = {
        "conflict": "Rita Reviewer has declared a conflict of interest with this application.",
        "full": "Rita Reviewer already has 1 application in this call, their maximum.",
        "already": "Rita Reviewer is already assigned to this application.",
        "not_a_reviewer": "Appy Applicant is not in the reviewer pool.",
        "ambiguous": "Several reviewers are called Rita Reviewer: type the e-mail address",
    }[case]
    if case == "conflict":
        _db.session.add(ConflictDeclaration(application_id=application.id, reviewer_id=reviewer.id,
                                            has_conflict=True, reason="My cousin runs it"))
    elif case == "full":
        AssignmentFactory(application=ApplicationFactory(call=call, submitted=True), reviewer=reviewer)
    elif case == "already":
        AssignmentFactory(application=application, reviewer=reviewer)
    elif case == "not_a_reviewer":
        typed = MembershipFactory(user__name="Appy Applicant").user.email
    else:
        ReviewerProfileFactory(user__name="Rita Reviewer")
        typed = "Rita Reviewer"
    _db.session.commit()
    before = _db.session.scalar(select(func.count()).select_from(Assignment))
    login(admin)

    response = client.post(f"/admin/applications/{application.id}/assignments",
                           data={f"a{application.id}-reviewer": typed})

    assert response.status_code == 400
    field = response.text.split(f'id="a{application.id}-reviewer"')[1].split("</div>")[0]
    assert expected in field.replace("&#39;", "'")  # the message beside the field …
    assert f'value="{typed}"'.replace("<", "&lt;").replace(">", "&gt;") in response.text  # … and what was typed
    _db.session.expire_all()
    assert _db.session.scalar(select(func.count()).select_from(Assignment)) == before


def test_bulk_assignment_takes_a_typed_reviewer_and_keeps_both_on_an_error(client, login, admin, call):
    rita = ReviewerProfileFactory(user__name="Rita Reviewer").user
    first, second = (ApplicationFactory(call=call, submitted=True) for _ in range(2))
    login(admin)

    refused = client.post(f"/admin/calls/{call.id}/assignments",
                          data={"reviewer": "Rita Revieweer", "application_ids": [first.id, second.id]})
    assert refused.status_code == 400 and "No reviewer in the pool is called Rita Revieweer" in refused.text
    assert 'value="Rita Revieweer"' in refused.text
    for application in (first, second):
        assert f'value="{application.id}" id="pick-{application.id}"\n                 checked' in refused.text

    done = client.post(f"/admin/calls/{call.id}/assignments",
                       data={"reviewer": f"Rita Reviewer <{rita.email}>", "application_ids": [first.id, second.id]})
    assert done.status_code == 302
    assert set(_db.session.scalars(select(Assignment.application_id).where(Assignment.reviewer_id == rita.id))) == {
        first.id, second.id}
