"""The Celery application: `celery -A ooh worker` and `celery -A ooh beat`."""

import logging.config
import os
from typing import Any

from celery import Celery, Task, signals

from ooh import broker
from ooh.metrics import TASKS_RUN
from ooh.observability import current_request_id, request_id_var
from ooh.runtime_files import make_broker_folders

# The message header that carries the request id from the web process to the task (and from a task to
# the tasks it sends).
REQUEST_ID_HEADER = "ooh_request_id"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ooh.settings")
broker.register()  # the embedded broker writes each message whole before a worker can read it

app = Celery("ooh")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.celeryd_init.connect
@signals.beat_init.connect
def make_the_broker_folders(**_: object) -> None:
    """On kombu's filesystem transport (the embedded broker) the worker and beat make its folders as
    they start: settings never write, and kombu makes none of them."""
    make_broker_folders(app.conf.broker_url, app.conf.broker_transport_options)


@signals.setup_logging.connect
def log_as_the_web_does(**_: object) -> None:
    """Django's LOGGING (JSON lines with the request id) in the worker and beat too, instead of Celery's
    own format: one log format across every process."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@signals.before_task_publish.connect
def carry_the_request_id(headers: dict[str, Any] | None = None, **_: object) -> None:
    """A task sent while a request (or another task) is handled carries its id in the message headers."""
    request_id = current_request_id()
    if headers is not None and request_id != "-":
        headers.setdefault(REQUEST_ID_HEADER, request_id)


@signals.task_prerun.connect
def adopt_the_request_id(
    task: "Task[Any, Any] | None" = None, task_id: str | None = None, **_: object
) -> None:
    """The task's log lines and the events it appends carry the id of the request that led to it; a task
    that no request sent (the beat's sweep) gets one of its own, from its task id."""
    carried = getattr(task.request, REQUEST_ID_HEADER, None) if task is not None else None
    request_id_var.set(carried if isinstance(carried, str) and carried else f"task-{task_id or 'unknown'}")


@signals.task_postrun.connect
def count_the_task(task: "Task[Any, Any] | None" = None, state: str | None = None, **_: object) -> None:
    TASKS_RUN.labels(task=task.name if task is not None else "unknown", state=state or "UNKNOWN").inc()
    request_id_var.set("-")
