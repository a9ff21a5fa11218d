"""The worker: claims, failures kept and retried with capped backoff, per-record order, the lease."""

import threading
import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from publishing import worker
from publishing.models import DrainLease, PublishTask, TaskStatus
from publishing.services import TaskOutcome

from .concurrency import drain_in_parallel


def make_task(kind="band", pk=1, key="b", **fields) -> PublishTask:
    return PublishTask.objects.create(kind=kind, record_pk=pk, record_key=key, change="publish", **fields)


class Recorder:
    """A stand-in for task_apply that records the order of application and fails on demand."""

    def __init__(self, fail_ids=(), delay=0.0):
        self.applied: list[int] = []
        self.fail_ids = set(fail_ids)
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self, task, *, token):
        if task.pk in self.fail_ids:
            raise ConnectionError(f"DynamoDB unreachable for task {task.pk}")
        time.sleep(self.delay)
        with self.lock:
            self.applied.append(task.pk)
        return TaskOutcome(items_written=1)


@pytest.mark.django_db
def test_a_failed_task_is_kept_with_its_error_and_retried_when_due():
    task = make_task()
    failing = Recorder(fail_ids={task.pk})
    report = worker.drain(apply=failing)
    task.refresh_from_db()
    assert report.failed == 1 and task.status == TaskStatus.FAILED and task.attempts == 1
    assert "DynamoDB unreachable" in task.last_error
    assert task.next_attempt_at > timezone.now()

    assert worker.drain(apply=Recorder()).applied == 0  # not due yet
    PublishTask.objects.filter(pk=task.pk).update(next_attempt_at=timezone.now())
    assert worker.drain(apply=Recorder()).applied == 1
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.attempts == 2 and task.last_error == ""


@override_settings(PUBLISH_RETRY_BASE_SECONDS=2, PUBLISH_RETRY_MAX_SECONDS=60)
def test_backoff_is_exponential_capped_and_jittered():
    for attempts, full in [(1, 2), (2, 4), (3, 8), (5, 32), (6, 60), (30, 60)]:
        delays = {worker.backoff_seconds(attempts) for _ in range(50)}
        assert all(full / 2 <= d <= full for d in delays), (attempts, delays)
        assert len(delays) > 1  # jittered: two workers retrying do not stampede together


@pytest.mark.django_db
def test_tasks_of_one_record_apply_in_order_and_wait_behind_a_failure():
    first = make_task(pk=1)
    second = make_task(pk=1)
    other = make_task(pk=2)
    recorder = Recorder(fail_ids={first.pk})
    report = worker.drain(apply=recorder)
    assert recorder.applied == [other.pk]
    assert report.blocked == 1
    assert PublishTask.objects.get(pk=second.pk).status == TaskStatus.PENDING

    PublishTask.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
    recorder = Recorder()
    worker.drain(apply=recorder)
    assert recorder.applied == [first.pk, second.pk]


@pytest.mark.django_db
def test_a_task_is_claimed_once():
    task = make_task()
    lease = worker.lease_acquire("w1")
    assert worker.task_claim(task, lease) is True
    assert worker.task_claim(task, lease) is False


@pytest.mark.django_db
def test_the_lease_is_exclusive_until_released_or_lapsed():
    first = worker.lease_acquire("w1")
    assert first is not None and worker.lease_acquire("w2") is None
    report = worker.drain(worker_id="w2", apply=Recorder())
    assert report.lease_busy
    worker.lease_release(first)
    second = worker.lease_acquire("w2")
    assert second.token == first.token + 1  # the fencing token written into items as `rev`
    DrainLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    third = worker.lease_acquire("w3")
    assert third.token == second.token + 1
    assert worker.lease_renew(second) is False  # the lapsed holder learns it lost the lease


@pytest.mark.django_db
def test_a_task_left_running_by_a_dead_worker_is_taken_over():
    task = make_task()
    dead = worker.lease_acquire("dead")
    assert worker.task_claim(task, dead)
    DrainLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    time.sleep(0.01)
    recorder = Recorder()
    worker.drain(apply=recorder)
    task.refresh_from_db()
    assert recorder.applied == [task.pk] and task.status == TaskStatus.DONE and task.attempts == 2


@pytest.mark.django_db
def test_retry_now_makes_a_failed_task_due():
    task = make_task(status=TaskStatus.FAILED, next_attempt_at=timezone.now() + timedelta(hours=1))
    assert worker.task_retry_now(task)
    assert worker.drain(apply=Recorder()).applied == 1
    assert not worker.task_retry_now(task)  # done: nothing to retry


@pytest.mark.django_db(transaction=True)
def test_two_workers_draining_at_once_apply_each_task_once_and_in_order():
    tasks = [make_task(pk=n % 4, key=f"b{n % 4}") for n in range(24)]
    recorder = Recorder(delay=0.005)
    drain_in_parallel(recorder)
    assert sorted(recorder.applied) == [t.pk for t in tasks]  # every task exactly once
    by_record: dict[int, list[int]] = {}
    for pk in recorder.applied:
        by_record.setdefault(PublishTask.objects.get(pk=pk).record_pk, []).append(pk)
    assert all(ids == sorted(ids) for ids in by_record.values())
    assert set(PublishTask.objects.values_list("claimed_by", flat=True)) <= {"worker-0", "worker-1"}


def test_worker_module_imports_without_setting_django_up(tmp_path):
    """The scheduled Lambda imports publishing.worker itself: the import must set Django up if needed."""
    import subprocess
    import sys

    code = "import publishing.worker as w; print(callable(w.lambda_drain))"
    env = {"DJANGO_SETTINGS_MODULE": "metalfests.settings.test", "PATH": "/usr/bin:/bin",
           "METALFESTS_VAR_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"


@pytest.mark.django_db
def test_lambda_drain_stops_taking_tasks_before_the_invocation_times_out(monkeypatch):
    for n in range(3):
        make_task(pk=n)

    class Context:
        def get_remaining_time_in_millis(self):
            return 11_000  # 10 s margin: a budget of 1 s

    slow = Recorder(delay=0.6)
    monkeypatch.setattr(worker, "_default_apply", slow)
    answer = worker.lambda_drain({"source": "aws.events"}, Context())
    assert answer["applied"] == len(slow.applied) == 2  # the third waits for the next run
    assert PublishTask.objects.filter(status=TaskStatus.PENDING).count() == 1
