"""CDN invalidation as a swappable backend: recorded in the database locally, sent to CloudFront in production.

Items are CloudFront `Paths.Items`: `#tag` entries (cleared wherever the tag was
served, whatever the path or query string) and plain paths (exact, or with a
trailing `*`). Each publish sends at most one CreateInvalidation; its caller
reference is derived from the task and the items, so a retried request is a no-op.

Priced in: CloudFront charges nothing for the first 1,000 invalidation paths of a month and
USD 0.005 for each one after, and a wildcard path counts as one however much it clears
(aws.amazon.com/cloudfront/pricing, "Invalidation requests"). So a publish naming more items
than `PUBLISH_INVALIDATION_WILDCARD_AFTER` (200 by default: USD 1 of items, against one item
and a cache that refills on demand) sends the single wildcard `/api/*` instead: a full
republish or a bulk import costs one item, not thousands, and still leaves nothing stale.
"""

import hashlib
import logging

from django.utils.module_loading import import_string

from . import conf
from .models import Invalidation, InvalidationStatus

logger = logging.getLogger(__name__)

MAX_TAG_LENGTH = 256
EVERYTHING = "/api/*"  # every answer of the public API


class CDNRetryLater(Exception):
    """The CDN asked us to come back later (too many invalidations in progress, throttling)."""


def normalise_items(items) -> list[str]:
    """Deduplicate; tags are case-insensitive; a path covered by a trailing-`*` path is dropped."""
    tags = {item.lower() for item in items if item.startswith("#")}
    paths = {item for item in items if not item.startswith("#")}
    wildcards = [p[:-1] for p in paths if p.endswith("*")]
    kept = {p for p in paths if not any(p != w + "*" and p.startswith(w) for w in wildcards)}
    for tag in tags:
        if len(tag) - 1 > MAX_TAG_LENGTH or "," in tag or any(not 33 <= ord(c) <= 126 for c in tag):
            raise ValueError(f"not a valid CloudFront cache tag: {tag!r}")
    return sorted(tags) + sorted(kept)


def priced(items: list[str]) -> list[str]:
    """The cheapest exact invalidation: `items` when few, one wildcard over the API past the threshold."""
    if EVERYTHING in items or len(items) > conf.get("PUBLISH_INVALIDATION_WILDCARD_AFTER"):
        return [EVERYTHING]
    return items


def caller_reference(scope: str, items: list[str]) -> str:
    """The same scope and items give the same reference: CloudFront then returns the earlier invalidation."""
    digest = hashlib.sha256("\n".join(items).encode()).hexdigest()[:20]
    return f"metalfests-{scope}-{digest}"


class RecordingBackend:
    """No distribution configured: keep the invalidation as a row the admin shows."""

    def invalidate(self, *, items: list[str], reference: str, task=None, changed_paths=()) -> Invalidation:
        invalidation, _ = Invalidation.objects.get_or_create(
            caller_reference=reference,
            defaults={"items": items, "status": InvalidationStatus.RECORDED, "task": task,
                      "changed_paths": list(changed_paths)},
        )
        return invalidation


class CloudFrontBackend:
    """Send one CreateInvalidation per publish (boto3), and record what was sent."""

    def __init__(self, distribution_id: str | None = None, client=None):
        import boto3

        self.distribution_id = distribution_id or conf.distribution_id()
        self.client = client or boto3.client("cloudfront")

    def invalidate(self, *, items: list[str], reference: str, task=None, changed_paths=()) -> Invalidation:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.create_invalidation(
                DistributionId=self.distribution_id,
                InvalidationBatch={"Paths": {"Quantity": len(items), "Items": items}, "CallerReference": reference},
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in {"TooManyInvalidationsInProgress", "Throttling", "ThrottlingException", "ServiceUnavailable"}:
                raise CDNRetryLater(f"CloudFront: {code}") from exc
            raise
        invalidation, _ = Invalidation.objects.update_or_create(
            caller_reference=reference,
            defaults={
                "items": items,
                "status": InvalidationStatus.SENT,
                "distribution_id": self.distribution_id,
                "cloudfront_id": answer["Invalidation"]["Id"],
                "task": task,
                "changed_paths": list(changed_paths),
            },
        )
        return invalidation


def get_backend():
    dotted = conf.get("PUBLISH_CDN_BACKEND")
    if dotted:
        return import_string(dotted)()
    if conf.distribution_id():
        return CloudFrontBackend()
    return RecordingBackend()


def invalidate(items, *, scope: str, task=None, changed_paths=()) -> Invalidation | None:
    """Invalidate `items` (nothing to do when empty) through the configured backend.

    `changed_paths` (the public answers that changed) is recorded beside the items for people."""
    items = priced(normalise_items(items))
    if not items:
        return None
    reference = caller_reference(scope, items)
    return get_backend().invalidate(items=items, reference=reference, task=task, changed_paths=changed_paths)
