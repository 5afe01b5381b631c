"""Forms for the ranking (filters, selection targets) and for deciding an application (shape checks only)."""

from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from cade.awards.constants import DECISION_OUTCOME_LABELS, FEEDBACK_MAX_CHARS, DecisionOutcome
from cade.awards.services.decisions import outcomes_for
from cade.awards.services.ranking import RankingFilters
from cade.core.countries import country_choices, get_country, region_choices
from cade.core.forms import LocalDecimalField, check_money_places, select_choices
from cade.core.money import from_minor
from cade.organisations.constants import ORGANISATION_TYPE_LABELS, STAKEHOLDER_GROUP_LABELS

FLAG_LABELS = {
    "disagreement": _l("Reviewers disagree"),
    "few_reviews": _l("Fewer reviews than required"),
    "undecided": _l("Not decided yet"),
}
SORT_LABELS = {
    "score": _l("Mean score"),
    "median": _l("Median score"),
    "normalised": _l("Normalised score"),
    "requested": _l("Amount requested"),
    "reference": _l("Reference"),
    "reviews": _l("Number of reviews"),
}
DIRECTION_LABELS = {"desc": _l("Highest first"), "asc": _l("Lowest first")}


@cache
def _main_region_codes() -> frozenset[str]:
    """The UN M49 regions organisations are grouped by (Africa, Americas, Asia, Europe, Oceania)."""
    return frozenset(get_country(code).region_code for code, _name in country_choices())


def main_region_choices() -> list[tuple[str, str]]:
    """(code, name) of the M49 regions, in the reader's language (sub-regions left out)."""
    return [(code, name) for code, name in region_choices() if code in _main_region_codes()]


