"""The payee and screening forms (shape only: PayeeInput and ScreeningInput clean them, every error at once)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField

from cade.core.countries import country_choices
from cade.core.forms import MultiCheckboxField, select_choices
from cade.diligence.constants import SCREENING_RESULT_LABELS
from cade.diligence.forms_documents import Required


class PayeeForm(FlaskForm):
    account_holder = StringField(_l("Account holder"), validators=[Required()], render_kw={"autocomplete": "off"},
                                 description=_l("Exactly as the bank letter writes it: normally the organisation's "
                                                "legal name."))
    holder_explanation = TextAreaField(_l("Why the holder is not the organisation"), render_kw={"rows": 3},
                                       description=_l("Only when the account holder differs from the legal name "
                                                      "(a fiscal host, for instance)."))
    bank_name = StringField(_l("Bank"), validators=[Required()])
    bank_country = SelectField(_l("Country of the bank"), validators=[Required()], validate_choice=False)
    iban = StringField(_l("IBAN"), render_kw={"autocomplete": "off", "spellcheck": "false"},
                       description=_l("Spaces are fine. Leave empty only where the bank has no IBAN."))
    account_number = StringField(_l("Account number"), render_kw={"autocomplete": "off"},
                                 description=_l("Only where there is no IBAN."))
    bic = StringField(_l("BIC (SWIFT code)"), render_kw={"autocomplete": "off", "spellcheck": "false"},
                      description=_l("8 or 11 letters and digits, such as DEUTDEFF."))
    routing_code = StringField(_l("Local routing code"), render_kw={"autocomplete": "off"},
                               description=_l("A sort code or routing number, where the bank has no BIC."))
    currency = StringField(_l("Currency of the account"), validators=[Required()],
                           render_kw={"autocomplete": "off", "size": 3},
                           description=_l("The three-letter code, such as EUR, USD or XOF."))
    bank_letter_id = SelectField(_l("Bank letter"), validators=[Required()], validate_choice=False,
                                 description=_l("The bank's letter confirming the account, from the organisation's "
                                                "documents."))

    def __init__(self, *args, letters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.bank_country.choices = select_choices([("", _l("Choose…")), *country_choices()])
        self.bank_letter_id.choices = select_choices([("", _l("Choose…")), *letters])


class RejectionForm(FlaskForm):
    reason = TextAreaField(_l("Why the details are rejected"), validators=[Required()], render_kw={"rows": 3},
                           description=_l("The organisation's owners read this: say what to correct."))


class ScreeningForm(FlaskForm):
    programme_id = SelectField(_l("Programme"), validators=[Required()], validate_choice=False,
                               description=_l("The screening must cover every sanctions list this programme names."))
    screened_on = StringField(_l("Screened on"), validators=[Required()], render_kw={"type": "date"})
    lists = MultiCheckboxField(_l("Lists checked"), validate_choice=False)
    other_lists = TextAreaField(_l("Other lists checked"), render_kw={"rows": 2},
                                description=_l("One a line, beyond those above."))
    names = TextAreaField(_l("Names screened"), validators=[Required()], render_kw={"rows": 4},
                          description=_l("The organisation and its signatories, one a line."))
    result = RadioField(_l("Result"), validators=[Required()], validate_choice=False)
    evidence = TextAreaField(_l("Evidence"), validators=[Required()], render_kw={"rows": 4},
                             description=_l("What was searched and where: a reference or a search record."))

    def __init__(self, *args, programmes=(), lists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.programme_id.choices = select_choices([("", _l("Choose…")), *programmes])
        self.lists.choices = select_choices([(name, name) for name in lists])
        self.result.choices = select_choices(SCREENING_RESULT_LABELS.items())
