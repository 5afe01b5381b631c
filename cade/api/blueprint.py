"""The API's blueprint, apart from views.py so that the endpoint registry can route on it without a cycle."""

from flask import Blueprint

from cade.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# No cookie authenticates an API call (cade/api/auth.py), so there is nothing for a forged request to ride on.
csrf.exempt(bp)
