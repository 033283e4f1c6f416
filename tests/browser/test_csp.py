"""A strict Content-Security-Policy on the dashboard, the admin and the API docs, and not one
violation of it in the browser's console while they are used."""

from __future__ import annotations

import pytest

from tests.factories import (
    make_facility,
    make_law,
    make_partner,
    make_tax_measure,
    make_user,
    move,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Recorded in the page itself as well as read from the console: Chromium reports each
# violation both ways, and the event carries what was blocked.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


@pytest.fixture
def records(transactional_db):
    germany = make_partner("DE", name_en="Germany", name_uk="Німеччина")
    law = make_law(title_en="On joint weapons production", partners=[germany])
    move(law, "registered", "in_committee")
    make_law(title_en="On defense industry parks")
    plant = make_facility(name_en="Artillery shell plant", country="DE", partners=[germany])
    move(plant, "agreement_signed")
    measure = make_tax_measure(name_en="VAT exemption on drone components")
    make_user(username="liaison", role="Editors")
    return {"law": law, "facility": plant, "measure": measure, "partner": germany}


@pytest.fixture
def watched(new_page):
    """A page that collects CSP violations and every page's policy header."""

    def open_page():
        page = new_page(viewport={"width": 1280, "height": 900})
        page.violations = []
        page.policies = {}
        page.add_init_script(WATCH_VIOLATIONS)

        def on_console(message):
            if "Content Security Policy" in message.text:
                page.violations.append(message.text)

        def on_response(response):
            if response.request.resource_type == "document":
                page.policies[response.url] = response.headers.get("content-security-policy")

        page.on("console", on_console)
        page.on("response", on_response)
        return page

    return open_page


def visit(page, path: str) -> None:
    response = page.goto(path)
    assert response.status == 200, path
    page.wait_for_load_state("networkidle")
    page.violations += page.evaluate("window.__cspViolations")


def assert_strict(page) -> None:
    assert page.policies, "no page was loaded"
    for url, policy in page.policies.items():
        assert policy, f"{url} has no Content-Security-Policy"
        directives = {}
        for part in filter(None, (p.strip() for p in policy.split(";"))):
            name, _, value = part.partition(" ")
            directives[name] = value
        assert directives["default-src"] == "'none'", url
        for name in ("script-src", "style-src"):
            assert "'unsafe-inline'" not in directives[name], url
            assert "'unsafe-eval'" not in directives[name], url
            assert "*" not in directives[name] and "http" not in directives[name], url
        assert directives["object-src"] == "'none'", url
        assert directives["frame-ancestors"] == "'none'", url
    assert page.violations == []


def test_the_dashboard_pages_break_no_rule(records, watched):
    page = watched()
    visit(page, "/")
    # The stage bars keep their lengths without inline styles.
    widths = page.eval_on_selector_all(
        ".stages__bar span", "bars => bars.map(bar => bar.getBoundingClientRect().width)"
    )
    assert max(widths) > 0
    visit(page, "/laws/")
    visit(page, f"/laws/{records['law'].pk}/")
    visit(page, "/tax-measures/")
    visit(page, f"/tax-measures/{records['measure'].pk}/")
    visit(page, "/facilities/")
    visit(page, f"/facilities/{records['facility'].pk}/")
    visit(page, "/partners/")
    visit(page, f"/partners/{records['partner'].pk}/")
    with page.expect_navigation():
        page.select_option("#language-select", "uk")
        page.get_by_role("button", name="Switch").click()
    page.violations += page.evaluate("window.__cspViolations")
    assert page.locator("html").get_attribute("lang") == "uk"
    assert_strict(page)


def test_the_admin_breaks_no_rule(records, watched):
    page = watched()
    visit(page, "/admin/login/?next=/admin/")
    page.fill("#id_username", "liaison")
    page.fill("#id_password", "pw-for-tests-only")
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()
    visit(page, "/admin/")
    visit(page, "/admin/tracker/draftlaw/")
    # The change list's script works: "select all" ticks every row.
    page.locator("#action-toggle").check()
    assert page.locator("input.action-select:checked").count() == 2
    law = records["law"]
    visit(page, f"/admin/tracker/draftlaw/{law.pk}/change/")
    visit(page, f"/admin/tracker/draftlaw/{law.pk}/transition/?to=first_reading")
    assert_strict(page)


def test_the_api_docs_break_no_rule_and_load_nothing_from_outside(records, watched):
    page = watched()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    visit(page, "/api/v1/docs/")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 10
    page.violations += page.evaluate("window.__cspViolations")
    assert_strict(page)
    origin = page.url.split("/api/")[0]
    outside = [url for url in requested if not url.startswith((origin, "data:"))]
    assert outside == []
