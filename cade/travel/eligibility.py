"""The eligibility rule travel owns: on a travel call, an organisation whose traveller has an overdue post-trip
report cannot submit.

Registered from cade/wiring.py beside grants' rule, which has the same shape
(an overdue report blocks). It is not a call setting: it holds on every
travel call (a call with a TravelSettings row) and on no other, so the call
keeps no column for it. "Overdue" is cade/travel/post_trip.py's definition,
the one the reminders and the person check (`person_blocked`, asked by the
trip's completeness check whatever organisation applies) use too. The refusal
names the traveller, the event and the due date in the reader's language; the
remedy links the report's page (travel.post_trip_report).
"""

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from cade.core.commands import Cleaner
from cade.core.db import utcnow
from cade.core.rules import Remedy, Rule
from cade.travel.post_trip import overdue_reason, overdue_trips_of_organisations, person_blocked
from cade.travel.traveller_access import traveller_name

__all__ = ["OverduePostTripRule", "is_travel_call", "person_blocked", "travel_rules"]


class AlwaysApplies(Cleaner):
    """The setting of a rule every travel call has: nothing to read."""

    def clean(self, raw, cleaning):
        return None


def is_travel_call(call) -> bool:
    """A call is a travel call when it has travel settings (cade/travel/setup.py answers, once per request)."""
    from cade.travel.setup import is_travel_call as answer

    return call is not None and answer(call)


def report_link(trip) -> tuple[str, dict]:
    """The endpoint and values of the page where the trip's post-trip report is written."""
    return "travel.post_trip_report", {"trip_id": trip.id}


class OverduePostTripRule(Rule):
    key = "no_overdue_post_trip_report"
    field_name = "no_overdue_post_trip_report"
    columns = ()
    cleaner = AlwaysApplies()

    def form_field(self, currency):
        return BooleanField(_l("No overdue post-trip report (travel calls)"),
                            render_kw={"disabled": True, "checked": True},
                            description=_l("Applies to every travel call: an organisation whose traveller has an "
                                           "overdue post-trip report cannot submit."))

    def form_value(self, call):
        return True

    def settings(self, value):
        return {}

    def is_set(self, call) -> bool:
        return is_travel_call(call)

    def sentence(self, call) -> str:
        return _("No traveller of the organisation has an overdue post-trip report from an earlier trip.")

    def prepare(self, call, organisations):
        ids = {organisation.id for organisation in organisations}
        g.overdue_post_trip = (ids, overdue_trips_of_organisations(ids, utcnow().date())
                               if ids and is_travel_call(call) else {})

    def _overdue(self, call, organisation):
        if not is_travel_call(call):
            return []
        prepared_for, prepared = g.get("overdue_post_trip", ((), {}))
        if organisation.id in prepared_for:
            return prepared.get(organisation.id, [])
        return overdue_trips_of_organisations([organisation.id], utcnow().date()).get(organisation.id, [])

    def check(self, call, organisation):
        return [overdue_reason(trip) for trip in self._overdue(call, organisation)]

    def remedies(self, call, organisation):
        remedies = []
        for trip in self._overdue(call, organisation):
            endpoint, values = report_link(trip)
            remedies.append(Remedy(_("Submit the post-trip report; once it is submitted the organisation can apply "
                                     "again."),
                                   _("Open the post-trip report of %(traveller)s", traveller=traveller_name(trip)),
                                   endpoint, values))
        return remedies


def travel_rules() -> list[Rule]:
    return [OverduePostTripRule()]
