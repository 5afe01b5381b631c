"""A person at a browser, over real HTTP: pages read with lxml, forms posted as a browser posts them.

A form is posted with every value the page gave it (hidden fields and the
CSRF token included, selects on their chosen option), changed only where the
person types or chooses, and with the name and value of the button pressed:
the app sees what a browser without JavaScript would send. The person sits
behind the site's reverse proxy, which the test plays: each request carries
the person's own address in X-Forwarded-For (the app trusts one proxy,
PROXY_COUNT=1), so the sign-in limits count people, not the test.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html
import requests

TIMEOUT = 60


class PageError(AssertionError):
    """The site answered something a person would not expect: the message says what and shows the page."""


@dataclass
class Page:
    response: requests.Response

    @property
    def url(self) -> str:
        return self.response.url

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def text(self) -> str:
        return self.response.text

    def tree(self):
        return lxml.html.fromstring(self.response.content, base_url=self.response.url)

    def main_text(self) -> str:
        main = self.tree().xpath("//main")
        return " ".join((main[0] if main else self.tree()).text_content().split())

    def flashes(self) -> str:
        return " ".join(" ".join(node.text_content().split()) for node in self.tree().xpath(
            "//*[contains(concat(' ', normalize-space(@class), ' '), ' flashes ')]"))

    def form(self, button: str | None = None, action: str | None = None) -> "Form":
        """The form with a submit button whose text contains `button` (and whose action contains `action`)."""
        for form in self.tree().forms:
            if action is not None and action not in (form.get("action") or ""):
                continue
            if button is None:
                return Form(self, form, None)
            for candidate in form.xpath(".//button|.//input[@type='submit']"):
                label = " ".join((candidate.text_content() if candidate.tag == "button"
                                  else candidate.get("value", "")).split())
                if button in label and candidate.get("type", "submit") == "submit":
                    return Form(self, form, candidate)
        raise PageError(f"no form with a button {button!r} (action {action!r}) on {self.url} "
                        f"({self.status}):\n{self.main_text()[:3000]}")


@dataclass
class Form:
    page: Page
    element: object
    button: object | None
    values: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self):
        # A browser drops the newline that follows <textarea> in the markup; lxml keeps it.
        textareas = {element.name for element in self.element.inputs if element.tag == "textarea"}
        self.values = [(name, value[1:] if name in textareas and value.startswith("\n") else value)
                       for name, value in self.element.form_values()]
        if self.button is not None and self.button.get("name"):
            self.values.append((self.button.get("name"), self.button.get("value", "")))

    @property
    def action(self) -> str:
        return urljoin(self.page.url, self.element.get("action") or self.page.url)

    @property
    def method(self) -> str:
        return (self.element.get("method") or "GET").upper()

    @property
    def multipart(self) -> bool:
        return (self.element.get("enctype") or "").lower() == "multipart/form-data"

    def names(self) -> list[str]:
        return list(self.element.inputs.keys())

    def set(self, name: str, value) -> "Form":
        """Type or choose `value` in the field `name`; a field the page lacks, or a choice it does not offer, fails."""
        if name not in self.element.inputs.keys():
            raise PageError(f"the form at {self.page.url} has no field {name!r}; it has {self.names()}")
        field_, value = self.element.inputs[name], str(value)
        options = getattr(field_, "value_options", None)  # a select or a group of radio buttons
        if options is not None and value not in options:
            raise PageError(f"the field {name!r} at {self.page.url} offers {options}, not {value!r}")
        self.values = [(n, v) for n, v in self.values if n != name]
        if getattr(field_, "type", None) == "checkbox":
            if value:  # ticked: the box's own value is sent; unticked: nothing
                self.values.append((name, field_.get("value", "y")))
        else:
            self.values.append((name, value))
        return self

    def fill(self, **fields) -> "Form":
        for name, value in fields.items():
            self.set(name, value)
        return self


@dataclass
class Person:
    """One person's browser: their cookies, their address as the proxy sees it, and the host they reach."""

    name: str
    email: str
    address: str  # their IP address, as the reverse proxy would forward it
    hosts: list[str]
    host: int = 0
    session: requests.Session = field(default_factory=requests.Session)
    totp_secret: str | None = None  # their authenticator app's secret, once they set up a second factor

    def __post_init__(self):
        self.session.headers.update({"X-Forwarded-For": self.address, "X-Forwarded-Proto": "http",
                                     "Accept-Language": "en"})

    def on(self, host: int) -> "Person":
        """Go through the other web host from now on (the load balancer moved this person)."""
        self.host = host % len(self.hosts)
        return self

    def url(self, path: str) -> str:
        if path.startswith("http"):
            parts = urlsplit(path)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        return self.hosts[self.host] + path

    def get(self, path: str, expect: int | None = 200) -> Page:
        page = Page(self.session.get(self.url(path), timeout=TIMEOUT))
        return self._check(page, expect, f"GET {path}")

    def submit(self, form: Form, expect: int | None = 200, files: dict | None = None) -> Page:
        """Press the form's button (through the person's current host, whichever host served the form).

        `files` maps a file field to (name, bytes, type). A multipart form sends its file fields even when
        empty, as a browser does.
        """
        if form.method == "GET":
            response = self.session.get(self.url(form.action), params=form.values, timeout=TIMEOUT)
            return self._check(Page(response), expect, f"GET {urlsplit(form.action).path}")
        if form.multipart:
            empty = {element.name: ("", b"", "application/octet-stream") for element in form.element.inputs
                     if element.tag == "input" and element.get("type") == "file"}
            files = {**empty, **(files or {})}
        response = self.session.post(self.url(form.action), data=form.values, files=files, timeout=TIMEOUT)
        return self._check(Page(response), expect, f"POST {urlsplit(form.action).path}")

    def _check(self, page: Page, expect: int | None, what: str) -> Page:
        if expect is not None and page.status != expect:
            raise PageError(f"{self.email}: {what} answered {page.status} at {page.url}, not {expect}:\n"
                            f"{page.flashes()}\n{page.main_text()[:3000]}")
        return page

    def clone(self) -> "Person":
        """The same person in a second tab: the same cookies, a connection of its own."""
        twin = Person(self.name, self.email, self.address, self.hosts, self.host)
        twin.session.cookies.update(self.session.cookies)
        return twin


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def find_link(text: str, pattern: str) -> str:
    match = re.search(pattern, text)
    if match is None:
        raise PageError(f"no link matching {pattern!r} in:\n{text[:3000]}")
    return match.group(0)
