"""WCAG 2.2 AA in a real browser: axe-core on every kind of page, for every role,
in English and French, plus the checks axe cannot make (skip link, error
summary, the language switcher by keyboard, errors tied to their fields).

A failure lists every problem as `page: rule (impact) help`, then the CSS
selector of each element at fault, so it can be fixed without re-running axe.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from cade.notifications.services import notify
from cade.programmes.constants import QuestionKind
from tests.factories import (
    PASSWORD,
    ApplicationFactory,
    BudgetLineFactory,
    CallFactory,
    MembershipFactory,
    OrganisationFactory,
    ProgrammeFactory,
    QuestionFactory,
    RubricCriterionFactory,
    UserFactory,
)

AXE = Axe()
# Every success criterion up to WCAG 2.2 level AA that axe can test.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}

# What axe does not look at: error summaries that lead nowhere, invalid
# controls whose message a screen reader would not hear.
PAGE_CHECKS = """() => {
  const problems = [];
  for (const a of document.querySelectorAll('.error-summary a[href^="#"]')) {
    if (!document.getElementById(a.getAttribute('href').slice(1)))
      problems.push('error summary link ' + a.getAttribute('href') + ' leads to nothing');
  }
  for (const el of document.querySelectorAll('[aria-invalid="true"]')) {
    const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
    const tied = ids.some(id => { const d = document.getElementById(id); return d && d.textContent.trim(); });
    if (!tied) problems.push('#' + el.id + ' is invalid but no message is tied to it (aria-describedby)');
  }
  for (const el of document.querySelectorAll('span[aria-label]:not([role]), div[aria-label]:not([role])'))
    problems.push((el.id ? '#' + el.id : el.className || el.tagName) + ' has an aria-label that screen readers ignore on a plain element');
  let level = 1;
  for (const h of document.querySelectorAll('main h1, main h2, main h3, main h4, main h5, main h6')) {
    const next = Number(h.tagName[1]);
    if (next > level + 1) problems.push('heading <' + h.tagName.toLowerCase() + '> "' + h.textContent.trim() + '" skips a level after <h' + level + '>');
    level = next;
  }
  if (document.querySelectorAll('main').length !== 1) problems.push('a page needs exactly one <main>');
  if (document.querySelectorAll('h1').length !== 1) problems.push('a page needs exactly one <h1>');
  return problems;
}"""


class Audit:
    """Visit pages, run axe on each, and collect every problem for one readable failure."""

    def __init__(self, page):
        self.page = page
        self.problems: list[str] = []
        self.pages = 0

    def visit(self, path: str, name: str | None = None, status: int = 200) -> None:
        response = self.page.goto(path)
        assert response.status == status, f"{path} answered {response.status}, expected {status}"
        self.check(name or path)

    def check(self, name: str) -> None:
        """Run axe (and our own checks) on the page as it is now; axe needs JavaScript, so a page without it (the
        `browse` fixture's second run) is audited in the first."""
        if getattr(self.page, "javascript", True) is False:
            return
        self.pages += 1
        where = f"{name} ({self.page.url.split('//', 1)[-1].split('/', 1)[-1] or '/'})"
        results = AXE.run(self.page, options=AXE_OPTIONS).response
        for violation in results["violations"]:
            self.problems.append(
                f"{where}: {violation['id']} ({violation['impact']}) {violation['help']}\n"
                f"    {violation['helpUrl'].split('?')[0]}"
            )
            for node in violation["nodes"]:
                target = " ".join(str(t) for t in node["target"])
                summary = (node.get("failureSummary") or "").splitlines()
                detail = summary[1].strip() if len(summary) > 1 else ""
                self.problems.append(f"      at {target}" + (f"  — {detail}" if detail else ""))
        for problem in self.page.evaluate(PAGE_CHECKS):
            self.problems.append(f"{where}: {problem}")

    def assert_clean(self) -> None:
        if getattr(self.page, "javascript", True) is False:
            return
        assert self.pages, "no page was checked"
        if self.problems:
            pytest.fail(f"accessibility problems on {self.pages} pages checked:\n" + "\n".join(self.problems),
                        pytrace=False)


def send(page, button) -> None:
    """Press a submit button and wait until the answer has loaded, scripts included."""
    with page.expect_navigation():
        button.click()


def choose_language(page, language: str) -> None:
    """Pick `language` in the header's switcher and send it, as a visitor would."""
    page.locator("#lang-select").select_option(language)
    send(page, page.locator(".lang button"))


def sign_in(page, user, *, password: str = PASSWORD, language: str | None = None) -> None:
    """Sign `user` in afresh (whoever was signed in is signed out first), then read in `language` if given."""
    page.context.clear_cookies()
    page.goto("/auth/login")
    page.locator("main input[name=email]").fill(user.email)
    page.locator("main input[name=password]").fill(password)
    send(page, page.locator("main form button[type=submit]"))
    page.wait_for_load_state()
    assert page.locator("form[action$='/auth/logout']").count() == 1, "signed in"
    if language:
        choose_language(page, language)
        assert page.locator("html").get_attribute("lang") == language


def make_calls():
    """An open call with a question of every kind and eligibility rules, one upcoming, one closed."""
    programme = ProgrammeFactory(name="Community Network Grants", currency="USD")
    call = CallFactory(programme=programme, title="Connecting rural communities 2026",
                       eligible_countries=["KE", "UG"], eligible_organisation_types=["ngo", "community_network"],
                       max_annual_budget_minor=500_000_00)
    for kind in QuestionKind:
        QuestionFactory(call=call, kind=kind, label=f"Question about {kind.value.replace('_', ' ')}",
                        help_text="Answer in a few lines.", required=True,
                        word_limit=200 if kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT) else None,
                        choices=["Yes", "No"] if kind == QuestionKind.CHOICE else [])
    RubricCriterionFactory(call=call, label="Reach", guidance="How many people will it serve?")
    RubricCriterionFactory(call=call, label="Sustainability")
    upcoming = CallFactory(programme=programme, title="Rural connectivity 2027")
    upcoming.opens_at, upcoming.closes_at = call.closes_at, call.closes_at.replace(year=call.closes_at.year + 1)
    closed = CallFactory(programme=programme, title="Community networks 2025", closed=True)
    second = CallFactory(programme=programme, title="Digital rights training 2026")
    return call, upcoming, closed, second


