"""The task retry view goes back only to pages of this site (issue 10, item 12)."""

import pytest
from django.urls import reverse

from publishing.models import PublishTask
from publishing.worker import drain
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_task(client):
    f.approved(f.band("retry-band"))
    drain(apply=lambda task, *, token: (_ for _ in ()).throw(ConnectionError("down")))
    client.force_login(f.user_in("AdminFull"))
    return PublishTask.objects.get()


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/", "javascript:alert(1)",
                                    "https:///evil.example", "\\\\evil.example"])
def test_an_off_site_next_is_not_followed(client, failed_task, target):
    response = client.post(reverse("publishing:retry", args=[failed_task.pk]), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:publishing_publishtask_changelist")


def test_an_off_site_referer_is_not_followed_either(client, failed_task):
    response = client.post(reverse("publishing:retry", args=[failed_task.pk]), HTTP_REFERER="https://evil.example/")
    assert response["Location"] == reverse("admin:publishing_publishtask_changelist")


def test_a_page_of_this_site_is_followed(client, failed_task):
    page = reverse("admin:catalog_band_changelist")
    assert client.post(reverse("publishing:retry", args=[failed_task.pk]), {"next": page})["Location"] == page
    back = "http://testserver" + page
    assert client.post(reverse("publishing:retry", args=[failed_task.pk]), HTTP_REFERER=back)["Location"] == back
