"""Applicant pages: start, edit, submit, withdraw and follow applications."""

from flask import Blueprint

bp = Blueprint("applications", __name__, url_prefix="/applications")


@bp.get("/")
def dashboard():
    return "TODO"
