"""The in-app inbox and, in development, the mailbox of sent e-mail."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)


@bp.get("/inbox")
def inbox():
    return "TODO"
