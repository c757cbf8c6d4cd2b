"""What the browser tests share: the server they drive (uvicorn in a thread, with the platform
worker and the sandbox customs beside it), Debian's chromium (the ``browser`` fixture in
``conftest.py``), a page that records the script errors it meets, signing in, and screenshots
into ``test-artifacts/screenshots`` (or ``CBEC_SCREENSHOT_DIR``) for a person to look at.

Playwright is imported when a page is opened, so that the other e2e tests collect without it.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn

from cbec.web.app import create_app
from cbec.web.server import PlatformWorker
from tests.e2e.web_world import PASSWORDS, World
from tests.pgcluster import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Page

SHOTS = Path(
    os.environ.get("CBEC_SCREENSHOT_DIR") or Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class Server:
    """Uvicorn in a thread, with the platform worker and the sandbox customs beside it."""

    def __init__(self, world: World) -> None:
        self.port = free_port()
        config = uvicorn.Config(create_app(world.settings), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.worker = PlatformWorker(world.settings, sandbox=True, interval=0.3)

    def __enter__(self) -> str:
        self.thread.start()
        self.worker.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.worker.stop()
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.worker.join(timeout=10)


def new_page(browser: object, *, height: int = 900, **options: Any) -> tuple[Page, list[str]]:
    """A page in a context of its own (1366 wide, Chinese unless ``locale`` says otherwise) and
    the list the page's script errors go to, with any script the page's CSP (script-src 'self')
    refused. Close it with ``page.context.close()``."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 1366, "height": height}, **{"locale": "zh-CN", **options})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    return page, errors


def log_in(page: Page, user: str) -> None:
    """Fills the sign-in form the page shows with the user's name and password and sends it."""
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORDS[user])
    page.click("#login-submit")


def sign_in(page: Page, url: str, user: str) -> None:
    """Opens the sign-in page and signs the user in."""
    page.goto(f"{url}/login")
    log_in(page, user)


def signed_in(browser: object, url: str, user: str, **options: Any) -> tuple[Page, list[str]]:
    """A new page (``new_page``) with the user signed in, and its list of script errors."""
    page, errors = new_page(browser, **options)
    sign_in(page, url, user)
    return page, errors


def shot(page: Page, name: str) -> None:
    """A full-page screenshot ``name.png`` in the screenshots folder."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
