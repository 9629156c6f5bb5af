import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import AXE, CHROMIUM
from tests.e2e.screens import SCREENSHOTS, TABLET

# CI runs its two suites side by side on two shared cores, where a page can take
# longer than Playwright's 5 s default for an assertion: actions and assertions
# wait alike, up to this long.
PATIENCE_MS = 15_000
expect.set_options(timeout=PATIENCE_MS)

# Playwright's sync API runs an event loop in the test's thread; the ORM calls the
# tests make there (creating users) are ordinary blocking calls all the same.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# As root in a closed network: no sandbox, and no background calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def new_page(browser, viewport: dict):
    """A page in a fresh context, and the list of what the Content Security Policy
    refused on it: Chromium reports that on the console, and a test that trips it
    (an inline script or style) fails."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(PATIENCE_MS)
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return page, refused


@pytest.fixture
def page(browser):
    page, refused = new_page(browser, {"width": 1280, "height": 900})
    yield page
    page.context.close()
    assert not refused, "the Content Security Policy refused:\n" + "\n".join(refused)


@pytest.fixture
def screenshot(page, request):
    """Save a screenshot of the page as var/screenshots/<test>-<step>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(step: str) -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# What a journey must not have on any page: axe-core's serious and critical findings
# against WCAG 2.1 A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_FAILS = {"serious", "critical"}


@dataclass
class Step:
    name: str
    url: str
    screenshot: Path
    violations: list[str]
    overflow_px: int


@dataclass
class Journey:
    """A person's day in the browser at tablet width. Each step saves a screenshot
    (var/screenshots/<journey>-<n>-<step>.png), runs axe-core on the page and
    measures any sideways scrolling; the journey fails at the end if any page had a
    serious or critical violation, or scrolled sideways."""

    page: object
    prefix: str
    steps: list[Step] = field(default_factory=list)

    def step(self, name: str) -> Step:
        self.page.wait_for_load_state()
        path = SCREENSHOTS / f"{self.prefix}-{len(self.steps) + 1:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        step = Step(
            name=name,
            url=self.page.url,
            screenshot=path,
            violations=axe_violations(self.page),
            overflow_px=self.page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            ),
        )
        self.steps.append(step)
        return step

    def problems(self) -> list[str]:
        found = []
        for step in self.steps:
            found += [f"{step.name} ({step.url}): {v}" for v in step.violations]
            if step.overflow_px > 0:
                found.append(
                    f"{step.name} ({step.url}): scrolls sideways by "
                    f"{step.overflow_px}px at {TABLET['width']}px wide"
                )
        return found


def axe_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page, one line each."""
    # evaluate() runs outside the page's Content Security Policy, which (rightly)
    # refuses any injected <script>.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        f"[{v['impact']}] {v['id']}: {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in results["violations"]
        if v["impact"] in AXE_FAILS
    ]


@pytest.fixture
def journey(browser, request):
    """A fresh tablet-width page and the journey's steps (see Journey)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prefix = request.node.name.removeprefix("test_")
    # A journey's steps are renumbered when steps are added: no stale pictures.
    for old in SCREENSHOTS.glob(f"{prefix}-[0-9][0-9]-*.png"):
        old.unlink()
    page, refused = new_page(browser, TABLET)
    trip = Journey(page=page, prefix=prefix)
    yield trip
    page.context.close()
    assert not refused, "the Content Security Policy refused:\n" + "\n".join(refused)
    problems = trip.problems()
    assert not problems, "accessibility or layout:\n" + "\n".join(problems)
