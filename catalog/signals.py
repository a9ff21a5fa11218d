"""Signals the catalog sends when what the public may see changes.

Sent inside the database transaction of the change, so a receiver that writes rows
(publishing's outbox) commits or rolls back with it. The catalog never imports
publishing: publishing connects to these in its AppConfig.ready().
"""

from django.dispatch import Signal

# Sent with: record (the model instance), change (one of PublicChange), previous_key (for renames),
# before (the snapshot that was public, or None) and after (the snapshot now public, or None).
public_state_changed = Signal()
# The same for many records at once (the legacy import's new records): sent with `changes`, a list of dicts
# with the keyword arguments of `public_state_changed` (record, change, before, after, previous_key).
public_states_changed = Signal()


class PublicChange:
    PUBLISH = "publish"  # approved: `after` is now public (maybe replacing `before`)
    UNPUBLISH = "unpublish"  # withdrawn: `before` is no longer public
    DELETE = "delete"  # deleted: `before` is no longer public
    RENAME = "rename"  # key renamed: `previous_key` must stop answering (festivals redirect)


# Functions `(record) -> str | None` that describe how a record's public copy is doing (a publish pending
# or failed, say). Publishing registers one in its AppConfig.ready(); the admin shows what they return.
public_state_describers: list = []


def describe_public_state(record) -> list[str]:
    return [text for describe in public_state_describers if (text := describe(record))]