def make_applicant():
    """A verified applicant who owns an organisation with a colleague, a pending invitation,
    a draft, a submitted application with a budget, and unread messages."""
    applicant = UserFactory(name="Amina Njoroge", email="amina@kijiji.example")
    organisation = OrganisationFactory(name="Kijiji Community Network", acronym="KCN",
                                       website="https://kijiji.example", description="A network in Nanyuki.")
    MembershipFactory(user=applicant, organisation=organisation, role="owner")
    MembershipFactory(user=UserFactory(name="Joseph Mwangi"), organisation=organisation, role="member")
    return applicant, organisation


def test_public_pages_meet_wcag_2_2_aa(page):
    call, _upcoming, closed, _second = make_calls()
    audit = Audit(page)
    audit.visit("/", "open calls")
    audit.visit(f"/calls/{call.id}", "call page")
    audit.visit(f"/calls/{closed.id}", "closed call page")
    audit.visit("/calls/closed", "closed calls")
    audit.visit("/auth/login", "sign in")
    send(page, page.get_by_role("button", name="Sign in"))
    audit.check("sign in with errors")
    audit.visit("/auth/register", "register")
    send(page, page.get_by_role("button", name="Create my account"))
    audit.check("register with errors")
    audit.visit("/auth/reset", "forgotten password")
    audit.visit("/no-such-page", "error 404", status=404)
    audit.visit("/open-data", "open data")
    audit.visit("/api/v1/docs", "API documentation")
    audit.assert_clean()


