"""The reports domain's forms: shape only; the commands in cade/reports/services check the values."""

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice

from cade.programmes.forms import ShownRequired
from cade.reports.models import RepresentationTarget
from cade.reports.services.targets import target_choices

# The command names the group by two fields; the form chooses it with one select.
GROUP_FIELD_ALIASES = {"dimension": "group", "value": "group"}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class TargetForm(FlaskForm):
    """One select of every group, grouped by dimension ("region:002"), so it works without JavaScript.

    The shares are text, not numbers: TargetInput reads "30 %" and "12,5" as
    the reader writes them, and what was typed comes back as typed.
    """

    group = SelectField(_l("Group"), validators=[ShownRequired()], validate_choice=False,
                        description=_l("Regions and sub-regions as the UN M49 standard files them."))
    target_percent = StringField(_l("Target share of awards (%)"), validators=[ShownRequired()], filters=[_strip],
                                 description=_l("At least this share of the programme's awards, such as 30."))
    baseline_percent = StringField(_l("Baseline (%)"), filters=[_strip],
                                   description=_l("Optional: where things stood before, such as 8."))
    baseline_source = StringField(_l("Source of the baseline"), filters=[_strip],
                                  description=_l("Needed with a baseline, such as a report and its year."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Names in the reader's language, built per request.
        choices = [SelectChoice("", _l("Choose a group"))]
        for dimension, heading, pairs in target_choices():
            choices += [SelectChoice(f"{dimension}:{value}", name, optgroup=heading) for value, name in pairs]
        self.group.choices = choices

    def command_data(self) -> dict:
        """The form's values as TargetInput reads them (the group split into its dimension and value)."""
        dimension, _colon, value = (self.group.data or "").partition(":")
        return {"dimension": dimension, "value": value, "target_percent": self.target_percent.data,
                "baseline_percent": self.baseline_percent.data, "baseline_source": self.baseline_source.data}

    def fill(self, target: RepresentationTarget) -> None:
        """Show a stored target, its shares as percentages written the reader's way ("12,5" in French)."""
        self.group.data = f"{target.dimension}:{target.value}"
        self.target_percent.data = _percent(target.target_share)
        self.baseline_percent.data = _percent(target.baseline_share)
        self.baseline_source.data = target.baseline_source or ""


def _percent(share) -> str:
    return "" if share is None else format_decimal(share * 100, format="0.##")
