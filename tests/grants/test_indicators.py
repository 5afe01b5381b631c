"""Outcome indicators: a programme's list, the code locked once reported, a grant's targets and its progress."""

from decimal import Decimal

import pytest
from flask_babel import force_locale

from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.extensions import db as _db
from cade.grants import indicators as service
from cade.grants.constants import ReportKind, ReportStatus
from cade.grants.indicators import IndicatorInput, TargetsInput
from cade.grants.models import Indicator, IndicatorTarget
from cade.programmes.constants import ProgrammeKind
from tests.auditlog import audit_verbs
from tests.factories import CallFactory, MembershipFactory, ProgrammeFactory, UserFactory
from tests.grants.indicator_helpers import grant_in, indicator, report


def _input(**data):
    return IndicatorInput.from_input({"code": "people-connected", "label": "People connected", "unit": "people",
                                      **data})


def _errors(excinfo) -> dict:
    return {name: [str(m) for m in messages] for name, messages in excinfo.value.errors.items()}


# ---------------------------------------------------------------- the programme's list


def test_an_admin_adds_indicators_at_the_end_of_the_list(db, admin):
    programme = ProgrammeFactory()
    first = service.add_indicator(admin, programme.id, _input())
    second = service.add_indicator(admin, programme.id, _input(code="Sites-Connected", label="Sites connected",
                                                               unit="sites", evidence_required="y"))
    assert [(i.code, i.position, i.evidence_required) for i in service.indicators_of(programme.id)] == [
        ("people-connected", 0, False), ("sites-connected", 1, True)]  # the code is lower-cased
    assert audit_verbs(first) == ["indicator.added"] and audit_verbs(second) == ["indicator.added"]


def test_every_bad_field_is_named_at_once(db):
    with pytest.raises(ValidationFailed) as excinfo:
        IndicatorInput.from_input({"code": "people connected!", "label": "", "unit": "x" * 61})
    assert set(excinfo.value.errors) == {"code", "label", "unit"}
    with pytest.raises(ValidationFailed) as excinfo:
        IndicatorInput.from_input({"code": "", "label": "People", "unit": "people"})
    assert "Enter a code" in _errors(excinfo)["code"][0]


def test_a_code_is_unique_in_its_programme_but_not_across_programmes(db, admin):
    programme, other = ProgrammeFactory(), ProgrammeFactory()
    service.add_indicator(admin, programme.id, _input())
    with pytest.raises(ValidationFailed) as excinfo:
        service.add_indicator(admin, programme.id, _input(label="Another"))
    assert _errors(excinfo) == {"code": ["This programme already has an indicator with this code."]}
    service.add_indicator(admin, other.id, _input())
    assert len(service.indicators_of(other.id)) == 1


def test_only_admins_change_indicators_and_unknown_ids_are_not_found(db, admin):
    programme = ProgrammeFactory()
    with pytest.raises(PermissionDenied):
        service.add_indicator(UserFactory(), programme.id, _input())
    with pytest.raises(NotFound):
        service.add_indicator(admin, 999_999, _input())
    with pytest.raises(NotFound):
        service.retire_indicator(admin, 999_999)


def test_the_code_cannot_change_once_a_report_gave_a_value(db, admin):
    call = CallFactory()
    people = indicator(call.programme, "people-connected")
    grant = grant_in(call)
    edited = service.edit_indicator(admin, people.id, _input(code="people", label="People reached"))
    assert (edited.code, edited.label) == ("people", "People reached")  # no value yet: the code may change

    report(grant, status=ReportStatus.DRAFT, values={people: 10})  # even a draft's value carries the code
    with pytest.raises(ValidationFailed) as excinfo:
        service.edit_indicator(admin, people.id, _input(code="people-2"))
    assert "cannot change" in _errors(excinfo)["code"][0]
    kept = service.edit_indicator(admin, people.id, _input(code="people", label="People online", unit="persons"))
    assert (kept.code, kept.label, kept.unit) == ("people", "People online", "persons")
    assert audit_verbs(people) == ["indicator.edited", "indicator.edited"]


def test_editing_to_another_indicators_code_is_refused(db, admin):
    programme = ProgrammeFactory()
    indicator(programme, "people-connected")
    sites = indicator(programme, "sites-connected", position=1)
    with pytest.raises(ValidationFailed) as excinfo:
        service.edit_indicator(admin, sites.id, _input())
    assert "already has an indicator" in _errors(excinfo)["code"][0]


