"""Fixtures of the web tests: the two-seller platform of ``web_world``, built once per module,
Debian's chromium for the browser tests (``tests/e2e/browser.py``) and a data directory with
the CLI tests' seller and platform registered (``tests/e2e/cli.py``).

Each module gets its own world (on SQLite, in a temporary folder), so what one module submits,
revokes or declares cannot change what another module reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import CHROMIUM
from tests.e2e.cli import PLATFORM, SELLER, cbec
from tests.e2e.web_world import World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("web-world") / "data")


@pytest.fixture
def registered(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    cbec(data, "partner", "add", "--code", SELLER, "--name", "义乌示范礼品家居有限公司", "--role", "ebc")
    cbec(data, "partner", "add", "--code", PLATFORM, "--name", "义乌示范跨境电商平台", "--role", "ebp")
    return data


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
