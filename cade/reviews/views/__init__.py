"""Review pages: the reviewer pool (admin), assignment (admin), and the reviewer's own work."""

from flask import Blueprint

bp = Blueprint("reviews", __name__)

from cade.reviews.views import assignments, pool, scoring  # noqa: E402,F401  (handlers register on bp)
