"""The eligibility rule grants owns: an organisation with an overdue report from an earlier grant cannot apply.

Registered from cade/wiring.py beside programmes' and training's rules, so
applications checks it through the registry without importing grants. Unlike
those, it is not a call setting: it holds for every call (the issue asks that
an overdue report block *any* new application), so the call keeps no column for
it and its field on the admin's call form only says that it applies. "Overdue"
is cade/grants/overdue.py's definition, the same the reminders and the admin
list use. The refusal names each overdue report (its kind and its call) and its
due date in the reader's language; the remedy links the report's page (grants.report).
"""

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from cade.core.commands import Cleaner
from cade.core.db import utcnow
from cade.core.rules import Remedy, Rule
from cade.grants.constants import REPORT_KIND_LABELS, ReportKind
from flask import g

from cade.grants.overdue import deadline_of, overdue_reports_of_organisation, overdue_reports_of_organisations


class AlwaysApplies(Cleaner):
    """The setting of a rule every call has: nothing to read, whatever the form or the API sends."""

    def clean(self, raw, cleaning):
        return None


def report_link(report) -> tuple[str, dict]:
    """The endpoint and values of the page where `report` is written (cade/grants/views_reports.py)."""
    return "grants.report", {"grant_id": report.grant_id, "report_id": report.id}


def _label(report) -> str:
    return str(REPORT_KIND_LABELS[ReportKind(report.kind)])


class OverdueReportRule(Rule):
    key = "no_overdue_report"
    field_name = "no_overdue_report"
    columns = ()
    cleaner = AlwaysApplies()

    def form_field(self, currency):
        # Shown ticked and unchangeable: the admin sees the condition every call has.
        return BooleanField(_l("No overdue report from an earlier grant"),
                            render_kw={"disabled": True, "checked": True},
                            description=_l("Applies to every call: an organisation with an overdue grantee report "
                                           "cannot submit a new application."))

    def form_value(self, call):
        return True

    def settings(self, value):
        return {}

    def is_set(self, call) -> bool:
        return True

    def sentence(self, call) -> str:
        return _("The organisation has no overdue report from an earlier grant.")

    def prepare(self, call, organisations):
        # One query for every organisation a page lists, kept for this request only.
        ids = {organisation.id for organisation in organisations}
        g.overdue_reports = (ids, overdue_reports_of_organisations(ids, utcnow().date()) if ids else {})

    def _overdue(self, organisation):
        prepared_for, prepared = g.get("overdue_reports", ((), {}))
        if organisation.id in prepared_for:
            return prepared.get(organisation.id, [])
        return overdue_reports_of_organisation(organisation.id, utcnow().date())

    def check(self, call, organisation):
        return [_("%(report)s of the grant from the call “%(call)s”: due on %(date)s, not yet received. An "
                  "organisation with an overdue report cannot submit a new application.",
                  report=_label(report), call=report.grant.call.title,
                  date=format_date(deadline_of(report), "long"))
                for report in self._overdue(organisation)]

    def remedies(self, call, organisation):
        remedies = []
        for report in self._overdue(organisation):
            endpoint, values = report_link(report)
            remedies.append(Remedy(_("Submit the report; once it is submitted your organisation can apply again."),
                                   _("Open the report: %(report)s, “%(call)s”", report=_label(report),
                                     call=report.grant.call.title),
                                   endpoint, values))
        return remedies


def grant_rules() -> list[Rule]:
    return [OverdueReportRule()]
