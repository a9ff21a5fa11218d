"""Releases: a group of records approved together and published together, now or at a promised minute."""
