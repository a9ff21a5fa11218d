"""CDN backends: recorded locally, sent to CloudFront (moto) with a retry-safe caller reference."""

import boto3
import pytest
from django.test import override_settings
from moto import mock_aws

from publishing import cdn
from publishing.models import Invalidation, InvalidationStatus

pytestmark = pytest.mark.django_db


def make_distribution(client) -> str:
    origin = {"Id": "api", "DomainName": "api.example.com",
              "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"}}
    answer = client.create_distribution(DistributionConfig={
        "CallerReference": "tests", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "api", "ViewerProtocolPolicy": "redirect-to-https",
                                 "MinTTL": 0, "ForwardedValues": {"QueryString": True, "Cookies": {"Forward": "none"}}},
    })
    return answer["Distribution"]["Id"]


@pytest.fixture
def cloudfront(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("cloudfront", region_name="us-east-1")
        distribution = make_distribution(client)
        with override_settings(CLOUDFRONT_DISTRIBUTION_ID=distribution):
            yield client, distribution


def test_items_are_deduplicated_tags_folded_and_covered_paths_dropped():
    items = cdn.normalise_items(["#Band:Metallica", "#band:metallica", "/api/bands/x/*", "/api/bands/x/festivals",
                                 "/api/bands", "/api/bands"])
    assert items == ["#band:metallica", "/api/bands", "/api/bands/x/*"]
    with pytest.raises(ValueError):
        cdn.normalise_items(["#has space"])


def test_past_the_threshold_one_wildcard_replaces_the_items(settings):
    """CloudFront bills each item past 1,000 a month: a publish naming many sends `/api/*`, which counts as one."""
    settings.PUBLISH_INVALIDATION_WILDCARD_AFTER = 3
    few = ["#band:a", "#band:b", "/api/bands"]
    assert cdn.invalidate(few, scope="task-1").items == few
    many = cdn.invalidate([*few, "#genre:doom"], scope="task-2")
    assert many.items == ["/api/*"]
    assert cdn.priced(["/api/*", "#band:a"]) == ["/api/*"]  # nothing to add to a wildcard over everything


def test_same_items_same_reference():
    a = cdn.caller_reference("task-7", ["#band:x", "/api/bands"])
    assert a == cdn.caller_reference("task-7", ["#band:x", "/api/bands"])
    assert a != cdn.caller_reference("task-7", ["#band:y"]) and a != cdn.caller_reference("task-8", ["#band:x"])


def test_without_a_distribution_invalidations_are_recorded_once():
    assert isinstance(cdn.get_backend(), cdn.RecordingBackend)
    first = cdn.invalidate(["#band:x", "/api/bands/x"], scope="task-1")
    again = cdn.invalidate(["/api/bands/x", "#band:x"], scope="task-1")  # a retried publish
    assert first.pk == again.pk and first.status == InvalidationStatus.RECORDED
    assert Invalidation.objects.count() == 1 and first.items == ["#band:x", "/api/bands/x"]
    assert cdn.invalidate([], scope="task-2") is None


def test_with_a_distribution_boto3_sends_one_invalidation(cloudfront):
    client, distribution = cloudfront
    assert isinstance(cdn.get_backend(), cdn.CloudFrontBackend)
    sent = cdn.invalidate(["#band:x", "#bands", "/api/bands/x"], scope="task-1")
    assert sent.status == InvalidationStatus.SENT and sent.distribution_id == distribution and sent.cloudfront_id
    listed = client.list_invalidations(DistributionId=distribution)["InvalidationList"]["Items"]
    assert [i["Id"] for i in listed] == [sent.cloudfront_id]
    batch = client.get_invalidation(DistributionId=distribution, Id=sent.cloudfront_id)["Invalidation"]["InvalidationBatch"]
    assert sorted(batch["Paths"]["Items"]) == ["#band:x", "#bands", "/api/bands/x"]
    assert batch["CallerReference"] == cdn.caller_reference("task-1", sent.items)


def test_too_many_invalidations_in_progress_is_retried_later(cloudfront, monkeypatch):
    from moto.cloudfront.exceptions import CloudFrontException
    from moto.cloudfront.models import CloudFrontBackend

    def refuse(self, dist_id, paths, caller_ref):
        raise CloudFrontException("TooManyInvalidationsInProgress", "Processing your request will cause you to exceed the maximum number of in-progress wildcard invalidations.")

    monkeypatch.setattr(CloudFrontBackend, "create_invalidation", refuse)
    with pytest.raises(cdn.CDNRetryLater):
        cdn.invalidate(["#band:x"], scope="task-1")
    assert not Invalidation.objects.exists()


def test_other_cloudfront_errors_are_raised(cloudfront):
    with override_settings(CLOUDFRONT_DISTRIBUTION_ID="EDOESNOTEXIST"):
        with pytest.raises(Exception) as raised:
            cdn.invalidate(["#band:x"], scope="task-1")
    assert not isinstance(raised.value, cdn.CDNRetryLater)
