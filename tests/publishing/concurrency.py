"""Workers draining the outbox side by side, each in its own thread and database connection."""

import threading
import time

from django.db import connection

from publishing.models import PublishTask, TaskStatus
from publishing.worker import drain


def drain_in_parallel(apply, *, workers: int = 2, seconds: float = 60) -> None:
    """Run `workers` drains (ids `worker-0`, ...) until no task is left or time is up; re-raise what failed."""
    errors = []

    def run(name):
        try:
            deadline = time.monotonic() + seconds
            while PublishTask.objects.exclude(status=TaskStatus.DONE).exists() and time.monotonic() < deadline:
                drain(worker_id=name, apply=apply, wait_for_lease=0.2)
        except Exception as exc:  # surfaced in the caller's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(f"worker-{n}",)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
