"""Award pages: the ranking and decisions (admin), release, and the applicant's outcome."""

from flask import Blueprint

bp = Blueprint("awards", __name__)

from cade.awards.views import decisions, outcome  # noqa: E402,F401  (handlers register on bp)
