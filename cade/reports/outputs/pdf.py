"""PDF of a report page (the dashboard: its charts and tables), drawn by WeasyPrint.

Why WeasyPrint: the PDF is the dashboard's own HTML and SVG, laid out for
print by CSS (print.css beside this file: A4, the page's ``<h1>`` as a
running header, page numbers, table headers repeated and rows kept whole),
so the dashboard, its charts and the PDF cannot drift apart; it needs no
browser, only Pango (Debian's libpango-1.0-0 and libpangoft2-1.0-0, which
.ci/run installs with libharfbuzz-subset0 and a font, fonts-dejavu-core).
The text is real text: it can be searched, copied and read back in tests.

The renderer reads only what the page is allowed to show: ``data:`` URLs
and files or URLs under `base_url` (the site's static folder, for a
stylesheet or a logo). Anything else, a ``file:`` path elsewhere on the
worker or an address on its network, is refused and left out of the PDF,
so a page can never pull the server's files or its neighbours into a report.
"""

import posixpath
import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

PRINT_CSS = Path(__file__).with_name("print.css")
SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def html_to_pdf(html: str, *, base_url: str | None = None, pdf_variant: str | None = None) -> bytes:
    """The PDF of `html`; relative URLs resolve against `base_url` (a folder or a URL), the only place read.

    `pdf_variant` asks WeasyPrint for a standard's variant: "pdf/ua-1" gives a tagged, accessible PDF (headings,
    lists, tables and each text's language for screen readers), as a printable form needs.
    """
    base_url = _as_url(base_url) if base_url else None
    fetcher = _BaseOnlyFetcher(base_url)
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf(stylesheets=[_print_css()],
                                                                               pdf_variant=pdf_variant)


@cache
def _print_css() -> CSS:
    return CSS(filename=str(PRINT_CSS))


def _as_url(base: str) -> str:
    if SCHEME.match(base):
        return base
    path = Path(base).resolve()
    return path.as_uri() + ("/" if path.is_dir() else "")


class _BaseOnlyFetcher(URLFetcher):
    """WeasyPrint's fetcher, for ``data:`` URLs and what lies under the base URL only."""

    def __init__(self, base_url: str | None):
        super().__init__(timeout=5, allow_redirects=False)
        self._base = base_url

    def fetch(self, url, headers=None):
        if not self._allowed(url):
            raise ValueError(f"not under the report's base URL: {url}")  # WeasyPrint leaves the resource out
        return super().fetch(url, headers)

    def _allowed(self, url: str) -> bool:
        scheme = (SCHEME.match(url) or [None, ""])[1].lower()
        if scheme == "data":
            return True
        if not self._base:
            return False
        target, base = urlsplit(url), urlsplit(self._base)
        if scheme != base.scheme.lower() or target.netloc.lower() != base.netloc.lower():
            return False
        if scheme == "file":
            folder = Path(url2pathname(base.path)).resolve()
            folder = folder if self._base.endswith("/") else folder.parent
            return Path(url2pathname(target.path)).resolve().is_relative_to(folder)
        # http(s): the decoded path, "." and ".." resolved, within the base's folder.
        folder = base.path.rsplit("/", 1)[0]
        path = posixpath.normpath("/" + unquote(target.path).lstrip("/"))
        return path.startswith(folder + "/")
