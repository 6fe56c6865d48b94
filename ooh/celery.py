"""The Celery application: `celery -A ooh worker` and `celery -A ooh beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ooh.settings")

app = Celery("ooh")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
