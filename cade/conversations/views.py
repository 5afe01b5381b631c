"""Pages of cade/conversations (see its package docstring): routes live in the views_* modules joined below.

The partials other domains' pages include ask the Jinja globals registered here (cade/conversations/panels.py).
"""

from flask import Blueprint
from flask_login import current_user

from cade.applications.constants import BUDGET_CATEGORIES
from cade.conversations import panels
from cade.conversations.constants import CLARIFICATION_STATUS_LABELS
from cade.core.forms import current_actor

bp = Blueprint("conversations", __name__)


@bp.app_context_processor
def _conversation_panels():
    def viewer():
        return current_actor() if current_user.is_authenticated else None

    return {
        "clarification_panel": lambda application: panels.application_panel(viewer(), application),
        "review_clarifications": lambda assignment: panels.review_panel(viewer(), assignment),
        "clarification_status_labels": CLARIFICATION_STATUS_LABELS,
        "budget_category_label": lambda code: str(BUDGET_CATEGORIES.get(code, code)),
    }


from cade.conversations import views_clarifications  # noqa: E402,F401
from cade.conversations import views_threads  # noqa: E402,F401
from cade.conversations import views_settings  # noqa: E402,F401
