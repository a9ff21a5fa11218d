"""The shared headless Chromium fixture really drives a page served by the live server."""

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.django_db
def test_browser_loads_the_admin_login_page(browser, live_server):
    browser.get(f"{live_server.url}/admin/login/")
    assert "Log in" in browser.title or "Sign in" in browser.page_source
    assert browser.find_element("name", "csrfmiddlewaretoken")
