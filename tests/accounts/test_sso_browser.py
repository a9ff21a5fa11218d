"""Headless Chromium signs in through the local OpenID provider as an editor, a viewer and a full admin,
and each has exactly their powers in the admin; logout ends the provider's session too."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from catalog.models import Band, ReviewStatus
from devtools.oidc_provider import provider_users
from tests import factories
from tests.fixtures.browser import clear_cookies

pytestmark = [pytest.mark.browser, pytest.mark.oidc, pytest.mark.django_db(transaction=True)]

POST_CHANGE = """
const token = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1];
const xhr = new XMLHttpRequest();
xhr.open('POST', location.href, false);
xhr.setRequestHeader('Content-Type', 'application/x-www-form-urlencoded');
xhr.setRequestHeader('X-CSRFToken', token);
xhr.send('name=Hacked&_save=Save');
return xhr.status;
"""


def wait(browser, locator, timeout=15):
    return WebDriverWait(browser, timeout).until(EC.presence_of_element_located(locator))


def sso_sign_in(browser, live_server, login, *, fresh=True):
    if fresh:
        clear_cookies(browser)
    browser.get(f"{live_server.url}/admin/login/?next=/admin/")
    wait(browser, (By.ID, "sso-login-button")).click()
    wait(browser, (By.ID, "username")).send_keys(login)
    browser.find_element(By.ID, "password").send_keys(provider_users()[login]["password"])
    browser.find_element(By.ID, "sign-in").click()


def open_band(browser, live_server, band):
    browser.get(f"{live_server.url}/admin/catalog/band/{band.pk}/change/")
    wait(browser, (By.CSS_SELECTOR, "p.review-banner"))


def test_each_kind_of_user_signs_in_by_sso_with_the_right_powers(browser, live_server, sso_settings):
    band = factories.approved(factories.band(key="grave-orchard", name="Grave Orchard"))

    # Editor: may edit and submit, may not approve or delete.
    sso_sign_in(browser, live_server, "editor")
    wait(browser, (By.ID, "user-tools"))
    open_band(browser, live_server, band)
    assert not browser.find_elements(By.CSS_SELECTOR, "button[data-workflow=approve]")
    assert not browser.find_elements(By.CSS_SELECTOR, "a.deletelink")
    name = browser.find_element(By.NAME, "name")
    name.clear()
    name.send_keys("Grave Orchard (live)")
    browser.find_element(By.NAME, "_continue").click()
    wait(browser, (By.CSS_SELECTOR, "button[data-workflow=submit]")).click()
    WebDriverWait(browser, 15).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.review-banner"), "In review"))
    band.refresh_from_db()
    assert band.name == "Grave Orchard (live)" and band.review_status == ReviewStatus.IN_REVIEW
    assert band.published_snapshot["name"] == "Grave Orchard"

    # Logout ends the Django session and the provider's: signing in again asks for the password.
    browser.find_element(By.CSS_SELECTOR, "#logout-form [type=submit]").click()
    wait(browser, (By.ID, "sso-login-button"))
    assert browser.current_url.startswith(f"{live_server.url}/admin/login/")
    browser.find_element(By.ID, "sso-login-button").click()
    wait(browser, (By.ID, "username"))  # the provider forgot the editor

    # Viewer: sees the band, has no save or workflow buttons, and a forged change POST is refused.
    sso_sign_in(browser, live_server, "viewer")
    wait(browser, (By.ID, "user-tools"))
    open_band(browser, live_server, band)
    assert not browser.find_elements(By.NAME, "_save")
    assert not browser.find_elements(By.CSS_SELECTOR, "button[data-workflow]")
    assert browser.execute_script(POST_CHANGE) == 403
    assert Band.objects.get(pk=band.pk).name == "Grave Orchard (live)"

    # Full admin: approves; the public copy follows.
    sso_sign_in(browser, live_server, "full")
    wait(browser, (By.ID, "user-tools"))
    open_band(browser, live_server, band)
    browser.find_element(By.CSS_SELECTOR, "button[data-workflow=approve]").click()
    WebDriverWait(browser, 15).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.review-banner"), "Approved"))
    band.refresh_from_db()
    assert band.review_status == ReviewStatus.APPROVED and band.published_snapshot["name"] == "Grave Orchard (live)"
    assert band.approved_by.identity.sub == provider_users()["full"]["sub"]


def test_a_person_in_no_admin_group_sees_why(browser, live_server, sso_settings):
    sso_sign_in(browser, live_server, "outsider")
    reason = wait(browser, (By.ID, "refused-reason"))
    assert "none of the admin groups" in reason.text
