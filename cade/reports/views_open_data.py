"""/open-data: the public page that says what the open-data files publish, what they withhold and why.

The files themselves are served by the API (`/api/v1/open-data/…`, cade/api). The page lives at the site's
root, though its handler is on the reports blueprint (imported at the end of cade/reports/views.py).
"""

from flask import render_template

from cade.reports.open_data.documents import published_summaries
from cade.reports.open_data.publication import MIN_COUNTRY_AWARDS
from cade.reports.views import bp

FILES = (("360giving", "/api/v1/open-data/360giving.json"), ("iati", "/api/v1/open-data/iati.xml"))
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


def open_data():
    return render_template("reports/open_data.html", files=FILES, documents=published_summaries(),
                           min_country_awards=MIN_COUNTRY_AWARDS, licence_url=LICENCE_URL)


@bp.record_once
def _register_public_page(state) -> None:
    # Every other reports page is under /reports/ and for administrators; this one is public, at the root.
    state.app.add_url_rule("/open-data", endpoint="reports.open_data", view_func=open_data)
