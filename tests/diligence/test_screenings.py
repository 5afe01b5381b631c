"""Screenings: recorded by admins against every list the programme names; the recent clear one, and later matches."""

from datetime import date

import pytest
from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.core.errors import PermissionDenied, ValidationFailed
from cade.diligence.constants import ScreeningResult
from cade.diligence.screenings import ScreeningInput, names_to_screen, recent_clear_screening, record_screening
from cade.extensions import db as _db
from tests.diligence.payee_helpers import screening
from tests.factories import OrganisationFactory, ProgrammeFactory, UserFactory
from tests.grants.helpers import accepted_decision

TODAY = date(2026, 12, 5)
LISTS = ["UN Security Council Consolidated List", "EU Consolidated Financial Sanctions List"]


@pytest.fixture()
def programme(db):
    return ProgrammeFactory(screening_lists=LISTS, screening_valid_days=180)


def form(programme, **changes):
    data = {"screened_on": "2026-12-01", "lists": list(LISTS), "names": "Sahel Network\nAmina Diallo",
            "result": "clear", "evidence": "Searched both lists on 1 December; no hit.", "programme_id": programme.id}
    return {**data, **changes}


def test_an_admin_records_a_screening_audited(db, admin, programme):
    organisation = OrganisationFactory()
    row = record_screening(admin, organisation.id, ScreeningInput.from_input(form(programme), today=TODAY))
    _db.session.commit()
    assert (row.screened_on, row.names, row.result, row.checked_by_id) == (
        date(2026, 12, 1), ["Sahel Network", "Amina Diallo"], "clear", admin.id)
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "screening.recorded"))
    assert event.after["programme_id"] == programme.id and event.after["screened_on"] == "2026-12-01"


def test_every_list_the_programme_names_must_be_checked(db, admin, programme):
    organisation = OrganisationFactory()
    with pytest.raises(ValidationFailed) as caught:
        record_screening(admin, organisation.id, ScreeningInput.from_input(
            form(programme, lists=[LISTS[0], "OFAC SDN"]), today=TODAY))
    assert LISTS[1] in str(caught.value.errors["lists"][0])


@pytest.mark.parametrize(("changes", "field"), [
    ({"screened_on": "2026-12-06"}, "screened_on"), ({"screened_on": "yesterday"}, "screened_on"),
    ({"evidence": " "}, "evidence"), ({"result": "maybe"}, "result"), ({"names": ""}, "names"),
    ({"lists": []}, "lists"), ({"programme_id": ""}, "programme_id"),
])
def test_bad_input_is_refused_on_its_field(db, programme, changes, field):
    with pytest.raises(ValidationFailed) as caught:
        ScreeningInput.from_input(form(programme, **changes), today=TODAY)
    assert field in caught.value.errors


def test_only_admins_record_screenings(db, programme):
    with pytest.raises(PermissionDenied):
        record_screening(UserFactory(), OrganisationFactory().id, ScreeningInput.from_input(form(programme), today=TODAY))


def test_an_unknown_programme_is_refused(db, admin, programme):
    with pytest.raises(ValidationFailed) as caught:
        record_screening(admin, OrganisationFactory().id, ScreeningInput.from_input(
            form(programme, programme_id="999999"), today=TODAY))
    assert "programme_id" in caught.value.errors


def test_the_recent_clear_screening_is_the_latest_within_the_limit(db, programme):
    organisation = OrganisationFactory()
    old = screening(organisation, programme, screened_on=date(2026, 1, 10))
    assert recent_clear_screening(organisation.id, programme, date(2026, 7, 8)) == old  # day 180
    assert recent_clear_screening(organisation.id, programme, date(2026, 7, 9)) is None  # day 181
    newer = screening(organisation, programme, screened_on=date(2026, 6, 1))
    assert recent_clear_screening(organisation.id, programme, date(2026, 7, 9)) == newer
    assert recent_clear_screening(organisation.id, programme, date(2026, 5, 31)) == old  # not yet done then


def test_a_later_match_blocks_an_older_clear_one(db, programme):
    organisation = OrganisationFactory()
    screening(organisation, programme, screened_on=date(2026, 11, 1))
    screening(organisation, programme, screened_on=date(2026, 11, 10), result=ScreeningResult.MATCH)
    assert recent_clear_screening(organisation.id, programme, date(2026, 11, 5)) is not None
    assert recent_clear_screening(organisation.id, programme, date(2026, 11, 20)) is None
    cleared = screening(organisation, programme, screened_on=date(2026, 11, 15))
    assert recent_clear_screening(organisation.id, programme, date(2026, 11, 20)) == cleared


def test_a_screening_of_fewer_lists_does_not_count(db, programme):
    organisation = OrganisationFactory()
    partial = screening(organisation, programme)
    partial.lists = [LISTS[0]]
    _db.session.commit()
    assert recent_clear_screening(organisation.id, programme, date(2026, 12, 1)) is None


def test_the_names_to_screen_are_the_organisation_and_its_signatories(db):
    decision, _owner = accepted_decision()
    assert names_to_screen(decision.application.organisation) == ["Réseau Communautaire du Sahel", "Amina Diallo"]
