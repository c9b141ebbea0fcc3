"""Browser tests: ParkLead served over real HTTP on loopback (a werkzeug server thread on an
app of its own, a temporary SQLite file, real commits), driven by Debian's Chromium through
Playwright. Tables are emptied between tests; screenshots go to test-artifacts/browser/.

Without /usr/bin/chromium the tests are skipped with the reason printed; under CI=true that
fails the run (.ci/run installs Chromium first)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from app.models import model_metadata
from tests.browser.helpers import PHONE, LiveServer, shoot, watch_csp
from tests.support import make_app, migrate, unavailable

CHROMIUM = os.environ.get("PARKLEAD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("browser")
    app = make_app(f"sqlite:///{tmp / 'browser.db'}", tmp, INTAKE_RATE_LIMIT="off")
    migrate(app)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        app.extensions["db_engine"].dispose()


@pytest.fixture
def live(live_server: LiveServer) -> Iterator[LiveServer]:
    """The live server with empty tables after the test."""
    yield live_server
    with live_server.app.extensions["db_engine"].begin() as conn:
        for table in reversed(model_metadata().sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} is missing: install Debian's chromium package to run them")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _page(chromium: Any, live: LiveServer, request: pytest.FixtureRequest, **options: Any) -> Any:
    """A fresh browser context (zh-CN, Beijing time) on the live server, closed after the
    test; a failed test leaves a screenshot of where it stopped."""
    context = chromium.new_context(
        base_url=live.url, locale="zh-CN", timezone_id="Asia/Shanghai", **options
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    # The pages run under the Content-Security-Policy; anything it blocks is a defect.
    blocked = watch_csp(page)
    yield page
    if getattr(request.node, "failed", False):
        shoot(page, f"FAILED-{request.node.name}")
    context.close()
    assert not blocked, f"the CSP blocked: {blocked}"


@pytest.fixture
def browser_page(chromium: Any, live: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A desktop browser."""
    yield from _page(chromium, live, request, viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone_page(chromium: Any, live: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A phone: 390×844, touch, 3× pixels."""
    yield from _page(
        chromium, live, request, viewport=PHONE, device_scale_factor=3, is_mobile=True,
        has_touch=True,
    )  # fmt: skip


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        item.failed = True  # type: ignore[attr-defined]
    return report
