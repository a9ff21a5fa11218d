"""Notifications: review outcomes to the editor, a digest to approvers, publishing alerts to people on duty,
the "waiting for you" panel and each person's preferences. E-mail through Django's outbox; one test through
a real SMTP server on localhost (aiosmtpd)."""

import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from catalog import services
from notifications.models import NotificationPreference, PublishingAlert
from notifications.services import send_publishing_alerts, send_review_digest
from tests import factories as f

pytestmark = pytest.mark.django_db


def _person(group, name, **preferences):
    user = f.user_in(group, name)
    user.email = f"{name}@metalfests.example"
    user.save()
    if preferences:
        NotificationPreference.objects.create(user=user, **preferences)
    return user


def _submitted(editor, name="Grave Orchard"):
    band = f.band(name=name)
    services.record_save(record=band, user=editor)
    services.record_submit_for_review(record=band, user=editor)
    return band


def test_the_editor_is_told_of_a_return_with_the_reason_after_commit(django_capture_on_commit_callbacks):
    editor, chief = _person("AdminEditor", "eve"), _person("AdminFull", "carl")
    band = _submitted(editor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.record_return_to_draft(record=band, user=chief, expected_version=band.version,
                                        reason="Add the drummer, please.")
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    (message,) = mail.outbox
    assert message.to == ["eve@metalfests.example"]
    assert message.subject == "Returned to draft: Grave Orchard (band)"
    assert "Add the drummer, please." in message.body and "carl" in message.body
    assert f"/admin/catalog/band/{band.pk}/change/" in message.body


def test_the_editor_is_told_of_an_approval_with_the_comment(django_capture_on_commit_callbacks):
    editor, chief = _person("AdminEditor", "eve"), _person("AdminFull", "carl")
    band = _submitted(editor)
    with django_capture_on_commit_callbacks(execute=True):
        services.record_approve(record=band, user=chief, expected_version=band.version, comment="Great find.")
    (message,) = mail.outbox
    assert message.subject == "Approved: Grave Orchard (band)" and "Great find." in message.body


def test_a_rolled_back_approval_tells_nobody(django_capture_on_commit_callbacks):
    from django.db import transaction

    editor, chief = _person("AdminEditor", "eve"), _person("AdminFull", "carl")
    band = _submitted(editor)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            services.record_approve(record=band, user=chief, expected_version=band.version)
            raise RuntimeError("rolled back")
    assert mail.outbox == []


def test_nobody_is_told_about_their_own_step_and_preferences_are_honoured(django_capture_on_commit_callbacks):
    editor = _person("AdminEditor", "eve", review_outcomes=False)
    chief = _person("AdminFull", "carl")
    band = _submitted(editor)
    with django_capture_on_commit_callbacks(execute=True):
        services.record_return_to_draft(record=band, user=chief, reason="No.")
    assert mail.outbox == []  # eve turned these off
    other = _submitted(chief, "Iron Lantern")
    with django_capture_on_commit_callbacks(execute=True):
        services.record_return_to_draft(record=other, user=chief, reason="Mine.")
    assert mail.outbox == []  # carl took the step himself


def test_the_digest_is_one_mail_per_approver_listing_what_waits(settings):
    settings.REVIEW_FOUR_EYES = True
    editor = _person("AdminEditor", "eve")
    chief, second = _person("AdminFull", "carl"), _person("AdminFull", "dana", review_digest=False)
    _submitted(editor, "Grave Orchard")
    _submitted(editor, "Iron Lantern")
    own = _submitted(chief, "Carl's Band")
    assert mail.outbox == []
    result = send_review_digest()
    assert result == {"sent": 1, "records": 3}
    (digest,) = mail.outbox  # not eve (no approver), not dana (turned it off)
    assert digest.to == ["carl@metalfests.example"] and digest.subject == "2 records waiting for your review"
    assert "Grave Orchard" in digest.body and "Iron Lantern" in digest.body
    assert "for another approver" in digest.body and str(own) in digest.body
    assert second.email not in digest.to


def test_the_digest_command_sends_nothing_when_nothing_waits(capsys):
    _person("AdminFull", "carl")
    call_command("send_review_digest")
    assert mail.outbox == [] and "0 e-mail(s) sent" in capsys.readouterr().out


def _failed_task(age_minutes: int):
    from publishing.models import PublishTask, TaskStatus

    return PublishTask.objects.create(
        kind="band", record_pk=1, record_key="grave-orchard", change="publish", status=TaskStatus.FAILED,
        attempts=3, last_error="EndpointConnectionError: DynamoDB unreachable",
        created_at=timezone.now() - timedelta(minutes=age_minutes),
    )


def test_people_on_duty_hear_of_failures_once_and_again_when_they_stay_failed(settings):
    settings.PUBLISHING_ALERT_AFTER_MINUTES = 30
    settings.PUBLISHING_ALERT_EMAILS = ["oncall@metalfests.example"]
    _person("AdminFull", "carl", publishing_alerts=True)
    _person("AdminFull", "dana")  # not on duty
    task = _failed_task(age_minutes=5)
    assert send_publishing_alerts() == {"failed": 1, "stuck": 0, "sent": 1}
    (alert,) = mail.outbox
    assert alert.to == ["carl@metalfests.example", "oncall@metalfests.example"]
    assert "DynamoDB unreachable" in alert.body and f"task #{task.pk}" in alert.body
    assert send_publishing_alerts()["sent"] == 0  # told once
    later = timezone.now() + timedelta(minutes=40)
    assert send_publishing_alerts(now=later) == {"failed": 0, "stuck": 1, "sent": 1}
    assert "Still failed after 30 minutes" in mail.outbox[1].body
    assert PublishingAlert.objects.count() == 2


def test_an_alert_that_could_not_be_sent_is_tried_again(settings):
    settings.PUBLISHING_ALERT_EMAILS = ["oncall@metalfests.example"]
    settings.EMAIL_BACKEND = "tests.notifications.test_notifications.BrokenBackend"
    _failed_task(age_minutes=1)
    assert send_publishing_alerts()["sent"] == 0 and PublishingAlert.objects.count() == 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_publishing_alerts()["sent"] == 1


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_waiting_for_you_panel(client, settings):
    settings.REVIEW_FOUR_EYES = True
    editor, chief = _person("AdminEditor", "eve"), _person("AdminFull", "carl")
    band = _submitted(editor)
    returned = _submitted(editor, "Iron Lantern")
    services.record_return_to_draft(record=returned, user=chief, reason="Which Iron Lantern? Add a country.")
    _failed_task(age_minutes=1)

    client.force_login(chief)
    page = client.get(reverse("admin:index")).content.decode()
    panel = page.split('id="waiting-for-you"', 1)[1].split("</div>", 1)[0]
    assert "Grave Orchard" in panel and "to review" in panel and "1 publishing task failed" in panel

    client.force_login(editor)
    panel = client.get(reverse("admin:index")).content.decode().split('id="waiting-for-you"', 1)[1].split("</div>", 1)[0]
    assert "Which Iron Lantern? Add a country." in panel and "to review" not in panel
    assert "1 of yours in review" in panel
    assert str(band) not in panel.split("1 of yours")[0]


def test_each_person_sets_their_own_preferences(client):
    editor = _person("AdminEditor", "eve")
    client.force_login(editor)
    url = reverse("notifications:preferences")
    page = client.get(url).content.decode()
    assert "eve@metalfests.example" in page and 'name="publishing_alerts"' in page
    client.post(url, {"review_digest": "on"})
    preference = NotificationPreference.objects.get(user=editor)
    assert (preference.review_outcomes, preference.review_digest, preference.publishing_alerts) == (False, True, False)


def test_one_review_outcome_through_a_real_smtp_server(settings, django_capture_on_commit_callbacks):
    """End to end: the notice leaves through Django's SMTP backend and arrives at a server on localhost."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        editor, chief = _person("AdminEditor", "eve"), _person("AdminFull", "carl")
        band = _submitted(editor)
        with django_capture_on_commit_callbacks(execute=True):
            services.record_return_to_draft(record=band, user=chief, reason="Wrong country.")
    finally:
        controller.stop()
    (message,) = received
    assert message["To"] == "eve@metalfests.example"
    assert message["Subject"] == "Returned to draft: Grave Orchard (band)"
    assert "Wrong country." in message.get_payload(decode=True).decode()
