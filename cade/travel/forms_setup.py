"""The forms of a travel call's setup and of the per diem table (shape only: the commands in cade/travel/setup.py
and cade/travel/per_diem.py clean them, every error at once)."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField

from cade.core.countries import country_choices
from cade.core.forms import select_choices
from cade.core.templating import language_name


class Required:
    """Marks a field required (the label's asterisk); the command says when it is missing, with every other error."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        pass


_NUMBER = {"inputmode": "numeric", "autocomplete": "off", "size": 4}


class TravelSettingsForm(FlaskForm):
    date_margin_days = StringField(_l("Days of travel allowed around the event"), validators=[Required()],
                                   render_kw=_NUMBER, description=_l(
                                       "Travellers may leave this many days before an event starts and come back "
                                       "this many days after it ends (0 to 30)."))
    post_trip_days = StringField(_l("Days to send the post-trip report"), validators=[Required()], render_kw=_NUMBER,
                                 description=_l("Counted from the last day of the event (1 to 365)."))


class EventForm(FlaskForm):
    name = StringField(_l("Name of the event"), validators=[Required()])
    city = StringField(_l("City"), validators=[Required()])
    country = SelectField(_l("Country"), validators=[Required()], validate_choice=False)
    starts_on = StringField(_l("First day"), validators=[Required()], render_kw={"type": "date"})
    ends_on = StringField(_l("Last day"), validators=[Required()], render_kw={"type": "date"})
    website = StringField(_l("Official website"), render_kw={"type": "url", "spellcheck": "false"},
                          description=_l("Starting with https://, such as https://www.intgovforum.org."))
    language = SelectField(_l("Language of the event"), validate_choice=False, description=_l(
        "Visa letters are also written in it where the site has that language."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = select_choices([("", _l("Choose…")), *country_choices()])
        self.language.choices = select_choices(
            [("", _l("None of these")), *((code, language_name(code)) for code in current_app.config["LANGUAGES"])])


class PerDiemRateForm(FlaskForm):
    country = SelectField(_l("Country"), validators=[Required()], validate_choice=False)
    city = StringField(_l("City"), description=_l("Only for a city with its own rate; leave empty for the rest of "
                                                  "the country."))
    daily_amount = StringField(_l("Daily amount"), validators=[Required()],
                               render_kw={"inputmode": "decimal", "autocomplete": "off"})
    currency = StringField(_l("Currency"), validators=[Required()], render_kw={"autocomplete": "off", "size": 3},
                           description=_l("The three-letter code, such as USD, EUR or CHF."))
    valid_from = StringField(_l("Valid from"), validators=[Required()], render_kw={"type": "date"})
    valid_to = StringField(_l("Valid until"), render_kw={"type": "date"},
                           description=_l("The last day it applies. Leave empty while it applies until replaced."))
    source = StringField(_l("Source"), validators=[Required()],
                         description=_l("Where the rate comes from, such as the UN ICSC daily subsistence "
                                        "allowance of a month."))
    is_example = BooleanField(_l("An example rate, not an official one"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = select_choices([("", _l("Choose…")), *country_choices()])
