"""Fixtures of the web tests: the two-seller platform of ``web_world``, built once per module,
and Debian's chromium for the browser tests (``tests/e2e/browser.py``).

Each module gets its own world (on SQLite, in a temporary folder), so what one module submits,
revokes or declares cannot change what another module reads.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.browser import CHROMIUM
from tests.e2e.web_world import World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("web-world") / "data")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's chromium, headless, through Playwright: one a module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
            ],
        )
        yield b
        b.close()
