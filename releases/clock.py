"""The time releases go by: the system clock, or a clock a test sets and moves (`frozen_at`)."""

import contextlib

from django.utils import timezone

_fixed: list = []


def now():
    return _fixed[-1] if _fixed else timezone.now()


@contextlib.contextmanager
def frozen_at(moment):
    """Within the block, `now()` is `moment` (or whatever `set_to` moves it to)."""
    _fixed.append(moment)
    try:
        yield
    finally:
        _fixed.pop()


def set_to(moment) -> None:
    """Move a frozen clock (only inside `frozen_at`)."""
    if not _fixed:
        raise RuntimeError("the release clock is not frozen")
    _fixed[-1] = moment
