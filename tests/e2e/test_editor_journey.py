"""An editor's day in a real browser (headless Chromium): find a band, edit its members, submit it;
a viewer cannot change it; a full admin approves it and the public copy follows."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from catalog.models import Band, ReviewStatus
from tests import factories as f
from tests.fixtures.browser import clear_cookies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "journey-password"


def sign_in(browser, live_server, username):
    clear_cookies(browser)
    browser.get(f"{live_server.url}/admin/login/?next=/admin/")
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "user-tools")))


def open_band(browser, live_server, search):
    browser.get(f"{live_server.url}/admin/catalog/band/")
    box = browser.find_element(By.ID, "searchbar")
    box.send_keys(search)
    box.submit()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.LINK_TEXT, "Grave Orchard"))).click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "p.review-banner")))


def test_editor_edits_members_and_submits_viewer_cannot_full_admin_approves(browser, live_server):
    vocals = f.role(key="vocals", name="Vocals", category="voice")
    band = f.approved(f.band(key="grave-orchard", name="Grave Orchard", members=[("Eero", [vocals])]))
    f.band(key="iron-lantern", name="Iron Lantern")
    editor = f.user_in("AdminEditor", "editor", PASSWORD)
    f.user_in("AdminViewer", "viewer", PASSWORD)
    f.user_in("AdminFull", "chief", PASSWORD)

    # The editor finds the band, renames a member, adds one, saves and submits.
    sign_in(browser, live_server, "editor")
    open_band(browser, live_server, "orchard")
    name = browser.find_element(By.NAME, "members-0-name")
    name.clear()
    name.send_keys("Eero Salo")
    browser.find_element(By.NAME, "members-1-name").send_keys("Kaisa Aho")
    before = browser.find_element(By.CSS_SELECTOR, "p.review-banner")
    browser.find_element(By.NAME, "_continue").click()
    # The page before the save has a banner too ("Approved"): wait for it to go, then read the new one.
    WebDriverWait(browser, 10).until(EC.staleness_of(before))
    banner = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "p.review-banner")))
    assert "Draft" in banner.text and "stays live" in banner.text
    assert "Approve and publish" not in browser.page_source
    browser.find_element(By.CSS_SELECTOR, "button[data-workflow=submit]").click()
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.review-banner"), "In review"))
    band.refresh_from_db()
    assert band.review_status == ReviewStatus.IN_REVIEW and band.submitted_by == editor
    assert [m.name for m in band.members.order_by("order", "id")] == ["Eero Salo", "Kaisa Aho"]
    assert band.published_snapshot["members"] == [{"name": "Eero", "roleKeys": ["vocals"]}]  # public copy unchanged

    # The viewer can look but not change: no inputs, no save, no workflow buttons.
    sign_in(browser, live_server, "viewer")
    open_band(browser, live_server, "orchard")
    assert not browser.find_elements(By.NAME, "name")
    assert not browser.find_elements(By.NAME, "_save")
    assert not browser.find_elements(By.CSS_SELECTOR, "button[data-workflow]")

    # The full admin approves from the change page; the public copy now has the new members.
    sign_in(browser, live_server, "chief")
    open_band(browser, live_server, "orchard")
    browser.find_element(By.CSS_SELECTOR, "button[data-workflow=approve]").click()
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.review-banner"), "Approved"))
    browser.save_screenshot(str(live_server_screenshot_path()))
    band = Band.objects.get(pk=band.pk)
    assert band.review_status == ReviewStatus.APPROVED and band.approved_by.username == "chief"
    assert [m["name"] for m in band.published_snapshot["members"]] == ["Eero Salo", "Kaisa Aho"]


def live_server_screenshot_path():
    from django.conf import settings

    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    return settings.VAR_DIR / "editor-journey.png"
