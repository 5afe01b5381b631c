"""The administrators' audit log: filter the events, read what changed, download them as CSV.

Its routes live on the core blueprint (imported at the end of cade/core/views.py), as the log lives in core.
The page and the download read the same filters from the query string; dates are days in the
administrator's own time zone, a period running from the start of its first day to the end of its last.
"""

import csv
import io
import json
from datetime import datetime, time, timedelta

from flask import Response, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from cade.core import audit, timeutil
from cade.core.forms import select_choices
from cade.core.permissions import admin_required
from cade.core.views import bp

# The one rule for spreadsheet-safe text (a cell starting = + - @ gets a '), kept with the report downloads.
# An import up the stack, until the rule moves down into core.
from cade.core.csvtext import safe_text

FILTER_NAMES = ("actor", "object_type", "object_id", "verb", "date_from", "date_to")


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


class AuditFilterForm(FlaskForm):
    """The log's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    actor = StringField(_l("Who (e-mail)"), validators=[Optional(), Length(max=254)], filters=[_stripped],
                        description=_l("The e-mail address of the person who acted."))
    object_type = SelectField(_l("Kind of record"), default="", validators=[Optional()], validate_choice=False)
    object_id = IntegerField(_l("Record number"), validators=[Optional(), NumberRange(min=1)])
    verb = StringField(_l("Action"), validators=[Optional(), Length(max=64)], filters=[_stripped],
                       description=_l("The start of the action's name, such as “application.” for every "
                                      "action on applications."))
    # Not "From"/"To": those words are the sender and recipient of the mailbox, translated as such.
    date_from = DateField(_l("From day"), validators=[Optional()])
    date_to = DateField(_l("Until day"), validators=[Optional()], description=_l("Included."))

    def __init__(self, *args, object_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.object_type.choices = select_choices([("", _("Any kind")), *((t, t) for t in object_types)])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_("Choose a day on or after the “From day”."))

    def filters(self, zone: str) -> audit.AuditFilters:
        """What was asked for, after validate(); days are read in `zone`."""

        def start_of(day):
            return timeutil.local_to_utc(datetime.combine(day, time()), zone) if day else None

        return audit.AuditFilters(
            actor_email=self.actor.data or None, object_type=self.object_type.data or None,
            object_id=self.object_id.data, verb_prefix=self.verb.data or None,
            since=start_of(self.date_from.data),
            until=start_of(self.date_to.data + timedelta(days=1)) if self.date_to.data else None)


def _filter_args() -> dict[str, str]:
    return {name: request.args[name] for name in FILTER_NAMES if request.args.get(name)}


def _zone() -> str:
    return current_user.timezone if timeutil.is_timezone(current_user.timezone) else "UTC"


@bp.get("/admin/audit")
@admin_required
def audit_log():
    form = AuditFilterForm(request.args, object_types=audit.audit_object_types())
    page = None
    if form.validate():
        page = audit.audit_page(form.filters(_zone()), cursor=request.args.get("cursor", type=int))
    return render_template("core/audit.html", form=form, page=page, zone=_zone(), filter_args=_filter_args(),
                           cursor=request.args.get("cursor", type=int))


CSV_COLUMNS = (_l("Event"), _l("When (UTC)"), _l("Actor number"), _l("Actor name"), _l("Actor e-mail"),
               _l("Action"), _l("Kind of record"), _l("Record number"), _l("Before"), _l("After"))


def _csv_lines(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # the excel dialect, as the report downloads: "," and CRLF

    def taken() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    def as_json(value) -> str:
        return "" if value is None else safe_text(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))

    writer.writerow([safe_text(str(title)) for title in CSV_COLUMNS])
    yield "\ufeff" + taken()  # a byte-order mark, so spreadsheet programs read UTF-8
    for count, row in enumerate(rows, start=1):
        event = row.event
        writer.writerow([event.id, event.at.isoformat(), event.actor_id if event.actor_id is not None else "",
                         safe_text(row.actor_name or ""), safe_text(row.actor_email or ""),
                         safe_text(event.verb), safe_text(event.object_type),
                         event.object_id if event.object_id is not None else "",
                         as_json(event.before), as_json(event.after)])
        if count % 100 == 0:
            yield taken()
    yield taken()


@bp.get("/admin/audit.csv")
@admin_required
def audit_csv():
    form = AuditFilterForm(request.args)
    if not form.validate():
        return redirect(url_for(".audit_log", **_filter_args()))
    rows = audit.audit_rows(form.filters(_zone()))
    lines = (text.encode("utf-8") for text in _csv_lines(rows))
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit-events.csv"'})
