"""The reviewer's forms: the conflict declaration and the review of one application.

They carry what was posted; the scoring and conflicts services decide what is
valid (whole numbers within each criterion's range, a reason for a conflict),
so that every refusal has one wording and lands on its field.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired

from cade.core.forms import select_choices
from cade.reviews.constants import RECOMMENDATION_LABELS
from cade.core.templating import local_markup
from cade.core.translations import localized

NO_CONFLICT, CONFLICT = "no", "yes"


class DeclarationForm(FlaskForm):
    has_conflict = RadioField(
        _l("Conflict of interest"),
        choices=select_choices([(NO_CONFLICT, _l("I have no conflict of interest with this application")),
                                (CONFLICT, _l("I have a conflict of interest, because…"))]),
        validators=[InputRequired(_l("Please choose one of the answers."))])
    reason = TextAreaField(_l("Why you have a conflict of interest"), description=_l(
        "For example: you work with, advise or compete with the applicant. Only the administrators read this."))

    @property
    def conflict(self) -> bool:
        return self.has_conflict.data == CONFLICT


class ReviewForm(FlaskForm):
    recommendation = RadioField(_l("Your recommendation"), validate_choice=False,
                                choices=select_choices(RECOMMENDATION_LABELS.items()))
    comment_to_applicant = TextAreaField(_l("Comment for the applicant"), description=_l(
        "Sent to the applicant with the decision, without your name."))
    confidential_comment = TextAreaField(_l("Confidential comment for the panel"), description=_l(
        "Only the administrators deciding on this call read it; it is never sent to the applicant."))

    criteria: list = []

    def score_fields(self):
        """(criterion, field) in the rubric's order."""
        return [(criterion, self[f"score_{criterion.id}"]) for criterion in self.criteria]

    def scores(self) -> dict[int, str | None]:
        return {criterion.id: field.data for criterion, field in self.score_fields()}


def review_form(criteria, review=None) -> ReviewForm:
    """The review form for a call's rubric; filled from the saved `review` when nothing was posted."""

    class RubricReviewForm(ReviewForm):
        pass

    for criterion in criteria:
        setattr(RubricReviewForm, f"score_{criterion.id}", StringField(
            local_markup(localized(criterion, "label")), description=criterion.guidance))
    data = None
    if review is not None:
        data = {"recommendation": review.recommendation, "comment_to_applicant": review.comment_to_applicant,
                "confidential_comment": review.confidential_comment,
                **{f"score_{score.criterion_id}": str(score.score) for score in review.scores}}
    form = RubricReviewForm(data=data)
    form.criteria = list(criteria)
    return form
