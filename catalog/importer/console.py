"""What the import shows on a console: a progress bar on a terminal, and no line per record in the logs."""

import logging
from contextlib import contextmanager

from tqdm import tqdm

# One line per record (the audit trail's, PynamoDB's per request) is no console output for thousands of records.
QUIET_LOGGERS = ("metalfests.audit", "pynamodb")


@contextmanager
def quiet(*names: str):
    """Raise these loggers to WARNING while the import runs (warnings and errors still show)."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.level, logging.WARNING))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class Progress:
    """A progress bar per kind of record, on a terminal only (logs and CI get the report's summary line)."""

    def __init__(self, stderr):
        self.stream = getattr(stderr, "_out", stderr)  # the terminal itself: Django's wrapper ends every write
        self.bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.bar is not None:
            self.bar.close()

    def __call__(self, label: str, done: int, total: int) -> None:
        if not self.stream.isatty():
            return
        if self.bar is None or self.bar.desc != label:
            if self.bar is not None:
                self.bar.close()
            self.bar = tqdm(total=total, desc=label, unit=" records", file=self.stream, leave=False)
        self.bar.update(done - self.bar.n)
