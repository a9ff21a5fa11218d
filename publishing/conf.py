"""Publishing's settings in one place, each with its default (override any of them in Django settings)."""

from django.conf import settings

DEFAULTS = {
    # Retry of a failed task: base * 2**(attempts-1), capped, with jitter.
    "PUBLISH_RETRY_BASE_SECONDS": 5.0,
    "PUBLISH_RETRY_MAX_SECONDS": 15 * 60.0,
    # How long a worker holds the drain lease without renewing it (renewed before each task;
    # above the worker Lambda's 30 s timeout, short enough that a killed worker blocks little).
    "PUBLISH_LEASE_SECONDS": 120.0,
    # The distribution has a CacheTagConfig reading the read tier's Cache-Tag header.
    "CLOUDFRONT_CACHE_TAGS": True,
    # Retries of BatchWriteItem's UnprocessedItems before the task fails (and is retried later).
    "PUBLISH_UNPROCESSED_RETRIES": 8,
    # Parallel scan segments a rebuild reads the table's keys and hashes with, a thread each (each step
    # of a checkpointed rebuild scans the whole table first; measured on DynamoDB Local at ×10, 1
    # segment took 83-108 s, 4 took 21 s, 16 took 7.7 s, 32 took 7.5 s: bench.scale_publish --large).
    "PUBLISH_SCAN_SEGMENTS": 16,
    # Fenced transaction streams side by side in a republish or bulk drain (one fence shard each).
    "PUBLISH_WRITE_STREAMS": 2,
    # A rebuild (a republish or bulk drain) projects this many entities at a time, holding only their
    # snapshots and items (memory); under a time budget it records its progress after each such chunk,
    # all written: a run that stops for time resumes there.
    "PUBLISH_REBUILD_CHUNK": 500,
    # More due tasks than this (a bulk import) are applied together by one full rebuild.
    "PUBLISH_BULK_THRESHOLD": 50,
    # A publish naming more invalidation items than this sends one wildcard over the whole API instead
    # (CloudFront bills each item past 1,000 a month, a wildcard counting as one; see publishing/cdn.py).
    "PUBLISH_INVALIDATION_WILDCARD_AFTER": 200,
    # Dotted path of a CDN backend class; empty: CloudFront when a distribution id is set, else recording.
    "PUBLISH_CDN_BACKEND": "",
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])


def table_name() -> str:
    return settings.DYNAMODB_TABLE_NAME


def distribution_id() -> str:
    return getattr(settings, "CLOUDFRONT_DISTRIBUTION_ID", "") or ""
