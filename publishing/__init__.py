"""Publishing: the outbox of approved changes, the projector to DynamoDB items, and CDN invalidation."""
