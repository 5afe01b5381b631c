"""The eligibility rule two-stage calls add: only organisations shortlisted in the concept-note stage may apply to
the full-proposal stage.

Registered from cade/wiring.py beside the other domains' rules, so that
applications checks it (at start and at submission) through the registry.
It is not a setting of the call form: a call is a full-proposal stage when
its stages page names its concept-note call (cade/stages/links.py), and the
call form only shows, unchangeable, whether it is one.
"""

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from cade.core.commands import Cleaner
from cade.core.rules import Remedy, Rule
from cade.programmes.eligibility import other_calls
from cade.stages.concept_notes import shortlisted_organisations


class SetOnTheStagesPage(Cleaner):
    """Nothing to read from the call form, whatever it or the API sends: the stages page sets the link."""

    def clean(self, raw, cleaning):
        return None


class ShortlistedRule(Rule):
    key = "shortlisted_in_concept_stage"
    field_name = "shortlisted_in_concept_stage"
    columns = ()
    cleaner = SetOnTheStagesPage()

    def form_field(self, currency):
        return BooleanField(_l("Only organisations shortlisted in the concept-note stage (two-stage calls)"),
                            render_kw={"disabled": True},
                            description=_l("Set on the call's “Two stages” page, which names the concept-note call."))

    def form_value(self, call):
        return call is not None and call.concept_call_id is not None

    def settings(self, value):
        return {}

    def is_set(self, call) -> bool:
        return call is not None and call.concept_call_id is not None

    def sentence(self, call) -> str:
        return _("This is the full-proposal stage of a two-stage call: only organisations whose concept note to "
                 "“%(call)s” was shortlisted may apply.", call=call.concept_call.title)

    def further(self, call):
        return Remedy(_("See the concept-note call."), _("“%(call)s”", call=call.concept_call.title),
                      "programmes.call", {"call_id": call.concept_call_id})

    def prepare(self, call, organisations):
        # One query for every organisation a page lists, kept for this request and this call only.
        ids = {organisation.id for organisation in organisations}
        g.shortlisted_in_concept_stage = (call.id, ids, shortlisted_organisations(call.concept_call_id, ids)
                                          if ids and self.is_set(call) else set())

    def _shortlisted(self, call, organisation) -> bool:
        call_id, prepared_for, prepared = g.get("shortlisted_in_concept_stage", (None, (), set()))
        if call_id == call.id and organisation.id in prepared_for:
            return organisation.id in prepared
        return organisation.id in shortlisted_organisations(call.concept_call_id, [organisation.id])

    def check(self, call, organisation):
        if not self.is_set(call) or self._shortlisted(call, organisation):
            return []
        return [_("Only organisations whose concept note to “%(call)s” was shortlisted may apply to this call.",
                  call=call.concept_call.title)]

    def remedies(self, call, organisation):
        # Nothing the organisation can change makes it shortlisted: other calls are the way out.
        return [other_calls()] if self.check(call, organisation) else []


def stage_rules() -> list[Rule]:
    return [ShortlistedRule()]