def test_retiring_keeps_the_values_and_hides_the_indicator_from_the_active_list(db, admin):
    call = CallFactory()
    people = indicator(call.programme, "people-connected")
    grant = grant_in(call)
    report(grant, values={people: 40})
    service.retire_indicator(admin, people.id)
    assert service.indicators_of(call.programme.id) == []
    assert service.indicators_of(call.programme.id, active_only=False) == [people]
    [progress] = service.grant_progress(grant)  # retired, but it has an approved value: still shown
    assert progress.achieved == Decimal("40.00")
    with pytest.raises(InvalidTransition):
        service.retire_indicator(admin, people.id)
    service.restore_indicator(admin, people.id)
    assert audit_verbs(people) == ["indicator.retired", "indicator.restored"]


def test_moving_swaps_with_the_neighbour_and_keeps_positions_dense(db, admin):
    programme = ProgrammeFactory()
    a, b, c = (indicator(programme, code, position=p) for p, code in enumerate(("a", "b", "c")))
    service.move_indicator(admin, c.id, "up")
    assert [i.code for i in service.indicators_of(programme.id)] == ["a", "c", "b"]
    service.move_indicator(admin, a.id, "up")  # already first: nothing moves
    assert [(i.code, i.position) for i in service.indicators_of(programme.id)] == [("a", 0), ("c", 1), ("b", 2)]
    with pytest.raises(ValidationFailed):
        service.move_indicator(admin, a.id, "sideways")
    assert audit_verbs(c) == ["indicator.moved"]


def test_suggested_indicators_per_programme_kind_are_added_once(db, admin):
    networks = ProgrammeFactory(kind=ProgrammeKind.COMMUNITY_NETWORK)
    capacity = ProgrammeFactory(kind=ProgrammeKind.CAPACITY_DEVELOPMENT)
    travel = ProgrammeFactory(kind=ProgrammeKind.TRAVEL_SUPPORT)
    assert [s.code for s in service.default_indicators(ProgrammeKind.COMMUNITY_NETWORK)] == [
        "networks", "people-connected", "sites-connected", "operators-trained"]
    assert service.default_indicators("unknown") == []

    indicator(networks, "people-connected", label="People online")  # already there: kept as it is
    added = service.add_suggested_indicators(admin, networks.id)
    assert [i.code for i in added] == ["networks", "sites-connected", "operators-trained"]
    assert service.add_suggested_indicators(admin, networks.id) == []
    labels = [i.label for i in service.add_suggested_indicators(admin, capacity.id)]
    assert labels == ["Staff trained", "Policy submissions made", "International processes engaged in"]
    assert service.add_suggested_indicators(admin, travel.id) == []


# ---------------------------------------------------------------- targets and progress


def test_targets_are_read_in_the_readers_locale_and_blank_removes_one(db, app, admin):
    call = CallFactory()
    people = indicator(call.programme, "people-connected")
    sites = indicator(call.programme, "sites-connected", position=1)
    grant = grant_in(call)
    with app.test_request_context(), force_locale("fr"):
        command = TargetsInput.from_form({f"target-{people.id}": "1 250,5", f"target-{sites.id}": "12"},
                                         [people.id, sites.id])
    assert service.set_targets(admin, grant.id, command) == {people.id: Decimal("1250.50"), sites.id: Decimal("12")}
    command = TargetsInput.from_input({"targets": {people.id: "1300", sites.id: ""}}, locale="en")
    assert service.set_targets(admin, grant.id, command) == {people.id: Decimal("1300")}
    assert _db.session.query(IndicatorTarget).count() == 1
    assert audit_verbs(grant) == ["grant.targets_set", "grant.targets_set"]


@pytest.mark.parametrize(("typed", "message"), [
    ("-3", "Enter a target of zero or more."),
    ("abc", "Enter a number."),
    ("1.234", "Use at most two decimals."),
    ("12345678901234567890", "This number is too large."),
    ("99999999999999999", "This number is too large."),
])
def test_a_bad_target_is_named_by_its_input(db, typed, message):
    with pytest.raises(ValidationFailed) as excinfo:
        TargetsInput.from_input({"targets": {7: typed, 8: "5"}}, locale="en")
    assert _errors(excinfo) == {"target-7": [message]}


