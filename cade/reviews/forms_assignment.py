"""Forms of the admin's review page of a call: the review deadline, one reviewer for one application, bulk."""

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from cade.core.timeutil import utc_to_local
from cade.programmes.forms import DATETIME_FORMATS, MomentField


class ReviewDeadlineForm(FlaskForm):
    review_deadline = MomentField(_l("Review deadline"), format=DATETIME_FORMATS, validators=[Optional()])

    def __init__(self, *args, tz_name: str, deadline_at: datetime | None = None, **kwargs):
        if deadline_at is not None and "data" not in kwargs:
            kwargs["data"] = {"review_deadline": utc_to_local(deadline_at, tz_name).replace(tzinfo=None)}
        super().__init__(*args, **kwargs)
        self.review_deadline.description = _l(
            "In the call's time zone, %(zone)s. Reviews can be changed until then; leave empty for no deadline.",
            zone=tz_name)


# A reviewer is typed, or picked from the page's one list of reviewers: a name and an e-mail address fit.
# cade.reviews.services.assignment's `reviewer_from_input` reads it (spaces too are its business).
REVIEWER_MAX_CHARS = 500


class AssignReviewerForm(FlaskForm):
    """One reviewer for one application; the page shows one per application, each with its own prefix."""

    reviewer = StringField(_l("Reviewer"), validators=[
        DataRequired(message=_l("Choose a reviewer.")), Length(max=REVIEWER_MAX_CHARS)])


class BulkAssignForm(FlaskForm):
    """One reviewer for the applications ticked in the table (their check boxes belong to this form)."""

    reviewer = StringField(_l("Reviewer for the ticked applications"), validators=[
        DataRequired(message=_l("Choose a reviewer.")), Length(max=REVIEWER_MAX_CHARS)])
    application_ids = SelectMultipleField(_l("Applications"), coerce=int, validate_choice=False,
                                          validators=[InputRequired(message=_l("Tick at least one application."))])


def reviewer_suggestions(reviewers) -> list[tuple[str, str]]:
    """(what the field receives, what the list shows) for each reviewer offered: "Name (load of max)"."""
    label = _("%(name)s (%(load)d of %(max)d)")  # translated once for the whole list
    return [(reviewer.suggestion, label % {"name": reviewer.name, "load": reviewer.load, "max": reviewer.max_load})
            for reviewer in reviewers]
