"""Representation targets as an administrator sets them: the command, the service, the page, and the summary."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cade.accounts.models import User
from cade.core.audit import AuditEvent
from cade.core.errors import NotFound, PermissionDenied, ValidationFailed
from cade.extensions import db as _db
from cade.reports.models import RepresentationTarget
from cade.reports.services.summary import FundingSummaryInput, funding_summary
from cade.reports.services.targets import TargetInput, delete_target, set_target
from tests.concurrency import run_side_by_side
from tests.factories import ProgrammeFactory, UserFactory
from tests.querycount import count_statements
from tests.reports.test_summary import fixture  # noqa: F401  (the hand-computed fixture)

AFRICA = {"dimension": "region", "value": "002", "target_percent": "30", "baseline_percent": "8",
          "baseline_source": "IGF participation"}


def _command(locale: str = "en", **data) -> TargetInput:
    return TargetInput.from_input({**AFRICA, **data}, locale=locale)


def _refusal(locale: str = "en", **data) -> dict:
    with pytest.raises(ValidationFailed) as caught:
        _command(locale, **data)
    return caught.value.errors


def _events() -> list[AuditEvent]:
    return list(_db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "RepresentationTarget")
                                    .order_by(AuditEvent.id)))


def _targets() -> list[RepresentationTarget]:
    _db.session.expire_all()
    return list(_db.session.scalars(select(RepresentationTarget).order_by(RepresentationTarget.id)))


@pytest.fixture()
def programme(db):
    return ProgrammeFactory(name="CADE")


# -- the command ----------------------------------------------------------------------------------------


def test_a_percentage_is_kept_as_a_fraction(db):
    command = _command()
    assert (command.dimension, command.value) == ("region", "002")
    assert (command.target_share, command.baseline_share) == (Decimal("0.3000"), Decimal("0.0800"))
    assert command.baseline_source == "IGF participation"


@pytest.mark.parametrize("locale, typed, share", [
    ("en", "30 %", "0.3000"), ("en", "30%", "0.3000"), ("en", "12.5", "0.1250"), ("en", " 100 ", "1.0000"),
    ("fr", "12,5", "0.1250"), ("fr", "12,5\u202f%", "0.1250"), ("fr", "12,25 %", "0.1225"), ("fr", "30", "0.3000"),
    ("pt", "7,5", "0.0750"),
])
def test_a_percentage_is_read_as_the_reader_types_it(db, locale, typed, share):
    assert _command(locale, target_percent=typed).target_share == Decimal(share)


def test_a_number_the_command_is_handed_is_a_percentage_too(db):
    assert _command(target_percent=Decimal("20"), baseline_percent=7).baseline_share == Decimal("0.0700")


@pytest.mark.parametrize("typed", ["0", "-5", "100.5", "150", "abc", "", None, "12,5", "12.345", "1e400", "NaN"])
def test_a_target_above_zero_and_at_most_100_percent_with_two_decimals(db, typed):
    # "12,5" in English is not twelve and a half: the comma groups thousands there.
    assert set(_refusal(target_percent=typed)) == {"target_percent"}


@pytest.mark.parametrize("typed", ["-1", "100.01", "eight"])
def test_a_baseline_from_0_to_100_percent(db, typed):
    assert set(_refusal(baseline_percent=typed)) == {"baseline_percent"}


def test_a_baseline_of_zero_is_a_baseline(db):
    assert _command(baseline_percent="0").baseline_share == Decimal("0.0000")


def test_a_baseline_needs_its_source_and_a_source_its_baseline(db):
    assert set(_refusal(baseline_source="  ")) == {"baseline_source"}
    assert set(_refusal(baseline_percent="")) == {"baseline_percent"}
    no_baseline = _command(baseline_percent="", baseline_source="")
    assert (no_baseline.baseline_share, no_baseline.baseline_source) == (None, None)


def test_a_source_of_at_most_300_characters(db):
    assert set(_refusal(baseline_source="x" * 301)) == {"baseline_source"}
    assert _command(baseline_source="x" * 300).baseline_source == "x" * 300


@pytest.mark.parametrize("dimension, value", [
    ("region", "419"),                     # Latin America and the Caribbean is a sub-region in M49
    ("region", "999"),
    ("subregion", "002"),                  # Africa is a region
    ("subregion", "029"),                  # the Caribbean is an intermediate region: no snapshot holds it
    ("stakeholder_group", "funders"),
    ("stakeholder_group", "002"),
    ("country_list", "none"),
    ("country_list", "OECD"),
    ("region", ""),
])
def test_a_value_must_belong_to_its_dimension(db, dimension, value):
    assert set(_refusal(dimension=dimension, value=value)) == {"value"}


@pytest.mark.parametrize("dimension", ["country", "organisation_type", "", "region; drop"])
def test_only_the_target_dimensions_are_offered(db, dimension):
    # The value is not judged against a dimension that is not one: one error, on the dimension.
    assert set(_refusal(dimension=dimension)) == {"dimension"}


@pytest.mark.parametrize("dimension, value, kept", [
    ("region", "2", "002"), ("subregion", "419", "419"), ("stakeholder_group", "technical_community",
                                                         "technical_community"),
    ("country_list", "sids", "SIDS"), ("country_list", "LDC", "LDC"),
])
def test_every_kind_of_group_is_accepted(db, dimension, value, kept):
    assert _command(dimension=dimension, value=value).value == kept


def test_every_bad_field_is_named_at_once(db):
    errors = _refusal(value="999", target_percent="0", baseline_percent="101", baseline_source="x" * 301)
    assert set(errors) == {"value", "target_percent", "baseline_percent", "baseline_source"}


# -- the service ----------------------------------------------------------------------------------------


def test_an_admin_sets_a_target_and_it_is_audited(db, admin, programme):
    target, created = set_target(admin, programme.id, _command())
    db.session.commit()

    assert created
    [stored] = _targets()
    assert (stored.programme_id, stored.dimension, stored.value) == (programme.id, "region", "002")
    assert (stored.target_share, stored.baseline_share, stored.baseline_source) == (
        Decimal("0.3000"), Decimal("0.0800"), "IGF participation")
    [event] = _events()
    assert (event.verb, event.actor_id, event.object_id, event.before) == (
        "representation_target.created", admin.id, target.id, None)
    assert event.after == {"programme_id": programme.id, "dimension": "region", "value": "002",
                           "target_share": "0.3000", "baseline_share": "0.0800",
                           "baseline_source": "IGF participation"}


def test_setting_a_group_again_updates_its_target(db, admin, programme):
    first, _created = set_target(admin, programme.id, _command())
    again, created = set_target(admin, programme.id, _command(target_percent="35", baseline_percent="",
                                                             baseline_source=""))
    db.session.commit()

    assert not created and again.id == first.id
    [stored] = _targets()
    assert (stored.target_share, stored.baseline_share, stored.baseline_source) == (Decimal("0.3500"), None, None)
    created_event, updated = _events()
    assert (created_event.verb, updated.verb) == ("representation_target.created", "representation_target.updated")
    assert updated.before == {"target_share": "0.3000", "baseline_share": "0.0800",
                              "baseline_source": "IGF participation"}
    assert updated.after == {"target_share": "0.3500", "baseline_share": None, "baseline_source": None}


def test_the_same_target_sent_twice_writes_once(db, admin, programme):
    set_target(admin, programme.id, _command())
    set_target(admin, programme.id, _command())  # a double click
    db.session.commit()
    assert len(_targets()) == 1
    assert [e.verb for e in _events()] == ["representation_target.created"]


def test_a_programme_has_a_target_per_group(db, admin, programme):
    other = ProgrammeFactory(name="Other")
    set_target(admin, programme.id, _command())
    set_target(admin, programme.id, _command(dimension="subregion", value="419", target_percent="20"))
    set_target(admin, programme.id, _command(dimension="stakeholder_group", value="technical_community"))
    set_target(admin, other.id, _command())
    db.session.commit()
    assert sorted((t.programme_id, t.dimension, t.value) for t in _targets()) == sorted([
        (programme.id, "region", "002"), (programme.id, "subregion", "419"),
        (programme.id, "stakeholder_group", "technical_community"), (other.id, "region", "002")])


def test_only_an_admin_sets_or_removes_a_target(db, admin, programme):
    target, _created = set_target(admin, programme.id, _command())
    db.session.commit()
    for user in (UserFactory(), UserFactory(roles=["reviewer"]), None):
        with pytest.raises(PermissionDenied):
            set_target(user, programme.id, _command(target_percent="90"))
        with pytest.raises(PermissionDenied):
            delete_target(user, target.id)
    db.session.rollback()
    [stored] = _targets()
    assert stored.target_share == Decimal("0.3000")
    assert len(_events()) == 1


def test_an_unknown_programme_or_target_is_not_found(db, admin):
    with pytest.raises(NotFound):
        set_target(admin, 987654, _command())
    with pytest.raises(NotFound):
        delete_target(admin, 987654)


def test_removing_a_target_is_audited(db, admin, programme):
    target, _created = set_target(admin, programme.id, _command())
    target_id = target.id
    delete_target(admin, target_id)
    db.session.commit()
    assert _targets() == []
    created, deleted = _events()
    assert (deleted.verb, deleted.object_id, deleted.after) == ("representation_target.deleted", target_id, None)
    assert deleted.before == created.after


def test_two_admins_setting_the_same_group_at_once_leave_one_target(app, db, programme):
    admins = [UserFactory(roles=["admin"]).id, UserFactory(roles=["admin"]).id]
    programme_id = programme.id
    db.session.commit()

    def setting(admin_id, percent):
        def action():
            set_target(_db.session.get(User, admin_id), programme_id, _command(target_percent=percent))
        return action

    outcomes = run_side_by_side(app, [setting(admins[0], "30"), setting(admins[1], "40")],
                                pause_after="from representation_targets")

    assert outcomes == ["done", "done"]
    [stored] = _targets()
    assert stored.target_share in (Decimal("0.3000"), Decimal("0.4000"))
    assert sorted(e.verb for e in _events()) == ["representation_target.created", "representation_target.updated"]


def test_the_funding_summary_reads_a_target_just_set(fixture, admin):  # noqa: F811
    set_target(admin, fixture["usd"].id, _command())
    _db.session.commit()

    summary = funding_summary(FundingSummaryInput.from_input({"currency": "USD"}), today=date(2026, 12, 1))

    [target] = summary["targets"]
    assert (target["programme_id"], target["dimension"], target["value"]) == (fixture["usd"].id, "region", "002")
    assert (target["target_share"], target["baseline_share"], target["baseline_source"]) == (
        "0.3000", "0.0800", "IGF participation")
    # The USD programme's one released award went to Kenya: all of it reached Africa.
    assert (target["count_share"], target["shortfall"]) == ("1.0000", False)


# -- the page -------------------------------------------------------------------------------------------


def _page(client, programme, **query) -> str:
    response = client.get(f"/reports/targets/{programme.id}", query_string=query)
    assert response.status_code == 200, response.data[:300]
    return response.get_data(as_text=True)


FORM = {"group": "region:002", "target_percent": "30", "baseline_percent": "8", "baseline_source": "IGF"}


def test_the_page_is_for_admins_only(db, client, login, admin, programme):
    target, _created = set_target(admin, programme.id, _command())
    _db.session.commit()
    path = f"/reports/targets/{programme.id}"
    assert client.get(path).status_code == 302  # to sign in
    login(UserFactory(roles=["reviewer"]))
    assert client.get(path).status_code == 404
    assert client.post(path, data=FORM).status_code == 404
    assert client.post(f"{path}/{target.id}/delete").status_code == 404
    assert len(_targets()) == 1 and len(_events()) == 1


def test_an_unknown_programme_is_not_found(db, client, login, admin):
    login(admin)
    assert client.get("/reports/targets/987654").status_code == 404
    assert client.post("/reports/targets/987654", data=FORM).status_code == 404


def test_an_admin_sets_a_target_on_the_page_and_reads_it_back(db, client, login, admin, programme):
    login(admin)
    page = _page(client, programme)
    assert '<optgroup label="Regions">' in page and '<optgroup label="Sub-regions">' in page
    assert '<optgroup label="Stakeholder groups">' in page and '<optgroup label="UN country lists">' in page
    assert '<option value="subregion:419">Latin America and the Caribbean</option>' in page

    response = client.post(f"/reports/targets/{programme.id}", data=FORM)

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/reports/targets/{programme.id}")
    [stored] = _targets()
    assert (stored.dimension, stored.value, stored.target_share) == ("region", "002", Decimal("0.3000"))
    page = _page(client, programme)
    assert "Target set: Africa." in page
    assert "Africa — at least 30% of awards; baseline 8% (IGF)" in page


def test_a_target_without_baseline_reads_without_one(db, client, login, admin, programme):
    login(admin)
    client.post(f"/reports/targets/{programme.id}", data={"group": "stakeholder_group:technical_community",
                                                          "target_percent": "25"})
    page = _page(client, programme)
    assert "Technical community — at least 25% of awards</" in page


def test_the_page_reads_and_writes_shares_in_the_readers_language(db, client, login, admin, programme):
    login(admin)
    client.post("/language", data={"locale": "fr"})
    response = client.post(f"/reports/targets/{programme.id}", data={**FORM, "target_percent": "12,5 %",
                                                                     "baseline_percent": "7,25"})
    assert response.status_code == 303
    assert _targets()[0].target_share == Decimal("0.1250")
    page = _page(client, programme)
    assert "12,5\u00a0%" in page and "7,25\u00a0%" in page


def test_a_refused_target_keeps_what_was_typed_and_ties_each_error_to_its_field(db, client, login, admin,
                                                                               programme):
    login(admin)
    response = client.post(f"/reports/targets/{programme.id}", data={
        "group": "region:002", "target_percent": "150", "baseline_percent": "8", "baseline_source": ""})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page
    assert 'id="target_percent-error"' in page and 'id="baseline_source-error"' in page
    assert 'aria-describedby="target_percent-hint target_percent-error"' in page
    assert '<option selected value="region:002">' in page
    assert 'value="150"' in page and 'value="8"' in page
    assert _targets() == []


@pytest.mark.parametrize("group", ["region:419", "region", "country:KE", "", "garbage:"])
def test_a_group_not_offered_is_refused_on_the_group_field(db, client, login, admin, programme, group):
    login(admin)
    response = client.post(f"/reports/targets/{programme.id}", data={**FORM, "group": group})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="group-error"' in page and 'href="#group"' in page
    assert _targets() == []


def test_change_fills_the_form_with_the_target(db, client, login, admin, programme):
    target, _created = set_target(admin, programme.id, _command(target_percent="12.5"))
    _db.session.commit()
    login(admin)
    client.post("/language", data={"locale": "fr"})
    page = _page(client, programme, edit=target.id)
    assert '<option selected value="region:002">' in page
    assert 'value="12,5"' in page and 'value="8"' in page and 'value="IGF participation"' in page
    # An unknown or foreign target fills nothing.
    other = ProgrammeFactory(name="Other")
    foreign, _created = set_target(admin, other.id, _command(target_percent="44"))
    _db.session.commit()
    assert 'value="44"' not in _page(client, programme, edit=foreign.id)
    assert "selected" not in _page(client, programme, edit="987654").split('id="group"')[1].split("</select>")[0]


def test_removing_a_target_on_the_page_twice(db, client, login, admin, programme):
    target, _created = set_target(admin, programme.id, _command())
    _db.session.commit()
    login(admin)
    path = f"/reports/targets/{programme.id}/{target.id}/delete"

    response = client.post(path)
    assert response.status_code == 303 and _targets() == []
    assert "Target removed: Africa." in _page(client, programme)

    again = client.post(path)  # a double click, or a second tab
    assert again.status_code == 303
    assert "This target had already been removed." in _page(client, programme)
    assert [e.verb for e in _events()] == ["representation_target.created", "representation_target.deleted"]


def test_a_target_is_removed_only_through_its_own_programme(db, client, login, admin, programme):
    other = ProgrammeFactory(name="Other")
    target, _created = set_target(admin, other.id, _command())
    _db.session.commit()
    login(admin)
    assert client.post(f"/reports/targets/{programme.id}/{target.id}/delete").status_code == 404
    assert len(_targets()) == 1


def test_the_reports_page_links_to_each_programmes_targets(db, client, login, admin, programme):
    other = ProgrammeFactory(name="Community networks")
    login(admin)
    page = client.get("/reports/").get_data(as_text=True)
    assert "Representation targets" in page
    assert f'href="/reports/targets/{programme.id}"' in page and f'href="/reports/targets/{other.id}"' in page


def test_the_page_runs_a_fixed_number_of_queries(db, client, login, admin, programme):
    login(admin)
    set_target(admin, programme.id, _command())
    _db.session.commit()
    _page_once, one = count_statements(lambda: _page(client, programme))
    for dimension, value in (("subregion", "419"), ("stakeholder_group", "academia"), ("country_list", "SIDS")):
        set_target(admin, programme.id, _command(dimension=dimension, value=value))
    _db.session.commit()
    page, four = count_statements(lambda: _page(client, programme))
    assert four == one
    assert page.count("— at least 30% of awards") == 4
    assert _db.session.scalar(select(func.count()).select_from(RepresentationTarget)) == 4


def test_removing_needs_the_forms_token(db, csrf_app, client, login, admin, programme):
    target, _created = set_target(admin, programme.id, _command())
    _db.session.commit()
    login(admin)
    assert client.post(f"/reports/targets/{programme.id}/{target.id}/delete").status_code == 400
    assert client.post(f"/reports/targets/{programme.id}", data=FORM).status_code == 400
    assert len(_targets()) == 1 and len(_events()) == 1
