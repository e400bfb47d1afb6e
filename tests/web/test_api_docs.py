"""/docs: Swagger UI from this server's own assets, working with every request off the machine refused."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.web.conftest import Site, open_tab

pytestmark = pytest.mark.browser


def test_api_docs_render_without_the_internet(browser, site: Site) -> None:
    tab = open_tab(browser)
    refused: list[str] = []

    def only_this_server(route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    try:
        tab.page.context.route("**/*", only_this_server)
        tab.page.goto(site.url + "/docs")
        tab.page.wait_for_selector(".opblock", timeout=20_000)
        operations = tab.page.locator(".opblock")
        assert operations.count() >= 15
        paths = tab.page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/v1/events" in path for path in paths) and any("/v1/complaints" in path for path in paths)
        # an operation opens, with its request body schema from /openapi.json
        tab.page.locator(".opblock-post .opblock-summary").first.click()
        tab.page.wait_for_selector(".opblock-body", timeout=10_000)
        tab.shot("api-docs")
    finally:
        tab.page.context.close()
    assert not refused, refused
    assert not tab.errors, tab.errors
