"""Forms for the reviewer pool and reviewer profiles (shape checks only; the service checks the values)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length

from cade.core.countries import region_choices
from cade.core.forms import MultiCheckboxField, select_choices
from cade.organisations.forms import language_choices
from cade.reviews.constants import MAX_LOAD_LIMIT
from cade.reviews.services.pool import EXPERTISE_MAX_TAGS, EXPERTISE_TAG_MAX_CHARS


class AddReviewerForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)],
                       description=_l("Someone with an account becomes a reviewer at once; anyone else "
                                      "gets an invitation by e-mail."))


class ReviewerProfileForm(FlaskForm):
    expertise = StringField(
        _l("Expertise"), validators=[Length(max=(EXPERTISE_TAG_MAX_CHARS + 2) * EXPERTISE_MAX_TAGS)],
        description=_l("Topics you can judge, separated by commas, e.g. community networks, spectrum policy, "
                       "gender. At most %(n)d.", n=EXPERTISE_MAX_TAGS))
    # The service refuses unknown codes with its own message, beside the field.
    languages = MultiCheckboxField(_l("Languages you can review in"), validate_choice=False)
    regions = MultiCheckboxField(_l("Regions you know well"), validate_choice=False)
    max_load = IntegerField(
        _l("Maximum applications per call"), validators=[InputRequired()],
        description=_l("From 0 (none for now) to %(max)d.", max=MAX_LOAD_LIMIT))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.languages.choices = select_choices(language_choices())  # the codes of REVIEWER_LANGUAGES
        self.regions.choices = select_choices(region_choices())


def profile_form_data(profile) -> dict:
    """What the profile form shows before anything is typed."""
    return {"expertise": ", ".join(profile.expertise or []), "languages": list(profile.languages or []),
            "regions": list(profile.regions or []), "max_load": profile.max_load}
