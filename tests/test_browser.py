"""The built demo site in a real browser: Debian's Chromium, headless, driven by Playwright."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed; ./run test installs it"),
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served(demo_out: Path) -> Iterator[str]:
    """Serve the demo output on a free loopback port."""
    handler = functools.partial(_QuietHandler, directory=str(demo_out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A headless Chromium with a fresh profile folder."""
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield context
        finally:
            context.close()


def test_search_finds_author_papers(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{served}/search/")
    page.fill("#search-input", "Timoleon Moraitis")
    page.wait_for_function("document.querySelectorAll('#search-results li').length === 4")
    titles = sorted(page.locator("#search-results .paper-title").all_inner_texts())
    assert titles == [
        "Hebbian Deep Learning Without Feedback",
        "Self-Supervised Learning Through Efference Copies",
        "Short-Term Plasticity Neurons Learning to Learn and Forget",
        "Spike-inspired rank coding for fast and accurate recurrent neural networks",
    ]
    assert page.locator("#search-status").inner_text() == "4 papers found"
    page.locator("#search-results .paper-title").first.click()
    page.wait_for_url("**/papers/**")
    assert errors == []
    page.close()


def test_search_by_abstract_word_and_accent(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(f"{served}/search/?q=journe")
    page.wait_for_function("document.querySelectorAll('#search-results li').length === 1")
    assert page.locator("#search-results .paper-title").inner_text() == "Hebbian Deep Learning Without Feedback"
    page.fill("#search-input", "zzzz-no-such-word")
    page.wait_for_function("document.getElementById('search-status').textContent === 'No papers match your search.'")
    page.close()


def test_paper_page_copy_button_and_math(browser, served: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(f"{served}/authors/timoleon-moraitis/")
    page.locator(".paper-title", has_text="Hebbian Deep Learning").click()
    page.wait_for_url("**/papers/**")
    # Loopback http is a secure context, so the clipboard API exists and copy.js shows the button.
    assert page.locator("button.copy").is_visible()
    page.goto(f"{served}/venues/neurips/2022/")
    page.locator(".paper-title", has_text="Differentiable hierarchical").click()
    page.wait_for_url("**/papers/**")
    math = page.locator(".abstract math")
    assert math.count() == 2
    box = math.first.bounding_box()
    assert box is not None and box["width"] > 5
    page.screenshot(path=str(tmp_path / "paper.png"), full_page=True)
    page.close()
