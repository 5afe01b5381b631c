"""Forms for enrolling and for the admin pages of courses and sessions (shape checks only)."""

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from cade.core.forms import MultiCheckboxField, select_choices
from cade.core.timeutil import timezone_names, utc_to_local
from cade.programmes.forms import DATETIME_FORMATS, MomentField
from cade.training.constants import COURSE_FORMAT_LABELS, COURSE_LANGUAGES, DIMENSION_LABELS
from cade.training.services.sessions import MAX_SEATS, SESSION_COLUMNS


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def language_label(code: str) -> str:
    """A course language by its name in the reader's language ("français" → "French" for an English reader)."""
    try:
        return Locale.parse(code).get_display_name(str(get_locale() or "en")) or code
    except (ValueError, TypeError):
        return code


class EnrolForm(FlaskForm):
    """The Enrol button; the organisation is asked only of someone who belongs to several."""

    organisation_id = SelectField(_l("Enrol for"), validators=[Optional()], validate_choice=False)


class ConfirmForm(FlaskForm):
    """A button that only needs its CSRF token (cancel an enrolment, cancel a session)."""


class CourseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)], filters=[_strip])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20_000)])
    format = SelectField(_l("Format"), choices=select_choices(COURSE_FORMAT_LABELS.items()))
    language = SelectField(_l("Language of the course"))
    dimensions = MultiCheckboxField(_l("Capacities it builds"), choices=select_choices(DIMENSION_LABELS.items()))
    required_sessions = IntegerField(
        _l("Sessions to attend to complete it"), validators=[Optional(), NumberRange(min=1, max=100)],
        description=_l("Leave empty when every session must be attended."))
    prerequisite_id = SelectField(_l("Prerequisite course"), validate_choice=False,
                                  description=_l("Participants must have completed this course before they enrol."))
    published = BooleanField(_l("Published (shown in the training catalogue)"))

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = select_choices((code, language_label(code)) for code in COURSE_LANGUAGES)
        self.prerequisite_id.choices = select_choices(
            [("", _l("None"))] + [(course.id, course.title) for course in courses])


class SessionForm(FlaskForm):
    title = StringField(_l("Title (optional)"), validators=[Optional(), Length(max=200)], filters=[_strip],
                        description=_l("Leave empty to use the course's title."))
    timezone = SelectField(_l("Time zone of the session"), validators=[InputRequired()],
                           description=_l("Every time below is read in this time zone."))
    starts_at = MomentField(_l("Starts"), format=DATETIME_FORMATS, validators=[InputRequired()])
    ends_at = MomentField(_l("Ends"), format=DATETIME_FORMATS, validators=[InputRequired()])
    place = TextAreaField(_l("Place"), validators=[Optional(), Length(max=2000)],
                          description=_l("Shown only to participants with a seat."))
    online_url = StringField(_l("Online link"), validators=[Optional(), Length(max=500)], filters=[_strip],
                             description=_l("Shown only to participants with a seat."))
    seats = IntegerField(_l("Seats"), validators=[InputRequired(), NumberRange(min=1, max=MAX_SEATS)])
    enrolment_opens_at = MomentField(_l("Enrolment opens"), format=DATETIME_FORMATS, validators=[InputRequired()])
    enrolment_closes_at = MomentField(_l("Enrolment closes"), format=DATETIME_FORMATS, validators=[InputRequired()])
    trainer_ids = MultiCheckboxField(_l("Trainers"), coerce=str, validate_choice=False)

    def __init__(self, *args, trainers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = select_choices((name, name) for name in timezone_names())
        self.trainer_ids.choices = select_choices((user.id, user.name) for user in trainers)


def session_form_data(session) -> dict:
    """A stored session as its form shows it: times on the wall clock of the session's zone."""
    data = {name: getattr(session, name) for name in SESSION_COLUMNS}
    for name in ("starts_at", "ends_at", "enrolment_opens_at", "enrolment_closes_at"):
        data[name] = utc_to_local(data[name], session.timezone).replace(tzinfo=None)
    data["trainer_ids"] = [str(trainer.id) for trainer in session.trainers]
    return data


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=2000)],
                           description=_l("Shown on the certificate's public page."))
