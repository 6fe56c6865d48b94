"""The board in a real browser: Debian's Chromium driven by Playwright for Python, against the service
started as processes (tests/e2e's Stack) with the demo night loaded, as `make demo` serves it.

Nothing downloads a browser: Chromium is /usr/bin/chromium (bin/ensure-chromium installs Debian's
package; `make test` and CI run it). A page that throws a script error fails its test.
"""

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Stack

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
# As the machine's browser runs here: as root, headless, with no network but the test's own server.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# axe-core's rules for WCAG 2.0, 2.1 and 2.2 at levels A and AA.
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def board_stack(tmp_path_factory, django_db_blocker):
    """The service with the demo night: one web server (`stack.server`), a Celery worker and beat (the
    night has had no decision maker for half an hour: the escalation comes within seconds)."""
    with django_db_blocker.unblock():
        deployment = Stack(tmp_path_factory.mktemp("board"), night=True)
        deployment.server = deployment.web()
        deployment.celery()
    yield deployment
    with django_db_blocker.unblock():
        deployment.stop()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run bin/ensure-chromium (make test does)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


class Errors(list):
    """Script errors a page threw, and console errors it logged; a test may expect some."""

    def __init__(self):
        super().__init__()
        self.expected = []

    def unexpected(self):
        return [e for e in self if not any(pattern in e for pattern in self.expected)]


def new_page(browser, errors, **options):
    context = browser.new_context(
        viewport=options.pop("viewport", {"width": 1280, "height": 720}),
        locale="en-GB",
        timezone_id="Europe/London",
        **options,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("pageerror", lambda error: errors.append(f"script error: {error}"))
    page.on("console", lambda message: message.type == "error" and errors.append(f"console: {message.text}"))
    return page


@pytest.fixture
def page_errors():
    return Errors()


@pytest.fixture
def page(browser, page_errors):
    """A fresh browser (its own cookies) at 1280x720; the test fails if the page threw or logged an error
    it did not expect (`page_errors.expected`)."""
    opened = new_page(browser, page_errors)
    yield opened
    opened.context.close()
    assert not page_errors.unexpected(), page_errors.unexpected()


def sign_in(page, stack, username):
    """Sign in through the board's own form, as a person does; ends on the open incidents."""
    page.goto(f"{stack.server.http}/board/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(stack.password)
    page.get_by_role("button", name="Sign in").click()
    try:
        page.wait_for_url(f"{stack.server.http}/board/", timeout=20_000)
    except Exception as error:
        shown = (
            page.locator("#sign-in-error").text_content() if page.locator("#sign-in-error").count() else ""
        )
        raise AssertionError(f"{username} did not get to the board: {shown!r} at {page.url}") from error


def axe_violations(page):
    """axe-core's serious and critical WCAG A/AA violations on the page as it is now.

    The board's Content-Security-Policy allows only its own origin's scripts, and stays on: axe is
    served to the page from a path of its origin that the test answers itself."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        address = "/test-only/axe.min.js"
        page.route(f"**{address}", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
        page.add_script_tag(url=address)
    result = page.evaluate(
        "options => axe.run(document, options)", {"runOnly": {"type": "tag", "values": WCAG}}
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def assert_accessible(page):
    violations = axe_violations(page)
    assert not violations, json.dumps(
        [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "where": [n["target"] for n in v["nodes"][:3]],
            }
            for v in violations
        ],
        indent=1,
    )


def save_screenshot(page, name, *, full_page=False):
    """docs/screenshots/<name>.png, shown in the README."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
