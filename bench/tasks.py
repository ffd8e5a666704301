"""The benchmark's task backend: enqueue-only.

The monthly invoicing run enqueues one email task per invoice; the benchmark measures the run itself, not the
queue's storage or the worker that renders the PDFs and sends the emails. This backend validates each task and
builds its result as Django's DummyBackend does, then keeps nothing (the DummyBackend keeps every result in memory,
which would grow with the months issued and blur the peak-memory comparison).
"""

from django.tasks.backends.dummy import DummyBackend
from django.tasks.base import TaskResult, TaskResultStatus
from django.tasks.signals import task_enqueued
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.json import normalize_json


class EnqueueOnlyBackend(DummyBackend):
    def enqueue(self, task, args, kwargs):
        self.validate_task(task)
        result = TaskResult(
            task=task,
            id=get_random_string(32),
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=normalize_json(args),  # what a queue would store
            kwargs=normalize_json(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        task_enqueued.send(type(self), task_result=result)
        return result
