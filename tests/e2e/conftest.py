"""A live server and Debian's headless chromium, driven by Playwright.

The browser is the system's `/usr/bin/chromium` (installed by `.ci/run` with
apt-get); Playwright never downloads one. Without chromium the browser tests
are skipped outside CI and fail in CI.
"""

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed; .ci/run installs it with apt-get")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser, live_server, db):
    context = browser.new_context(base_url=live_server, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture(params=["javascript", "no-javascript"])
def browse(request, browser, live_server, db):
    """A page in a browser with JavaScript on, then off; `page.javascript` says which."""
    context = browser.new_context(base_url=live_server, locale="en-GB",
                                  java_script_enabled=request.param == "javascript", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.javascript = request.param == "javascript"
    yield page
    context.close()
