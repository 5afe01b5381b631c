"""Sign-up, verification, sign-in, sign-out, password reset and profile pages."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/auth")


@bp.route("/login", methods=["GET", "POST"])
def login():
    return "TODO"


@bp.route("/register", methods=["GET", "POST"])
def register():
    return "TODO"


@bp.post("/logout")
def logout():
    return "TODO"


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    return "TODO"
