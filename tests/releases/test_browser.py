"""An approver schedules a lineup announcement in headless Chromium: the release page, its preview, the approval
with a time in the editor's zone, and a record's releases panel; every page is shot at 1400 and 800 px."""

from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from publishing.worker import drain
from releases import clock
from releases.models import ReleaseState
from tests import factories as f
from tests.e2e.test_editors_day import password_sign_in, shoot, wait

from .scenarios import ANNOUNCEMENT, lineup_announcement

pytestmark = [pytest.mark.browser, pytest.mark.dynamodb, pytest.mark.django_db(transaction=True)]


def test_an_approver_schedules_an_announcement(browser, live_server, publish_table):
    with clock.frozen_at(ANNOUNCEMENT - timedelta(days=2)):
        announcement = lineup_announcement(bands=20)
        drain()
        f.user_in("AdminFull", username="ana", password="pw-for-tests")
        password_sign_in(browser, live_server, "ana", "pw-for-tests")
        release = announcement.release

        browser.get(f"{live_server.url}/admin/releases/release/{release.pk}/change/")
        wait(browser, (By.ID, "release-items"))
        assert len(browser.find_elements(By.CSS_SELECTOR, "#release-items tbody tr")) == 24
        shoot(browser, "release-draft")

        browser.find_element(By.ID, "release-preview-link").click()
        wait(browser, (By.ID, "release-field-changes"))
        lineup = browser.find_element(By.CSS_SELECTOR, ".fan-view").text
        assert "New Band 00" in lineup and "New Band 19" in lineup and "Metallica" in lineup
        shoot(browser, "release-preview")

        browser.back()
        form = wait(browser, (By.ID, "release-approve-form"))
        browser.execute_script("document.getElementById('id_publish_at').value = '2027-01-15T10:00'")
        Select(browser.find_element(By.ID, "id_time_zone")).select_by_value("Europe/Paris")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait(browser, (By.ID, "release-reschedule-form"))
        assert "goes public at Friday 15 January 2027, 10:00 CET" in browser.find_element(By.ID, "release-state").text
        shoot(browser, "release-scheduled")
        release.refresh_from_db()
        assert release.state == ReleaseState.SCHEDULED

        browser.get(f"{live_server.url}/admin/catalog/band/{announcement.bands[0].pk}/change/")
        assert "It goes public with the release" in wait(browser, (By.ID, "record-release")).text
        shoot(browser, "release-record-panel")
