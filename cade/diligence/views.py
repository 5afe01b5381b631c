"""Due-diligence pages: an organisation's documents and payee details (its owners and admins), and the admins'
verification queue. The routes live in views_documents.py, views_payees.py and views_queue.py, joined below."""

from flask import Blueprint

bp = Blueprint("diligence", __name__)

from cade.diligence import views_documents  # noqa: E402,F401
from cade.diligence import views_payees  # noqa: E402,F401
from cade.diligence import views_queue  # noqa: E402,F401