def test_applicant_pages_meet_wcag_2_2_aa(page, db):
    call, _upcoming, _closed, second = make_calls()
    applicant, organisation = make_applicant()
    draft = ApplicationFactory(call=call, organisation=organisation, title="Solar mesh for three villages",
                               summary="")
    submitted = ApplicationFactory(call=second, organisation=organisation, submitted=True)
    BudgetLineFactory(application=submitted)
    third = CallFactory(programme=call.programme, title="Open internet 2026")
    notify("notifications.test_message", recipient=applicant, key="a11y-1",
           context={"recipient_name": applicant.name, "recipient_email": applicant.email})
    db.session.commit()

    audit = Audit(page)
    sign_in(page, applicant)
    audit.visit("/applications/", "dashboard")
    audit.visit(f"/applications/{draft.id}/edit", "application draft")
    send(page, page.get_by_role("button", name="Submit application"))
    assert page.locator(".error-summary").count() == 1
    audit.check("application draft with errors")
    audit.visit(f"/applications/{submitted.id}", "submitted application")
    audit.visit(f"/calls/{third.id}/apply", "start an application")
    audit.visit("/organisations/new", "new organisation")
    send(page, page.get_by_role("button", name="Register the organisation"))
    assert page.locator(".error-summary").count() == 1
    audit.check("new organisation with errors")
    audit.visit(f"/organisations/{organisation.id}", "organisation")
    audit.visit(f"/organisations/{organisation.id}/edit", "edit organisation")
    audit.visit(f"/organisations/{organisation.id}/members", "members")
    page.get_by_label("E-mail address").fill("colleague@kijiji.example")
    send(page, page.get_by_role("button", name="Send the invitation"))
    audit.check("members with an invitation waiting")
    send(page, page.get_by_role("button", name="Send the invitation"))
    audit.check("members with an invitation error")
    audit.visit("/auth/profile", "profile")
    audit.visit("/inbox", "inbox")
    audit.assert_clean()


def test_admin_pages_meet_wcag_2_2_aa(page):
    call, _upcoming, _closed, _second = make_calls()
    admin = UserFactory(name="Ada Admin", roles=["admin"])
    question = call.questions[0]
    criterion = call.criteria[0]

    audit = Audit(page)
    sign_in(page, admin)
    audit.visit("/admin/", "administration")
    audit.visit(f"/admin/calls/{call.id}", "call administration")
    send(page, page.get_by_role("button", name="Add question"))
    audit.check("call administration with question errors")
    audit.visit(f"/admin/calls/{call.id}/edit", "call form")
    page.get_by_label("Title").fill("")
    send(page, page.get_by_role("button", name="Save"))
    audit.check("call form with errors")
    audit.visit(f"/admin/programmes/{call.programme_id}/calls/new", "new call")
    audit.visit(f"/admin/questions/{question.id}/edit", "question form")
    audit.visit(f"/admin/criteria/{criterion.id}/edit", "criterion form")
    audit.visit(f"/admin/programmes/{call.programme_id}/edit", "programme form")
    audit.visit("/admin/programmes/new", "new programme")
    send(page, page.get_by_role("button", name="Save"))
    audit.check("new programme with errors")
    audit.visit(f"/calls/{CallFactory(programme=call.programme, draft=True).id}", "draft call preview")
    audit.assert_clean()


def test_pages_in_french_meet_wcag_2_2_aa(page, db):
    call, _upcoming, _closed, _second = make_calls()
    applicant, organisation = make_applicant()
    applicant.locale = "fr"
    draft = ApplicationFactory(call=call, organisation=organisation, title="Maillage solaire")
    db.session.commit()

    audit = Audit(page)
    page.goto("/")
    choose_language(page, "fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    audit.check("open calls in French")
    audit.visit(f"/calls/{call.id}", "call page in French")
    audit.visit("/auth/register", "register in French")
    send(page, page.locator("form[action$='/auth/register'] button[type=submit]"))
    audit.check("register with errors in French")
    sign_in(page, applicant)
    audit.visit(f"/applications/{draft.id}/edit", "application draft in French")
    send(page, page.locator("button[name=action][value=submit]"))
    audit.check("application draft with errors in French")
    audit.assert_clean()


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_the_content(page):
    page.goto("/auth/login")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to content"
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the focused skip link must be visible"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null"), \
        "the next Tab after the skip link lands inside the content"


def test_the_language_switcher_works_by_keyboard_alone(page):
    page.goto("/auth/login")
    page.locator("#lang-select").focus()
    # Chromium's closed <select> changes its value with the arrow keys, as assistive technology expects.
    for _ in range(4):
        if page.locator("#lang-select").input_value() == "fr":
            break
        page.keyboard.press("ArrowDown")
    assert page.locator("#lang-select").input_value() == "fr"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('form.lang') !== null")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.url.endswith("/auth/login")
    names = page.locator("#lang-select option").evaluate_all("os => os.map(o => o.lang)")
    assert names == ["en", "fr", "es", "pt"], "each language name is spoken in its own language"


