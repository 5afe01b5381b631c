"""Due-diligence pages: an organisation's documents and payee details (its owners and admins), and the admins'
verification queue. The routes live in views_documents.py and views_payees.py, joined below (the admins'
verification queue, which also lists grants' amendments, is in cade/grants/verification.py)."""

from flask import Blueprint

bp = Blueprint("diligence", __name__)

from cade.diligence import views_documents  # noqa: E402,F401
from cade.diligence import views_payees  # noqa: E402,F401
