"""Every Celery task is routed to a named queue that the worker consumes."""

from pathlib import Path

from django.conf import settings

from ooh.celery import app

ROOT = Path(__file__).resolve().parents[2]


def test_every_task_is_routed_to_a_named_queue():
    app.loader.import_default_modules()
    ours = [name for name in app.tasks if not name.startswith("celery.")]
    assert ours, "no tasks registered"
    for name in ours:
        assert name in settings.CELERY_TASK_ROUTES, f"{name} has no queue in CELERY_TASK_ROUTES"


def test_the_demo_worker_consumes_every_queue():
    queues = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {
        settings.CELERY_TASK_DEFAULT_QUEUE
    }
    worker = next(
        line
        for line in (ROOT / "deploy" / "Procfile.demo").read_text().splitlines()
        if line.startswith("worker:")
    )
    consumed = set(worker.split("--queues", 1)[1].split()[0].split(","))
    assert queues <= consumed


def test_late_acks_and_short_delays():
    assert settings.CELERY_TASK_ACKS_LATE
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    from alerts.scheduling import max_delay_seconds

    assert max_delay_seconds() < settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
