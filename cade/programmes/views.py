"""Public call pages and the admin pages for programmes and calls."""

from flask import Blueprint

bp = Blueprint("programmes", __name__)


@bp.get("/")
def index():
    return "TODO"


@bp.get("/admin/")
def admin_index():
    return "TODO"
