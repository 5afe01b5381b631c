"""Forms for programmes, calls, questions and rubric criteria (shape checks only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from cade.core.forms import LocalDecimalField, select_choices
from cade.core.money import is_currency
from cade.core.rules import registered_rules
from cade.core.timeutil import timezone_names, utc_to_local
from cade.programmes.constants import PROGRAMME_KIND_LABELS, QUESTION_KIND_LABELS
from cade.programmes.services.calls import REASON_MAX_CHARS, call_as_input

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class MomentField(DateTimeLocalField):
    """A date and time to the minute, or to the second when the stored value has seconds.

    A deadline of 23:59:59 shown as 23:59 would be saved back a minute early
    by a form that only changes the title; browsers also refuse a value with
    seconds unless the field steps by one second.
    """

    def _has_seconds(self) -> bool:
        return bool(self.data and self.data.second)

    def __call__(self, **kwargs):
        if self._has_seconds():
            kwargs.setdefault("step", "1")
        return super().__call__(**kwargs)

    def _value(self):
        if not self.raw_data and self._has_seconds():
            return self.data.strftime("%Y-%m-%dT%H:%M:%S")
        return super()._value()


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


class ProgrammeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)], filters=[_strip])
    kind = SelectField(_l("Kind"), choices=select_choices(PROGRAMME_KIND_LABELS.items()))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20_000)])
    funder_name = StringField(_l("Funder name"), validators=[InputRequired(), Length(max=200)], filters=[_strip])
    funder_identifier = StringField(
        _l("Funder identifier"), validators=[Optional(), Length(max=100)], filters=[_strip],
        description=_l("For open data, e.g. an IATI organisation identifier such as XM-DAC-41114."))
    currency = StringField(
        _l("Currency"), validators=[InputRequired(), Length(min=3, max=3)], filters=[_upper],
        description=_l("ISO 4217 code such as USD or EUR. It cannot change once the programme has a call."))

    def validate_currency(self, field):
        if not is_currency(field.data):
            raise ValidationError(_l("Enter an ISO 4217 currency code such as USD or EUR."))


class CallForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)], filters=[_strip])
    reference_prefix = StringField(
        _l("Reference prefix"), filters=[_upper],
        validators=[InputRequired(), Length(max=40),
                    Regexp(r"^[A-Z0-9]+(-[A-Z0-9]+)*$", message=_l("Use only letters, digits and single dashes."))],
        description=_l("Application references start with it, e.g. CADE-2026 gives CADE-2026-0042."))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=50_000)],
                                description=_l("Plain text; line breaks are kept."))
    timezone = SelectField(_l("Time zone of the call"), validators=[InputRequired()],
                           description=_l("Opening and closing times are read in this time zone. A time that "
                                          "happens twice when the clocks go back is read as the first one "
                                          "(summer time); a time skipped when they go forward is refused."))
    opens_at = MomentField(_l("Opens"), format=DATETIME_FORMATS, validators=[InputRequired()])
    closes_at = MomentField(_l("Closes (deadline)"), format=DATETIME_FORMATS, validators=[InputRequired()])
    # Amounts are checked by the service (more than zero, not too large, the currency's decimal places);
    # a range check here would add a second message to the field's own "Enter a number.".
    budget_envelope = LocalDecimalField(_l("Budget envelope"), places=None, validators=[InputRequired()])
    min_award = LocalDecimalField(_l("Minimum award"), places=None, validators=[InputRequired()])
    max_award = LocalDecimalField(_l("Maximum award"), places=None, validators=[InputRequired()])
    reviews_required = IntegerField(_l("Reviews per application"), default=2,
                                    validators=[InputRequired(), NumberRange(min=1, max=10)])
    blind_review = BooleanField(_l("Blind review (reviewers do not see the organisation)"))
    # The eligibility fields come from the rule registry: see call_form.

    def __init__(self, *args, currency: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices in the reader's language, built per request.
        self.timezone.choices = select_choices((name, name) for name in timezone_names())
        if currency:
            for field in (self.budget_envelope, self.min_award, self.max_award):
                field.description = _l("In %(currency)s.", currency=currency)

    def eligibility_fields(self) -> list:
        """The fields of the registered eligibility rules, in the registry's order."""
        return [self[rule.field_name] for rule in registered_rules()]


class ShownRequired:
    """Marks a field required (the label's asterisk) while the service decides when it is: a reason is
    needed only for a change, and the service names it together with every other refusal."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        pass


def call_form(currency: str | None = None, *, in_review: bool = False, blind_review: bool = True,
              **kwargs) -> CallForm:
    """The admin's call form with one field per registered eligibility rule (built per request,
    so that labels and choices are in the reader's language).

    `in_review` adds the reason for the change; without `blind_review` the
    form has no such box, so the call keeps its setting (the page says why).
    """

    class RuledCallForm(CallForm):
        pass

    for rule in registered_rules():
        setattr(RuledCallForm, rule.field_name, rule.form_field(currency))
    if in_review:
        RuledCallForm.reason = TextAreaField(
            _l("Reason for the change"), validators=[ShownRequired(), Length(max=REASON_MAX_CHARS)],
            filters=[_strip], render_kw={"rows": 3},
            description=_l("This call is in review: the reason is kept in the audit log with what changed."))
    form = RuledCallForm(currency=currency, **kwargs)
    if not blind_review:
        del form["blind_review"]
    return form


def call_form_data(call) -> dict:
    """A call's stored values as the form shows them: wall-clock times in its zone, major units."""
    return {
        **call_as_input(call),
        "opens_at": utc_to_local(call.opens_at, call.timezone).replace(tzinfo=None),
        "closes_at": utc_to_local(call.closes_at, call.timezone).replace(tzinfo=None),
    }


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Kind of answer"), choices=select_choices(QUESTION_KIND_LABELS.items()))
    label = StringField(_l("Question"), validators=[InputRequired(), Length(max=300)], filters=[_strip])
    help_text = TextAreaField(_l("Help text"), validators=[Optional(), Length(max=5_000)],
                              render_kw={"rows": 3})
    required = BooleanField(_l("An answer is required"), default=True)
    word_limit = IntegerField(_l("Word limit (long text only)"),
                              validators=[Optional(), NumberRange(min=1, max=20_000)])
    choices = TextAreaField(_l("Choices (choice questions only)"), render_kw={"rows": 4},
                            description=_l("One per line; at least two."))


def question_form_data(question) -> dict:
    return {
        "kind": question.kind,
        "label": question.label,
        "help_text": question.help_text,
        "required": question.required,
        "word_limit": question.word_limit,
        "choices": "\n".join(question.choices or []),
    }


class CriterionForm(FlaskForm):
    label = StringField(_l("Criterion"), validators=[InputRequired(), Length(max=200)], filters=[_strip])
    guidance = TextAreaField(_l("Guidance for reviewers"), validators=[Optional(), Length(max=5_000)],
                             render_kw={"rows": 3})
    weight = IntegerField(_l("Weight"), default=1, validators=[InputRequired(), NumberRange(min=1, max=100)])
    max_score = IntegerField(_l("Maximum score"), default=5,
                             validators=[InputRequired(), NumberRange(min=1, max=100)])
