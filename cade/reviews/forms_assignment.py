"""Forms of the admin's review page of a call: the review deadline, one reviewer for one application, bulk."""

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField
from wtforms.validators import InputRequired, Optional

from cade.core.forms import select_choices
from cade.core.timeutil import utc_to_local
from cade.programmes.forms import DATETIME_FORMATS, MomentField


def _id_or_none(value):
    return None if value in (None, "") else int(value)


class ReviewDeadlineForm(FlaskForm):
    review_deadline = MomentField(_l("Review deadline"), format=DATETIME_FORMATS, validators=[Optional()])

    def __init__(self, *args, tz_name: str, deadline_at: datetime | None = None, **kwargs):
        if deadline_at is not None and "data" not in kwargs:
            kwargs["data"] = {"review_deadline": utc_to_local(deadline_at, tz_name).replace(tzinfo=None)}
        super().__init__(*args, **kwargs)
        self.review_deadline.description = _l(
            "In the call's time zone, %(zone)s. Reviews can be changed until then; leave empty for no deadline.",
            zone=tz_name)


class _ChoosesReviewer(FlaskForm):
    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.set_candidates(candidates)

    def set_candidates(self, candidates) -> None:
        """The reviewers offered: (user id, label) pairs, after a "choose" prompt."""
        self.reviewer_id.choices = select_choices([("", _l("Choose a reviewer")), *candidates])


class AssignReviewerForm(_ChoosesReviewer):
    """One reviewer for one application; the page shows one per application, each with its own prefix."""

    reviewer_id = SelectField(_l("Reviewer"), coerce=_id_or_none, validate_choice=False,
                              validators=[InputRequired(message=_l("Choose a reviewer."))])


class BulkAssignForm(_ChoosesReviewer):
    """One reviewer for the applications ticked in the table (their check boxes belong to this form)."""

    reviewer_id = SelectField(_l("Reviewer for the ticked applications"), coerce=_id_or_none,
                              validate_choice=False, validators=[InputRequired(message=_l("Choose a reviewer."))])
    application_ids = SelectMultipleField(_l("Applications"), coerce=int, validate_choice=False,
                                          validators=[InputRequired(message=_l("Tick at least one application."))])

def reviewer_choices(reviewers) -> list[tuple[int, str]]:
    """(user id, "Name (load of max)") for each reviewer of the pool, as select options."""
    return [(reviewer.user.id, _("%(name)s (%(load)d of %(max)d)", name=reviewer.user.name, load=reviewer.load,
                                 max=reviewer.profile.max_load))
            for reviewer in reviewers]