class RankingFilterForm(FlaskForm):
    """The ranking's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    region = SelectField(_l("Region"), default="", validators=[Optional()])
    stakeholder_group = SelectField(_l("Stakeholder group"), default="", validators=[Optional()])
    organisation_type = SelectField(_l("Organisation type"), default="", validators=[Optional()])
    score_min = FloatField(_l("Mean score from"), validators=[Optional(), NumberRange(min=0, max=100)])
    score_max = FloatField(_l("Mean score to"), validators=[Optional(), NumberRange(min=0, max=100)])
    flag = SelectField(_l("Show only"), default="", validators=[Optional()])
    sort = SelectField(_l("Sort by"), default="score", validators=[Optional()],
                       choices=select_choices(SORT_LABELS.items()))
    direction = SelectField(_l("Order"), default="desc", validators=[Optional()],
                            choices=select_choices(DIRECTION_LABELS.items()))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        anything = _("All")
        self.region.choices = select_choices([("", anything), *main_region_choices()])
        self.stakeholder_group.choices = select_choices([("", anything), *STAKEHOLDER_GROUP_LABELS.items()])
        self.organisation_type.choices = select_choices([("", anything), *ORGANISATION_TYPE_LABELS.items()])
        self.flag.choices = select_choices([("", _("All applications")), *FLAG_LABELS.items()])

    def filters(self) -> RankingFilters:
        """What was asked for, after validate(); a field with an error is left out, not guessed."""

        def value(field):
            return None if field.errors or field.data in (None, "") else field.data

        return RankingFilters(
            region=value(self.region), stakeholder_group=value(self.stakeholder_group),
            organisation_type=value(self.organisation_type), score_min=value(self.score_min),
            score_max=value(self.score_max), flag=value(self.flag), sort=value(self.sort) or "score",
            descending=value(self.direction) != "asc",
        )

    def query_args(self, **changes) -> dict:
        """The current filters as query-string arguments, with `changes` applied (for sortable headers)."""
        args = {name: field.data for name, field in self._fields.items()
                if not field.errors and field.data not in (None, "")}
        args.update(changes)
        return args


class TargetsForm(FlaskForm):
    """Target shares of the awarded amount, one whole percent per region and per stakeholder group."""

    region_codes: list[tuple[str, str]] = []
    stakeholder_codes: list[tuple[str, str]] = []

    def region_fields(self):
        return [(code, name, self[f"region_{code}"]) for code, name in self.region_codes]

    def stakeholder_fields(self):
        return [(code, label, self[f"stakeholder_{code}"]) for code, label in self.stakeholder_codes]

    def region_targets(self) -> dict[str, int]:
        return {code: field.data for code, _name, field in self.region_fields() if field.data}

    def stakeholder_targets(self) -> dict[str, int]:
        return {code: field.data for code, _label, field in self.stakeholder_fields() if field.data}


def targets_form(settings, formdata=None) -> TargetsForm:
    """The targets form for one call: its regions (with any region already targeted) and stakeholder groups."""
    regions = main_region_choices()
    known = {code for code, _name in regions}
    regions += [(code, code) for code in sorted(settings.region_targets or {}) if code not in known]
    stakeholders = [(str(code), label) for code, label in STAKEHOLDER_GROUP_LABELS.items()]

    class CallTargetsForm(TargetsForm):
        region_codes = regions
        stakeholder_codes = stakeholders

    percent = [Optional(), NumberRange(min=0, max=100, message=_l("Enter a whole percentage from 0 to 100."))]
    for code, name in regions:
        setattr(CallTargetsForm, f"region_{code}", IntegerField(name, validators=percent))
    for code, label in stakeholders:
        setattr(CallTargetsForm, f"stakeholder_{code}", IntegerField(label, validators=percent))
    data = {f"region_{code}": value for code, value in (settings.region_targets or {}).items()}
    data |= {f"stakeholder_{code}": value for code, value in (settings.stakeholder_targets or {}).items()}
    kwargs = {"formdata": formdata} if formdata is not None else {"formdata": None, "data": data}
    return CallTargetsForm(prefix="targets", **kwargs)


class DecisionForm(FlaskForm):
    outcome = RadioField(_l("Decision"), choices=select_choices(DECISION_OUTCOME_LABELS.items()),
                         validators=[InputRequired(message=_l("Choose award, waitlist or reject."))])
    amount = LocalDecimalField(_l("Amount to award"), places=None, validators=[Optional(), NumberRange(min=0)])
    feedback = TextAreaField(_l("Feedback for the applicant"),
                             validators=[InputRequired(), Length(max=FEEDBACK_MAX_CHARS)],
                             description=_l("Sent to the applicant when the call's decisions are released."))
    rationale = TextAreaField(_l("Rationale for the record"),
                              validators=[InputRequired(), Length(max=FEEDBACK_MAX_CHARS)],
                              description=_l("Kept with the decision; never sent to the applicant."))
    override_reason = TextAreaField(
        _l("Why decide with fewer reviews than required?"), validators=[Optional(), Length(max=FEEDBACK_MAX_CHARS)])

    currency = "USD"

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return check_money_places(self.amount, self.currency) and ok


def decision_form(call, decision=None, formdata=None) -> DecisionForm:
    """The decision form in the call's currency, filled from `decision` when nothing was posted."""
    data = None
    if decision is not None and formdata is None:
        data = {"outcome": decision.outcome, "feedback": decision.feedback, "rationale": decision.rationale,
                "override_reason": decision.override_reason,
                "amount": from_minor(decision.amount_minor, call.currency) if decision.amount_minor else None}
    form = DecisionForm(formdata=formdata, data=data)
    form.currency = call.currency
    # Only the outcomes the call decides (a concept-note stage shortlists or rejects): outcomes_for.
    outcomes = outcomes_for(call)
    form.outcome.choices = select_choices((outcome, DECISION_OUTCOME_LABELS[outcome]) for outcome in outcomes)
    if DecisionOutcome.SHORTLIST in outcomes:
        form.outcome.validators = [InputRequired(message=_l("Choose shortlist or reject."))]
    return form


class ReleaseConfirmForm(FlaskForm):
    """Confirming a release: the number of decisions the admin was shown, sent back in a hidden field.

    The release service compares it with the number it would release now, under the call's lock.
    """

    expected = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=1_000_000)])


class AcceptOfferForm(FlaskForm):
    """Accepting an offer (shape only: whether the confirmation matches is the service's to say)."""

    signatory_name = StringField(_l("Name of the signatory"), validators=[InputRequired(), Length(max=200)],
                                 description=_l("The person who signs for the organisation."))
    signatory_position = StringField(_l("Position of the signatory"), validators=[InputRequired(), Length(max=200)],
                                     description=_l("For example: Director, Chair of the board."))
    confirmation = StringField(_l("Confirmation"), validators=[InputRequired(), Length(max=400)])


class DeclineOfferForm(FlaskForm):
    reason = TextAreaField(_l("Why does the organisation decline the offer?"),
                           validators=[InputRequired(), Length(max=FEEDBACK_MAX_CHARS)],
                           description=_l("The programme team reads it; the money goes to another application."))


class AwardWaitlistedForm(FlaskForm):
    amount = LocalDecimalField(_l("Amount to award"), places=None, validators=[InputRequired(), NumberRange(min=0)])
    feedback = TextAreaField(_l("Feedback for the applicant"),
                             validators=[InputRequired(), Length(max=FEEDBACK_MAX_CHARS)],
                             description=_l("Sent to the applicant with the offer, at once."))

    currency = "USD"

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return check_money_places(self.amount, self.currency) and ok
