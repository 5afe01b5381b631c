"""Travel pages: a travel call's events, caps and per diem table (admins), the trip of an application, the visa
letter and its public check, the claim and the post-trip report. Routes live in the views_* modules joined below."""

from flask import Blueprint

bp = Blueprint("travel", __name__)

from cade.travel import views_setup  # noqa: E402,F401
from cade.travel import views_trips  # noqa: E402,F401
from cade.travel import views_letters  # noqa: E402,F401
from cade.travel import views_claims  # noqa: E402,F401
