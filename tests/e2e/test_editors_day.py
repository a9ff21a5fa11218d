"""An editor's day in headless Chromium, as issue 13 tells it: sign in with SSO, see what waits, create a band
with its key filled from the name, submit; the approvers get the digest; one returns it with a reason; the
editor reads the reason, fixes it and resubmits; another approver previews the fan view and the change list and
approves; the editor is told; the public API shows the band. Every page is shot at 1400 and 800 px wide and
checked for horizontal overflow of the main content."""

import json
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from catalog.models import Band, ReviewStatus
from devtools.oidc_provider import provider_users
from notifications.services import send_review_digest
from publishing.worker import drain
from tests import factories as f
from tests.fixtures.browser import clear_cookies

pytestmark = [pytest.mark.browser, pytest.mark.oidc, pytest.mark.dynamodb, pytest.mark.django_db(transaction=True)]

WIDTHS = (1400, 800)
OVERFLOW = """
const measured = [document.querySelector('#content'), ...document.querySelectorAll('#changelist .results')];
return measured.filter(e => e).map(e => ({id: e.id || e.className || e.tagName, scroll: e.scrollWidth, client: e.clientWidth,
                                         right: Math.round(e.getBoundingClientRect().right)}));
"""


def shots_dir() -> Path:
    path = Path(django_settings.VAR_DIR) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def shoot(browser, name: str, *, reload: bool = True) -> None:
    """Screenshot the page at each width; the main content (and a list's results) must not scroll sideways.
    `reload=False` for the answer to a POST (a confirmation page), which a reload would send again."""
    for width in WIDTHS:
        browser.set_window_size(width, 1000)
        if reload:  # as a person opening the page at this width for the first time (no sidebar choice saved yet)
            browser.execute_script("localStorage.removeItem('django.admin.navSidebarIsOpen')")
            browser.refresh()
        wait(browser, (By.ID, "content"))
        browser.save_screenshot(str(shots_dir() / f"{name}-{width}.png"))
        for box in browser.execute_script(OVERFLOW):
            assert box["scroll"] <= box["client"], f"{name} at {width}px: {box} overflows"
            assert box["right"] <= width, f"{name} at {width}px: {box} runs past the window"
    browser.set_window_size(1280, 1024)


def wait(browser, locator, timeout=15):
    return WebDriverWait(browser, timeout).until(EC.presence_of_element_located(locator))


def sso_sign_in(browser, live_server, login):
    clear_cookies(browser)
    browser.get(f"{live_server.url}/admin/login/?next=/admin/")
    wait(browser, (By.ID, "sso-login-button")).click()
    wait(browser, (By.ID, "username")).send_keys(login)
    browser.find_element(By.ID, "password").send_keys(provider_users()[login]["password"])
    browser.find_element(By.ID, "sign-in").click()
    wait(browser, (By.ID, "waiting-for-you"))


def password_sign_in(browser, live_server, username, password):
    clear_cookies(browser)
    browser.get(f"{live_server.url}/admin/login/?next=/admin/")
    wait(browser, (By.ID, "id_username")).send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()
    wait(browser, (By.ID, "waiting-for-you"))


def panel(browser) -> str:
    return browser.find_element(By.ID, "waiting-for-you").text


def click_and_wait_for_banner(browser, selector, text):
    old = browser.find_element(By.CSS_SELECTOR, "p.review-banner")
    browser.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(browser, 15).until(EC.staleness_of(old))
    WebDriverWait(browser, 15).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.review-banner"), text))