def test_the_error_summary_takes_focus_and_each_link_reaches_its_field(page):
    applicant = UserFactory()
    sign_in(page, applicant)
    page.goto("/organisations/new")
    send(page, page.get_by_role("button", name="Register the organisation"))
    summary = page.locator(".error-summary")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')"), \
        "the error summary takes focus so that it is read first"
    links = summary.locator("a")
    assert links.count() >= 2
    for index in range(links.count()):
        href = links.nth(index).get_attribute("href")
        links.nth(index).click()
        focused = page.evaluate("document.activeElement.id || document.activeElement.name")
        target = href[1:]
        assert focused.startswith(target), f"{href} should move focus to its field, not to {focused!r}"
        page.locator(".error-summary").focus()


def test_required_fields_say_so_in_words(page):
    page.goto("/auth/register")
    note = page.locator("main form p.required-note")
    assert note.count() == 1 and "*" in note.inner_text()
    required = page.locator("main form [required]").all()
    assert len(required) >= 4
    for control in required:
        label = page.locator(f"label[for='{control.get_attribute('id')}']")
        mark = label.locator("xpath=following-sibling::span[@class='req']")
        assert mark.inner_text() == "*"
        text, star = label.bounding_box(), mark.bounding_box()
        assert star["x"] > text["x"] and abs(star["y"] - text["y"]) < text["height"], \
            "the mark sits beside the label's text, not on a line of its own"


def contrast(a: tuple, b: tuple) -> float:
    def luminance(rgb):
        channels = [c / 255 for c in rgb[:3]]
        channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


FOCUS_COLOURS = r"""el => {
  const style = getComputedStyle(el);
  let back = el.parentElement;
  while (back && ['transparent', 'rgba(0, 0, 0, 0)'].includes(getComputedStyle(back).backgroundColor)) back = back.parentElement;
  const rgb = s => (s.match(/\d+(\.\d+)?/g) || []).slice(0, 3).map(Number);
  return {ring: [style.outlineStyle !== 'none' ? rgb(style.outlineColor) : null, style.boxShadow !== 'none' ? rgb(style.boxShadow) : null],
          background: rgb(back ? getComputedStyle(back).backgroundColor : 'rgb(255,255,255)')};
}"""


def test_keyboard_focus_shows_clearly_on_light_and_dark_backgrounds(page):
    """WCAG 1.4.11 and 2.4.7: the focus ring contrasts at least 3:1 with what is around it,
    in the dark header as on the light page."""
    page.goto("/auth/login")
    for selector in ("header.site a.brand", "main input[name=email]", "main button[type=submit]"):
        page.locator(selector).focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        colours = page.locator(selector).evaluate(FOCUS_COLOURS)
        rings = [ring for ring in colours["ring"] if ring]
        assert rings, f"{selector} shows no focus ring"
        best = max(contrast(ring, colours["background"]) for ring in rings)
        assert best >= 3, f"{selector}: focus ring contrast {best:.1f}:1 against its background"


def test_pages_reflow_at_320_css_pixels_without_sideways_scrolling(page, db):
    """WCAG 1.4.10: at 400 % zoom (320 px wide) only a wide table may scroll sideways, never the page."""
    call, _upcoming, _closed, second = make_calls()
    applicant, organisation = make_applicant()
    draft = ApplicationFactory(call=call, organisation=organisation)
    submitted = ApplicationFactory(call=second, organisation=organisation, submitted=True)
    BudgetLineFactory(application=submitted)
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, applicant)
    too_wide = {}
    for path in ("/applications/", f"/applications/{draft.id}/edit", f"/applications/{submitted.id}",
                 f"/organisations/{organisation.id}", f"/organisations/{organisation.id}/members",
                 "/auth/profile", f"/calls/{call.id}"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            too_wide[path] = width
    assert not too_wide, f"pages wider than the 320 px screen: {too_wide}"


def test_the_organisation_form_lets_browsers_fill_in_what_they_know(page):
    """WCAG 1.3.5: fields about the user's own organisation say what they hold."""
    sign_in(page, UserFactory())
    page.goto("/organisations/new")
    purposes = {name: page.locator(f"main [name={name}]").get_attribute("autocomplete")
                for name in ("name", "country", "city", "website")}
    assert purposes == {"name": "organization", "country": "country", "city": "address-level2", "website": "url"}
