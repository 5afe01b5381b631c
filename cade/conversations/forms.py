"""Forms of clarification requests and threads: shape checks only (the services say what is allowed)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, DateField, TextAreaField
from wtforms.validators import Length, Optional

from cade.conversations.constants import MESSAGE_MAX_CHARS, REQUEST_MESSAGE_MAX_CHARS, RESPONSE_MAX_CHARS
from cade.conversations.fields import clarifiable_fields
from cade.core.forms import MultiCheckboxField, select_choices

FILES_HINT = _l("Optional. PDF, DOCX, XLSX, ODT, PNG or JPEG; at most 5 files, 10 MB each.")


class ClarificationRequestForm(FlaskForm):
    fields = MultiCheckboxField(_l("Parts of the application to clarify"), choices=[],
                                description=_l("The applicant can change these parts only; everything else stays "
                                               "as submitted. To ask for a document, say so in the message."))
    message = TextAreaField(_l("What to clarify"), validators=[Length(max=REQUEST_MESSAGE_MAX_CHARS)],
                            description=_l("The applicant reads this as you write it."))
    due_on = DateField(_l("Answer due by"), validators=[Optional()],
                       description=_l("The end of that day in the call's time zone."))


def request_form(call, **kwargs) -> ClarificationRequestForm:
    form = ClarificationRequestForm(**kwargs)
    form.fields.choices = select_choices((named.name, named.label) for named in clarifiable_fields(call))
    return form


class ResponseForm(FlaskForm):
    """The reply beside the reopened fields (the application's form carries the CSRF token of the page)."""

    class Meta:
        csrf = False

    response = TextAreaField(_l("Your answer to the request"), validators=[Length(max=RESPONSE_MAX_CHARS)],
                             description=_l("Say what you changed and why; the programme and the reviewers read it."))


class DueDateForm(FlaskForm):
    due_on = DateField(_l("New due date"), validators=[Optional()],
                       description=_l("The end of that day in the call's time zone."))


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Your message"), validators=[Length(max=MESSAGE_MAX_CHARS)])
    files = MultipleFileField(_l("Files"), description=FILES_HINT)


class ClarificationSettingsForm(FlaskForm):
    reviewers_may_clarify = BooleanField(_l("Reviewers of this call may ask applicants to clarify"),
                                         description=_l("Only reviewers who declared no conflict with the "
                                                        "application; administrators always may."))
    reason = TextAreaField(_l("Why are you changing this?"), validators=[Optional(), Length(max=1000)],
                           description=_l("Needed once the call is in review; kept in the audit log."))