def test_an_editors_day(browser, live_server, sso_settings, publish_table, settings):
    settings.REVIEW_FOUR_EYES = True
    settings.PUBLIC_API_BASE_URL = "http://127.0.0.1:8001"
    genre = f.approved(f.genre("black-metal", "Black Metal"))
    vocals = f.approved(f.role("vocals", "Vocals", category="voice"))
    festival = f.approved(f.festival("frostfall", "Frostfall Open Air", city="Trondheim", country="NO"))
    f.approved(f.edition(festival, 2027, bands=[f.approved(f.band("iron-lantern", "Iron Lantern", country="SE"))]))
    assert drain().failed == 0
    second = f.user_in("AdminFull", "dana", password="dana-pass")
    second.email = "dana@metalfests.test"
    second.save()

    # The approver's account is made at their first SSO sign-in (nothing waits for them yet).
    sso_sign_in(browser, live_server, "full")
    assert "Nothing waits for you." in panel(browser)

    # The editor signs in with SSO and sees what waits (nothing yet), then creates a band: the key fills itself.
    sso_sign_in(browser, live_server, "editor")
    assert "Nothing waits for you." in panel(browser)
    shoot(browser, "index-editor")
    browser.get(f"{live_server.url}/admin/catalog/band/add/")
    wait(browser, (By.ID, "id_name"))
    shoot(browser, "band-add")  # (shooting reloads the page: the form is filled in afterwards)
    wait(browser, (By.ID, "id_name")).send_keys("Mörk Gryning Söder")
    WebDriverWait(browser, 10).until(
        lambda b: b.find_element(By.ID, "id_key").get_attribute("value") == "mork-gryning-soder")
    browser.save_screenshot(str(shots_dir() / "band-add-key-filled-1280.png"))
    browser.find_element(By.NAME, "members-0-name").send_keys("Åsa Natt")
    browser.find_element(By.NAME, "_continue").click()
    wait(browser, (By.CSS_SELECTOR, "p.review-banner"))
    band = Band.objects.get(key="mork-gryning-soder")
    click_and_wait_for_banner(browser, "button[data-workflow=submit]", "In review")

    # The approvers get the digest (the scheduled command's service).
    assert send_review_digest()["sent"] == 2
    digests = {m.to[0]: m for m in mail.outbox}
    assert set(digests) == {"full@metalfests.test", "dana@metalfests.test"}
    assert "Mörk Gryning Söder" in digests["full@metalfests.test"].body
    mail.outbox.clear()

    # The first approver sees it waiting and returns it with a reason.
    sso_sign_in(browser, live_server, "full")
    assert "Mörk Gryning Söder" in panel(browser) and "to review" in panel(browser)
    shoot(browser, "index-approver")
    browser.get(f"{live_server.url}/admin/catalog/band/{band.pk}/change/")
    wait(browser, (By.ID, "review-panel"))
    shoot(browser, "band-in-review")
    browser.find_element(By.ID, "id_reason").send_keys("Which country? And add the genre, please.")
    click_and_wait_for_banner(browser, "button[data-workflow=return_to_draft]", "Draft")
    (notice,) = mail.outbox
    assert notice.to == ["editor@metalfests.test"] and "Which country? And add the genre, please." in notice.body
    mail.outbox.clear()

    # The editor reads the reason on the index page and on the record, fixes the band and resubmits.
    sso_sign_in(browser, live_server, "editor")
    assert "Which country? And add the genre, please." in panel(browser)
    browser.get(f"{live_server.url}/admin/review-queue/")
    wait(browser, (By.ID, "returned-drafts"))
    assert "Which country?" in browser.find_element(By.ID, "returned-drafts").text
    shoot(browser, "review-queue")
    browser.get(f"{live_server.url}/admin/catalog/band/{band.pk}/change/")
    assert "Which country?" in wait(browser, (By.ID, "return-reason")).text
    shoot(browser, "band-returned")
    Select(browser.find_element(By.ID, "id_country")).select_by_value("NO")
    browser.execute_script(  # the genre autocomplete is select2; set the underlying select as it would
        "const s = document.getElementById('id_genres'); s.add(new Option(arguments[1], arguments[0], true, true));",
        str(genre.pk), genre.name)
    browser.find_element(By.NAME, "members-0-roles").find_elements(By.TAG_NAME, "option")  # the row is there
    old = browser.find_element(By.CSS_SELECTOR, "p.review-banner")
    browser.find_element(By.NAME, "_continue").click()
    WebDriverWait(browser, 15).until(EC.staleness_of(old))
    click_and_wait_for_banner(browser, "button[data-workflow=submit]", "In review")
    assert not browser.find_elements(By.ID, "return-reason")

    # Another approver previews it as fans will see it, with the change list, and approves with a comment.
    password_sign_in(browser, live_server, "dana", "dana-pass")
    browser.get(f"{live_server.url}/admin/catalog/band/{band.pk}/change/")
    wait(browser, (By.ID, "preview-link")).click()
    fan = wait(browser, (By.ID, "fan-view"))
    assert "Mörk Gryning Söder" in fan.text and "Åsa Natt" in fan.text and "Black Metal" in fan.text
    assert "new: not public yet" in browser.find_element(By.ID, "preview-changes").text
    assert "/api/bands/mork-gryning-soder" in browser.find_element(By.ID, "preview-refreshed").text
    shoot(browser, "preview")
    browser.back()
    wait(browser, (By.ID, "id_comment")).send_keys("Welcome aboard.")
    click_and_wait_for_banner(browser, "button[data-workflow=approve]", "Approved")
    shoot(browser, "band-approved")
    band.refresh_from_db()
    assert band.review_status == ReviewStatus.APPROVED and band.approved_by == second

    # The editor is told; the public API shows the band.
    (told,) = mail.outbox
    assert told.to == ["editor@metalfests.test"] and told.subject.startswith("Approved") and "Welcome aboard." in told.body
    assert drain().failed == 0
    from read_api.local import handler_for, to_event

    event = to_event("GET", "/api/bands/mork-gryning-soder", [], "127.0.0.1")
    answer = handler_for(event["path"])(event, None)
    assert answer["statusCode"] == 200
    body = json.loads(answer["body"])
    assert body["band"]["name"] == "Mörk Gryning Söder" and body["band"]["countryCode"] == "NO"

    # Bulk approval: one of the two selected bands is the approver's own change. The confirmation page names it,
    # takes a comment for all and an override only with a justification.
    own = f.band("night-ferry", "Night Ferry")
    from catalog import services

    services.record_submit_for_review(record=own, user=second)
    other = f.band("salt-choir", "Salt Choir")
    services.record_submit_for_review(record=other, user=band.submitted_by)
    browser.get(f"{live_server.url}/admin/catalog/band/?review_status__exact=in_review")
    for record in (own, other):
        wait(browser, (By.CSS_SELECTOR, f"input.action-select[value='{record.pk}']")).click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("approve_selected")
    browser.find_element(By.CSS_SELECTOR, "#changelist-form button[name=index]").click()
    assert "You submitted it" in wait(browser, (By.ID, "approve-selected")).text
    shoot(browser, "approve-selected", reload=False)
    browser.find_element(By.ID, "id_comment").send_keys("Both confirmed by the festival.")
    browser.find_element(By.ID, "id_override").click()
    browser.find_element(By.ID, "id_override_justification").send_keys("Announcement in ten minutes, alone on duty")
    browser.find_element(By.CSS_SELECTOR, "#approve-selected-form input[type=submit]").click()
    wait(browser, (By.CSS_SELECTOR, "ul.messagelist"))
    for record in (own, other):
        record.refresh_from_db()
        assert record.review_status == ReviewStatus.APPROVED
        assert record.history.first().history_change_reason.endswith("Both confirmed by the festival.")

    # The rest of an editor's screens: the dashboard and lists they use, without sideways scrolling.
    browser.get(f"{live_server.url}/admin/publishing/invalidation/")
    wait(browser, (By.ID, "changelist"))
    shoot(browser, "invalidations")
    browser.get(f"{live_server.url}/admin/catalog/edition/")
    wait(browser, (By.ID, "changelist"))
    shoot(browser, "editions")
    browser.get(f"{live_server.url}/admin/catalog/band/")
    wait(browser, (By.ID, "changelist"))
    shoot(browser, "bands")
    browser.get(f"{live_server.url}/notifications/preferences/")
    wait(browser, (By.ID, "preferences-form"))
    shoot(browser, "preferences")
    assert vocals.pk  # (roles exist for members' pickers)
