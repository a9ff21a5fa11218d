"""What the import shows on a console: no line per record in the logs (the bar is metalfests.progress)."""

import logging
from contextlib import contextmanager

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
