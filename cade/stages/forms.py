"""The form of a call's two stages (shape only: StageLinkInput in cade/stages/links.py cleans it, every error
at once)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length

from cade.core.forms import select_choices
from cade.core.timeutil import format_in_zone
from cade.stages.links import REASON_MAX_CHARS


class Required:
    """Marks a field required (the label's asterisk); the command says when it is missing."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        pass


class StageLinkForm(FlaskForm):
    concept_call_id = SelectField(_l("Concept-note call"), validators=[Required()], validate_choice=False,
                                  description=_l("A call of the same programme that closes before this one. Its "
                                                 "decisions shortlist or reject concept notes."))
    margin_percent = StringField(_l("Margin on the amount requested, in percent"),
                                 render_kw={"inputmode": "numeric", "autocomplete": "off", "size": 4},
                                 description=_l("A full proposal may request the concept note's amount, give or "
                                                "take this share (0 to 100). Leave it empty for no margin."))
    reason = TextAreaField(_l("Reason for the change"), validators=[Length(max=REASON_MAX_CHARS)],
                           render_kw={"rows": 3},
                           description=_l("This call is in review: the reason is kept in the audit log."))


class StageUnlinkForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the change"), validators=[Length(max=REASON_MAX_CHARS)],
                           render_kw={"rows": 3},
                           description=_l("This call is in review: the reason is kept in the audit log."))


def stage_link_form(call, candidates, formdata=None) -> StageLinkForm:
    """The form for `call`, offering `candidates` (concept_call_candidates) and filled from what it holds."""
    data = None
    if formdata is None:
        data = {"concept_call_id": str(call.concept_call_id or ""),
                "margin_percent": "" if call.concept_margin_percent is None else str(call.concept_margin_percent)}
    form = StageLinkForm(formdata=formdata, data=data)
    form.concept_call_id.choices = select_choices(
        [("", _l("Choose…")), *((candidate.id, _l("%(title)s (closes %(when)s)", title=candidate.title,
                                                  when=format_in_zone(candidate.closes_at, candidate.timezone)))
                                for candidate in candidates)])
    return form
