"""Money returned: an admin records unspent money paid back, never more than was paid out, never in the future."""

import html
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import NotFound, PermissionDenied, ValidationFailed
from cade.extensions import db as _db
from cade.grants.closure import ReturnedInput, record_returned
from cade.grants.constants import GrantStatus
from cade.grants.models import Grant
from cade.grants.tranches import tranches_of
from tests.grants.lifecycle_helpers import FORTY_SIXTY, mark_paid, opened_grant

TODAY = date(2026, 12, 5)


def returned(amount="1000.50", returned_on="2026-12-01", reference="REFUND-7", currency="USD"):
    return ReturnedInput.from_input({"amount": amount, "returned_on": returned_on, "reference": reference},
                                    currency=currency, today=TODAY)


def errors_of(excinfo) -> dict:
    return {name: [str(m) for m in messages] for name, messages in excinfo.value.errors.items()}


def paid_grant(rows=None, **kwargs):
    grant, owner = opened_grant(rows, **kwargs)
    mark_paid(tranches_of(grant)[0])
    return grant, owner


def test_an_admin_records_money_returned_and_it_is_audited(db, admin):
    grant, _owner = paid_grant()
    record_returned(admin, grant.id, returned())
    _db.session.commit()
    saved = _db.session.get(Grant, grant.id)
    assert (saved.returned_minor, saved.returned_on, saved.returned_reference) == (1_000_50, date(2026, 12, 1),
                                                                                  "REFUND-7")
    [event] = _db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "grant.returned")).all()
    assert (event.object_id, event.actor_id) == (grant.id, admin.id)
    assert event.before == {"returned_minor": 0, "returned_on": None, "reference": None}
    assert event.after["amount_minor"] == 1_000_50 and event.after["returned_minor"] == 1_000_50


def test_returns_add_up_and_never_exceed_what_was_paid_out(db, admin):
    grant, _owner = paid_grant(FORTY_SIXTY)  # 40 % of 12,345.00 paid: 4,938.00
    record_returned(admin, grant.id, returned("4000", reference="R-1"))
    record_returned(admin, grant.id, returned("900", returned_on="2026-12-03", reference="R-2"))
    _db.session.commit()
    saved = _db.session.get(Grant, grant.id)
    assert (saved.returned_minor, saved.returned_on, saved.returned_reference) == (4_900_00, date(2026, 12, 3), "R-2")
    with pytest.raises(ValidationFailed) as excinfo:
        record_returned(admin, grant.id, returned("38.01"))
    assert errors_of(excinfo) == {"amount": [
        "At most $38.00 can be recorded: $4,938.00 was paid out and $4,900.00 is already recorded as returned."]}
    _db.session.rollback()
    assert _db.session.get(Grant, grant.id).returned_minor == 4_900_00


def test_nothing_can_be_returned_before_anything_is_paid(db, admin):
    grant, _owner = opened_grant()
    with pytest.raises(ValidationFailed) as excinfo:
        record_returned(admin, grant.id, returned("1"))
    assert "Nothing paid out is left to return" in errors_of(excinfo)["amount"][0]


@pytest.mark.parametrize("values, field, message", [
    ({"amount": "abc"}, "amount", "Enter an amount in USD with at most 2 decimal places."),
    ({"amount": "12.345"}, "amount", "Enter an amount in USD with at most 2 decimal places."),
    ({"amount": "0"}, "amount", "The amount must be more than zero."),
    ({"amount": "-5"}, "amount", "The amount must be more than zero."),
    ({"amount": ""}, "amount", "Enter an amount."),
    ({"returned_on": "2026-12-06"}, "returned_on", "The date cannot be in the future."),
    ({"returned_on": "yesterday"}, "returned_on", "Enter the date the money was received."),
    ({"reference": "  "}, "reference", "This field is required."),
    ({"reference": "x" * 101}, "reference", "Use at most 100 characters."),
])
def test_bad_input_is_named_by_its_field(values, field, message):
    data = {"amount": "10", "returned_on": "2026-12-01", "reference": "R", **values}
    with pytest.raises(ValidationFailed) as excinfo:
        ReturnedInput.from_input(data, currency="USD", today=TODAY)
    assert errors_of(excinfo) == {field: [message]}


def test_only_an_admin_may_record_and_only_an_existing_grant(db, admin):
    grant, owner = paid_grant()
    with pytest.raises(PermissionDenied):
        record_returned(owner, grant.id, returned())
    with pytest.raises(NotFound):
        record_returned(admin, grant.id + 1000, returned())
    assert _db.session.get(Grant, grant.id).returned_minor == 0


def test_a_closed_grant_can_still_record_money_returned(db, admin):
    grant, _owner = paid_grant()
    grant.status = GrantStatus.CLOSED
    _db.session.commit()
    record_returned(admin, grant.id, returned("12345"))
    _db.session.commit()
    assert _db.session.get(Grant, grant.id).returned_minor == 12_345_00


# ---------------------------------------------------------------- the page


def test_the_admin_page_records_and_goes_back_to_the_grant(client, login, db, admin):
    grant, _owner = paid_grant()
    login(admin)
    page = client.get(f"/admin/grants/{grant.id}/returned").get_data(as_text=True)
    assert '<label for="amount">Amount returned (USD)</label>' in page and 'for="returned_on"' in page
    assert "$12,345.00" in page  # paid out, and what can still be recorded
    day = (utcnow().date() - timedelta(days=1)).isoformat()
    response = client.post(f"/admin/grants/{grant.id}/returned",
                           data={"amount": "250", "returned_on": day, "reference": "REFUND-9"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/grants/{grant.id}")
    assert _db.session.get(Grant, grant.id).returned_minor == 250_00
    assert "$250.00 returned (reference REFUND-9)" in html.unescape(
        client.get(response.headers["Location"]).get_data(as_text=True))


def test_bad_input_on_the_page_is_shown_by_its_field_and_what_was_typed_is_kept(client, login, db, admin):
    grant, _owner = paid_grant()
    login(admin)
    future = (utcnow().date() + timedelta(days=2)).isoformat()
    response = client.post(f"/admin/grants/{grant.id}/returned",
                           data={"amount": "lots", "returned_on": future, "reference": "MY-REF"})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert 'class="error-summary"' in page and 'href="#amount"' in page and 'href="#returned_on"' in page
    assert 'id="amount-error"' in page and 'aria-invalid="true"' in page
    assert 'value="lots"' in page and f'value="{future}"' in page and 'value="MY-REF"' in page
    assert "The date cannot be in the future." in page
    too_much = client.post(f"/admin/grants/{grant.id}/returned",
                           data={"amount": "20000", "returned_on": "2026-12-01", "reference": "MY-REF"})
    assert too_much.status_code == 422 and "At most $12,345.00 can be recorded" in html.unescape(
        too_much.get_data(as_text=True))
    assert _db.session.get(Grant, grant.id).returned_minor == 0


def test_the_page_is_for_admins_only_and_an_unknown_grant_is_not_found(client, login, db, admin):
    grant, owner = paid_grant()
    assert client.get(f"/admin/grants/{grant.id}/returned").status_code == 302  # signed out: sign in first
    login(owner)
    assert client.get(f"/admin/grants/{grant.id}/returned").status_code == 404
    assert client.post(f"/admin/grants/{grant.id}/returned",
                       data={"amount": "1", "returned_on": "2026-12-01", "reference": "X"}).status_code == 404
    assert _db.session.get(Grant, grant.id).returned_minor == 0
    login(admin)
    assert client.get(f"/admin/grants/{grant.id + 1000}/returned").status_code == 404