def test_targets_only_for_active_indicators_of_the_grants_programme(db, admin):
    call = CallFactory()
    retired = indicator(call.programme, "old", active=False)
    elsewhere = indicator(ProgrammeFactory(), "people-connected")
    grant = grant_in(call)
    command = TargetsInput.from_input({"targets": {retired.id: "5", elsewhere.id: "5"}}, locale="en")
    with pytest.raises(ValidationFailed) as excinfo:
        service.set_targets(admin, grant.id, command)
    assert set(_errors(excinfo)) == {f"target-{retired.id}", f"target-{elsewhere.id}"}
    with pytest.raises(NotFound):
        service.set_targets(admin, 999_999, TargetsInput())
    with pytest.raises(PermissionDenied):
        service.set_targets(UserFactory(), grant.id, TargetsInput())


def test_progress_adds_up_the_values_of_approved_reports_only(db, admin):
    call = CallFactory()
    people = indicator(call.programme, "people-connected")
    sites = indicator(call.programme, "sites-connected", position=1)
    indicator(call.programme, "operators-trained", position=2)
    indicator(call.programme, "gone", position=3, active=False)  # retired, nothing reported: not shown
    grant, other = grant_in(call), grant_in(call)
    service.set_targets(admin, grant.id, TargetsInput.from_input(
        {"targets": {people.id: "200", sites.id: "0"}}, locale="en"))
    report(grant, ReportKind.INTERIM, values={people: 120, sites: 2})
    report(grant, ReportKind.FINAL, status=ReportStatus.SUBMITTED, values={people: 500})  # not approved yet
    report(other, values={people: 1000})  # another grant's

    progress = {p.indicator.code: p for p in service.grant_progress(grant)}
    assert list(progress) == ["people-connected", "sites-connected", "operators-trained"]
    assert (progress["people-connected"].target, progress["people-connected"].achieved,
            progress["people-connected"].share) == (Decimal("200"), Decimal("120.00"), Decimal("0.6000"))
    assert (progress["sites-connected"].achieved, progress["sites-connected"].share) == (Decimal("2.00"), None)
    assert (progress["operators-trained"].target, progress["operators-trained"].achieved) == (None, Decimal("0.00"))


def test_progress_runs_a_fixed_number_of_queries(db):
    from tests.querycount import count_statements

    call = CallFactory()
    items = [indicator(call.programme, f"i{n}", position=n) for n in range(6)]
    grant = grant_in(call)
    _db.session.commit()
    _, few = count_statements(lambda: service.grant_progress(grant))
    report(grant, values={item: 3 for item in items})
    report(grant, ReportKind.FINAL, values={item: 4 for item in items})
    _db.session.commit()
    result, many = count_statements(lambda: service.grant_progress(grant))
    assert many == few <= 4 and all(p.achieved == Decimal("7.00") for p in result)


# ---------------------------------------------------------------- pages


def test_the_programme_page_is_for_admins_only(db, client, login):
    programme = ProgrammeFactory()
    url = f"/admin/programmes/{programme.id}/indicators"
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page
    member = UserFactory()
    MembershipFactory(user=member)
    login(member)
    assert client.get(url).status_code == 404
    assert client.post(f"{url}/suggested").status_code == 404
    assert Indicator.query.count() == 0


def test_an_admin_adds_edits_moves_and_retires_without_javascript(db, client, login, admin):
    programme = ProgrammeFactory(name="Community networks")
    url = f"/admin/programmes/{programme.id}/indicators"
    login(admin)
    page = client.get(url).get_data(as_text=True)
    assert "Add the suggested indicators" in page and '<label for="code"' in page

    response = client.post(url, data={"code": "people-connected", "label": "People connected", "unit": "people"})
    assert response.status_code == 302
    client.post(url, data={"code": "sites", "label": "Sites connected", "unit": "sites"})
    people, sites = service.indicators_of(programme.id)
    client.post(f"{url}/{sites.id}/move", data={"direction": "up"})
    assert [i.code for i in service.indicators_of(programme.id)] == ["sites", "people-connected"]

    response = client.post(f"{url}/{sites.id}/edit", data={"code": "sites-connected", "label": "Sites online",
                                                           "unit": "sites", "evidence_required": "y"})
    assert response.status_code == 302
    _db.session.refresh(sites)
    assert (sites.code, sites.label, sites.evidence_required) == ("sites-connected", "Sites online", True)

    response = client.post(f"{url}/{people.id}/retire", follow_redirects=True)
    assert "retired" in response.get_data(as_text=True)
    assert [i.code for i in service.indicators_of(programme.id)] == ["sites-connected"]


