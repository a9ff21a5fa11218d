"""Admin: the public preview, a record's public state, the task list and retry (full admins only)."""

import json
import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from catalog import services
from publishing.models import PublishTask, TaskStatus
from publishing.selectors import public_state
from publishing.worker import drain
from tests import factories as f

from .scenarios import published_world

pytestmark = pytest.mark.django_db


def login(client, group):
    user = f.user_in(group)
    client.force_login(user)
    return user


@pytest.mark.dynamodb
def test_preview_shows_the_public_json_and_its_difference_from_live(client, publish_table):
    world = published_world()
    assert drain().failed == 0
    world.metallica.name = "Metallica (preview)"
    services.record_save(record=world.metallica, user=None)  # a draft: nothing public changed yet
    login(client, "AdminViewer")
    url = reverse("publishing:preview", args=["band", world.metallica.pk])
    assert url == f"/publishing/preview/band/{world.metallica.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "GET /api/bands/metallica" in html and "&quot;name&quot;: &quot;Metallica (preview)&quot;" in html
    changed = {(i["pk"], i["sk"]) for i in page.context["changes"]}
    assert ("FESTIVAL#hellfest#EDITIONS", "EDITION#2026") in changed and ("BAND#metallica", "METADATA") in changed
    assert ("BAND#iron-maiden", "METADATA") not in changed
    diff = next(i["diff"] for i in page.context["changes"] if i["sk"] == "METADATA" and i["pk"] == "BAND#metallica")
    assert '-    "name": "Metallica",' in diff and '+    "name": "Metallica (preview)",' in diff
    # the preview wrote nothing
    assert '"Metallica (preview)"' not in json.dumps([v["body"]["S"] for v in publish_table.dump().values()])


def test_preview_needs_staff_and_the_view_permission(client):
    band = f.band()
    url = reverse("publishing:preview", args=["band", band.pk])
    assert client.get(url).status_code == 302  # to the admin login
    login(client, None)
    assert client.get(url).status_code == 302  # not staff
    user = f.user_in(None, username="staff-without-perms")
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert client.get(url).status_code == 403
    login(client, "AdminViewer")
    assert client.get(reverse("publishing:preview", args=["user", 1])).status_code == 404


def test_public_state_reports_pending_failed_and_published():
    band = f.approved(f.band("state-band"))
    state = public_state(band)
    assert state["published"] and state["revision"] == 1 and state["pending"]["change"] == "publish"
    assert state["failed"] is None and state["last_published_at"] is None

    def fail(task, *, token):
        raise ConnectionError("DynamoDB is down")

    drain(apply=fail)
    state = public_state(band)
    assert state["pending"] is None and state["failed"]["error"].startswith("ConnectionError: DynamoDB is down")
    assert state["preview_url"] == f"/publishing/preview/band/{band.pk}/"

    PublishTask.objects.update(next_attempt_at=timezone.now())
    drain(apply=lambda task, *, token: type("O", (), {"items_written": 3, "items_deleted": 0})())
    state = public_state(band)
    assert state["failed"] is None and state["last_published_at"] is not None


def test_public_state_template_tag_offers_retry_to_full_admins_only():
    band = f.approved(f.band("tag-band"))
    drain(apply=lambda task, *, token: (_ for _ in ()).throw(TimeoutError("throttled")))
    template = Template("{% load publishing %}{% public_state record %}")
    for group, can_retry in (("AdminFull", True), ("AdminEditor", False)):
        request = RequestFactory().get("/")
        request.user = f.user_in(group)
        html = template.render(Context({"record": band, "request": request}))
        assert "TimeoutError: throttled" in html
        assert ("Retry now" in html) is can_retry


def test_task_list_and_retry(client):
    f.approved(f.band("retry-band"))
    drain(apply=lambda task, *, token: (_ for _ in ()).throw(ConnectionError("down")))
    task = PublishTask.objects.get()
    changelist = reverse("admin:publishing_publishtask_changelist")

    login(client, "AdminViewer")
    page = client.get(changelist)
    assert page.status_code == 200 and "retry-band" in page.content.decode()
    assert "retry_now" not in page.content.decode()
    login(client, "AdminEditor")
    assert client.post(reverse("publishing:retry", args=[task.pk])).status_code == 403

    login(client, "AdminFull")
    page = client.get(changelist)
    assert "retry_now" in page.content.decode()
    assert "retry-band" not in client.get(changelist + "?state=done").content.decode()
    response = client.post(changelist, {"action": "retry_now", "_selected_action": [task.pk]})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.PENDING and task.next_attempt_at <= timezone.now()
    assert client.get(reverse("admin:publishing_invalidation_changelist")).status_code == 200


def test_catalog_admin_shows_a_failed_publish_on_the_record(admin_client, settings):
    """Publishing describes the record's public state to the catalog admin through the catalog's registry."""
    from catalog.signals import describe_public_state
    from publishing.models import PublishTask, TaskStatus

    band = f.approved(f.band("failing-band", "Failing Band"))
    task = PublishTask.objects.filter(record_pk=band.pk).latest("id")
    PublishTask.objects.filter(pk=task.pk).update(status=TaskStatus.FAILED, last_error="DynamoDB unreachable", attempts=3)
    (text,) = describe_public_state(band)
    assert "FAILED" in text and "DynamoDB unreachable" in text
    page = admin_client.get(f"/admin/catalog/band/{band.pk}/change/").content.decode()
    assert "DynamoDB unreachable" in page


def test_invalidations_page_shows_the_items_sent_and_the_answers_that_changed(client):
    from publishing.models import Invalidation, InvalidationStatus

    answers = [f"/api/bands/band-{n:02d}" for n in range(14)]
    Invalidation.objects.create(caller_reference="ref-1", items=["#band:band-00", "#bands"],
                                changed_paths=answers, status=InvalidationStatus.RECORDED)
    login(client, "AdminViewer")
    page = client.get(reverse("admin:publishing_invalidation_changelist")).content.decode()
    shown = re.findall(r'<code style="display:block;overflow-wrap:anywhere">([^<]+)</code>', page)
    assert shown == ["#band:band-00", "#bands", *answers[:12]]  # one per line, so the list fits the page
    assert "/api/bands/band-12" not in page and "… and 2 more" in page
