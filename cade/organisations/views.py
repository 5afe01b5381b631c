"""Organisation profile, members and invitations pages."""

from flask import Blueprint

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


@bp.get("/mine")
def mine():
    return "TODO"