def test_a_refused_indicator_keeps_what_was_typed_with_the_error_beside_the_field(db, client, login, admin):
    programme = ProgrammeFactory()
    indicator(programme, "people-connected")
    _db.session.commit()
    login(admin)
    url = f"/admin/programmes/{programme.id}/indicators"
    response = client.post(url, data={"code": "people-connected", "label": "Typed label", "unit": "persons"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="error-summary"' in page and 'href="#code"' in page
    assert "This programme already has an indicator with this code." in page
    assert 'value="Typed label"' in page and 'value="persons"' in page

    response = client.post(url, data={"code": "Bad code!", "label": "Typed label", "unit": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'href="#code"' in page and 'href="#unit"' in page
    assert 'value="Bad code!"' in page


def test_the_suggested_indicators_are_added_in_one_click(db, client, login, admin):
    programme = ProgrammeFactory(kind=ProgrammeKind.CAPACITY_DEVELOPMENT)
    login(admin)
    response = client.post(f"/admin/programmes/{programme.id}/indicators/suggested", follow_redirects=True)
    assert "3 suggested indicators added" in response.get_data(as_text=True)
    assert len(service.indicators_of(programme.id)) == 3


def test_another_programmes_indicator_by_id_is_not_found(db, client, login, admin):
    programme, other = ProgrammeFactory(), ProgrammeFactory()
    foreign = indicator(other, "people-connected")
    _db.session.commit()
    login(admin)
    base = f"/admin/programmes/{programme.id}/indicators/{foreign.id}"
    assert client.get(f"{base}/edit").status_code == 404
    assert client.post(f"{base}/retire").status_code == 404
    assert client.get("/admin/programmes/999999/indicators").status_code == 404
    _db.session.refresh(foreign)
    assert foreign.active


def test_an_admin_sets_a_grants_targets_and_sees_its_progress(db, client, login, admin):
    call = CallFactory()
    people = indicator(call.programme, "people-connected", label="People connected")
    sites = indicator(call.programme, "sites-connected", label="Sites connected", position=1)
    grant = grant_in(call)
    report(grant, values={people: 50})
    _db.session.commit()
    url = f"/admin/grants/{grant.id}/indicators"
    login(admin)
    response = client.post(url, data={f"target-{people.id}": "200", f"target-{sites.id}": "-1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and f'href="#target-{sites.id}"' in page
    assert 'value="200"' in page and 'value="-1"' in page  # nothing typed is lost
    assert _db.session.query(IndicatorTarget).count() == 0

    response = client.post(url, data={f"target-{people.id}": "200", f"target-{sites.id}": ""})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "People connected" in page and "25%" in page.replace("\u00a0", "").replace(" ", "")


def test_grant_targets_page_is_for_admins_only(db, client, login):
    call = CallFactory()
    grant = grant_in(call)
    owner = UserFactory()
    MembershipFactory(user=owner, organisation=grant.organisation)
    _db.session.commit()
    login(owner)
    assert client.get(f"/admin/grants/{grant.id}/indicators").status_code == 404
    assert client.get("/admin/grants/999999/indicators").status_code == 404


def test_the_indicator_pages_run_a_fixed_number_of_queries(db, client, login, admin):
    from tests.querycount import count_statements

    call = CallFactory()
    grant = grant_in(call)
    indicator(call.programme, "first")
    _db.session.commit()
    login(admin)
    pages = [f"/admin/programmes/{call.programme.id}/indicators", f"/admin/grants/{grant.id}/indicators"]

    def counts():
        found = {}
        for page in pages:
            response, count = count_statements(lambda page=page: client.get(page))
            assert response.status_code == 200, page
            found[page] = count
        return found

    few = counts()
    items = [indicator(call.programme, f"more-{n}", position=n + 1) for n in range(8)]
    report(grant, values={item: 2 for item in items})
    _db.session.commit()
    assert counts() == few
